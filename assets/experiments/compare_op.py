"""Experiments behind compare_op.md (see runner.py)."""

_SETUP = (
    "class MyFloat(float):\n    pass\n"
    "class MyStr(str):\n    pass\n"
    # 3.11 only specializes a comparison that a conditional jump follows,
    # so every site is an if.
    "def lt(a, b):\n    if a < b:\n        return 1\n    return 0\n"
    "def eq(a, b):\n    if a == b:\n        return 1\n    return 0\n"
)


def _int(form, versions):
    return {
        "form": form,
        "versions": versions,
        "setup": _SETUP,
        "site": "lt",
        "warm": "lt(3, 5)",
        "misses": {
            "big-int": "lt(2**40, 2**41)",
            "one-digit-edge": "lt(2**30, 5)",
            "bool": "lt(True, 5)",
            "float": "lt(3, 5.0)",
            "other": "lt('a', 'b')",
        },
        "kept": {
            "negative": "lt(-(2**30 - 1), 2**30 - 1)",
        },
    }


def _float(form, versions, nan_misses):
    experiment = {
        "form": form,
        "versions": versions,
        "setup": _SETUP,
        "site": "lt",
        "warm": "lt(1.5, 2.5)",
        "misses": {
            "int-float": "lt(1, 2.5)",
            "float-subclass": "lt(MyFloat(1.5), 2.5)",
            "other": "lt('a', 'b')",
        },
        "kept": {},
    }
    nan = "lt(float('nan'), 2.5)"
    if nan_misses:
        experiment["misses"]["nan"] = nan
    else:
        experiment["kept"]["nan"] = nan
    return experiment


def _str(form, versions):
    return {
        "form": form,
        "versions": versions,
        "setup": _SETUP,
        "site": "eq",
        "warm": "eq('ab', 'cd')",
        "misses": {
            "str-subclass": "eq(MyStr('ab'), 'cd')",
            "other": "eq(b'ab', b'cd')",
        },
    }


EXPERIMENTS = [
    _int("COMPARE_OP_INT_JUMP", ["3.11"]),
    _float("COMPARE_OP_FLOAT_JUMP", ["3.11"], nan_misses=True),
    _str("COMPARE_OP_STR_JUMP", ["3.11"]),
    _int("COMPARE_OP_INT", ["3.12", "3.13"]),
    _float("COMPARE_OP_FLOAT", ["3.12", "3.13"], nan_misses=False),
    _str("COMPARE_OP_STR", ["3.12", "3.13"]),
]
