"""specscope's built-in demo: one short program that warms up the classic
families of CPython's specializing adaptive interpreter (PEP 659).

Open it with `specscope` (or print it with `specscope dump`) and compare each
function's base bytecode with its live, specialized bytecode.
"""

import math


def add(a, b):
    return a + b


class Point:
    """Instance attributes live in the object's values: LOAD_ATTR_INSTANCE_VALUE."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return math.sqrt(self.x * self.x + self.y * self.y)


class Slotted:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def arithmetic(n):
    total, scale, text = 0, 0.5, ""
    for i in range(n):
        total = total + i          # BINARY_OP on ints
        scale = scale * 1.0001     # BINARY_OP on floats
        text = text + "x"          # BINARY_OP on strings
    return total, scale, len(text)


def attributes(points):
    out = 0.0
    for p in points:               # FOR_ITER over a list
        out += p.x                 # LOAD_ATTR, instance value
        out += p.norm()            # LOAD_ATTR, method
        p.y = p.y + 1              # STORE_ATTR
    return out


def slots_and_modules(items):
    total = 0
    for s in items:
        total += s.value           # LOAD_ATTR, slot
    return total + math.floor(math.pi)  # LOAD_ATTR of a module, LOAD_GLOBAL module


def calls(values):
    out = []
    for v in values:
        if isinstance(v, int) and len(out) < 100:   # CALL builtins len, isinstance
            out.append(add(v, 1))                    # list.append and a Python function
        out.sort                                     # LOAD_ATTR of a method, unused
    return " ".join(str(x) for x in out[:3]).upper()  # a method descriptor


def compare_and_test(values, wanted):
    hits = 0
    for v in values:
        if v < 50:                 # COMPARE_OP on ints, TO_BOOL (3.13)
            hits += 1
        if v in wanted:            # CONTAINS_OP
            hits += 2
        if values:                 # TO_BOOL on a list (3.13)
            hits += 0
    return hits


def squares(n):
    for i in range(n):
        yield i * i


def iterate_and_unpack(pairs):
    total = 0
    for a, b in pairs:             # UNPACK_SEQUENCE of a tuple
        total += a * b
    for sq in squares(20):         # FOR_ITER over a generator
        total += sq
    grid = [[0] * 4 for _ in range(4)]
    for i in range(4):
        grid[i][i] = i             # BINARY_SUBSCR and STORE_SUBSCR on lists
        total += grid[i][i]
    return total


def polymorphic(values):
    """One site sees many types that no specialized form covers: every attempt
    fails, and the counter backs off for longer each time."""
    out = []
    for v in values:
        out.append(v + v)          # tuple, list, bytes: BINARY_OP has no form for them
    return len(out)


def never_called():
    return "this code never runs"


def main():
    for _ in range(20000):
        add(1, 2)
    points = [Point(float(i), 2.0) for i in range(50)]
    slotted = [Slotted(i) for i in range(50)]
    mixed = [(1,), [1], b"x", (2, 3)] * 25
    for _ in range(40):
        arithmetic(20)
        attributes(points)
        slots_and_modules(slotted)
        calls(list(range(30)))
        compare_and_test(list(range(100)), {3, 5, 7})
        iterate_and_unpack([(1, 2), (3, 4), (5, 6)])
        polymorphic(mixed)
    print("demo finished")


main()
