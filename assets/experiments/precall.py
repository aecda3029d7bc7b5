"""Experiments for assets/explain/precall.md (3.11's PRECALL family; the
CALL forms are in call.py). Run: python3.11 runner.py precall.py [FORM]."""

SHARED = r'''
import collections, _bisect

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

def at_c_limit(call):
    """Runs call() from a __repr__ at the bottom of nested lists: every
    level costs one unit of the recursion budget, so sweeping the depth
    around the deepest one that works meets the limit at the site."""
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


KW = """
def site(c, a):
    return c(a, k=1)

def pyk(a, k=0):
    return a

class Kw:
    def m(self, a, k=0): return a
    def n(self, a, k=0): return -a
"""


def E(form, setup, site, warm, misses, kept=None):
    return {"form": form, "versions": ["3.11"], "setup": SHARED + setup, "site": site,
            "warm": warm, "misses": misses, "kept": kept or {}}


EXPERIMENTS = [
    # c(a, k=1): call sites with a keyword argument get these forms too.
    E("PRECALL_PYFUNC", KW, "site", "site(pyk, 1)",
      {"not-py-function": "site(dict, [])", "bound-method": "site(Kw().m, 1)"},
      {"other-function": "site(lambda a, k=0: -a, 1)"}),
    E("PRECALL_BOUND_METHOD", KW, "site", "site(Kw().m, 1)",
      {"not-bound-method": "site(pyk, 1)"},
      {"other-bound-method": "site(Kw().n, 1)"}),
    # dict(a, b=1): a call site with a keyword argument.
    E("PRECALL_BUILTIN_CLASS", "def site(c, a):\n    return c(a, b=1)\n\ndef pykw(a, b=0):\n    return a\n",
      "site", "site(dict, ())",
      {"no-vectorcall": "site(bytes, ())", "not-class": "site(pykw, ())"},
      {"other-class": "try:\n    site(set, ())\nexcept TypeError:\n    pass  # set() takes no keywords: raised after the guard passed"}),
    E("PRECALL_NO_KW_BUILTIN_O", "", "site1", "site1(abs, 1)",
      {"other-convention": "site1(iter, ())", "not-builtin": "site1(py1, 1)"},
      {"same-convention": "site1(hash, 1)", "c-stack": "at_c_limit(lambda: site1(abs, 1))"}),
    E("PRECALL_NO_KW_BUILTIN_FAST", "", "site2", "site2(divmod, 7, 2)",
      {"other-convention": "site2(pow, 2, 3)", "not-builtin": "site2(py2, 1, 2)"},
      {"same-convention": "site2(getattr, 1, 'real')"}),
    # bisect_right(a, x, key=None): a call site with a keyword argument.
    E("PRECALL_BUILTIN_FAST_WITH_KEYWORDS", "def site(c, a, b):\n    return c(a, b, key=None)\n",
      "site", "site(_bisect.bisect_right, [], 1)",
      {"other-convention": "site(divmod, 7, 2)", "not-builtin": "site(py2, 1, 2)"},
      {"same-convention": "site(_bisect.bisect_left, [], 1)"}),
    E("PRECALL_NO_KW_LEN", "def site(a):\n    return len(a)\n", "site", "site([])",
      {"other-callable": "len = py1\nsite([])"}),
    E("PRECALL_NO_KW_ISINSTANCE", "def site(a):\n    return isinstance(a, int)\n", "site", "site(1)",
      {"other-callable": "isinstance = py2\nsite(1)"}),
    E("PRECALL_NO_KW_LIST_APPEND", "def site(o, x):\n    o.append(x)\n", "site", "site([], 1)",
      {"other-method": "site(collections.deque(), 1)", "class-call": "site(list, [])"},
      {"list-subclass": "site(L(), 1)"}),
    E("PRECALL_NO_KW_METHOD_DESCRIPTOR_O", "def site(o, x):\n    return o.join(x)\n", "site", "site(',', 'ab')",
      {"other-method": "site(Other(), 'ab')", "subclass": "site(S(','), 'ab')", "argcount": "site(str, 'ab')"},
      {"same-convention": "site(b',', [b'a'])", "c-stack": "at_c_limit(lambda: site(',', 'ab'))"}),
    E("PRECALL_NO_KW_METHOD_DESCRIPTOR_NOARGS", "def site(o):\n    return o.upper()\n", "site", "site('a')",
      {"other-method": "site(Other())", "subclass": "site(S('a'))", "argcount": "site(str)"},
      {"same-convention": "site(b'a')", "c-stack": "at_c_limit(lambda: site('a'))"}),
    E("PRECALL_NO_KW_METHOD_DESCRIPTOR_FAST", "def site(o, k):\n    return o.pop(k)\n", "site", "site([1, 2], 0)",
      {"other-method": "site(Other(), 0)", "subclass": "site(L([1]), 0)"},
      {"same-convention": "site({0: 1}, 0)", "through-class": "site(list, [5])"}),
    E("PRECALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS", "def site(o, s):\n    return o.split(s)\n", "site",
      "site('a b', ' ')",
      {"other-method": "site(Other(), ' ')", "subclass": "site(S('a b'), ' ')"},
      {"same-convention": "site(b'a b', b' ')"}),
    E("PRECALL_NO_KW_TYPE_1", "def site(a):\n    return type(a)\n", "site", "site(1)",
      {"other-callable": "type = py1\nsite(1)"}),
    E("PRECALL_NO_KW_STR_1", "def site(a):\n    return str(a)\n", "site", "site(1)",
      {"other-callable": "str = py1\nsite(1)"}),
    E("PRECALL_NO_KW_TUPLE_1", "def site(a):\n    return tuple(a)\n", "site", "site([])",
      {"other-callable": "tuple = py1\nsite([])"}),
]
