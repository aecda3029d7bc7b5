"""De-optimization after a type change, and specializing again.

What to look at: with ints, `a + b` specializes to BINARY_OP_ADD_INT. In the
second phase the same function gets tuples, which miss its guard on every
call. Each miss counts down the counter; when it runs out the interpreter
tries to specialize again, fails (there is no form for tuples), and puts the
generic BINARY_OP back: de-optimized. From call 60 on the arguments are floats,
and the next attempt succeeds: BINARY_OP_ADD_FLOAT.

3.11 counts misses from 53 down to 0 and de-optimizes at the 53rd; 3.12 and
3.13 start at the cooldown (52, 0): 52 misses count it down to 0, and the 53rd
makes the instruction try to specialize again.

Try: --call "add(1, 2)" -n 20 --then "shift()" --then-calls 200 --steps 0,8,20,40,53,54,55,60,61,62,70,100,200
"""


def add(a, b):
    return a + b


shifted = 0


def shift():
    global shifted
    shifted += 1
    if shifted < 60:
        return add((1,), (2,))
    return add(1.5, 2.5)
