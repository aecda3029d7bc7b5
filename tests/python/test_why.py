"""The observation pass of --why: where operands come from, and what an
observer counts at each site while code runs."""

import sys

import pytest

from conftest import code_objects

V = sys.version_info[:2]


def rows_of(collector, code):
    dis = collector._dis_path()._private_dis()[1]
    instrs = list(dis.get_instructions(code))
    return instrs, [(i.opname, i.arg or 0, i.argval, bool(i.is_jump_target)) for i in instrs]


def function_code(source, name):
    code = compile(source, "<test>", "exec")
    return next(c for c in code_objects(code) if c.co_name == name)


def test_binary_op_operands_are_the_two_locals(collector):
    code = function_code("def f(a, b):\n    return a + b\n", "f")
    instrs, rows = rows_of(collector, code)
    n = next(i for i, ins in enumerate(instrs) if ins.opname == "BINARY_OP")
    assert collector.why_operand_sources(rows, n, 2, V) == [("fast", "a"), ("fast", "b")]


def test_an_operand_computed_by_another_instruction_is_unknown(collector):
    code = function_code("def f(a, b, c):\n    return a + b * c\n", "f")
    instrs, rows = rows_of(collector, code)
    n = [i for i, ins in enumerate(instrs) if ins.opname == "BINARY_OP"][-1]
    # `b * c` is computed: unknown; `a` is found below it.
    assert collector.why_operand_sources(rows, n, 2, V) == [("fast", "a"), None]


def test_a_callable_is_found_under_computed_arguments(collector):
    code = function_code("def f(x, y):\n    return g(x + y, -y)\n", "f")
    instrs, rows = rows_of(collector, code)
    n = next(i for i, ins in enumerate(instrs) if ins.opname == "CALL")
    sources = collector.why_operand_sources(rows, n, 4, V)
    if V >= (3, 13):
        assert sources == [("global", "g"), ("null",), None, None]
    else:
        assert sources == [("null",), ("global", "g"), None, None]


def test_no_operand_is_traced_back_over_a_jump_target(collector):
    # b's load is a jump target: what is below it on the stack may come
    # from another path.
    rows = [("LOAD_FAST", 0, "a", False), ("LOAD_FAST", 1, "b", True), ("BINARY_OP", 0, 0, False)]
    assert collector.why_operand_sources(rows, 2, 2, V) == [None, ("fast", "b")]
    rows[2] = ("BINARY_OP", 0, 0, True)
    assert collector.why_operand_sources(rows, 2, 2, V) == [None, None]


def test_a_global_call_has_its_callable_and_null_in_this_version_order(collector):
    code = function_code("def f(x):\n    return g(x)\n", "f")
    instrs, rows = rows_of(collector, code)
    n = next(i for i, ins in enumerate(instrs) if ins.opname == "CALL")
    sources = collector.why_operand_sources(rows, n, 3, V)
    if V >= (3, 13):
        assert sources == [("global", "g"), ("null",), ("fast", "x")]
    else:
        assert sources == [("null",), ("global", "g"), ("fast", "x")]


def observe(collector, source, name, offsets_of, run, version=V):
    """Runs `run(namespace)` with an observer on the sites of `name` whose
    base opname is in `offsets_of`; returns {opname: observed}."""
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)
    code = function_code(source, name)
    # The function object holds its own code object: watch that one.
    code = namespace[name].__code__ if name in namespace else code
    instrs, _ = rows_of(collector, code)
    offsets = [i.offset for i in instrs if i.opname in offsets_of]
    observer = collector._Observer([(code, offsets)], version)
    watching = collector._Watching(observer)
    watching.start()
    try:
        run(namespace)
    finally:
        watching.stop()
    report = observer.report()[id(code)]
    by_name = {}
    for row in report:
        opname = next(i.opname for i in instrs if i.offset == row["offset"])
        by_name.setdefault(opname, []).extend(row["observed"])
    return by_name


def test_polymorphic_add_counts_each_pair_of_kinds(collector):
    source = "def add(a, b):\n    return a + b\n"

    def run(ns):
        for i in range(30):
            ns["add"](i, 0.5) if i % 3 else ns["add"](i, i)

    seen = observe(collector, source, "add", {"BINARY_OP"}, run)["BINARY_OP"]
    counts = {tuple(o["kinds"]): o["count"] for o in seen}
    assert counts == {("int", "float"): 20, ("int", "int"): 10}


def test_getattr_class_and_missing_attribute(collector):
    source = (
        "class Proxy:\n"
        "    def __init__(self, target):\n        self._target = target\n"
        "    def __getattr__(self, name):\n        return getattr(self._target, name)\n"
        "def read(p):\n    return p.real\n"
    )

    def run(ns):
        p = ns["Proxy"](3)
        for _ in range(5):
            ns["read"](p)

    seen = observe(collector, source, "read", {"LOAD_ATTR"}, run)["LOAD_ATTR"]
    assert seen == [{"kinds": ["Proxy", "missing"], "facts": ["missing", "managed dict", "__getattr__"], "count": 5}]


def test_setattr_class_on_store_attr(collector):
    source = (
        "class Logged:\n"
        "    def __setattr__(self, name, value):\n        object.__setattr__(self, name, value)\n"
        "def store(o, v):\n    o.x = v\n"
    )

    def run(ns):
        for i in range(4):
            ns["store"](ns["Logged"](), i)

    seen = observe(collector, source, "store", {"STORE_ATTR"}, run)["STORE_ATTR"]
    assert [o["kinds"] for o in seen] == [["Logged", "new instance attribute"]]
    assert "__setattr__" in seen[0]["facts"]


def test_method_wrapper_call(collector):
    source = "def call(f):\n    return f(2)\n"

    def run(ns):
        for _ in range(3):
            ns["call"]((1).__add__)

    seen = observe(collector, source, "call", {"CALL"}, run)["CALL"]
    assert seen[0]["facts"] == ["method-wrapper"]
    assert seen[0]["kinds"] == ["method-wrapper __add__ of int", "1 positional"]
    assert seen[0]["count"] == 3


def test_method_call_resolves_the_method_statically(collector):
    source = "def push(xs, x):\n    xs.append(x)\n"

    def run(ns):
        ns["push"]([], 1)

    seen = observe(collector, source, "push", {"CALL"}, run)["CALL"]
    assert seen[0]["kinds"] == ["method descriptor list.append", "2 positional"]


def test_custom_iterator_in_for(collector):
    source = (
        "class Countdown:\n"
        "    def __init__(self, n):\n        self.n = n\n"
        "    def __iter__(self):\n        return self\n"
        "    def __next__(self):\n"
        "        if self.n == 0:\n            raise StopIteration\n"
        "        self.n -= 1\n        return self.n\n"
        "def total(it):\n    s = 0\n    for x in it:\n        s += x\n    return s\n"
    )

    def run(ns):
        ns["total"](ns["Countdown"](4))

    seen = observe(collector, source, "total", {"FOR_ITER"}, run)["FOR_ITER"]
    # Four items and the end: five executions of FOR_ITER.
    assert seen == [{"kinds": ["Countdown (its own iterator)"], "facts": ["iterator python class"], "count": 5}]


def test_dict_subclass_subscription(collector):
    source = "class Config(dict):\n    pass\ndef get(c):\n    return c['k']\n"

    def run(ns):
        ns["get"](ns["Config"](k=1))

    seen = observe(collector, source, "get", {"BINARY_SUBSCR"}, run)
    if V >= (3, 14):
        pytest.skip("BINARY_SUBSCR is BINARY_OP from 3.14")
    assert seen["BINARY_SUBSCR"] == [{"kinds": ["Config", "str"], "facts": ["dict subclass"], "count": 1}]


def test_globals_that_are_not_a_dict(collector):
    source = "def f():\n    return len\n"

    class Namespace(dict):
        pass

    namespace = Namespace()
    exec(compile(source, "<test>", "exec"), namespace)
    code = namespace["f"].__code__
    instrs, _ = rows_of(collector, code)
    observer = collector._Observer([(code, [i.offset for i in instrs if i.opname == "LOAD_GLOBAL"])], V)
    watching = collector._Watching(observer)
    watching.start()
    try:
        namespace["f"]()
    finally:
        watching.stop()
    seen = observer.report()[id(code)][0]["observed"]
    assert seen[0]["kinds"][0].endswith("Namespace")
    assert seen[0]["facts"] == ["globals not dict"]


def test_observing_stops_at_the_limit(collector):
    source = "def add(a, b):\n    return a + b\n"

    def run(ns):
        for i in range(collector.WHY_PER_SITE + 50):
            ns["add"](i, 1.0)

    seen = observe(collector, source, "add", {"BINARY_OP"}, run)["BINARY_OP"]
    assert seen[0]["count"] == collector.WHY_PER_SITE


def test_parameters_are_listed_as_def_lists_them(collector):
    def f(a, b, *args, key, **kwargs):
        pass

    def g(a, *, only):
        pass

    assert collector.why_parameters(f.__code__) == "a, b, *args, key, **kwargs"
    assert collector.why_parameters(g.__code__) == "a, *, only"


def test_watching_ends_at_the_deadline(collector):
    source = "def add(a, b):\n    return a + b\n"
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)
    code = namespace["add"].__code__
    instrs, _ = rows_of(collector, code)
    observer = collector._Observer([(code, [i.offset for i in instrs if i.opname == "BINARY_OP"])], V)
    observer.deadline = 0.0  # long past
    watching = collector._Watching(observer)
    watching.start()
    try:
        for i in range(500):
            namespace["add"](i, 0.5)
    finally:
        watching.stop()
    seen = observer.report()[id(code)][0]["seen"]
    # The deadline is checked every 64 executions (3.11: at every call too).
    assert seen < 64
    assert observer.cut_short


def test_keyword_names_of_a_call(collector):
    source = "def keywords(**kwargs):\n    return kwargs\ndef call(x):\n    return keywords(a=x)\n"
    opnames = {"CALL"} if V < (3, 13) else {"CALL_KW"}
    seen = observe(collector, source, "call", opnames, lambda ns: ns["call"](1))
    if V >= (3, 13):
        # CALL_KW has no inline cache: it is no site, but it can be watched.
        return
    assert seen["CALL"][0]["kinds"] == ["function keywords(**kwargs)", "0 positional, keywords a"]
    assert "keywords" in seen["CALL"][0]["facts"]


def test_a_class_body_namespace_is_not_read(collector):
    class Namespace(dict):
        def __getitem__(self, key):
            raise AssertionError("the program's __getitem__ ran")

    class Frame:
        f_locals = Namespace(x=1)

    assert collector.why_resolve(("fast", "x"), Frame()) is collector._UNKNOWN
