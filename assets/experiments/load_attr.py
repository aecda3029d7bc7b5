"""Experiments behind load_attr.md (see runner.py)."""

# Instances whose attributes live in the inline values (the usual case).
_VALUES = """\
class C:
    def __init__(self):
        self.x = 1
class D:
    def __init__(self):
        self.x = 2
def f(o):
    return o.x
"""

_INSTANCE_VALUE_COMMON = {
    "other-class": "f(D())",
    "class-changed": "C.y = 0\nf(C())",
    "deleted": "o = C()\ndel o.x\ntry:\n    f(o)\nexcept AttributeError:\n    pass",
    "dict-assigned": "o = C()\no.__dict__ = {'x': 3}\nassert f(o) == 3",
}

# Instances whose __dict__ is a real (combined) dict: a dict assigned to it.
_HINT = """\
class C:
    def __init__(self):
        self.__dict__ = {'x': 1}
class D:
    def __init__(self):
        self.__dict__ = {'x': 2}
def f(o):
    return o.x
"""

_HINT_COMMON = {
    "other-class": "f(D())",
    "class-changed": "C.y = 0\nf(C())",
    "moved": "o = C()\no.__dict__ = {'a': 0, 'x': 1}\nassert f(o) == 1",
    "deleted": "o = C()\ndel o.x\ntry:\n    f(o)\nexcept AttributeError:\n    pass",
    "no-dict": "o = C.__new__(C)\no.x = 1\nassert f(o) == 1",
    "split-dict": "o = C.__new__(C)\no.x = 1\nvars(o)\nassert f(o) == 1",
}

_MODULE = """\
import types
m = types.ModuleType('m')
m.a = 1
m.z = 0
m2 = types.ModuleType('m2')
m2.a = 2
def f(mod):
    return mod.a
"""

_MODULE_CAUSES = {
    "other-module": "assert f(m2) == 2",
    "not-a-module": "class K:\n    a = 3\nassert f(K) == 3",
    "name-added": "m.b = 2\nassert f(m) == 1",
    "name-removed": "del m.z\nassert f(m) == 1",
}

_SLOT = """\
class S:
    __slots__ = ('x',)
    def __init__(self):
        self.x = 1
class T:
    __slots__ = ('x',)
    def __init__(self):
        self.x = 2
def f(o):
    return o.x
"""

_SLOT_CAUSES = {
    "other-class": "assert f(T()) == 2",
    "class-changed": "S.y = 0\nassert f(S()) == 1",
    "empty-slot": "o = S()\ndel o.x\ntry:\n    f(o)\nexcept AttributeError:\n    pass",
}

_CLASS = """\
class K:
    A = 1
class L:
    A = 2
def f(c):
    return c.A
"""

# A getter with many locals has a large frame, so that at some depth of
# recursion the current data-stack chunk has room for f's frame but not
# for the getter's.
_BIG_FRAME = "".join("    v%d = %d\n" % (i, i) for i in range(150))

_PROPERTY = """\
class P:
    @property
    def x(self):
%s        return 1
class Q:
    @property
    def x(self):
        return 2
def f(o):
    return o.x
def deep(n, o):
    if n:
        return deep(n - 1, o)
    return f(o)
""" % _BIG_FRAME.replace("    v", "        v")

_GETATTRIBUTE = """\
class G:
    def __getattribute__(self, name):
%s        return 1
class H:
    def __getattribute__(self, name):
        return 2
def f(o):
    return o.x
def deep(n, o):
    if n:
        return deep(n - 1, o)
    return f(o)
""" % _BIG_FRAME.replace("    v", "        v")

_STACK = "o = %s()\nfor n in range(400):\n    deep(n, o)"

_METHOD_VALUES = """\
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

_METHOD_VALUES_COMMON = {
    "other-class": "assert f(N()) == 2",
    "class-changed": "M.y = 0\nassert f(M()) == 1",
    "dict-assigned": "o = M()\no.__dict__ = {'a': 1}\nassert f(o) == 1",
    "new-attr-name": "o = M()\no.b = 2\nassert f(o) == 1",
    "shadowed": "o = M()\no.m = lambda: 3\nassert f(o) == 3",
}

_METHOD_NO_DICT = """\
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

# Exception instances keep their __dict__ at a fixed offset and create it
# only when an attribute is first set.
_METHOD_LAZY = """\
class E(Exception):
    def m(self):
        return 1
class F(Exception):
    def m(self):
        return 2
def f(o):
    return o.m()
"""

_NONDESCR_VALUES = """\
class N:
    A = 1
    def __init__(self):
        self.a = 1
class O:
    A = 2
    def __init__(self):
        self.a = 1
def f(o):
    return o.A
"""

_NONDESCR_NO_DICT = """\
class N:
    __slots__ = ()
    A = 1
class O:
    __slots__ = ()
    A = 2
def f(o):
    return o.A
"""

EXPERIMENTS = [
    {
        "form": "LOAD_ATTR_ADAPTIVE",
        "versions": ["3.11"],
        "setup": "class P:\n    @property\n    def x(self):\n        return 1\ndef f(o):\n    return o.x\n",
        "site": "f",
        "warm": "f(P())",
    },
    {
        "form": "LOAD_ATTR_INSTANCE_VALUE",
        "versions": ["3.11", "3.12"],
        "setup": _VALUES,
        "site": "f",
        "warm": "f(C())",
        "misses": dict(_INSTANCE_VALUE_COMMON, **{
            "materialized": "o = C()\nvars(o)\nassert f(o) == 1",
        }),
    },
    {
        "form": "LOAD_ATTR_INSTANCE_VALUE",
        "versions": ["3.13"],
        "setup": _VALUES,
        "site": "f",
        "warm": "f(C())",
        "misses": dict(_INSTANCE_VALUE_COMMON, **{
            "dict-grown": "o = C()\nvars(o)[0] = 0\nassert f(o) == 1",
        }),
        "kept": {
            "materialized": "o = C()\nvars(o)\nassert f(o) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_MODULE",
        "setup": _MODULE,
        "site": "f",
        "warm": "f(m)",
        "misses": _MODULE_CAUSES,
        "kept": {"rebound": "m.a = 5\nassert f(m) == 5"},
    },
    {
        "form": "LOAD_ATTR_SLOT",
        "setup": _SLOT,
        "site": "f",
        "warm": "f(S())",
        "misses": _SLOT_CAUSES,
    },
    {
        "form": "LOAD_ATTR_WITH_HINT",
        "setup": _HINT,
        "site": "f",
        "warm": "f(C())",
        "misses": _HINT_COMMON,
        "kept": {"rebound": "o = C()\no.x = 5\nassert f(o) == 5"},
    },
    {
        "form": "LOAD_ATTR_CLASS",
        "versions": ["3.12", "3.13"],
        "setup": _CLASS,
        "site": "f",
        "warm": "f(K)",
        "misses": {
            "other-class": "assert f(L) == 2",
            "class-changed": "K.B = 0\nassert f(K) == 1",
            "not-a-class": "assert f(K()) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_PROPERTY",
        "versions": ["3.12", "3.13"],
        "setup": _PROPERTY,
        "site": "f",
        "warm": "f(P())",
        "misses": {
            "other-class": "assert f(Q()) == 2",
            "class-changed": "P.y = 0\nassert f(P()) == 1",
            "getter-changed": "P.x.fget.__code__ = P.x.fget.__code__.replace()\nassert f(P()) == 1",
            "stack-space": _STACK % "P",
        },
    },
    {
        "form": "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN",
        "versions": ["3.12", "3.13"],
        "setup": _GETATTRIBUTE,
        "site": "f",
        "warm": "f(G())",
        "misses": {
            "other-class": "assert f(H()) == 2",
            "class-changed": "G.y = 0\nassert f(G()) == 1",
            "function-changed": "G.__getattribute__.__code__ = G.__getattribute__.__code__.replace()\nassert f(G()) == 1",
            "stack-space": _STACK % "G",
        },
    },
    {
        "form": "LOAD_ATTR_METHOD_WITH_VALUES",
        "versions": ["3.12"],
        "setup": _METHOD_VALUES,
        "site": "f",
        "warm": "f(M())",
        "misses": dict(_METHOD_VALUES_COMMON, **{
            "materialized": "o = M()\nvars(o)\nassert f(o) == 1",
        }),
    },
    {
        "form": "LOAD_ATTR_METHOD_WITH_VALUES",
        "versions": ["3.13"],
        "setup": _METHOD_VALUES,
        "site": "f",
        "warm": "f(M())",
        "misses": _METHOD_VALUES_COMMON,
        "kept": {
            "materialized": "o = M()\nvars(o)\nassert f(o) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_METHOD_NO_DICT",
        "versions": ["3.12", "3.13"],
        "setup": _METHOD_NO_DICT,
        "site": "f",
        "warm": "f(S())",
        "misses": {
            "other-class": "assert f(T()) == 2",
            "class-changed": "S.y = 0\nassert f(S()) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_METHOD_LAZY_DICT",
        "versions": ["3.12", "3.13"],
        "setup": _METHOD_LAZY,
        "site": "f",
        "warm": "f(E())",
        "misses": {
            "other-class": "assert f(F()) == 2",
            "class-changed": "E.y = 0\nassert f(E()) == 1",
            "dict-created": "o = E()\no.note = 1\nassert f(o) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES",
        "versions": ["3.13"],
        "setup": _NONDESCR_VALUES,
        "site": "f",
        "warm": "f(N())",
        "misses": {
            "other-class": "assert f(O()) == 2",
            "class-changed": "N.y = 0\nassert f(N()) == 1",
            "shadowed": "o = N()\no.A = 3\nassert f(o) == 3",
            "new-attr-name": "o = N()\no.b = 2\nassert f(o) == 1",
            "dict-assigned": "o = N()\no.__dict__ = {'a': 1}\nassert f(o) == 1",
        },
        "kept": {
            "materialized": "o = N()\nvars(o)\nassert f(o) == 1",
        },
    },
    {
        "form": "LOAD_ATTR_NONDESCRIPTOR_NO_DICT",
        "versions": ["3.13"],
        "setup": _NONDESCR_NO_DICT,
        "site": "f",
        "warm": "f(N())",
        "misses": {
            "other-class": "assert f(O()) == 2",
            "class-changed": "N.y = 0\nassert f(N()) == 1",
        },
    },
]
