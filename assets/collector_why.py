"""The collector's why part: what `--why` observes.

This is not a module of its own: the collector (`assets/collector.py`) runs
it in its own namespace the first time `--why` needs it (`_load_why`), so
the names below are the collector's, and they use the collector's (`_sys`,
`_types`, `_time`, `function_code`, ...). Every other run leaves it
unloaded, which keeps start-up short.
"""

# What reached each site that failed to specialize, observed in a second run
# after the snapshot was taken (`_Session.observe`). Operands are never read
# off the value stack: 3.12 and 3.13 do not save the stack pointer in the
# frame before an INSTRUCTION event's callback (INSTRUMENTED_INSTRUCTION in
# Python/generated_cases.c.h calls `_Py_call_instrumentation_instruction`
# with the stack pointer in a C local). Instead, each operand is traced back,
# in the base bytecode, to the instruction that pushed it: when that is a
# plain load (a local, a constant, a global, a cell) with no jump target in
# between, the callback reads the same variable from the live frame, where
# it still holds that value; otherwise the operand is unknown.

# Executions observed per site, at most: enough to count the kinds that
# reach it, few enough that observing stays cheap (the site is then left
# alone: DISABLE on 3.12+, no more opcode events on 3.11).
WHY_PER_SITE = 2000
# Distinct kinds kept per site; later ones count as "other".
_WHY_KINDS = 12
_NULL = object()  # a NULL the bytecode pushes (before a callable)
_UNKNOWN = object()  # an operand that cannot be read safely

# How many operands each family's instruction takes off the stack (bottom
# first), for the families whose operands say why; CALL and PRECALL take
# their argument count plus two.
_WHY_OPERANDS = {
    "BINARY_OP": 2, "COMPARE_OP": 2, "BINARY_SUBSCR": 2, "STORE_SUBSCR": 3,
    "CONTAINS_OP": 2, "TO_BOOL": 1, "UNPACK_SEQUENCE": 1, "LOAD_ATTR": 1,
    "LOAD_METHOD": 1, "STORE_ATTR": 2, "LOAD_GLOBAL": 0, "FOR_ITER": 0,
}

_CO_VARARGS, _CO_VARKEYWORDS = 0x4, 0x8


def why_pushes(opname, arg, argval, version):
    """What a plain load pushes, bottom first, as recipes the frame can
    answer (`("fast", name)`, `("const", value)`, `("global", name)`,
    `("name", name)`, `("null",)`, `("method", i, owner, name)`); None
    for any other instruction. `version` is (major, minor)."""
    if opname in ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF", "LOAD_CLOSURE"):
        return [("fast", argval)]
    if opname == "LOAD_FAST_LOAD_FAST":
        return [("fast", argval[0]), ("fast", argval[1])]
    if opname == "LOAD_CONST":
        return [("const", argval)]
    if opname == "LOAD_NAME":
        return [("name", argval)]
    if opname == "PUSH_NULL":
        return [("null",)]
    if opname == "LOAD_GLOBAL":
        if not arg & 1:
            return [("global", argval)]
        # 3.11 and 3.12 push the NULL first, 3.13 after.
        if version >= (3, 13):
            return [("global", argval), ("null",)]
        return [("null",), ("global", argval)]
    return None


def why_method_pushes(opname, arg, argval, version):
    """The attribute's name, for an attribute load that pushes a method and
    its owner (3.11's LOAD_METHOD, 3.12+'s LOAD_ATTR with the low bit):
    3.11 and 3.12 push (method or NULL, owner or attribute), 3.13
    (attribute or method, owner or NULL). None for other instructions."""
    if opname == "LOAD_METHOD" or (opname == "LOAD_ATTR" and version >= (3, 12) and arg & 1):
        return argval
    return None


_WHY_TRANSPARENT = frozenset(("NOP", "KW_NAMES", "PRECALL", "EXTENDED_ARG", "CACHE"))

# (pops, pushes) of instructions that compute a value, for walking back
# over them to an operand deeper in the stack (the callable under a call's
# computed arguments). 3.11's PRECALL leaves the stack as it is (the
# compiler books part of CALL's effect on it); its CALL takes all.
_WHY_TWO_TO_ONE = frozenset(("BINARY_OP", "COMPARE_OP", "CONTAINS_OP", "IS_OP", "BINARY_SUBSCR",
                             "FORMAT_WITH_SPEC"))
_WHY_ONE_TO_ONE = frozenset(("UNARY_NEGATIVE", "UNARY_NOT", "UNARY_INVERT", "TO_BOOL", "GET_ITER",
                             "FORMAT_SIMPLE", "CONVERT_VALUE"))
_WHY_N_TO_ONE = frozenset(("BUILD_TUPLE", "BUILD_LIST", "BUILD_SET", "BUILD_STRING", "BUILD_SLICE"))


def why_effect(opname, arg, version):
    """(pops, pushes) of an instruction that computes values; None for
    the others (the walk stops there)."""
    if opname in _WHY_TWO_TO_ONE:
        return 2, 1
    if opname in _WHY_ONE_TO_ONE:
        return 1, 1
    if opname in _WHY_N_TO_ONE:
        return arg, 1
    if opname == "BUILD_MAP":
        return 2 * arg, 1
    if opname == "BUILD_CONST_KEY_MAP":
        return arg + 1, 1
    if opname == "BINARY_SLICE":
        return 3, 1
    if opname == "FORMAT_VALUE":
        return 1 + bool(arg & 4), 1
    if opname == "LOAD_ATTR":
        return 1, 1 + (arg & 1 if version >= (3, 12) else 0)
    if opname == "LOAD_METHOD":
        return 1, 2
    if opname == "CALL":
        return arg + 2, 1
    if opname == "CALL_KW":
        return arg + 3, 1
    if opname == "CALL_FUNCTION_EX":
        return 3 + (arg & 1), 1
    return None


def why_operand_sources(instrs, index, count, version):
    """Where each of the `count` operands of instrs[index] came from, bottom
    first: a recipe (see `why_pushes`) or None (unknown). `instrs` are
    (opname, arg, argval, is_jump_target) of the base bytecode. The walk
    goes back over the instructions that every path to the site runs
    (it stops before a jump target), keeping track of each operand's
    place on the stack, until a plain load pushed it (a recipe), another
    instruction computed it (unknown), or an instruction whose stack
    effect it does not know comes first (unknown)."""
    sources = [None] * count
    if count == 0 or instrs[index][3]:
        return sources
    # Place from the top of the stack -> operand (0 is the bottom one).
    pending = {count - 1 - j: j for j in range(count)}
    i = index - 1
    while pending and i >= 0:
        opname, arg, argval, target = instrs[i]
        pops = 0
        if opname in _WHY_TRANSPARENT:
            pushed = []
        else:
            pushed = why_pushes(opname, arg, argval, version)
            if pushed is None:
                name = why_method_pushes(opname, arg, argval, version)
                owner = why_pushes(*instrs[i - 1][:3], version) if name is not None and i > 0 else None
                if owner is not None and len(owner) == 1 and not target:
                    # A method loaded from a plain load's value: the pair
                    # (method or NULL, owner) (3.13: (method, owner or NULL)).
                    first = 2 if version >= (3, 13) else 0
                    pushed = [("method", first, owner[0], name), ("method", first + 1, owner[0], name)]
                    i -= 1
                    target = instrs[i][3]
                else:
                    effect = why_effect(opname, arg, version)
                    if effect is None:
                        break
                    pops, n = effect
                    pushed = [None] * n
        n = len(pushed)
        still = {}
        for place, j in pending.items():
            if place < n:
                sources[j] = pushed[n - 1 - place]
            else:
                still[place - n + pops] = j
        pending = still
        if target:
            break
        i -= 1
    return sources


def _why_lookup(cls, name):
    """The attribute `name` on the class `cls`, found in its MRO's
    dictionaries without running code (as `_PyType_Lookup`), or _UNKNOWN."""
    try:
        for klass in _class_mro(cls):
            space = _class_dict(klass)
            if name in space:
                return space[name]
    except Exception:
        pass
    return _UNKNOWN


def _why_type_name(cls):
    try:
        if _class_module(cls) == "builtins":
            return _class_name(cls)
        return _class_qualname(cls)
    except Exception:
        return "?"


def _why_frame_value(frame, name):
    """A local (or cell) of a live frame, read through `f_locals` when that
    is a dict (a function's, 3.11 and 3.12) or 3.13's proxy of the frame's
    own variables: a class body's namespace may be any mapping, whose
    `__getitem__` is the program's code."""
    try:
        space = frame.f_locals
        if type(space) is not dict and _class_name(type(space)) != "FrameLocalsProxy":
            return _UNKNOWN
        return space[name]
    except Exception:
        return _UNKNOWN


def _why_mapping_get(space, name):
    """space[name] without running code of the program's: only a dict (or
    a subclass, read as a dict) answers."""
    if isinstance(space, dict):
        return dict.get(space, name, _UNKNOWN)
    return _UNKNOWN


def _why_is_method(descr):
    """True when a descriptor found on the class is one the interpreter
    binds as a method (Py_TPFLAGS_METHOD_DESCRIPTOR: functions, method
    descriptors)."""
    kind = type(descr)
    return kind is _types.FunctionType or _class_name(kind) == "method_descriptor"


def why_resolve(recipe, frame):
    """The value a recipe names in a live frame, or _UNKNOWN."""
    kind = recipe[0]
    if kind == "fast":
        return _why_frame_value(frame, recipe[1])
    if kind == "const":
        return recipe[1]
    if kind == "null":
        return _NULL
    if kind in ("global", "name"):
        name = recipe[1]
        if kind == "name":
            value = _why_mapping_get(frame.f_locals, name)
            if value is not _UNKNOWN:
                return value
        value = _why_mapping_get(frame.f_globals, name)
        if value is _UNKNOWN:
            value = _why_mapping_get(frame.f_builtins, name)
        return value
    if kind == "method":
        which, owner_recipe, name = recipe[1], recipe[2], recipe[3]
        owner = why_resolve(owner_recipe, frame)
        if owner is _UNKNOWN:
            return _UNKNOWN
        descr = _why_lookup(type(owner), name)
        if descr is _UNKNOWN or not _why_is_method(descr):
            # The attribute itself, looked up at run time: not read here.
            return _NULL if which == 3 else _UNKNOWN
        return {0: descr, 1: owner, 2: descr, 3: owner}[which]
    return _UNKNOWN


def why_parameters(code):
    """A function's parameters as its `def` lists them, without defaults:
    `a, b, *args, key, **kwargs`."""
    names = code.co_varnames
    n = code.co_argcount
    k = code.co_kwonlyargcount
    out = list(names[:n])
    at = n + k
    if code.co_flags & _CO_VARARGS:
        out.append("*" + names[at])
        at += 1
    elif k:
        out.append("*")
    out.extend(names[n:n + k])
    if code.co_flags & _CO_VARKEYWORDS:
        out.append("**" + names[at])
    return ", ".join(out)


def why_callable(value, nargs):
    """(shown, facts) of what a call site calls with `nargs` positional
    arguments (self included)."""
    kind = type(value)
    if kind is _types.FunctionType or kind is _types.MethodType:
        function = value if kind is _types.FunctionType else _method_func(value)
        if type(function) is not _types.FunctionType:
            return "bound method of %s" % _why_type_name(type(function)), ["bound method of a C function"]
        # (Read without `__code__`'s audit event: see `function_code`.)
        code = function_code(function)[0]
        facts = ["python function" if kind is _types.FunctionType else "bound method"]
        flags = code.co_flags
        if flags & (_CO_VARARGS | _CO_VARKEYWORDS) or code.co_kwonlyargcount:
            facts.append("complex parameters")
        if not flags & _CO_OPTIMIZED:
            facts.append("not optimized")
        if kind is _types.MethodType:
            nargs += 1
        defaults = len(function.__defaults__ or ())
        if not facts[1:] and not code.co_argcount - defaults <= nargs <= code.co_argcount:
            facts.append("wrong number of arguments")
        if nargs == code.co_argcount:
            facts.append("exact arguments")
        shown = "%s %s(%s)" % ("function" if kind is _types.FunctionType else "bound method",
                               _func_qualname(function), why_parameters(code))
        return shown, facts
    name = _why_type_name(kind)
    if isinstance(value, type):
        facts = ["class"]
        if value.__new__ is object.__new__:
            facts.append("python class")
            init = _why_lookup(value, "__init__")
            if type(init) is _types.FunctionType:
                code = function_code(init)[0]
                if code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS) or code.co_kwonlyargcount:
                    facts.append("__init__ not simple")
                elif code.co_argcount != nargs + 1:
                    facts.append("__init__ wrong number of arguments")
                else:
                    facts.append("__init__ exact arguments")
        if getattr(value, "__flags__", 0) & (1 << 8):  # Py_TPFLAGS_IMMUTABLETYPE
            facts.append("immutable class")
        return "class %s" % _why_type_name(value), facts
    if name == "builtin_function_or_method":
        facts = ["builtin function"] + _c_call_facts(value, nargs, {"METH_O": 1})
        return "built-in %s" % getattr(value, "__qualname__", "?"), facts
    if name == "builtin_method":
        # A C method that gets its defining class (METH_METHOD), bound.
        return "built-in method %s" % getattr(value, "__qualname__", "?"), ["builtin method"]
    if name == "method_descriptor":
        facts = ["method descriptor"] + _c_call_facts(value, nargs, {"METH_NOARGS": 1, "METH_O": 2})
        return "method descriptor %s" % getattr(value, "__qualname__", "?"), facts
    if name == "method-wrapper":
        return "method-wrapper %s of %s" % (getattr(value, "__name__", "?"),
                                            _why_type_name(type(value.__self__))), ["method-wrapper"]
    if name == "wrapper_descriptor":
        return "slot wrapper %s" % getattr(value, "__qualname__", "?"), ["slot wrapper"]
    return "%s object" % name, ["other callable"]


def _c_call_facts(value, nargs, takes):
    """The calling convention of a C callable ("flags METH_O"), and whether
    `nargs` (self included) is a number of arguments it must be called
    with for a form of CALL (`takes`: {flags: nargs})."""
    flags = call_flags(value)
    if flags is None:
        return []
    facts = ["flags " + flags]
    if flags in takes and nargs != takes[flags]:
        facts.append("wrong number of arguments")
    return facts


def _why_getattr_hooks(cls):
    """The facts of a class's own attribute lookup: a __getattribute__ of
    its own, a __getattr__."""
    facts = []
    if generic_attribute_access(cls)[0]:
        return facts  # looked up the generic way, whatever __getattribute__ it lists
    getattribute = _why_lookup(cls, "__getattribute__")
    if getattribute is not _UNKNOWN and getattribute is not object.__dict__["__getattribute__"]:
        facts.append("__getattribute__")
        if type(getattribute) is _types.FunctionType:
            facts.append("python __getattribute__")
    if _why_lookup(cls, "__getattr__") is not _UNKNOWN:
        facts.append("__getattr__")
    return facts


def why_attribute(owner, name, store):
    """(shown, facts) of what an attribute lookup of `name` on `owner` finds,
    read without running the program's code (the class's MRO, and the
    instance's own attributes only through object.__getattribute__ for a
    name the class does not have)."""
    cls = type(owner)
    if isinstance(owner, _types.ModuleType):
        return "module attribute", ["module"]
    if isinstance(owner, type):
        facts = ["class owner"]
        if cls is not type or _why_lookup(cls, name) is not _UNKNOWN:
            facts.append("metaclass attribute")
        descr = _why_lookup(owner, name)
        if descr is _UNKNOWN:
            found = "missing"
        elif _why_is_method(descr):
            found = "method"
        elif hasattr(type(descr), "__get__"):
            found = "descriptor"
        else:
            found = "class attribute"
        return found, facts + [found]
    facts = []
    if getattr(cls, "__flags__", 0) & (1 << 4):  # Py_TPFLAGS_MANAGED_DICT
        facts.append("managed dict")
    elif type.__dict__["__dictoffset__"].__get__(cls) == 0:
        facts.append("no instance dict")  # a C type's instance, or __slots__ only
    if store:
        setattr_ = _why_lookup(cls, "__setattr__")
        if setattr_ is not _UNKNOWN and setattr_ is not object.__dict__["__setattr__"] \
                and not generic_attribute_access(cls)[1]:
            facts.append("__setattr__")
    else:
        facts.extend(_why_getattr_hooks(cls))
    descr = _why_lookup(cls, name)
    if descr is _UNKNOWN:
        try:
            object.__getattribute__(owner, name)
            found = "instance attribute"
        except AttributeError:
            found = "missing" if not store else "new instance attribute"
        except Exception:
            found = "unknown"
    else:
        kind = type(descr)
        kname = _why_type_name(kind)
        if not getattr(kind, "__flags__", 0) & (1 << 8):  # Py_TPFLAGS_IMMUTABLETYPE
            # analyze_descriptor looks no further: its class may change.
            facts.append("mutable descriptor class")
        if kind is property:
            found = "property"
            if type(_property_fget(descr)) is not _types.FunctionType:
                facts.append("getter not a python function")
        elif kname == "member_descriptor":
            found = "slot"
        elif kname == "getset_descriptor":
            found = "getset descriptor"
        elif _why_is_method(descr):
            found = "method"
        elif kind is classmethod:
            found = "classmethod"
        elif kind is staticmethod:
            found = "staticmethod"
        elif hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
            found = "data descriptor"
        elif hasattr(kind, "__get__"):
            found = "non-data descriptor"
        else:
            found = "class attribute"
        if "mutable descriptor class" in facts:
            found = "%s (a %s)" % (found, kname)
    facts.insert(0, found)
    return found, facts


def why_iterator(iterable):
    """(shown, facts) of the iterator GET_ITER makes of `iterable`, found
    without running the program's code: a built-in iterable's iterator
    (iter() of a built-in type runs no Python code), an object whose class's
    __iter__ is `return self` or a generator function; else unknown."""
    cls = type(iterable)
    heap = getattr(cls, "__flags__", 0) & (1 << 9)  # Py_TPFLAGS_HEAPTYPE
    if not heap:
        try:
            it = iter(iterable)
        except Exception:
            return None
        kind = type(it)
        module = _class_module(kind)
        full = _class_qualname(kind) if module == "builtins" else "%s.%s" % (module, _class_qualname(kind))
        return _why_type_name(kind), ["iterator " + full]
    method = _why_lookup(cls, "__iter__")
    if type(method) is not _types.FunctionType:
        return None
    code = function_code(method)[0]
    if code.co_flags & _CO_GENERATOR:
        return "generator", ["iterator generator"]
    if _why_returns_self(code):
        return _why_type_name(cls) + " (its own iterator)", ["iterator python class"]
    return None


def _why_instructions(code):
    return list(_dis_path().dis.get_instructions(code))


_why_returns_self_memo = {}  # id(code) -> (code, bool)


def _why_returns_self(code):
    """Whether a function's code is `return self` and nothing else."""
    known = _why_returns_self_memo.get(id(code))
    if known is None or known[0] is not code:
        ops = [(i.opname, i.argval) for i in _why_instructions(code) if i.opname not in ("RESUME", "NOP")]
        first = code.co_varnames[0] if code.co_argcount else None
        known = _why_returns_self_memo[id(code)] = (code, ops == [("LOAD_FAST", first), ("RETURN_VALUE", None)])
    return known[1]


class _Observer:
    """Counts what reaches each site of the code objects it watches while
    the program runs again (see `_Session.observe`)."""

    def __init__(self, sites, version):
        # {code: {offset: site}}; a site: {"family", "sources", "arg", "kwnames", "counts", "seen"}.
        self.codes = {}  # id(code) -> {offset: site}
        self.code_objects = []  # the watched code objects, kept alive
        self.version = version
        self.iterators = {}  # (id(frame), FOR_ITER offset) -> (frame, kind)
        self.events = 0
        # Watching ends at this perf_counter() time (see `_Session.observe`):
        # a site the second run never reaches would keep 3.11's trace
        # function running for all of it.
        self.deadline = None
        self.cut_short = False
        for code, offsets in sites:
            watched = self._plan(code, offsets)
            if watched:
                self.codes[id(code)] = watched
                self.code_objects.append(code)
        self.left = sum(len(v) for v in self.codes.values())

    def _plan(self, code, offsets):
        instrs = _why_instructions(code)
        index = {ins.offset: n for n, ins in enumerate(instrs)}
        rows = [(i.opname, i.arg or 0, i.argval, bool(i.is_jump_target)) for i in instrs]
        watched = {}
        for offset in offsets:
            n = index.get(offset)
            if n is None:
                continue
            opname, arg = rows[n][0], rows[n][1]
            site = {"family": opname, "arg": arg, "argval": rows[n][2], "counts": {}, "seen": 0,
                    "kwnames": None, "sources": []}
            if opname in ("CALL", "PRECALL"):
                count = arg + 2
                # KW_NAMES (3.11, 3.12) names the last arguments.
                for back in range(n - 1, max(n - 3, -1), -1):
                    if rows[back][0] == "KW_NAMES":
                        # Its argument indexes co_consts (3.11's dis shows
                        # no argval for it).
                        names = code.co_consts[rows[back][1]]
                        site["kwnames"] = names if type(names) is tuple else None
                        break
            else:
                count = _WHY_OPERANDS.get(opname, 0)
            site["sources"] = why_operand_sources(rows, n, count, self.version)
            watched[offset] = site
            if opname == "FOR_ITER" and n > 0 and rows[n - 1][0] == "GET_ITER":
                # The iterator comes from GET_ITER, run once per loop: watch
                # it too, and take its operand's iterator at each start.
                start = {"family": "GET_ITER", "for_iter": offset, "counts": {}, "seen": 0,
                         "sources": why_operand_sources(rows, n - 1, 1, self.version)}
                watched[instrs[n - 1].offset] = start
        return watched

    def see(self, code, offset, frame):
        """One execution of a watched site; False once the site has been
        seen enough (or is not a site)."""
        sites = self.codes.get(id(code))
        site = sites.get(offset) if sites else None
        if site is None:
            return False
        if site["family"] == "GET_ITER":
            values = [why_resolve(r, frame) if r else _UNKNOWN for r in site["sources"]]
            found = None if values[0] is _UNKNOWN else why_iterator(values[0])
            self.iterators[(id(frame), site["for_iter"])] = (frame, found)
            return True
        site["seen"] += 1
        self.events += 1
        if self.deadline is not None and not self.events & 63 and _time.perf_counter() > self.deadline:
            self.cut_short = True
            self.left = 0
        if self.left <= 0:
            site["seen"] -= 1
            return False
        if site["seen"] > WHY_PER_SITE:
            if site["seen"] == WHY_PER_SITE + 1:
                self.left -= 1
            return False
        key = self._kinds(site, frame, offset)
        counts = site["counts"]
        if key in counts:
            counts[key] += 1
        elif len(counts) < _WHY_KINDS:
            counts[key] = 1
        else:
            counts[("other",), ()] = counts.get((("other",), ()), 0) + 1
        return True

    def _kinds(self, site, frame, offset):
        """(kinds, facts) of one execution."""
        family = site["family"]
        values = [why_resolve(r, frame) if r else _UNKNOWN for r in site["sources"]]
        try:
            if family in ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR"):
                owner = values[-1]
                if owner is _UNKNOWN:
                    return ("unknown",), ()
                name = site["argval"]
                found, facts = why_attribute(owner, name, family == "STORE_ATTR")
                shown = "class " + _why_type_name(owner) if isinstance(owner, type) else _why_type_name(type(owner))
                return (shown, found), tuple(facts)
            if family in ("CALL", "PRECALL"):
                return self._call_kinds(site, values)
            if family == "LOAD_GLOBAL":
                g, b = frame.f_globals, frame.f_builtins
                return (_why_type_name(type(g)), _why_type_name(type(b))), \
                    tuple(f for f, space in (("globals not dict", g), ("builtins not dict", b)) if type(space) is not dict)
            if family == "FOR_ITER":
                found = self.iterators.get((id(frame), offset))
                if found is None or found[1] is None:
                    return ("unknown",), ()
                return (found[1][0],), tuple(found[1][1])
            kinds = tuple("unknown" if v is _UNKNOWN else _why_type_name(type(v)) for v in values)
            facts = []
            if family == "BINARY_SUBSCR" and values[0] is not _UNKNOWN:
                facts = self._container_facts(values[0])
                index = values[1]
                if type(index) is int and not 0 <= index < (1 << 30):
                    facts.append("negative or large index")
            elif family == "STORE_SUBSCR" and values[1] is not _UNKNOWN:
                facts = self._container_facts(values[1])
            elif family == "COMPARE_OP":
                for v in values:
                    if type(v) is int and not -(1 << 30) < v < (1 << 30):
                        facts.append("big int")
            return kinds, tuple(facts)
        except Exception:
            return ("unknown",), ()

    @staticmethod
    def _container_facts(container):
        cls = type(container)
        facts = []
        if cls is not dict and isinstance(container, dict):
            facts.append("dict subclass")
        getitem = _why_lookup(cls, "__getitem__")
        if type(getitem) is _types.FunctionType:
            facts.append("python __getitem__")
        return facts

    def _call_kinds(self, site, values):
        kwnames = site["kwnames"] or ()
        if len(values) < 2:
            return ("unknown",), ()
        first, second, args = values[0], values[1], values[2:]
        if self.version >= (3, 13):
            function, bound = first, second
        else:
            function, bound = (second, _NULL) if first is _NULL else (first, second)
        if function is _UNKNOWN or bound is _UNKNOWN:
            return ("unknown",), ()
        nargs = len(args) - len(kwnames) + (0 if bound is _NULL else 1)
        shown, facts = why_callable(function, nargs)
        shape = "%d positional" % nargs
        if kwnames:
            shape += ", keywords " + ", ".join(kwnames)
            facts = list(facts) + ["keywords"]
        return (shown, shape), tuple(facts)

    def report(self):
        """{id(code): [{"offset", "seen", "observed": [{"kinds", "facts", "count"}]}]}."""
        out = {}
        for code, sites in self.codes.items():
            rows = []
            for offset, site in sites.items():
                if site["family"] == "GET_ITER":
                    continue
                observed = [{"kinds": list(k), "facts": list(f), "count": n}
                            for (k, f), n in sorted(site["counts"].items(), key=lambda item: -item[1])]
                rows.append({"offset": offset, "seen": min(site["seen"], WHY_PER_SITE), "observed": observed})
            out[code] = rows
        return out


class _Watching:
    """Puts an `_Observer` on the program's thread: sys.monitoring's
    INSTRUCTION events on the watched code objects (3.12+), each offset that
    is not a site, or is seen enough, disabled at its first event; a trace
    function with opcode events on their frames only (3.11)."""

    def __init__(self, observer):
        self.observer = observer
        self.tool = None
        self.traced = False

    def start(self):
        observer = self.observer
        mon = getattr(_sys, "monitoring", None)
        getframe = _sys._getframe
        if mon is not None:
            for tool in (4, 3, 5, 2, 1, 0):
                if mon.get_tool(tool) is None:
                    break
            else:
                raise RuntimeError("every sys.monitoring tool id is taken")
            disable = mon.DISABLE
            see = observer.see

            def on_instruction(code, offset):
                if not see(code, offset, getframe(1)):
                    return disable

            mon.use_tool_id(tool, "specscope --why")
            self.tool = tool
            mon.register_callback(tool, mon.events.INSTRUCTION, on_instruction)
            for code in observer.code_objects:
                mon.set_local_events(tool, code, mon.events.INSTRUCTION)
            return
        codes = observer.codes
        see = observer.see
        settrace = _sys.settrace

        def local(frame, event, arg):
            if event == "opcode" and not see(frame.f_code, frame.f_lasti, frame) and observer.left <= 0:
                frame.f_trace_opcodes = False
            return local

        def on_call(frame, event, arg):
            if observer.left <= 0 or (observer.deadline is not None and _time.perf_counter() > observer.deadline):
                observer.cut_short = observer.cut_short or observer.left > 0
                observer.left = 0
                settrace(None)
                return None
            if id(frame.f_code) not in codes:
                return None
            frame.f_trace_lines = False
            frame.f_trace_opcodes = True
            return local

        settrace(on_call)
        self.traced = True

    def stop(self):
        if self.traced:
            _sys.settrace(None)
            self.traced = False
        tool, self.tool = self.tool, None
        if tool is None:
            return
        _release_tool(tool, self.observer.code_objects, _sys.monitoring.events.INSTRUCTION)
