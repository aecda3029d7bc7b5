"""Experiments behind send.md (see runner.py). SEND is specialized from
3.12 on."""

# The site is the SEND of `await aw` in f. tick() is a generator-based
# coroutine (a plain generator object); native() is an async def coroutine.
_SETUP = """\
import types
@types.coroutine
def tick():
    yield 1
async def native():
    await tick()
async def f(aw):
    return await aw
def run(c):
    try:
        while True:
            c.send(None)
    except StopIteration as e:
        return e.value
class Other:
    def __await__(self):
        return iter([None])
@types.coroutine
def selfish():
    yield 1
    run(f(me))
"""

_RUNNING = "me = selfish()\nnext(me)\ntry:\n    next(me)\nexcept ValueError:\n    pass"

EXPERIMENTS = [
    {
        "form": "SEND_GEN",
        "versions": ["3.12", "3.13"],
        "setup": _SETUP,
        "site": "f",
        "warm": "run(f(tick()))",
        "misses": {
            "other-iterator": "run(f(Other()))",
            "running": _RUNNING,
            "finished": "t = tick()\nlist(t)\nrun(f(t))",
            "future": "import asyncio\nloop = asyncio.new_event_loop()\ntry:\n    fut = loop.create_future()\n    fut.set_result(1)\n    assert run(f(fut)) == 1\nfinally:\n    loop.close()",
        },
        "kept": {
            "coroutine": "run(f(native()))",
        },
    },
]
