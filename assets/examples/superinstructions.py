"""Superinstructions: two instructions done as one.

What to look at: in 3.11 and 3.12 the interpreter fuses common pairs at run
time when it quickens the code: `x + y` loads two locals, and the first
LOAD_FAST becomes LOAD_FAST__LOAD_FAST (the second stays in place but is
skipped). In 3.13 the compiler emits the pair itself, so LOAD_FAST_LOAD_FAST
is already the base instruction: there is nothing left to fuse at run time.

Try: --call "work()" -n 20
"""


def mix(x, y):
    a = x
    b = y
    return a + b + x * y


def work():
    mix(2, 3)
