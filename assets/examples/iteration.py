"""Iteration: for loops over ranges, lists and generators.

What to look at: from 3.12 on, FOR_ITER specializes by what it iterates:
FOR_ITER_RANGE, FOR_ITER_LIST, FOR_ITER_GEN, and FOR_ITER_TUPLE for a literal
list, which the compiler turns into a tuple (3.11 has no FOR_ITER forms; the
loop's JUMP_BACKWARD becomes JUMP_BACKWARD_QUICK there). `a, b = pair` becomes
UNPACK_SEQUENCE_TWO_TUPLE.

Try: --call "work()" -n 50
"""


def evens(n):
    for i in range(n):
        if i % 2 == 0:
            yield i


def work():
    total = 0
    for i in range(10):
        total += i
    values = list(range(3))
    for v in values:
        total += v
    for e in evens(10):
        total += e
    for pair in [(1, 2), (3, 4)]:
        a, b = pair
        total += a * b
    return total
