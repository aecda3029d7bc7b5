"""Experiments behind store_attr.md (see runner.py)."""

_VALUES = """\
class C:
    def __init__(self):
        self.x = 1
class D:
    def __init__(self):
        self.x = 1
def f(o):
    o.x = 2
"""

_SLOT = """\
class S:
    __slots__ = ('x',)
    def __init__(self):
        self.x = 1
class T:
    __slots__ = ('x',)
    def __init__(self):
        self.x = 1
def f(o):
    o.x = 2
"""

# Instances whose __dict__ is a real (combined) dict: a dict assigned to it.
_HINT = """\
class C:
    def __init__(self):
        self.__dict__ = {'x': 1}
class D:
    def __init__(self):
        self.__dict__ = {'x': 1}
def f(o):
    o.x = 2
"""

EXPERIMENTS = [
    {
        "form": "STORE_ATTR_ADAPTIVE",
        "versions": ["3.11"],
        "setup": "class P:\n    @property\n    def x(self):\n        return 1\n    @x.setter\n    def x(self, v):\n        pass\ndef f(o):\n    o.x = 2\n",
        "site": "f",
        "warm": "f(P())",
    },
    {
        "form": "STORE_ATTR_INSTANCE_VALUE",
        "setup": _VALUES,
        "site": "f",
        "warm": "f(C())",
        "misses": {
            "other-class": "f(D())",
            "class-changed": "C.y = 0\nf(C())",
            "materialized": "o = C()\nvars(o)\nf(o)\nassert o.x == 2",
            "dict-assigned": "o = C()\no.__dict__ = {'x': 1}\nf(o)\nassert o.x == 2",
        },
        "kept": {
            "deleted": "o = C()\ndel o.x\nf(o)\nassert o.x == 2",
        },
    },
    {
        "form": "STORE_ATTR_SLOT",
        "setup": _SLOT,
        "site": "f",
        "warm": "f(S())",
        "misses": {
            "other-class": "f(T())",
            "class-changed": "S.y = 0\nf(S())",
        },
        "kept": {
            "empty-slot": "o = S()\ndel o.x\nf(o)\nassert o.x == 2",
        },
    },
    {
        "form": "STORE_ATTR_WITH_HINT",
        "setup": _HINT,
        "site": "f",
        "warm": "f(C())",
        "misses": {
            "other-class": "f(D())",
            "class-changed": "C.y = 0\nf(C())",
            "moved": "o = C()\no.__dict__ = {'a': 0, 'x': 1}\nf(o)\nassert o.x == 2",
            "deleted": "o = C()\ndel o.x\nf(o)\nassert o.x == 2",
            "no-dict": "o = C.__new__(C)\no.x = 1\nf(o)\nassert o.x == 2",
            "split-dict": "o = C.__new__(C)\no.x = 1\nvars(o)\nf(o)\nassert o.x == 2",
        },
    },
]
