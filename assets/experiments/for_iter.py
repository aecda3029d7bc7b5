"""Experiments behind for_iter.md (see runner.py). FOR_ITER is specialized
from 3.12 on."""

_LOOP = """\
def f(it):
    n = 0
    for x in it:
        n += 1
    return n
"""

_GEN = _LOOP + """\
def gen(n):
    for i in range(n):
        yield i
def selfish():
    yield 1
    f(me)
"""

_RUNNING = "me = selfish()\nnext(me)\ntry:\n    next(me)\nexcept ValueError:\n    pass"

EXPERIMENTS = [
    {
        "form": "FOR_ITER_LIST",
        "versions": ["3.12", "3.13"],
        "setup": _LOOP,
        "site": "f",
        "warm": "f([1, 2])",
        "misses": {
            "other-iterator": "assert f((1, 2)) == 2",
        },
        "kept": {
            "list-subclass": "class L(list):\n    pass\nassert f(L([1, 2])) == 2",
            "empty": "assert f([]) == 0",
        },
    },
    {
        "form": "FOR_ITER_TUPLE",
        "versions": ["3.12", "3.13"],
        "setup": _LOOP,
        "site": "f",
        "warm": "f((1, 2))",
        "misses": {
            "other-iterator": "assert f([1, 2]) == 2",
        },
    },
    {
        "form": "FOR_ITER_RANGE",
        "versions": ["3.12", "3.13"],
        "setup": _LOOP,
        "site": "f",
        "warm": "f(range(2))",
        "misses": {
            "other-iterator": "assert f([1, 2]) == 2",
            "big-range": "assert f(range(2**64, 2**64 + 2)) == 2",
        },
    },
    {
        "form": "FOR_ITER_GEN",
        "versions": ["3.12", "3.13"],
        "setup": _GEN,
        "site": "f",
        "warm": "f(gen(2))",
        "misses": {
            "other-iterator": "assert f([1, 2]) == 2",
            "running": _RUNNING,
            "finished": "g = gen(2)\nlist(g)\nassert f(g) == 0",
        },
    },
]
