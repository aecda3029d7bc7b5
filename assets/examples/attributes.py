"""Attribute access and type versions.

What to look at: `p.x` in `length` becomes LOAD_ATTR_INSTANCE_VALUE. Its
`version` cache entry holds the type version of Point: specscope names the
class that has that version. The guard compares the object's type version
with it; the value itself is read from a fixed slot of the instance, with no
dictionary lookup. `p.scale(2)` becomes a method load (LOAD_ATTR_METHOD_WITH_VALUES,
or LOAD_METHOD_WITH_VALUES on 3.11) whose `descr` entry names Point.scale, and
`self.x = ...` becomes STORE_ATTR_INSTANCE_VALUE.

Try: --call "work()" -n 100
"""


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def scale(self, k):
        self.x = self.x * k
        self.y = self.y * k
        return self


def length(p):
    return (p.x * p.x + p.y * p.y) ** 0.5


def work():
    p = Point(3.0, 4.0)
    length(p)
    p.scale(2)
