"""Experiments behind load_super_attr.md (see runner.py)."""

# f uses the two-argument form, so the class argument can be anything.
_ATTR = """\
class A:
    x = 1
class B(A):
    pass
def f(cls, obj):
    return super(cls, obj).x
"""

_METHOD = """\
class A:
    def m(self):
        return 1
class B(A):
    pass
def f(cls, obj):
    return super(cls, obj).m()
"""

# Another callable bound to the global name super (a builtins.super subclass
# keeps the call working).
_REBOUND = "class super(super):\n    pass\nassert f(B, B()) == 1"

_NOT_A_CLASS = "try:\n    f(1, B())\nexcept TypeError:\n    pass"

EXPERIMENTS = [
    {
        "form": "LOAD_SUPER_ATTR_ATTR",
        "versions": ["3.12", "3.13"],
        "setup": _ATTR,
        "site": "f",
        "warm": "f(B, B())",
        "misses": {
            "super-rebound": _REBOUND,
            "not-a-class": _NOT_A_CLASS,
        },
        "kept": {
            "other-class": "class C(A):\n    pass\nassert f(C, C()) == 1",
        },
    },
    {
        "form": "LOAD_SUPER_ATTR_METHOD",
        "versions": ["3.12", "3.13"],
        "setup": _METHOD,
        "site": "f",
        "warm": "f(B, B())",
        "misses": {
            "super-rebound": _REBOUND,
            "not-a-class": _NOT_A_CLASS,
        },
        "kept": {
            "other-class": "class C(A):\n    pass\nassert f(C, C()) == 1",
        },
    },
]
