"""Binary operations specialize by the types of their operands.

What to look at: each `+` and `*` starts as BINARY_OP and, after a couple of
runs, becomes a form for the types it saw: BINARY_OP_ADD_INT for ints,
BINARY_OP_ADD_FLOAT and BINARY_OP_MULTIPLY_FLOAT for floats,
BINARY_OP_ADD_UNICODE for strings. `text = text + "x"` is special: its result
goes back into the same variable, and it becomes
BINARY_OP_INPLACE_ADD_UNICODE, which appends in place when it can.

Step through the first calls to see the counter count down before the first
attempt.

Try: --call "work()" --steps 0,1,2,3,10
"""


def ints(a, b):
    return a + b


def floats(x, y):
    return x * y + 1.0


def strings(words):
    text = ""
    for w in words:
        text = text + w
    return text


def work():
    ints(2, 3)
    floats(1.5, 2.0)
    strings(["a", "b", "c"])
