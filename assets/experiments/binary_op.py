"""Experiments behind binary_op.md (see runner.py)."""

_CLASSES = (
    "class MyInt(int):\n    pass\n"
    "class MyFloat(float):\n    pass\n"
    "class MyStr(str):\n    pass\n"
)


def _int_form(form, op):
    return {
        "form": form,
        "setup": _CLASSES + "def f(a, b):\n    return a %s b\n" % op,
        "site": "f",
        "warm": "f(7, 3)",
        "misses": {
            "float": "f(7, 3.0)",
            "bool": "f(True, 3)",
            "int-subclass": "f(MyInt(7), 3)",
            "other": "f('ab', 3)" if op == "*" else "f(7, None)",
        },
        "kept": {
            "big-int": "f(2**100, -3)",
        },
    }


def _float_form(form, op):
    return {
        "form": form,
        "setup": _CLASSES + "def f(a, b):\n    return a %s b\n" % op,
        "site": "f",
        "warm": "f(1.5, 2.5)",
        "misses": {
            "int-float": "f(1, 2.5)",
            "float-subclass": "f(MyFloat(1.5), 2.5)",
            "other": "f(1.5, None)",
        },
        "kept": {
            "nan": "f(float('nan'), float('inf'))",
        },
    }


EXPERIMENTS = [
    _int_form("BINARY_OP_ADD_INT", "+"),
    _int_form("BINARY_OP_SUBTRACT_INT", "-"),
    _int_form("BINARY_OP_MULTIPLY_INT", "*"),
    _float_form("BINARY_OP_ADD_FLOAT", "+"),
    _float_form("BINARY_OP_SUBTRACT_FLOAT", "-"),
    _float_form("BINARY_OP_MULTIPLY_FLOAT", "*"),
    {
        "form": "BINARY_OP_ADD_UNICODE",
        "setup": _CLASSES + "def f(a, b):\n    return a + b\n",
        "site": "f",
        "warm": "f('ab', 'cd')",
        "misses": {
            "str-subclass": "f('ab', MyStr('cd'))",
            "other": "f(b'ab', b'cd')",
        },
    },
    {
        # The target local is s, the left operand is t: the site specializes
        # while both name the same object (the specializer compares objects,
        # not names), then one cause at a time breaks that.
        "form": "BINARY_OP_INPLACE_ADD_UNICODE",
        "setup": _CLASSES + "def g(s, t, u):\n    s = t + u\n    return\n",
        "site": "g",
        "warm": "g('ab', 'ab', 'cd')",
        "misses": {
            "str-subclass": "g('ab', 'ab', MyStr('cd'))",
            "other": "x = ['ab']\ng(x, x, ['cd'])",
            "not-target": "g('xy', 'ab', 'cd')",
        },
    },
]
