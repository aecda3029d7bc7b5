"""Polymorphism and backoff: a site that no specialized form can serve.

What to look at: `item + item` in `double` sees tuples, lists and bytes.
BINARY_OP has no form for any of them, so every attempt to specialize fails
and the instruction stays generic. After each failure the counter's backoff
exponent grows, so the next attempt waits longer: 1, 3, 7, 15 ... executions
on 3.11 (whose counter starts at backoff 0), 3, 7, 15, 31 ... on 3.12 and 3.13
(which start every instruction at backoff 1).
Step through the calls and watch the backoff climb. `--why` runs the calls
again, watching the site: it sees tuple + tuple, list + list and bytes + bytes
reach it, and names the kind CPython's specialize.c records for that
(SPEC_FAIL_BINARY_OP_ADD_OTHER).

Try: --call "work()" --steps 0,1,2,5,10,50 --why
"""


def double(item):
    return item + item


def work():
    for item in [(1,), [2], b"3"]:
        double(item)
