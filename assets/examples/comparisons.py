"""Comparisons and truth tests.

What to look at: `i < j` on ints becomes COMPARE_OP_INT (COMPARE_OP_INT_JUMP
on 3.11, where a comparison followed by a jump is specialized as one), on
floats COMPARE_OP_FLOAT. Strings have a form only for `==` and `!=`:
COMPARE_OP_STR (an ordering like `s < t` stays generic). On 3.13 every `if x:` goes
through TO_BOOL first, which specializes by the type of x: TO_BOOL_LIST,
TO_BOOL_INT, TO_BOOL_NONE, TO_BOOL_STR, TO_BOOL_BOOL.

Try: --call "work()" -n 100
"""


def count_smaller(i, j, x, y, s, t):
    n = 0
    if i < j:          # ints
        n += 1
    if x < y:          # floats
        n += 1
    if s == t:         # strings: only == and != have a form
        n += 1
    return n


def truthy(items, count, name, nothing):
    score = 0
    if items:
        score += 1
    if count:
        score += 1
    if name:
        score += 1
    if nothing:
        score += 1
    return score


def work():
    count_smaller(1, 2, 1.0, 2.0, "a", "b")
    truthy([1], 3, "x", None)
