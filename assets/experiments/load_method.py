"""Experiments behind load_method.md (see runner.py). LOAD_METHOD exists
only in 3.11."""

_VALUES = """\
class M:
    def __init__(self):
        self.a = 1
    def m(self):
        return 1
class N:
    def __init__(self):
        self.a = 1
    def m(self):
        return 2
def f(o):
    return o.m()
"""

# Instances of M whose __dict__ was materialized: the site sees a real dict.
_DICT = _VALUES + """\
def made():
    o = M()
    vars(o)
    return o
def made_n():
    o = N()
    vars(o)
    return o
"""

_NO_DICT = """\
class S:
    __slots__ = ()
    def m(self):
        return 1
class T:
    __slots__ = ()
    def m(self):
        return 2
def f(o):
    return o.m()
"""

_CLASS = """\
class K:
    def m(*args):
        return 1
class L:
    def m(*args):
        return 2
def f(c):
    return c.m()
"""

_MODULE = """\
import types
m = types.ModuleType('m')
m.g = lambda: 1
m.z = 0
m2 = types.ModuleType('m2')
m2.g = lambda: 2
def f(mod):
    return mod.g()
"""

EXPERIMENTS = [
    {
        "form": "LOAD_METHOD_ADAPTIVE",
        "versions": ["3.11"],
        # An instance attribute holding a function is not a method: the
        # specializer refuses it.
        "setup": "class P:\n    def __init__(self):\n        self.m = lambda: 1\ndef f(o):\n    return o.m()\n",
        "site": "f",
        "warm": "f(P())",
    },
    {
        "form": "LOAD_METHOD_WITH_VALUES",
        "versions": ["3.11"],
        "setup": _VALUES,
        "site": "f",
        "warm": "f(M())",
        "misses": {
            "other-class": "assert f(N()) == 2",
            "class-changed": "M.y = 0\nassert f(M()) == 1",
            "materialized": "o = M()\nvars(o)\nassert f(o) == 1",
            "new-attr-name": "o = M()\no.b = 2\nassert f(o) == 1",
            "shadowed": "o = M()\no.m = lambda: 3\nassert f(o) == 3",
        },
    },
    {
        "form": "LOAD_METHOD_WITH_DICT",
        "versions": ["3.11"],
        "setup": _DICT,
        "site": "f",
        "warm": "f(made())",
        "misses": {
            "other-class": "assert f(made_n()) == 2",
            "class-changed": "M.y = 0\nassert f(made()) == 1",
            "key-added": "o = made()\no.b = 2\nassert f(o) == 1",
            "shadowed": "o = made()\no.m = lambda: 3\nassert f(o) == 3",
            "no-dict": "assert f(M()) == 1",
        },
        "kept": {
            "deleted": "o = made()\ndel o.a\nassert f(o) == 1",
            "rebound": "o = made()\no.a = 7\nassert f(o) == 1",
        },
    },
    {
        "form": "LOAD_METHOD_NO_DICT",
        "versions": ["3.11"],
        "setup": _NO_DICT,
        "site": "f",
        "warm": "f(S())",
        "misses": {
            "other-class": "assert f(T()) == 2",
            "class-changed": "S.y = 0\nassert f(S()) == 1",
        },
    },
    {
        "form": "LOAD_METHOD_CLASS",
        "versions": ["3.11"],
        "setup": _CLASS,
        "site": "f",
        "warm": "f(K)",
        "misses": {
            "other-class": "assert f(L) == 2",
            "class-changed": "K.y = 0\nassert f(K) == 1",
            "not-a-class": "assert f(K()) == 1",
        },
    },
    {
        "form": "LOAD_METHOD_MODULE",
        "versions": ["3.11"],
        "setup": _MODULE,
        "site": "f",
        "warm": "f(m)",
        "misses": {
            "other-module": "assert f(m2) == 2",
            "not-a-module": "class K:\n    g = staticmethod(lambda: 3)\nassert f(K) == 3",
            "name-added": "m.b = 2\nassert f(m) == 1",
            "name-removed": "del m.z\nassert f(m) == 1",
        },
        "kept": {
            "rebound": "m.g = lambda: 5\nassert f(m) == 5",
        },
    },
]
