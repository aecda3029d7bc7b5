"""Facts about the collector's own functions, checked against what Python
itself says (dis, fnmatch, json, the exit status of a real python)."""

import dis
import fnmatch
import importlib.util
import io
import json
import linecache
import os
import subprocess
import sys
import textwrap
import tokenize
import traceback

import pytest

from conftest import ASSETS, code_objects

SAMPLE = textwrap.dedent('''
    import contextlib

    def plain(a, b=1):
        return a + b

    def handlers(x):
        try:
            x = 1 / x
        except ZeroDivisionError as e:
            x = str(e)
        finally:
            x = [x]
        with contextlib.suppress(KeyError):
            {}[x[0]]
        return x

    def closure(a):
        b = a
        def inner(c):
            return a + b + c
        return inner

    class Point:
        def __init__(self, x):
            self.x = x

        def norm(self):
            return abs(self.x)

    async def coroutine():
        return 1

    async def agen():
        yield 1

    def gen():
        yield from range(3)

    square = lambda v: v * v
    total = sum(i for i in range(10))
''') + "\n" * 300 + textwrap.dedent('''
    def far(x):
        if x:
            return 1
        return 2
''')


def sample():
    return compile(SAMPLE, "sample.py", "exec", dont_inherit=True)


def stdlib_code(name):
    """Every code object of a standard module's source, compiled afresh."""
    path = importlib.util.find_spec(name).origin
    with open(path, encoding="utf-8") as f:
        return code_objects(compile(f.read(), path, "exec", dont_inherit=True))


def all_code():
    return code_objects(sample()) + [c for m in ("json.decoder", "contextlib", "asyncio.tasks") for c in stdlib_code(m)]


# ------------------------------------------------------------ code objects


def test_the_exception_table_reads_as_dis_reads_it(collector):
    codes = all_code()
    for code in codes:
        ours = [(e["start"], e["end"], e["target"], e["depth"], e["lasti"]) for e in collector._exception_table(code)]
        theirs = [(e.start, e.end, e.target, e.depth, e.lasti) for e in dis._parse_exception_table(code)]
        assert ours == theirs, code
    handlers = next(c for c in codes if c.co_name == "handlers")
    assert len(collector._exception_table(handlers)) >= 3, "try, except, finally and with all have handlers"


def test_the_table_says_whether_dis_keeps_line_starts_of_code_with_no_line(dis_path):
    # (src/collect/decode.rs finds the line starts; the sweep checks them
    # against dis.findlinestarts.)
    assert dis_path.op_table()["keep_none_lines"] == (sys.version_info >= (3, 13))


def test_localsplus_names_each_local_cell_and_free_variable_as_dis_does(collector):
    checked = set()
    for code in all_code():
        names = collector._localsplus(code)
        for ins in dis.get_instructions(code):
            if (ins.opcode in dis.haslocal or ins.opcode in dis.hasfree) and "_FAST_" not in ins.opname:
                assert names[ins.arg] == ins.argval, (code, ins)
                checked.add(ins.opname)
    assert {"LOAD_FAST", "STORE_FAST", "LOAD_DEREF"} <= checked


def test_the_walk_finds_every_nested_code_object_with_its_parent(collector):
    module = sample()
    out = []
    collector._walk(module, None, out)
    assert [c for c, _ in out] == code_objects(module)
    assert out[0] == (module, None)
    for code, parent in out[1:]:
        assert any(const is code for const in out[parent][0].co_consts)


def test_each_kind_of_code_object_is_named(collector):
    kinds = {c.co_qualname: collector._kind(c) for c in code_objects(sample())}
    assert kinds["<module>"] == "module"
    assert kinds["plain"] == "function"
    assert kinds["closure.<locals>.inner"] == "function"
    assert kinds["Point"] == "class"
    assert kinds["Point.norm"] == "function"
    assert kinds["coroutine"] == "coroutine"
    assert kinds["agen"] == "async_generator"
    assert kinds["gen"] == "generator"
    assert kinds["<lambda>"] == "lambda"
    assert kinds["<genexpr>"] == "comprehension"


# ------------------------------------------------------------ selecting


PATTERNS = ["*", "f", "f*", "*.norm", "Point.*", "?oint.*", "[PQ]oint.__init__", "[!P]*", "[a-c]*",
            "*[", "[", "[]]", "[!]]*", "a*b*c", "**", "*<lambda>*", "<*>", "[z-a]*", "[-a]*", "a-]", "[a-]*"]
NAMES = ["", "f", "foo", "Point.norm", "Point.__init__", "Qoint.__init__", "<lambda>",
         "main.<locals>.<lambda>", "abc", "aXbYc", "ab", "[", "]", "-x", "a.b.c", "z"]


def test_the_glob_matches_what_fnmatchcase_matches(collector):
    for pattern in PATTERNS:
        glob = collector._Glob(pattern)
        for name in NAMES:
            assert glob.matches(name) == fnmatch.fnmatchcase(name, pattern), (pattern, name)


def test_a_glob_selects_methods_of_a_class_and_nothing_else(collector):
    glob = collector._Glob("Point.*")
    assert glob.matches("Point.norm")
    assert glob.matches("Point.__init__.<locals>.inner"), "a star crosses dots"
    assert not glob.matches("Point")
    assert not glob.matches("Slotted.value")
    assert collector._Glob("[ab").matches("[ab"), "a [ without its ] is itself"


def test_patterns_that_match_nothing_are_misses_with_every_name_as_a_candidate(collector):
    module = sample()
    reach = collector._Reach(collector._main_objects(module, {}), {})
    chosen, misses = collector._select(["Point.*", "nothing*"], reach)
    assert [name for _, _, _, _, name in chosen] == ["Point.__init__", "Point.norm"]
    assert [m["pattern"] for m in misses] == ["nothing*"]
    assert misses[0]["missing"] == "code"
    assert "Point.norm" in misses[0]["candidates"]


# ------------------------------------------------------------ the target


def test_positions_of_a_syntax_error_are_python_s_own_and_none_where_it_has_none(collector):
    with pytest.raises(SyntaxError) as raised:
        compile("x = 1\ndef f(:\n    pass\n", "bad.py", "exec")
    assert collector._position(raised.value.lineno) == 2
    assert collector._position(raised.value.offset) == raised.value.offset > 0
    for missing in (-1, 0, None, True, 1 << 31, "3"):
        assert collector._position(missing) is None


def test_a_syntax_error_is_a_target_error_at_the_place_python_names(collector):
    source = "x = 1\ndef f(:\n    pass\n"
    with pytest.raises(SyntaxError) as python:
        compile(source, "bad.py", "exec")
    with pytest.raises(collector.TargetError) as ours:
        collector._compile(source, "bad.py")
    error = ours.value.as_error()
    assert error["kind"] == "syntax"
    assert error["message"].startswith("SyntaxError: ")
    assert (error["path"], error["line"], error["col"]) == ("bad.py", python.value.lineno, python.value.offset)
    assert error["text"] == "def f(:"


def test_an_indentation_error_is_named_as_such(collector):
    with pytest.raises(collector.TargetError) as ours:
        collector._compile("if True:\npass\n", "indent.py")
    error = ours.value.as_error()
    assert error["message"].startswith("IndentationError: ")
    assert error["end_col"] is None or error["end_col"] > 0


def test_source_with_a_nul_byte_cannot_be_compiled(collector):
    with pytest.raises(collector.TargetError) as ours:
        collector._compile("x = 1\0\n", "nul.py")
    assert ours.value.kind == "syntax"


def test_sources_are_decoded_as_python_decodes_them(collector, tmp_path):
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n")
    assert "s = 'café'" in collector._read_source(str(latin))
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert collector._read_source(str(bom)) == "x = 1\n"
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff'\n")
    with pytest.raises(collector.TargetError) as raised:
        collector._read_source(str(bad))
    assert raised.value.kind == "encoding"


SOURCES = [b"", b"\xef\xbb\xbf", b"x = 1", b"x = 1\r\ny = 2\rz = 3\n", b"\xef\xbb\xbfx = 1\n",
           b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n", b"#!/usr/bin/env python\n# coding=cp1252\nx = '\x80'\n",
           b"x = '\xff'\n", b"#!\n#\xff\n", b"x = 1\n\xff\n", b"x = 1\ny = 'coding'\nz = '\xe9'\n",
           b"\xef\xbb\xbf# coding: latin-1\n", "s = 'café' # ☕\n".encode()]


def test_sources_decode_as_tokenize_decodes_them_without_importing_it(collector):
    for data in SOURCES:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            expected = data.decode(encoding)
        except (SyntaxError, UnicodeDecodeError) as e:
            expected = type(e)
        try:
            got = collector._decode_source(data)
        except (SyntaxError, UnicodeDecodeError) as e:
            got = type(e)
        assert got == expected, data
        if collector._plain_source(data) is not None:
            assert b"coding" not in b"\n".join(data.split(b"\n")[:2]), "decoded without tokenize: no cookie"


def test_other_modules_files_read_as_linecache_reads_them(collector, tmp_path, monkeypatch):
    monkeypatch.setattr(collector._lasting, "sources", {})
    for i, data in enumerate(SOURCES):
        path = tmp_path / ("m%d.py" % i)
        path.write_bytes(data)
        linecache.checkcache(str(path))
        assert collector._module_source(str(path)) == "".join(linecache.getlines(str(path))), data


def test_what_is_not_a_python_file_is_refused_without_reading_it(collector, tmp_path):
    cases = {"missing": tmp_path / "nothere.py", "directory": tmp_path}
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)  # reading it would wait for a writer
    cases["special"] = fifo
    for kind, path in cases.items():
        with pytest.raises(collector.TargetError) as raised:
            collector._read_source(str(path))
        assert raised.value.kind == kind
        assert raised.value.detail["path"] == str(path)


def test_a_source_over_the_limit_is_refused(collector, tmp_path, monkeypatch):
    monkeypatch.setattr(collector, "_SOURCE_LIMIT", 16)
    path = tmp_path / "big.py"
    path.write_text("x = 1\n" * 3)
    with pytest.raises(collector.TargetError) as raised:
        collector._read_source(str(path))
    assert raised.value.kind == "too_large"
    path.write_text("x = 1\n")
    assert collector._read_source(str(path)) == "x = 1\n"


def test_the_refusal_of_a_large_source_says_its_size_and_the_limit(collector):
    mib = 1 << 20
    limit = collector._SOURCE_LIMIT // mib
    assert "is 65.5 MiB;" in collector._too_large(int(65.5 * mib), "big.py").message
    # Just over the limit would read "64.0 MiB", as if it were allowed.
    just_over = collector._too_large(collector._SOURCE_LIMIT + 1, "big.py")
    assert "is more than %d MiB;" % limit in just_over.message
    unknown = collector._too_large(None, "big.py")
    assert "is more than %d MiB;" % limit in unknown.message
    assert unknown.as_error()["kind"] == "too_large"


# ------------------------------------------------------------ how a run ends


EXIT_CODES = ["None", "0", "3", "True", "'leaving'", "2**70", "-1", "256", "-(2**63)", "2**63", "[1]"]


@pytest.mark.parametrize("code", EXIT_CODES)
def test_the_exit_status_of_sys_exit_is_what_python_exits_with(collector, code):
    python = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.exit(%s)" % code],
                            capture_output=True)
    status, shown = collector._exit_status(eval(code))
    assert status & 0xFF == python.returncode
    if code in ("None", "0", "3", "-1", "256", "-(2**63)"):
        assert shown is None, "an int that fits in a C long is its own status"
    else:
        assert shown == repr(eval(code))


def test_a_short_repr_is_cut_at_its_limit_and_survives_a_broken_repr(collector):
    text = collector._short_repr("x" * 200)
    assert len(text) == 80 and text.startswith("'xxx") and text.endswith("…")
    assert collector._short_repr([1, 2]) == "[1, 2]"

    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert collector._short_repr(Broken()) == "<Broken object>"


def test_an_exception_whose_str_fails_reads_as_python_prints_it(collector):
    class Odd(Exception):
        def __str__(self):
            raise RuntimeError("no")

    printed = traceback.format_exception_only(Odd, Odd())[-1]
    assert collector._safe_str(Odd()) in printed
    assert collector._safe_str(ValueError("plain")) == "plain"


# ------------------------------------------------------------ output and JSON


def test_output_past_the_limit_is_counted_never_split_inside_a_character(collector):
    output = collector._Output(10, [])
    output.add("stdout", "héllo ")
    output.add("stdout", "wörld!")
    output.add("stderr", "more")
    assert output.chunks == [["stdout", "héllo wö"]]
    assert (output.kept, output.dropped) == (10, len("rld!") + len("more"))
    tight = collector._Output(2, [])
    tight.add("stderr", "hé")
    assert tight.chunks == [["stderr", "h"]] and tight.dropped == 2


def test_output_keeps_the_order_of_streams_and_escapes_lone_surrogates(collector):
    output = collector._Output(100, [])
    for stream, text in (("stdout", "a"), ("stdout", "b"), ("stderr", "\udcff"), ("stdout", "c")):
        output.add(stream, text)
    assert output.chunks == [["stdout", "ab"], ["stderr", "\\udcff"], ["stdout", "c"]]


def test_a_plain_copy_keeps_what_the_value_was(collector):
    value = {"a": [1, 2.5, None, True, "é"], "b": {"c": (3, 4)}}
    copy = collector._plain_copy(value)
    value["a"].append(9)
    value["b"]["c"] = None
    value["d"] = 1
    assert copy == {"a": [1, 2.5, None, True, "é"], "b": {"c": [3, 4]}}


def test_qualified_names_are_read_without_running_the_object_s_code(collector):
    import collections

    class Shy:
        def __getattribute__(self, name):
            raise AssertionError("never asked")

    assert collector._qualname(collections.OrderedDict) == "collections.OrderedDict"
    assert collector._qualname(int) == "int"
    assert collector._qualname(json.dumps) == "json.dumps"
    assert collector._qualname(Shy()) == "a Shy object"


# ------------------------------------------------------------ opcode facts and meanings


def test_a_cache_layout_correction_replaces_the_one_opcode_gives(collector, dis_path):
    table = dis_path.op_table()
    facts = collector._OpcodeFacts(table, {})
    load_attr = facts.opmap["LOAD_ATTR"]
    assert load_attr in facts.resolvable, "LOAD_ATTR's cache names a class"
    assert facts.opmap["BINARY_OP"] not in facts.resolvable, "BINARY_OP's cache is a counter"
    corrected = collector._OpcodeFacts(table, {"LOAD_ATTR": [["counter", 1]]})
    assert corrected.cache_format["LOAD_ATTR"] == [("counter", 1)]
    assert load_attr not in corrected.resolvable


WARMED = textwrap.dedent('''
    LIMIT = 10
    OTHER = 1

    def below(x):
        return x < LIMIT
''')


def warmed():
    namespace = {"__name__": "warmed"}
    exec(compile(WARMED, "warmed.py", "exec"), namespace)
    for i in range(1000):
        namespace["below"](i)
    return namespace


def test_a_specialized_global_load_names_the_global_it_caches(collector, ops):
    namespace = warmed()
    code = namespace["below"].__code__
    resolver = collector._Resolver([namespace])
    described = collector._raw_code(code, ops, namespace, resolver)
    live = code._co_code_adaptive
    offset = next(o for o in range(0, len(live), 2) if ops.names[live[o]] == "LOAD_GLOBAL_MODULE")
    meaning = described["bytes"]["meanings"][str(offset)]["index"]
    assert meaning == "entry %d of the module's globals: LIMIT" % list(namespace).index("LIMIT")
    assert described["bytes"]["code"] == code.co_code.hex()


def test_both_ways_of_describing_say_the_same_of_a_cache(collector, ops, dis_path):
    namespace = warmed()
    code = namespace["below"].__code__
    resolver = collector._Resolver([namespace])
    raw = collector._raw_code(code, ops, namespace, resolver)["bytes"]["meanings"]
    rows = collector._describe(code, ops, namespace, resolver)["instructions"]
    row = next(r for r in rows if r["opname"] == "LOAD_GLOBAL_MODULE")
    assert row["base_opname"] == "LOAD_GLOBAL"
    index = next(c for c in row["caches"] if c["name"] == "index")
    assert index["meaning"] == raw[str(row["offset"])]["index"]


# ------------------------------------------------------------ start-up


def test_loading_the_collector_imports_neither_dis_nor_opcode():
    script = textwrap.dedent('''
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("c", sys.argv[1])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(sorted(n for n in ("dis", "opcode", "_opcode_metadata") if n in sys.modules))
    ''')
    out = subprocess.run([sys.executable, "-I", "-c", script, str(ASSETS / "collector.py")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------ sampling


def test_sampling_lowers_the_switch_interval_while_it_samples_and_puts_it_back(collector):
    before = sys.getswitchinterval()
    sampling = collector._Sampling(1.0, [])
    sampling.start()
    during = sys.getswitchinterval()
    sampling.stop()
    assert during == pytest.approx(0.0005)
    assert sys.getswitchinterval() == before
    # Without the native module nothing is sampled, but the run says it was asked.
    assert sampling.report() == {"interval_ms": 0.0, "total": 0}


def test_a_switch_interval_the_program_sets_is_its_own(collector):
    before = sys.getswitchinterval()
    sampling = collector._Sampling(1.0, [])
    sampling.start()
    sys.setswitchinterval(0.002)
    sampling.stop()
    try:
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)


def test_no_sampling_changes_nothing_and_counts_nothing(collector):
    before = sys.getswitchinterval()
    sampling = collector._Sampling(0, [])
    sampling.start()
    assert sys.getswitchinterval() == before
    sampling.stop()
    assert sampling.report() is None
    codes = code_objects(sample())
    assert sampling.counts(codes) == [[] for _ in codes]
