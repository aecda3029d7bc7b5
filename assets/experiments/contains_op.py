"""Experiments behind contains_op.md (see runner.py)."""

_SETUP = (
    "class MySet(set):\n    pass\n"
    "class MyDict(dict):\n    pass\n"
    "def f(x, c):\n    return x in c\n"
)

EXPERIMENTS = [
    {
        "form": "CONTAINS_OP_SET",
        "versions": ["3.13"],
        "setup": _SETUP,
        "site": "f",
        "warm": "f(1, {1, 2})",
        "misses": {
            "set-subclass": "f(1, MySet({1, 2}))",
            "dict": "f(1, {1: 2})",
            "other": "f(1, [1, 2])",
        },
        "kept": {
            "frozenset": "f(1, frozenset({1, 2}))",
            "key-type": "f('a', {1, 2})",
        },
    },
    {
        "form": "CONTAINS_OP_DICT",
        "versions": ["3.13"],
        "setup": _SETUP,
        "site": "f",
        "warm": "f(1, {1: 2})",
        "misses": {
            "dict-subclass": "f(1, MyDict({1: 2}))",
            "other": "f(1, {1, 2})",
        },
        "kept": {
            "key-type": "f('a', {1: 2})",
        },
    },
]
