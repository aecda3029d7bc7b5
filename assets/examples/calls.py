"""Calls: Python functions, builtins and method descriptors.

What to look at: the call of `area` becomes CALL_PY_EXACT_ARGS (PRECALL_PYFUNC
and CALL_PY_EXACT_ARGS on 3.11), whose `func_version` entry names the function;
it pushes the new frame without going through the generic call machinery.
`len(...)` becomes a form for that builtin (CALL_LEN on 3.13), `isinstance`
likewise, and `items.append(...)` a form for list.append. `"-".join(...)` is a
call of a method descriptor implemented in C.

Try: --call "work()" -n 100
"""


def area(w, h):
    return w * h


def work():
    items = []
    for w in range(5):
        if isinstance(w, int):
            items.append(area(w, 2))
    return len(items), "-".join(str(i) for i in items)
