"""A class whose attribute access can never specialize.

What to look at: `t.celsius` goes through a descriptor written in Python
(a class with __get__ and __set__). LOAD_ATTR has specialized forms for
instance values, slots, modules, classes, methods and properties, but not for
arbitrary data descriptors, so every attempt fails and the instruction stays
LOAD_ATTR, backing off. `t.kelvin` on the same object is a plain instance
attribute and specializes at once: the difference is the class, not the
object. `--why` says why in CPython's own terms: the descriptor's class is
written in Python, so specialize.c calls it mutable and caches nothing
(SPEC_FAIL_ATTR_MUTABLE_CLASS), for the read and for the assignment in
__init__ alike.

Try: --call "work()" -n 200 --why
"""


class Celsius:
    def __get__(self, obj, objtype=None):
        return obj._celsius

    def __set__(self, obj, value):
        obj._celsius = value


class Thermometer:
    celsius = Celsius()

    def __init__(self):
        self.celsius = 20.0
        self.kelvin = 293.15


def read(t):
    return t.celsius + t.kelvin


def work():
    read(Thermometer())
