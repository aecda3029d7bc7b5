"""Experiments behind load_global.md (see runner.py)."""

_MODULE = """\
G = 1
Z = 0
def f():
    return G
"""

_BUILTIN = """\
G = 1
Z = 0
def f():
    return len
"""

# The same code object run with another globals dict shares its inline
# cache, so the cached keys version meets a different dict.
_OTHER_GLOBALS = "import types\ntypes.FunctionType(f.__code__, {'G': 1, '__builtins__': __builtins__})()"

# The builtins dict is shared by the whole process: the cause adds a name
# and takes it away again.
_BUILTIN_ADDED = """\
import builtins
builtins.specscope_probe = 1
try:
    f()
finally:
    del builtins.specscope_probe
"""

EXPERIMENTS = [
    {
        "form": "LOAD_GLOBAL_ADAPTIVE",
        "versions": ["3.11"],
        # A non-string key makes the globals dict a general one, which the
        # specializer refuses.
        "setup": "globals()[0] = 0\nG = 1\ndef f():\n    return G\n",
        "site": "f",
        "warm": "f()",
    },
    {
        "form": "LOAD_GLOBAL_MODULE",
        "setup": _MODULE,
        "site": "f",
        "warm": "f()",
        "misses": {
            "global-added": "H = 2\nassert f() == 1",
            "global-removed": "del Z\nassert f() == 1",
            "other-globals": _OTHER_GLOBALS,
        },
        "kept": {
            "rebound": "G = 5\nassert f() == 5",
        },
    },
    {
        "form": "LOAD_GLOBAL_BUILTIN",
        "setup": _BUILTIN,
        "site": "f",
        "warm": "f()",
        "misses": {
            "global-added": "H = 2\nassert f() is len",
            "shadowed": "len = 5\nassert f() == 5",
            "global-removed": "del Z\nassert f() is len",
            "builtin-added": _BUILTIN_ADDED,
            "other-globals": _OTHER_GLOBALS,
        },
        "kept": {
            "rebound": "G = 5\nassert f() is len",
        },
    },
]
