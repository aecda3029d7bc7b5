"""Experiments behind to_bool.md (see runner.py)."""

_SETUP = (
    "class MyInt(int):\n    pass\n"
    "class MyList(list):\n    pass\n"
    "class MyStr(str):\n    pass\n"
    "class Plain:\n    pass\n"
    "class Other:\n    pass\n"
    "def f(x):\n    if x:\n        return 1\n    return 0\n"
)


def _form(form, warm, misses, kept=None):
    experiment = {
        "form": form,
        "versions": ["3.13"],
        "setup": _SETUP,
        "site": "f",
        "warm": warm,
        "misses": misses,
    }
    if kept:
        experiment["kept"] = kept
    return experiment


EXPERIMENTS = [
    _form("TO_BOOL_BOOL", "f(True)", {"non-bool": "f(1)"}, {"false": "f(False)"}),
    _form("TO_BOOL_INT", "f(3)", {
        "bool": "f(True)",
        "int-subclass": "f(MyInt(3))",
        "other": "f(3.0)",
    }, {"zero": "f(0)", "big-int": "f(2**100)"}),
    _form("TO_BOOL_LIST", "f([1])", {
        "list-subclass": "f(MyList([1]))",
        "other": "f((1,))",
    }, {"empty": "f([])"}),
    _form("TO_BOOL_STR", "f('a')", {
        "str-subclass": "f(MyStr('a'))",
        "other": "f(b'a')",
    }, {"empty": "f('')"}),
    _form("TO_BOOL_NONE", "f(None)", {
        "not-none": "f(0)",
    }),
    _form("TO_BOOL_ALWAYS_TRUE", "f(Plain())", {
        "other-class": "f(Other())",
        "class-modified": "Plain.attribute = 1\nf(Plain())",
        "len-added": "Plain.__len__ = lambda self: 0\nf(Plain())",
    }),
]
