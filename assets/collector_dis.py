"""The collector's `dis` half: what `dis` itself says about code objects.

The collector (`assets/collector.py`) hands Rust the bytes of each code
object, and Rust decodes them. This half asks `dis` instead, which costs
start-up time (importing `dis` takes longer than a short program runs), so
the collector loads it only when it is needed (its `_dis_path`):

- for a Python version the Rust decoder does not know: `DisPath.op_table`
  reads the opcode tables from `dis` and `opcode` (the build script records
  them this way for the linked version), and `DisPath.instructions` builds
  each instruction as `dis.dis(code, adaptive=True)` shows it;
- for the tests that compare the decoder with `dis`: `DisPath.reference`
  is the text `dis.dis` prints.

Nothing here runs code of the objects looked at, and the `dis` used is a
private copy, so that disassembling does not run, and so change, the code
objects of the `dis` module a user may be looking at.
"""

import importlib.util as _importlib_util
import io as _io
import sys as _sys


class DisPath:
    """A private `dis` and `opcode`, and what the collector asks of them.
    `fresh(*names)` imports fresh copies of modules, leaving `sys.modules`
    as it was (the collector's `_fresh`; plain imports do for the build)."""

    def __init__(self, fresh):
        self._fresh = fresh
        self.opcode, self.dis = self._private_dis()
        self._table = None
        self._reference_dis = None

    def _private_dis(self):
        """(opcode, dis), imported together (with 3.13's `_opcode_metadata`)."""
        names = [n for n in ("_opcode_metadata", "opcode", "dis") if _importlib_util.find_spec(n)]
        return self._fresh(*names)[-2:]

    # ------------------------------------------------------------ opcode tables

    def op_table(self):
        """This version's opcode facts, as its `dis` and `opcode` hold them:
        the table the Rust decoder reads (src/collect/decode.rs), and the
        collector's `_OpcodeFacts`."""
        if self._table is None:
            self._table = self._make_op_table()
        return self._table

    def _make_op_table(self):
        d, opcode = self.dis, self.opcode
        names = list(getattr(d, "_all_opname", opcode.opname))
        opmap = dict(opcode.opmap)
        cache_format = {k: [list(f) for f in v.items()] for k, v in opcode._cache_format.items()}
        if hasattr(d, "_get_cache_size"):
            caches = [d._get_cache_size(names[op]) for op in range(256)]
        else:
            caches = [d._inline_cache_entries[op] for op in range(256)]
        if hasattr(d, "hasarg"):
            hasarg = [op in d.hasarg for op in range(256)]
        else:
            hasarg = [op >= d.HAVE_ARGUMENT for op in range(256)]
        return {
            "names": names,
            "deop": [d._deoptop(op) for op in range(256)],
            "caches": caches,
            "hasarg": hasarg,
            "kind": [self._op_kind(op, names, opmap) for op in range(256)],
            "backward": [bool(d._is_backward_jump(op)) for op in range(256)],
            "extended_arg": opmap["EXTENDED_ARG"],
            "cmp_op": list(d.cmp_op),
            "nb_ops": [r for _, r in getattr(d, "_nb_ops", ())],
            "intrinsic1": list(getattr(d, "_intrinsic_1_descs", ())),
            "intrinsic2": list(getattr(d, "_intrinsic_2_descs", ())),
            "function_flags": list(getattr(d, "MAKE_FUNCTION_FLAGS", getattr(d, "FUNCTION_ATTR_FLAGS", ()))),
            "format_value": [r for _, r in getattr(d, "FORMAT_VALUE_CONVERTERS", ())],
            "cache_format": cache_format,
            "opmap": opmap,
            "families": {k: list(v) for k, v in opcode._specializations.items()},
            "keep_none_lines": hasattr(d, "ArgResolver"),
            "version": "%d.%d.%d" % _sys.version_info[:3],
        }

    def _op_kind(self, op, names, opmap):
        """Which of dis's argument descriptions applies to a base opcode, in
        the order this version's dis tries them."""
        d = self.dis
        name = names[op]
        labelled = hasattr(d, "ArgResolver")
        if op in d.hasconst:
            # 3.11's dis describes only LOAD_CONST's constant (not KW_NAMES'):
            # ask it rather than assume.
            probe = object()
            try:
                shown = d._get_const_value(op, 0, (probe,)) is probe
            except Exception:
                shown = True
            return "const" if shown else ""
        if op in d.hasname:
            if name == "LOAD_GLOBAL":
                return "global"
            if name == "LOAD_ATTR" and "LOAD_SUPER_ATTR" in opmap:
                return "attr"
            if name == "LOAD_SUPER_ATTR":
                return "super_attr"
            return "name"
        if labelled:
            if op in getattr(d, "hasjump", ()) or op in getattr(d, "hasexc", ()):
                return "jabs" if op in d.hasjabs else "jrel"
            if name in ("LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST"):
                return "local_pair"
        else:
            if op in d.hasjabs:
                return "jabs"
            if op in d.hasjrel:
                return "jrel"
        if op in d.haslocal or op in d.hasfree:
            return "local"
        if op in d.hascompare:
            return "compare"
        for kind, opname in (("format_value", "FORMAT_VALUE"), ("make_function", "MAKE_FUNCTION"),
                             ("convert_value", "CONVERT_VALUE"),
                             ("set_function_attribute", "SET_FUNCTION_ATTRIBUTE"),
                             ("binary_op", "BINARY_OP"), ("intrinsic1", "CALL_INTRINSIC_1"),
                             ("intrinsic2", "CALL_INTRINSIC_2")):
            if name == opname and (kind != "make_function" or hasattr(d, "MAKE_FUNCTION_FLAGS")):
                return kind
        return ""

    # ------------------------------------------------------------ instructions

    def instructions(self, code, ops, handlers, resolver, namespace):
        """The instructions of `code` as `dis.dis(code, adaptive=True)` shows
        them, each with its cache entries read from the live bytecode and
        what `resolver` says each refers to (the fields Rust reads; see
        src/collect/raw.rs). `ops`: the collector's `_OpcodeFacts`;
        `handlers`: the offsets the exception table jumps to; `namespace`:
        the globals of the code."""
        rows = self._rows(code, ops)
        for row in rows:
            self._resolve_caches(row, resolver, namespace)
            # Exception handlers are jump targets too, as dis.dis marks them.
            if row["offset"] in handlers:
                row["is_jump_target"] = True
        return rows

    def _dis_instructions(self, code):
        """(instructions, argument resolver or None): the instructions
        exactly as dis.dis(code, adaptive=True) prints them.

        From 3.13 on, get_instructions numbers jump labels without counting
        the exception table, while dis.dis counts it; build them the way
        dis.dis does.
        """
        d = self.dis
        if not hasattr(d, "ArgResolver"):
            # 3.11/3.12: walk the base code; names come from the live code later.
            # (dis's own adaptive walk loses its way in instrumented code.)
            return d.get_instructions(code), None
        entries = d._parse_exception_table(code)
        labels = d._make_labels_map(code.co_code, exception_entries=entries)
        resolver = d.ArgResolver(
            co_consts=code.co_consts,
            names=code.co_names,
            varname_from_oparg=code._varname_from_oparg,
            labels_map=labels,
        )
        instructions = d._get_instructions_bytes(
            d._get_code_array(code, True),
            linestarts=dict(d.findlinestarts(code)),
            co_positions=code.co_positions(),
            original_code=code.co_code,
            arg_resolver=resolver,
        )
        return instructions, resolver

    def _rows(self, code, ops):
        d = self.dis
        live = code._co_code_adaptive
        base_code = code.co_code
        rows = []
        instructions, resolver = self._dis_instructions(code)
        jump_ops = set(getattr(d, "hasjump", ())) | set(getattr(d, "hasjrel", ())) | set(getattr(d, "hasjabs", ()))
        for ins in instructions:
            # The live opcode at this offset, and the one in co_code, which
            # CPython gives without specialization and without instrumentation.
            opname = ops.names[live[ins.offset]]
            base = ops.names[base_code[ins.offset]]
            caches = []
            unit = ins.offset + 2
            for name, size in ops.cache_format.get(base, ()):
                units = [live[u] | (live[u + 1] << 8) for u in range(unit, unit + 2 * size, 2)]
                caches.append({"name": name, "size": size, "units": units, "meaning": None})
                unit += 2 * size
            if hasattr(ins, "line_number"):
                starts, line = bool(ins.starts_line), ins.line_number
            else:
                starts = ins.starts_line is not None
                line = ins.starts_line if starts else None
            pos = ins.positions
            positions = None if pos is None else [pos.lineno, pos.end_lineno, pos.col_offset, pos.end_col_offset]
            target = None
            if ins.opcode in jump_ops or ops.opmap.get(base) in jump_ops:
                target = ins.argval if isinstance(ins.argval, int) else None
            argrepr = ins.argrepr
            if resolver is not None and opname.startswith("INSTRUMENTED_") and base != opname:
                # 3.13's dis describes the argument by the instrumented opcode
                # (often as nothing); the instruction underneath says more.
                try:
                    argrepr = resolver.get_argval_argrepr(ops.opmap[base], ins.arg, ins.offset)[1]
                except Exception:
                    pass
            rows.append({
                "offset": ins.offset,
                "opname": opname,
                "base_opname": base,
                "arg": ins.arg,
                "argrepr": argrepr,
                "starts_line": starts,
                "line": line,
                "positions": positions,
                "is_jump_target": bool(ins.is_jump_target),
                "label": getattr(ins, "label", None),
                "jump_target": target,
                "caches": caches,
            })
        if not hasattr(d.Instruction, "line_number"):
            # Lines of 3.11/3.12 are known only where they start: carry them forward.
            current = None
            for row in rows:
                if row["line"] is not None:
                    current = row["line"]
                elif not row["starts_line"] and current is not None:
                    row["line"] = current
        return rows

    @staticmethod
    def _resolve_caches(row, resolver, namespace):
        """Sets the meaning of each cache entry of an instruction."""
        caches = row["caches"]
        if not caches or resolver is None:
            return
        fields = {}
        for cache in caches:
            value = 0
            for i, unit in enumerate(cache["units"]):
                value |= unit << (16 * i)
            fields[cache["name"]] = value
        # The name the argument gives: dis writes "NULL + name",
        # "name + NULL|self" and the like.
        parts = [p.strip() for p in row["argrepr"].split(" + ")]
        arg_name = ([p for p in parts if p not in ("NULL", "NULL|self")] or [None])[0]
        for cache in caches:
            name = cache["name"]
            try:
                cache["meaning"] = resolver.describe(
                    row["base_opname"], row["opname"], name, fields[name], arg_name, fields, namespace
                )
            except Exception as e:  # a candidate object misbehaved; say so
                cache["meaning"] = "unresolved (%s)" % type(e).__name__

    # ------------------------------------------------------------ reference

    def reference(self, code_objects, fix_cache_values):
        """The text of dis.dis(code, adaptive=True, show_caches=True) of each
        code object, for the tests that compare the decoder with it.

        With fix_cache_values, cache values are taken from successive slices
        of `_co_code_adaptive` (CPython 3.13.0's dis reads every field from
        the first cache unit); everything else is dis's own formatting. The
        `dis` used is a copy of its own, so that taking a reference runs
        neither the copy that builds instructions nor the shared module.
        """
        if self._reference_dis is None:
            self._reference_dis = self._private_dis()[1]
        dis = self._reference_dis
        out = []
        patched = None
        if fix_cache_values and hasattr(dis, "Formatter"):
            original = dis._get_instructions_bytes

            def fixed(code, *args, **kwargs):
                for ins in original(code, *args, **kwargs):
                    if ins.cache_info:
                        offset = ins.offset + 2
                        info = []
                        for name, size, _data in ins.cache_info:
                            info.append((name, size, code[offset:offset + 2 * size]))
                            offset += 2 * size
                        # tuple.__new__ rather than _replace: _replace is Python
                        # code of collections, whose counters are being compared.
                        values = list(ins)
                        values[type(ins)._fields.index("cache_info")] = info
                        ins = tuple.__new__(type(ins), values)
                    yield ins

            patched = original
            dis._get_instructions_bytes = fixed
        try:
            for code in code_objects:
                buf = _io.StringIO()
                dis.dis(code, file=buf, depth=0, adaptive=True, show_caches=True)
                out.append(buf.getvalue())
        finally:
            if patched is not None:
                dis._get_instructions_bytes = patched
        return out
