"""Experiments behind unpack_sequence.md (see runner.py)."""

_SETUP = (
    "import collections\n"
    "Pair = collections.namedtuple('Pair', 'a b')\n"
    "Triple = collections.namedtuple('Triple', 'a b c')\n"
    "class MyList(list):\n    pass\n"
    "def two(pair):\n    a, b = pair\n    return a\n"
    "def three(seq):\n    a, b, c = seq\n    return a\n"
)

EXPERIMENTS = [
    {
        "form": "UNPACK_SEQUENCE_TWO_TUPLE",
        "setup": _SETUP,
        "site": "two",
        "warm": "two((1, 2))",
        "misses": {
            "list": "two([1, 2])",
            "length": "two((1, 2, 3))",
            "tuple-subclass": "two(Pair(1, 2))",
            "other": "two('ab')",
        },
    },
    {
        "form": "UNPACK_SEQUENCE_TUPLE",
        "setup": _SETUP,
        "site": "three",
        "warm": "three((1, 2, 3))",
        "misses": {
            "list": "three([1, 2, 3])",
            "length": "three((1, 2))",
            "tuple-subclass": "three(Triple(1, 2, 3))",
            "other": "three(iter((1, 2, 3)))",
        },
    },
    {
        "form": "UNPACK_SEQUENCE_LIST",
        "setup": _SETUP,
        "site": "three",
        "warm": "three([1, 2, 3])",
        "misses": {
            "tuple": "three((1, 2, 3))",
            "length": "three([1, 2, 3, 4])",
            "list-subclass": "three(MyList([1, 2, 3]))",
            "other": "three('abc')",
        },
    },
]
