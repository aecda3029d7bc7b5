"""Experiments behind store_subscr.md (see runner.py)."""

_SETUP = (
    "import collections\n"
    "class MyList(list):\n    pass\n"
    "def f(c, k, v):\n    c[k] = v\n"
)

EXPERIMENTS = [
    {
        "form": "STORE_SUBSCR_LIST_INT",
        "setup": _SETUP,
        "site": "f",
        "warm": "f([1, 2, 3], 1, 0)",
        "misses": {
            "negative": "f([1, 2, 3], -1, 0)",
            "slice": "f([1, 2, 3], slice(0, 1), [0])",
            "past-end": "f([1, 2, 3], 3, 0)",
            "bool": "f([1, 2, 3], True, 0)",
            "list-subclass": "f(MyList([1, 2, 3]), 1, 0)",
            "other": "f({}, 1, 0)",
        },
    },
    {
        "form": "STORE_SUBSCR_DICT",
        "setup": _SETUP,
        "site": "f",
        "warm": "f({}, 'a', 1)",
        "misses": {
            "dict-subclass": "f(collections.OrderedDict(), 'a', 1)",
            "other": "f([1, 2], 0, 1)",
        },
        "kept": {
            "new-key": "f({'a': 1}, 'b', 2)",
        },
    },
]
