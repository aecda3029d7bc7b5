"""Experiments behind binary_subscr.md (see runner.py)."""

_SETUP = (
    "import collections, types\n"
    "Pair = collections.namedtuple('Pair', 'a b')\n"
    "class MyList(list):\n    pass\n"
    "class MyStr(str):\n    pass\n"
    "def f(c, k):\n    return c[k]\n"
)

# BINARY_SUBSCR_GETITEM. A.__getitem__ builds a long tuple so that its frame
# is larger than the frame of the recursive site f: then, going deeper, some
# level finds room for f's frame but not for __getitem__'s.
_GETITEM = (
    "class A:\n"
    "    def __getitem__(self, key):\n"
    "        t = (" + "key, " * 48 + ")\n"
    "        return t[0]\n"
    "class B:\n"
    "    def __getitem__(self, key):\n"
    "        return -key\n"
    "class Shared:\n"
    "    __getitem__ = A.__getitem__\n"
    "class Sub(A):\n"
    "    pass\n"
    "def f(o, k, depth=0):\n"
    "    v = o[k]\n"
    "    if depth:\n"
    "        f(o, k, depth - 1)\n"
    "    return v\n"
    # Another site, used to let a class cache its __getitem__.
    "def elsewhere(o, k):\n"
    "    return o[k]\n"
    "def cache_for(o):\n"
    "    for _ in range(100):\n"
    "        elsewhere(o, 1)\n"
)

_GETITEM_MISSES = {
    "builtin": "f([1, 2], 1)",
    "class-modified": "A.extra = 1\nf(A(), 1)",
    "function-changed": "A.__getitem__.__code__ = (lambda self, key: key).__code__\nf(A(), 1)",
    "defaults-changed": "A.__getitem__.__defaults__ = (0,)\nf(A(), 1)",
}

EXPERIMENTS = [
    {
        "form": "BINARY_SUBSCR_DICT",
        "setup": _SETUP,
        "site": "f",
        "warm": "f({'a': 1}, 'a')",
        "misses": {
            "dict-subclass": "f(collections.defaultdict(int, a=1), 'a')",
            "other": "f(types.MappingProxyType({'a': 1}), 'a')",
        },
        "kept": {
            # The KeyError comes from the specialized form itself.
            "missing-key": "try:\n    f({'a': 1}, 'b')\nexcept KeyError:\n    pass",
        },
    },
    {
        "form": "BINARY_SUBSCR_LIST_INT",
        "setup": _SETUP,
        "site": "f",
        "warm": "f([1, 2, 3], 1)",
        "misses": {
            "negative": "f([1, 2, 3], -1)",
            "slice": "f([1, 2, 3], slice(1, None))",
            "past-end": "f([1, 2, 3], 3)",
            "bool": "f([1, 2, 3], True)",
            "list-subclass": "f(MyList([1, 2, 3]), 1)",
            "tuple": "f((1, 2, 3), 1)",
        },
    },
    {
        "form": "BINARY_SUBSCR_TUPLE_INT",
        "setup": _SETUP,
        "site": "f",
        "warm": "f((1, 2, 3), 1)",
        "misses": {
            "negative": "f((1, 2, 3), -1)",
            "slice": "f((1, 2, 3), slice(1, None))",
            "past-end": "f((1, 2, 3), 3)",
            "bool": "f((1, 2, 3), True)",
            "tuple-subclass": "f(Pair(1, 2), 1)",
            "list": "f([1, 2, 3], 1)",
        },
    },
    {
        "form": "BINARY_SUBSCR_STR_INT",
        "versions": ["3.13"],
        "setup": _SETUP,
        "site": "f",
        "warm": "f('abc', 1)",
        "misses": {
            "non-ascii": "f('aé', 1)",
            "negative": "f('abc', -1)",
            "slice": "f('abc', slice(1, None))",
            "past-end": "f('abc', 3)",
            "str-subclass": "f(MyStr('abc'), 1)",
        },
        "kept": {
            "ascii-in-wide": "f('aé', 0)",
        },
    },
    {
        "form": "BINARY_SUBSCR_GETITEM",
        "versions": ["3.11"],
        "setup": _GETITEM,
        "site": "f",
        "warm": "f(A(), 1)",
        "misses": dict(_GETITEM_MISSES, **{
            "other-class": "f(B(), 1)",
            "shared-function": "cache_for(Shared())\nf(Shared(), 1)",
            "subclass": "f(Sub(), 1)",
        }),
        "kept": {
            "stack-space": "f(A(), 1, 400)",
        },
    },
    {
        "form": "BINARY_SUBSCR_GETITEM",
        "versions": ["3.12", "3.13"],
        "setup": _GETITEM,
        "site": "f",
        "warm": "f(A(), 1)",
        "misses": dict(_GETITEM_MISSES, **{
            "uncached-class": "f(B(), 1)",
            "subclass": "f(Sub(), 1)",
            "stack-space": "f(A(), 1, 400)",
        }),
        "kept": {
            "shared-function": "cache_for(Shared())\nf(Shared(), 1)",
            "other-cached-class": "cache_for(B())\nf(B(), 1)",
        },
    },
]
