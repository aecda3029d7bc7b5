"""Experiments for assets/explain/call.md (the CALL family; 3.11's PRECALL
family is in precall.py). Run: python runner.py call.py [FORM]."""

# Helpers every experiment's setup starts with.
SHARED = r'''
import sys, collections, _bisect

def py1(a):
    return a

def py2(a, b, key=None):
    return a

def site1(c, a):
    return c(a)

def site2(c, a, b):
    return c(a, b)

class S(str):
    pass

class L(list):
    pass

class Other:
    def join(self, x): return x
    def upper(self): return self
    def pop(self, k): return k
    def split(self, s): return [s]
    def append(self, x): pass

def at_py_limit(run, margin=20):
    """Runs run() with the recursion limit a few frames above the current
    depth, twice (two limits one apart, so that either parity of a
    two-frames-per-level recursion meets the limit at the site)."""
    depth, f = 0, sys._getframe()
    while f is not None:
        depth, f = depth + 1, f.f_back
    old = sys.getrecursionlimit()
    for extra in (0, 1):
        sys.setrecursionlimit(depth + margin + extra)
        try:
            run()
        except RecursionError:
            pass
        finally:
            sys.setrecursionlimit(old)

def at_c_limit(call):
    """Runs call() from a __repr__ at the bottom of nested lists: every
    level costs one unit of the C recursion budget, so sweeping the depth
    around the deepest one that works meets the C limit at the site."""
    class R:
        def __repr__(self):
            call()
            return "r"
    def works(depth):
        x = [R()]
        for _ in range(depth):
            x = [x]
        try:
            repr(x)
            return True
        except RecursionError:
            return False
    lo, hi = 0, 1
    while works(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if works(mid):
            lo = mid
        else:
            hi = mid
    for depth in range(lo - 3, lo + 3):
        works(depth)
'''

# A method calling itself: the site is `self.m(n - 1)` in K.m.
RECURSIVE = SHARED + r'''
def make():
    def m(self, n):
        if n > 0:
            return self.m(n - 1)
        return 0
    return m

class K:
    m = make()

class K2(K):
    def m(self, n):
        return 0

k = K()
'''

RECURSIVE_DEFAULTS = SHARED + r'''
def make():
    def m(self, n, extra=0):
        if n > 0:
            return self.m(n - 1)
        return 0
    return m

class K:
    m = make()

class K2(K):
    def m(self, n, extra=0):
        return 0

k = K()
'''

# A bound method called through `fn(n)` in site(); K.m recurses through site.
# As RECURSIVE_DEFAULTS, but every parameter after self has a default, so
# that K.m(K, 1) binds K.m(0) without an error.
RECURSIVE_GENERAL = RECURSIVE_DEFAULTS.replace("m(self, n, extra=0)", "m(self, n=0, extra=0)")

BOUND = SHARED + r'''
def site(fn, n):
    return fn(n)

def make():
    def m(self, n):
        if n > 0:
            return site(self.m, n - 1)
        return 0
    return m

class K:
    m = make()

class K2:
    def m(self, n):
        return 0

k = K()
'''

BOUND_DEFAULTS = BOUND.replace("def m(self, n):\n        if", "def m(self, n, extra=0):\n        if")

PY_EXACT_MISSES = {
    "other-function": "K.m(K2(), 1)",
    "code-changed": "K.m.__code__ = K.m.__code__\nk.m(2)",
    "argcount": "K.m(K, 1)",
}
REDEFINED = "K.m = make()\nk.m(2)"
DEEP = "k.m(400)"
AT_LIMIT = "at_py_limit(lambda: k.m(100))"

EXPERIMENTS = [
    # --- calls to Python functions -------------------------------------
    {"form": "CALL_PY_EXACT_ARGS", "versions": ["3.11"], "setup": RECURSIVE, "site": "K.m",
     "warm": "k.m(2)",
     "misses": dict(PY_EXACT_MISSES, redefined=REDEFINED),
     "kept": {"stack-space": DEEP, "recursion-limit": AT_LIMIT}},
    {"form": "CALL_PY_EXACT_ARGS", "versions": ["3.12"], "setup": RECURSIVE, "site": "K.m",
     "warm": "k.m(2)",
     "misses": dict(PY_EXACT_MISSES, **{"stack-space": DEEP}),
     "kept": {"recursion-limit": AT_LIMIT, "same-def": REDEFINED}},
    {"form": "CALL_PY_EXACT_ARGS", "versions": ["3.13"], "setup": RECURSIVE, "site": "K.m",
     "warm": "k.m(2)",
     "misses": dict(PY_EXACT_MISSES, **{"stack-space": DEEP, "recursion-limit": AT_LIMIT}),
     "kept": {"same-def": REDEFINED}},

    {"form": "CALL_PY_WITH_DEFAULTS", "versions": ["3.11"], "setup": RECURSIVE_DEFAULTS, "site": "K.m",
     "warm": "k.m(2)",
     "misses": dict(PY_EXACT_MISSES, redefined=REDEFINED,
                    **{"defaults-changed": "K.m.__defaults__ = (5,)\nk.m(2)"}),
     "kept": {"stack-space": DEEP}},
    {"form": "CALL_PY_WITH_DEFAULTS", "versions": ["3.12"], "setup": RECURSIVE_DEFAULTS, "site": "K.m",
     "warm": "k.m(2)",
     "misses": dict(PY_EXACT_MISSES,
                    **{"defaults-changed": "K.m.__defaults__ = (5,)\nk.m(2)", "stack-space": DEEP}),
     "kept": {"same-def": REDEFINED}},

    {"form": "CALL_BOUND_METHOD_EXACT_ARGS", "versions": ["3.12"], "setup": BOUND, "site": "site",
     "warm": "site(k.m, 2)",
     "misses": {"other-function": "site(K2().m, 1)", "not-bound-method": "site(py1, 1)",
                "stack-space": "k.m(300)"},
     "kept": {"same-def": "K.m = make()\nsite(k.m, 1)"}},
    {"form": "CALL_BOUND_METHOD_EXACT_ARGS", "versions": ["3.13"], "setup": BOUND, "site": "site",
     "warm": "site(k.m, 2)",
     "misses": {"other-function": "site(K2().m, 1)", "not-bound-method": "site(py1, 1)",
                "stack-space": "k.m(300)", "recursion-limit": "at_py_limit(lambda: k.m(100))"},
     "kept": {"same-def": "K.m = make()\nsite(k.m, 1)"}},

    {"form": "CALL_PY_GENERAL", "versions": ["3.13"], "setup": RECURSIVE_GENERAL, "site": "K.m",
     "warm": "k.m(2)",
     "misses": {"other-function": "K.m(K2(), 1)", "code-changed": "K.m.__code__ = K.m.__code__\nk.m(2)"},
     "kept": {"same-def": REDEFINED, "argcount": "K.m(K, 1)", "stack-space": DEEP}},

    {"form": "CALL_BOUND_METHOD_GENERAL", "versions": ["3.13"], "setup": BOUND_DEFAULTS, "site": "site",
     "warm": "site(k.m, 2)",
     "misses": {"other-function": "site(K2().m, 1)", "not-bound-method": "site(py1, 1)",
                "not-python": "import types\nsite(types.MethodType(divmod, 7), 1)"},
     "kept": {"same-def": "K.m = make()\nsite(k.m, 1)"}},

    {"form": "CALL_NON_PY_GENERAL", "versions": ["3.13"],
     "setup": SHARED + "class Callable:\n    def __call__(self, a):\n        return a\n"
                       "class P:\n    def __init__(self, a):\n        pass\n",
     "site": "site1", "warm": "site1(Callable(), 1)",
     "misses": {"py-function": "site1(py1, 1)", "bound-method": "site1(Other().append, 1)"},
     "kept": {"other-callable": "site1(P, 1)"}},

    {"form": "CALL_ALLOC_AND_ENTER_INIT", "versions": ["3.13"],
     "setup": SHARED + r'''
def site(cls, n):
    return cls(n)

class C:
    def __init__(self, n):
        self.n = n
        if n > 0:
            site(C, n - 1)

class C2:
    def __init__(self, n):
        self.n = n
''',
     "site": "site", "warm": "site(C, 1)",
     "misses": {"other-class": "site(C2, 0)", "not-class": "site(py1, 0)",
                "modified-class": "C.attribute = 1\nsite(C, 0)",
                "init-changed": "C.__init__.__code__ = (lambda self, n, *rest: None).__code__\nsite(C, 0)",
                "stack-space": "site(C, 250)"}},

    # --- classes --------------------------------------------------------
    {"form": "CALL_BUILTIN_CLASS", "versions": ["3.12"],
     "setup": SHARED + "def site(c, a):\n    return c(a, b=1)\n\ndef pykw(a, b=0):\n    return a\n",
     "site": "site", "warm": "site(dict, ())",
     "misses": {"no-vectorcall": "site(bytes, ())", "not-class": "site(pykw, ())"},
     "kept": {"other-class": "try:\n    site(set, ())\nexcept TypeError:\n    pass  # set() takes no keywords: raised after the guard passed"}},
    {"form": "CALL_BUILTIN_CLASS", "versions": ["3.13"], "setup": SHARED, "site": "site1",
     "warm": "site1(list, ())",
     "misses": {"no-vectorcall": "site1(bytes, b'')", "not-class": "site1(py1, 1)"},
     "kept": {"other-class": "site1(set, ())"}},
]

# Forms whose experiment is the same in 3.12 and 3.13 (names differ).
SAME = [
    # (3.12 name, 3.13 name, setup, site, warm, misses, kept)
    ("CALL_NO_KW_BUILTIN_O", "CALL_BUILTIN_O", SHARED, "site1", "site1(abs, 1)",
     {"other-convention": "site1(iter, ())", "not-builtin": "site1(py1, 1)"},
     {"same-convention": "site1(hash, 1)"}),
    ("CALL_NO_KW_BUILTIN_FAST", "CALL_BUILTIN_FAST", SHARED, "site2", "site2(divmod, 7, 2)",
     {"other-convention": "site2(pow, 2, 3)", "not-builtin": "site2(py2, 1, 2)"},
     {"same-convention": "site2(getattr, 1, 'real')"}),
    ("CALL_NO_KW_LEN", "CALL_LEN", SHARED + "def site(a):\n    return len(a)\n", "site", "site([])",
     {"other-callable": "len = py1\nsite([])"}, {}),
    ("CALL_NO_KW_ISINSTANCE", "CALL_ISINSTANCE", SHARED + "def site(a):\n    return isinstance(a, int)\n",
     "site", "site(1)", {"other-callable": "isinstance = py2\nsite(1)"}, {}),
    ("CALL_NO_KW_TYPE_1", "CALL_TYPE_1", SHARED + "def site(a):\n    return type(a)\n", "site", "site(1)",
     {"other-callable": "type = py1\nsite(1)"}, {}),
    ("CALL_NO_KW_STR_1", "CALL_STR_1", SHARED + "def site(a):\n    return str(a)\n", "site", "site(1)",
     {"other-callable": "str = py1\nsite(1)"}, {}),
    ("CALL_NO_KW_TUPLE_1", "CALL_TUPLE_1", SHARED + "def site(a):\n    return tuple(a)\n", "site", "site([])",
     {"other-callable": "tuple = py1\nsite([])"}, {}),
    ("CALL_NO_KW_LIST_APPEND", "CALL_LIST_APPEND", SHARED + "def site(o, x):\n    o.append(x)\n", "site",
     "site([], 1)", {"other-method": "site(collections.deque(), 1)"}, {"list-subclass": "site(L(), 1)"}),
    ("CALL_NO_KW_METHOD_DESCRIPTOR_O", "CALL_METHOD_DESCRIPTOR_O",
     SHARED + "def site(o, x):\n    return o.join(x)\n", "site", "site(',', 'ab')",
     {"other-method": "site(Other(), 'ab')", "subclass": "site(S(','), 'ab')", "argcount": "site(str, 'ab')"},
     {"same-convention": "site(b',', [b'a'])"}),
    ("CALL_NO_KW_METHOD_DESCRIPTOR_NOARGS", "CALL_METHOD_DESCRIPTOR_NOARGS",
     SHARED + "def site(o):\n    return o.upper()\n", "site", "site('a')",
     {"other-method": "site(Other())", "subclass": "site(S('a'))", "argcount": "site(str)"},
     {"same-convention": "site(b'a')"}),
    ("CALL_NO_KW_METHOD_DESCRIPTOR_FAST", "CALL_METHOD_DESCRIPTOR_FAST",
     SHARED + "def site(o, k):\n    return o.pop(k)\n", "site", "site([1, 2], 0)",
     {"other-method": "site(Other(), 0)", "subclass": "site(L([1]), 0)"},
     {"same-convention": "site({0: 1}, 0)", "through-class": "site(list, [5])"}),
    ("CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS", "CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS",
     SHARED + "def site(o, s):\n    return o.split(s)\n", "site", "site('a b', ' ')",
     {"other-method": "site(Other(), ' ')", "subclass": "site(S('a b'), ' ')"},
     {"same-convention": "site(b'a b', b' ')"}),
]

# The C recursion limit: a miss in 3.13, a RecursionError raised by the
# form itself (no miss) in 3.12.
C_LIMIT = {
    "CALL_BUILTIN_O": "at_c_limit(lambda: site1(abs, 1))",
    "CALL_METHOD_DESCRIPTOR_O": "at_c_limit(lambda: site(',', 'ab'))",
    "CALL_METHOD_DESCRIPTOR_NOARGS": "at_c_limit(lambda: site('a'))",
}

for old, new, setup, site, warm, misses, kept in SAME:
    extra_misses = {"c-stack": C_LIMIT[new]} if new in C_LIMIT else {}
    extra_kept = {"c-stack": C_LIMIT[new]} if new in C_LIMIT else {}
    if old == "CALL_NO_KW_LIST_APPEND":
        # Through the class (o is list itself): a miss in 3.12; 3.13.0
        # crashes there (gh-132011), so 3.13 has no such statement.
        EXPERIMENTS.append({"form": old, "versions": ["3.12"], "setup": setup, "site": site, "warm": warm,
                            "misses": dict(misses, **{"class-call": "site(list, [])"}), "kept": kept})
    else:
        EXPERIMENTS.append({"form": old, "versions": ["3.12"], "setup": setup, "site": site, "warm": warm,
                            "misses": misses, "kept": dict(kept, **extra_kept)})
    EXPERIMENTS.append({"form": new, "versions": ["3.13"], "setup": setup, "site": site, "warm": warm,
                        "misses": dict(misses, **extra_misses), "kept": kept})

# Builtins taking keywords: 3.12 reaches the form at a call site with keyword
# arguments; 3.13 sends such sites to CALL_KW, so its site has none.
EXPERIMENTS += [
    {"form": "CALL_BUILTIN_FAST_WITH_KEYWORDS", "versions": ["3.12"],
     "setup": SHARED + "def site(c, a, b):\n    return c(a, b, key=None)\n", "site": "site",
     "warm": "site(_bisect.bisect_right, [], 1)",
     "misses": {"other-convention": "site(divmod, 7, 2)", "not-builtin": "site(py2, 1, 2)"},
     "kept": {"same-convention": "site(_bisect.bisect_left, [], 1)"}},
    {"form": "CALL_BUILTIN_FAST_WITH_KEYWORDS", "versions": ["3.13"], "setup": SHARED, "site": "site2",
     "warm": "site2(_bisect.bisect_right, [], 1)",
     "misses": {"other-convention": "site2(divmod, 7, 2)", "not-builtin": "site2(py2, 1, 2)"},
     "kept": {"same-convention": "site2(_bisect.bisect_left, [], 1)"}},
]
