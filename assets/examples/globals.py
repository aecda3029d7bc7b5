"""Globals, builtins and dictionary keys versions.

What to look at: LOAD_GLOBAL of `LIMIT` becomes LOAD_GLOBAL_MODULE and of
`len` becomes LOAD_GLOBAL_BUILTIN. Their caches hold the keys version of the
module's globals dict (and of the builtins dict) and the index of the entry:
as long as no key is added to or removed from those dicts, the value is read
straight from that entry. specscope names the global each index points at.

Try: --call "work()" -n 100
"""

LIMIT = 10


def within(values):
    return len(values) <= LIMIT


def work():
    within([1, 2, 3])
