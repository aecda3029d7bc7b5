"""Facts about the collector's dis half (assets/collector_dis.py): its
opcode tables and instructions agree with this Python's own `dis` and
`opcode`, and it works with private copies of them."""

import dis
import io
import opcode
import sys
import textwrap

from conftest import code_objects

SOURCE = textwrap.dedent('''
    def handlers(items):
        total = 0
        for item in items:
            try:
                total += 1 / item
            except ZeroDivisionError:
                continue
        return total

    def calls(a):
        return len(str(a)) + max(a, 1)
''')


def fresh_code():
    """Code objects that never ran: nothing specialized, so dis's base view and the live one agree."""
    return code_objects(compile(SOURCE, "source.py", "exec", dont_inherit=True))


def test_the_dis_half_works_with_private_copies(dis_path):
    shared = sys.modules.get("dis")
    assert dis_path.dis is not shared
    assert dis_path.opcode is not sys.modules.get("opcode")
    assert sys.modules.get("dis") is shared, "sys.modules is left as it was"


def test_the_opcode_table_agrees_with_opcode(dis_path):
    table = dis_path.op_table()
    assert table["version"] == "%d.%d.%d" % sys.version_info[:3]
    names, opmap = table["names"], table["opmap"]
    assert opmap == opcode.opmap
    for name, op in opmap.items():
        if op < 256:  # (3.13's opmap also names pseudo-instructions)
            assert names[op] == name
    for base, forms in opcode._specializations.items():
        assert table["families"][base] == list(forms)
        for form in forms:
            # Each specialized form reads as its base (3.11's adaptive forms too).
            assert table["deop"][names.index(form)] == opmap[base], form
    for base, fields in opcode._cache_format.items():
        assert table["caches"][opmap[base]] == sum(fields.values()), base
    assert table["extended_arg"] == opcode.EXTENDED_ARG


def test_each_opcode_has_the_kind_of_argument_dis_gives_it(dis_path):
    table = dis_path.op_table()
    kind = dict(zip(table["names"], table["kind"]))  # (opcodes 0-255)
    assert kind["LOAD_CONST"] == "const"
    assert kind["LOAD_GLOBAL"] == "global"
    assert kind["LOAD_NAME"] == "name"
    assert kind["LOAD_FAST"] == "local"
    assert kind["COMPARE_OP"] == "compare"
    assert kind["JUMP_FORWARD"] == "jrel"
    assert kind["LOAD_ATTR"] == ("attr" if sys.version_info >= (3, 12) else "name")
    assert kind["NOP"] == ""


def test_instructions_are_those_dis_lists(collector, ops, dis_path):
    for code in fresh_code():
        rows = collector._describe(code, ops, {}, collector._Resolver([{}]))["instructions"]
        listed = list(dis.get_instructions(code))
        # (Live names may differ: 3.12 writes superinstructions when it
        # creates a code object.)
        assert [(r["offset"], r["base_opname"], r["arg"]) for r in rows] == [
            (i.offset, i.opname, i.arg) for i in listed
        ]
        for row, ins in zip(rows, listed):
            if ins.opcode not in dis.hasjrel and ins.opcode not in dis.hasjabs:
                # (3.13's dis.dis numbers jump labels counting the exception
                # table, get_instructions does not: the rows follow dis.dis.)
                assert row["argrepr"] == ins.argrepr, ins


def test_exception_handlers_are_jump_targets(collector, ops):
    code = next(c for c in fresh_code() if c.co_name == "handlers")
    table = collector._exception_table(code)
    rows = collector._describe(code, ops, {}, collector._Resolver([{}]))["instructions"]
    targets = {row["offset"] for row in rows if row["is_jump_target"]}
    assert table and {entry["target"] for entry in table} <= targets


def test_the_reference_is_the_text_dis_prints(dis_path):
    codes = fresh_code()
    expected = []
    for code in codes:
        out = io.StringIO()
        dis.dis(code, file=out, depth=0, adaptive=True, show_caches=True)
        expected.append(out.getvalue())
    assert dis_path.reference(codes, False) == expected
    fixed = dis_path.reference(codes, True)
    for text, theirs in zip(fixed, expected):
        # Only cache values may read otherwise (3.13.0's dis reads every
        # field from the first unit); in code that never ran, all but the
        # counters are 0.
        lines, their_lines = text.splitlines(), theirs.splitlines()
        assert len(lines) == len(their_lines)
        for line, their_line in zip(lines, their_lines):
            if "CACHE" not in line:
                assert line == their_line
            elif "(" in line and "(counter:" not in line:
                assert line.endswith(": 0)"), line
