//! Cache-field meanings name what each specialized form really stores in
//! the field, on the linked Python version: the same `dis` field holds a type
//! version in one form and an index, a byte offset or a function version in
//! another (see `Python/specialize.c`, `Python/bytecodes.c` or 3.11's
//! `Python/ceval.c`, and the cache structs of `pycore_code.h`).

use crate::common::installed::collect_here as collect;
use specscope::collect::python::linked_version;
use specscope::collect::request::{Decoder, Request, Target};
use specscope::model::{CacheEntry, CodeObject, Instruction, Snapshot, Status};

fn request(code: &str, call: &str, calls: u64) -> Request {
    let mut r = Request::new(Target::Code(code.to_string()));
    r.call = Some(call.to_string());
    r.calls = calls;
    r
}

fn run(code: &str, call: &str, calls: u64) -> Snapshot {
    collect(&request(code, call, calls)).expect("collection succeeds")
}

fn minor() -> u8 {
    linked_version().minor
}

fn code<'a>(s: &'a Snapshot, qualname: &str) -> &'a CodeObject {
    s.code_objects
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"))
}

/// The instruction of `qualname` whose base opname is `base` and whose
/// argument description names `name`.
fn op<'a>(s: &'a Snapshot, qualname: &str, base: &str, name: &str) -> &'a Instruction {
    code(s, qualname)
        .instructions
        .iter()
        .find(|i| {
            i.base_opname == base
                && i.argrepr
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == name)
        })
        .unwrap_or_else(|| panic!("no {base} of {name} in {qualname}"))
}

/// The first instruction of `qualname` with base opname `base`.
fn first<'a>(s: &'a Snapshot, qualname: &str, base: &str) -> &'a Instruction {
    code(s, qualname)
        .instructions
        .iter()
        .find(|i| i.base_opname == base)
        .unwrap_or_else(|| panic!("no {base} in {qualname}"))
}

fn entry<'a>(ins: &'a Instruction, field: &str) -> &'a CacheEntry {
    ins.caches
        .iter()
        .find(|c| c.name == field)
        .unwrap_or_else(|| panic!("{} has no cache field {field}", ins.opname))
}

fn meaning(ins: &Instruction, field: &str) -> String {
    entry(ins, field)
        .meaning
        .clone()
        .unwrap_or_else(|| panic!("{} has no meaning for {field}", ins.opname))
}

fn value(ins: &Instruction, field: &str) -> u64 {
    entry(ins, field).value
}

/// A number the program printed as `LABEL NUMBER`, to check a cache against.
fn printed(s: &Snapshot, label: &str) -> u64 {
    let out: String = s
        .run
        .output
        .iter()
        .filter(|c| c.stream == specscope::model::Stream::Stdout)
        .map(|c| c.text.as_str())
        .collect();
    out.lines()
        .find_map(|line| line.strip_prefix(&format!("{label} ")))
        .unwrap_or_else(|| panic!("the program printed no {label}: {out:?}"))
        .trim()
        .parse()
        .unwrap()
}

/// LOAD_ATTR's index (or offset) field. 3.11 shows `_PyAttrCache`, whose
/// field is `index`; from 3.12 `dis` shows the `_PyLoadMethodCache` layout,
/// whose `keys_version` begins with `_PyAttrCache.index`.
fn load_attr_index() -> &'static str {
    if minor() == 11 {
        "index"
    } else {
        "keys_version"
    }
}

/// The opcode of `obj.m()`: LOAD_METHOD in 3.11, LOAD_ATTR from 3.12.
fn method_load() -> &'static str {
    if minor() == 11 {
        "LOAD_METHOD"
    } else {
        "LOAD_ATTR"
    }
}

const ATTRIBUTES: &str = "\
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

class Loose:
    pass

def read(p, h):
    return p.y + h.z

def write(p, h):
    p.y = 3
    h.z = 4

h = Loose()
h.__dict__ = {'w': 0, 'z': 1}
";

#[test]
fn instance_values_and_dict_hints_name_the_key_at_their_index() {
    let s = run(
        ATTRIBUTES,
        "(read(Point(1, 2), h), write(Point(1, 2), h))",
        300,
    );
    // y is the second attribute every Point gets: index 1 of its values.
    let y = op(&s, "read", "LOAD_ATTR", "y");
    assert_eq!(y.opname, "LOAD_ATTR_INSTANCE_VALUE");
    assert_eq!(meaning(y, "version"), "type version of Point");
    assert_eq!(value(y, load_attr_index()), 1);
    assert_eq!(
        meaning(y, load_attr_index()),
        "index 1 of the instance's values: y"
    );
    // h's own dict was replaced by {'w': 0, 'z': 1}: z is its entry 1.
    let z = op(&s, "read", "LOAD_ATTR", "z");
    assert_eq!(z.opname, "LOAD_ATTR_WITH_HINT");
    assert_eq!(meaning(z, "version"), "type version of Loose");
    assert_eq!(value(z, load_attr_index()), 1);
    assert_eq!(
        meaning(z, load_attr_index()),
        "index 1 of the entries of the instance's __dict__: z"
    );

    let store_y = op(&s, "write", "STORE_ATTR", "y");
    assert_eq!(store_y.opname, "STORE_ATTR_INSTANCE_VALUE");
    assert_eq!(meaning(store_y, "version"), "type version of Point");
    assert_eq!(value(store_y, "index"), 1);
    assert_eq!(
        meaning(store_y, "index"),
        "index 1 of the instance's values: y"
    );
    let store_z = op(&s, "write", "STORE_ATTR", "z");
    assert_eq!(store_z.opname, "STORE_ATTR_WITH_HINT");
    assert_eq!(meaning(store_z, "version"), "type version of Loose");
    assert_eq!(value(store_z, "index"), 1);
    assert_eq!(
        meaning(store_z, "index"),
        "index 1 of the entries of the instance's __dict__: z"
    );
}

const SLOTS: &str = "\
class Slotted:
    __slots__ = ('b', 'a')
    def __init__(self):
        self.a = 1
        self.b = 2

def read(s):
    return s.a, s.__class__

def write(s):
    s.b = 5

print('header', object.__basicsize__)
print('pointer', tuple.__itemsize__)
";

#[test]
fn slots_name_the_slot_and_its_byte_offset() {
    let s = run(SLOTS, "(read(Slotted()), write(Slotted()))", 300);
    // The slots follow the object header, in the order of their sorted
    // names: a, then b. The header ends with the type pointer.
    let header = printed(&s, "header");
    let pointer = printed(&s, "pointer");
    let a = op(&s, "read", "LOAD_ATTR", "a");
    assert_eq!(a.opname, "LOAD_ATTR_SLOT");
    assert_eq!(meaning(a, "version"), "type version of Slotted");
    assert_eq!(value(a, load_attr_index()), header);
    assert_eq!(
        meaning(a, load_attr_index()),
        format!("slot a of Slotted at byte offset {header}")
    );
    let class = op(&s, "read", "LOAD_ATTR", "__class__");
    assert_eq!(class.opname, "LOAD_ATTR_SLOT");
    assert_eq!(value(class, load_attr_index()), header - pointer);
    assert_eq!(
        meaning(class, load_attr_index()),
        format!(
            "the object's type pointer (__class__) at byte offset {}",
            header - pointer
        )
    );
    let b = op(&s, "write", "STORE_ATTR", "b");
    assert_eq!(b.opname, "STORE_ATTR_SLOT");
    assert_eq!(meaning(b, "version"), "type version of Slotted");
    assert_eq!(value(b, "index"), header + pointer);
    assert_eq!(
        meaning(b, "index"),
        format!("slot b of Slotted at byte offset {}", header + pointer)
    );
}

const MODULES: &str = "\
import math

def attribute():
    return math.pi

def method(m):
    return m.sqrt(4.0)

print('pi', list(vars(math)).index('pi'))
print('sqrt', list(vars(math)).index('sqrt'))
";

#[test]
fn module_attributes_name_the_module_and_the_entry() {
    let s = run(MODULES, "(attribute(), method(math))", 300);
    let pi = op(&s, "attribute", "LOAD_ATTR", "pi");
    assert_eq!(pi.opname, "LOAD_ATTR_MODULE");
    // `version` holds the module dict's keys version, not a type version.
    assert_eq!(meaning(pi, "version"), "keys version of module math's dict");
    let at = printed(&s, "pi");
    assert_eq!(value(pi, load_attr_index()), at);
    assert_eq!(
        meaning(pi, load_attr_index()),
        format!("entry {at} of module math's dict: pi")
    );

    let at = printed(&s, "sqrt");
    let sqrt = op(&s, "method", method_load(), "sqrt");
    if minor() == 11 {
        // LOAD_METHOD_MODULE writes `_PyAttrCache` over
        // `_PyLoadMethodCache`: the keys version lands in `type_version`
        // and the entry index in `dict_offset`.
        assert_eq!(sqrt.opname, "LOAD_METHOD_MODULE");
        assert_eq!(
            meaning(sqrt, "type_version"),
            "keys version of module math's dict"
        );
        assert_eq!(value(sqrt, "dict_offset"), at);
        assert_eq!(
            meaning(sqrt, "dict_offset"),
            format!("entry {at} of module math's dict: sqrt")
        );
    } else {
        assert_eq!(sqrt.opname, "LOAD_ATTR_MODULE");
        assert_eq!(
            meaning(sqrt, "version"),
            "keys version of module math's dict"
        );
        assert_eq!(value(sqrt, "keys_version"), at);
        assert_eq!(
            meaning(sqrt, "keys_version"),
            format!("entry {at} of module math's dict: sqrt")
        );
    }
}

const GETTERS: &str = "\
class P:
    def __init__(self):
        self.v = 3
    @property
    def p(self):
        return self.v

class G:
    def __getattribute__(self, name):
        return 7

def read(p, g):
    return p.p + g.anything
";

#[test]
fn properties_and_getattribute_name_the_function_whose_version_is_kept() {
    let s = run(GETTERS, "read(P(), G())", 300);
    let p = op(&s, "read", "LOAD_ATTR", "p");
    let g = op(&s, "read", "LOAD_ATTR", "anything");
    if minor() == 11 {
        // 3.11 specializes neither.
        assert_eq!(p.status, Status::Adaptive);
        assert_eq!(g.status, Status::Adaptive);
        return;
    }
    assert_eq!(p.opname, "LOAD_ATTR_PROPERTY");
    assert_eq!(meaning(p, "version"), "type version of P");
    assert_eq!(meaning(p, "keys_version"), "function version of getter P.p");
    assert_eq!(meaning(p, "descr"), "getter of P.p (function)");

    assert_eq!(g.opname, "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN");
    assert_eq!(meaning(g, "version"), "type version of G");
    assert_eq!(
        meaning(g, "keys_version"),
        "function version of G.__getattribute__"
    );
    assert_eq!(meaning(g, "descr"), "G.__getattribute__ (function)");
}

const METHODS: &str = "\
class Plain:
    def m(self):
        return 1

class Error(Exception):
    def m(self):
        return 2

def call(o):
    return o.m()

def call_again(o):
    return o.m()

# Objects whose __dict__ exists.
p = Plain()
p.__dict__['q'] = 1
e = Error()
e.q = 1

def with_dicts():
    return call(p) + call_again(e)

print('dictoffset', Error.__dictoffset__)
print('pointer', tuple.__itemsize__)
";

#[test]
fn method_loads_name_the_keys_and_the_dict_they_check() {
    let s = run(METHODS, "call(Plain())", 300);
    let m = op(&s, "call", method_load(), "m");
    assert!(m.opname.ends_with("METHOD_WITH_VALUES"), "{}", m.opname);
    let version = if minor() == 11 {
        "type_version"
    } else {
        "version"
    };
    assert_eq!(meaning(m, version), "type version of Plain");
    assert_eq!(
        meaning(m, "keys_version"),
        "keys version of the shared keys of Plain instances"
    );
    assert_eq!(meaning(m, "descr"), "Plain.m (function)");

    // An exception keeps its __dict__ pointer at tp_dictoffset, NULL until
    // a dict is needed.
    let s = run(METHODS, "call(Error())", 300);
    let offset = printed(&s, "dictoffset");
    let pointer = printed(&s, "pointer");
    let m = op(&s, "call", method_load(), "m");
    match minor() {
        11 => assert_eq!(m.status, Status::Adaptive, "{}", m.opname),
        12 => {
            // 3.12 reads the offset from the class when it runs.
            assert_eq!(m.opname, "LOAD_ATTR_METHOD_LAZY_DICT");
            assert_eq!(meaning(m, "version"), "type version of Error");
            assert_eq!(value(m, "keys_version"), 0);
            assert_eq!(meaning(m, "descr"), "Error.m (function)");
        }
        _ => {
            // 3.13 caches it, plus three pointers, in the first unit of the
            // union with keys_version.
            assert_eq!(m.opname, "LOAD_ATTR_METHOD_LAZY_DICT");
            assert_eq!(meaning(m, "version"), "type version of Error");
            assert_eq!(value(m, "keys_version"), offset + 3 * pointer);
            assert_eq!(
                meaning(m, "keys_version"),
                format!(
                    "the __dict__ pointer, at byte offset {offset} (stored plus {})",
                    3 * pointer
                )
            );
            assert_eq!(meaning(m, "descr"), "Error.m (function)");
        }
    }

    if minor() == 11 {
        // Objects that have their dict: 3.11 checks the dict's keys, found
        // at the managed offset (three pointers before the object) or at
        // tp_dictoffset.
        let s = run(METHODS, "with_dicts()", 300);
        let managed = op(&s, "call", "LOAD_METHOD", "m");
        assert_eq!(managed.opname, "LOAD_METHOD_WITH_DICT");
        assert_eq!(value(managed, "dict_offset"), 0x10000 - 3 * pointer);
        assert_eq!(
            meaning(managed, "dict_offset"),
            format!(
                "the managed __dict__ pointer, at byte offset -{}",
                3 * pointer
            )
        );
        assert_eq!(
            meaning(managed, "keys_version"),
            "keys version of the __dict__ keys of Plain instances (m is not among them)"
        );
        assert_eq!(meaning(managed, "descr"), "Plain.m (function)");
        let own = op(&s, "call_again", "LOAD_METHOD", "m");
        assert_eq!(own.opname, "LOAD_METHOD_WITH_DICT");
        assert_eq!(value(own, "dict_offset"), offset);
        assert_eq!(
            meaning(own, "dict_offset"),
            format!("the __dict__ pointer, at byte offset {offset}")
        );
        assert_eq!(
            meaning(own, "keys_version"),
            "keys version of the __dict__ keys of Error instances (m is not among them)"
        );
    }
}

const CALLS: &str = "\
class Seq:
    def __getitem__(self, i):
        return i

class Box:
    def __init__(self, v):
        self.v = v
    def get(self):
        return self.v

def helper(a, b=2):
    return a + b

def calls(s, box, n):
    t = s[3] + helper(1) + helper(1, 2) + box.get()
    if n < 3:
        t += 1
    if box:
        t += 1
    return t
";

#[test]
fn call_and_subscript_forms_name_their_function() {
    let s = run(CALLS, "calls(Seq(), Box(1), 5)", 300);
    let getitem = first(&s, "calls", "BINARY_SUBSCR");
    assert_eq!(getitem.opname, "BINARY_SUBSCR_GETITEM");
    if minor() == 11 {
        // 3.11 keeps the class's and __getitem__'s versions inline; later
        // versions keep the function in the class.
        assert_eq!(meaning(getitem, "type_version"), "type version of Seq");
        assert_eq!(meaning(getitem, "func_version"), "function Seq.__getitem__");
    }
    let calls: Vec<&Instruction> = code(&s, "calls")
        .instructions
        .iter()
        .filter(|i| i.base_opname == "CALL" && i.status == Status::Specialized)
        .collect();
    let names: Vec<String> = calls.iter().map(|i| meaning(i, "func_version")).collect();
    assert_eq!(
        names,
        ["function helper", "function helper", "function Box.get"],
        "{:?}",
        calls.iter().map(|i| &i.opname).collect::<Vec<_>>()
    );
    if minor() == 11 {
        for call in &calls {
            assert_eq!(meaning(call, "min_args"), "1 parameter without a default");
        }
        // `n < 3` jumps over `t += 1` when it is false: n == 3 or n > 3.
        let compare = first(&s, "calls", "COMPARE_OP");
        assert_eq!(compare.opname, "COMPARE_OP_INT_JUMP");
        assert_eq!(
            meaning(compare, "mask"),
            "jump forward when left == right or left > right"
        );
    }
    if minor() >= 13 {
        let truth = first(&s, "calls", "TO_BOOL");
        assert_eq!(truth.opname, "TO_BOOL_ALWAYS_TRUE");
        assert_eq!(meaning(truth, "version"), "type version of Box");
    }
}

const RESPECIALIZED: &str = "\
class WithMethod:
    def f(self):
        return 1

class WithAttribute:
    def __init__(self):
        self.f = lambda: 2

def site(o):
    return o.f()
";

#[test]
fn fields_a_form_does_not_read_say_they_are_left_over() {
    // The site first caches WithMethod.f (type version, shared keys version,
    // descr), then misses until it re-specializes for an instance attribute,
    // which writes the type version and index only.
    let mut r = request(RESPECIALIZED, "site(WithMethod())", 100);
    r.then = Some("site(WithAttribute())".into());
    r.then_calls = 300;
    let s = collect(&r).expect("collection succeeds");
    let f = op(&s, "site", method_load(), "f");
    if minor() == 11 {
        // 3.11 cannot specialize the second shape and keeps the generic form.
        assert_eq!(f.status, Status::Adaptive, "{}", f.opname);
        assert!(
            meaning(f, "descr").starts_with("not read by LOAD_METHOD_ADAPTIVE"),
            "{}",
            meaning(f, "descr")
        );
        return;
    }
    assert_eq!(f.opname, "LOAD_ATTR_INSTANCE_VALUE");
    assert_eq!(meaning(f, "version"), "type version of WithAttribute");
    assert_eq!(
        meaning(f, "keys_version"),
        "index 0 of the instance's values: f"
    );
    assert_ne!(value(f, "descr"), 0, "WithMethod.f is still in the cache");
    assert_eq!(
        meaning(f, "descr"),
        "not read by LOAD_ATTR_INSTANCE_VALUE: left from an earlier specialization (or attempt)"
    );
}

/// A program that reaches most specialized forms of the linked version.
const MANY_FORMS: &str = "\
import math

class Point:
    LIMIT = 5
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def get(self):
        return self.y
    @classmethod
    def make(cls):
        return cls(1, 2)

class Slotted:
    __slots__ = ('b', 'a')
    KIND = 4
    def __init__(self):
        self.a = 1
        self.b = 2
    def total(self, extra=0):
        return self.a + extra

class P:
    def __init__(self):
        self.v = 3
    @property
    def p(self):
        return self.v

class G:
    def __getattribute__(self, name):
        return 7

class Loose:
    pass

class Error(Exception):
    def m(self):
        return 1

class Seq:
    def __getitem__(self, i):
        return i

class Child(Point):
    def __init__(self):
        super().__init__(3, 4)
    def get(self):
        return super().get()

def helper(a, b=2):
    return a + b

def gen():
    yield 1
    yield 2

def reads(pt, s, p, g, h, e, sq, mod):
    t = pt.y + s.a + p.p + g.anything + h.z + math.pi + e.m() + pt.get()
    t += Point.LIMIT + pt.LIMIT + len(math.sqrt(4) and 'ab') + sq[3]
    t += helper(1) + helper(1, 2) + (s.__class__ is Slotted) + mod.sqrt(1)
    t += Point.make().x + Child().get() + int(pt.x) + len(str(3)) + len(tuple([1]))
    if t < 3:
        t += 1
    if pt:
        t += 1
    if 3 in {1, 2} or 'a' in {'a': 1}:
        t += 1
    t += Point.get(pt) + s.KIND + s.total() + d.m() + e2.get()
    total = s.total
    t += total()
    return t

def loops(items):
    t = 0
    for x in items:
        t += x
        if x < 2:
            t += 1
    for x in range(3):
        t += x
    for x in (1, 2):
        t += x
    for x in gen():
        t += x
    a, b = items[0], items[1]
    c, d = (a, b)
    e, f, g = [1, 2, 3]
    items[0] = a
    d2 = {'k': 1}
    d2['k'] = 2
    t += d2['k'] + items[-1] + (1,)[0] + ord('ab'[0]) + isinstance(t, int)
    t += 1.5 * 2.0 - 0.5 + (3 * 4 - 2)
    s = 'a' + 'b'
    s += 'c'
    items.append(1)
    items.pop()
    return t

def writes(pt, s, h):
    pt.x = 5
    s.b = 6
    h.z = 7

pt = Point(1, 2); s = Slotted(); p = P(); g = G(); h = Loose()
h.__dict__ = {'w': 0, 'z': 1}
e = Error(); sq = Seq()
d = Error(); d.q = 1
e2 = Point(1, 2)
e2.__dict__['q'] = 1

def work():
    return reads(pt, s, p, g, h, e, sq, math), loops([1, 2, 3]), writes(pt, s, h)
";

fn nonzero_fields_without_meaning(s: &Snapshot) -> Vec<String> {
    let mut missing = Vec::new();
    for c in &s.code_objects {
        for i in c
            .instructions
            .iter()
            .filter(|i| i.status == Status::Specialized)
        {
            for cache in i.caches.iter().filter(|c| c.name != "counter") {
                if cache.value != 0 && cache.meaning.is_none() {
                    missing.push(format!(
                        "{} offset {} {} {}={}",
                        c.qualname, i.offset, i.opname, cache.name, cache.value
                    ));
                }
            }
        }
    }
    missing
}

#[test]
fn no_nonzero_field_of_a_specialized_instruction_goes_without_a_meaning() {
    let mut r = request(MANY_FORMS, "work()", 500);
    let s = collect(&r).expect("collection succeeds");
    assert!(s.run.exception.is_none(), "{:?}", s.run.exception);
    let specialized: Vec<&Instruction> = s
        .code_objects
        .iter()
        .flat_map(|c| &c.instructions)
        .filter(|i| i.status == Status::Specialized && i.caches.len() > 1)
        .collect();
    let forms: std::collections::BTreeSet<&str> =
        specialized.iter().map(|i| i.opname.as_str()).collect();
    let mut expected = vec![
        "LOAD_ATTR_INSTANCE_VALUE",
        "LOAD_ATTR_WITH_HINT",
        "LOAD_ATTR_SLOT",
        "LOAD_ATTR_MODULE",
        "STORE_ATTR_INSTANCE_VALUE",
        "STORE_ATTR_WITH_HINT",
        "STORE_ATTR_SLOT",
        "LOAD_GLOBAL_MODULE",
        "LOAD_GLOBAL_BUILTIN",
        "CALL_PY_EXACT_ARGS",
    ];
    expected.extend(match minor() {
        11 => &[
            "LOAD_METHOD_MODULE",
            "LOAD_METHOD_CLASS",
            "LOAD_METHOD_NO_DICT",
            "LOAD_METHOD_WITH_VALUES",
            "LOAD_METHOD_WITH_DICT",
            "BINARY_SUBSCR_GETITEM",
            "CALL_PY_WITH_DEFAULTS",
            "COMPARE_OP_INT_JUMP",
        ][..],
        12 => &[
            "LOAD_ATTR_CLASS",
            "LOAD_ATTR_PROPERTY",
            "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN",
            "LOAD_ATTR_METHOD_WITH_VALUES",
            "LOAD_ATTR_METHOD_NO_DICT",
            "LOAD_ATTR_METHOD_LAZY_DICT",
            "CALL_PY_WITH_DEFAULTS",
            "CALL_BOUND_METHOD_EXACT_ARGS",
        ][..],
        _ => &[
            "LOAD_ATTR_CLASS",
            "LOAD_ATTR_PROPERTY",
            "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN",
            "LOAD_ATTR_METHOD_WITH_VALUES",
            "LOAD_ATTR_METHOD_NO_DICT",
            "LOAD_ATTR_METHOD_LAZY_DICT",
            "LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES",
            "LOAD_ATTR_NONDESCRIPTOR_NO_DICT",
            "CALL_PY_GENERAL",
            "CALL_BOUND_METHOD_EXACT_ARGS",
            "CALL_BOUND_METHOD_GENERAL",
            "CALL_ALLOC_AND_ENTER_INIT",
            "TO_BOOL_ALWAYS_TRUE",
        ][..],
    });
    for form in expected {
        assert!(
            forms.contains(form),
            "the program reaches {form}: {forms:?}"
        );
    }
    let missing = nonzero_fields_without_meaning(&s);
    assert!(missing.is_empty(), "{missing:#?}");
    for i in &specialized {
        for cache in &i.caches {
            let text = cache.meaning.as_deref().unwrap_or_default();
            assert!(
                !text.starts_with("unresolved") && text != "a dict keys version",
                "{} {}: {text}",
                i.opname,
                cache.name
            );
        }
    }

    // The decoder built on `dis` asks the resolver the same questions and
    // gets the same answers.
    r.decoder = Decoder::Dis;
    let by_dis = collect(&r).expect("collection with dis succeeds");
    assert!(nonzero_fields_without_meaning(&by_dis).is_empty());
    for (a, b) in s.code_objects.iter().zip(&by_dis.code_objects) {
        assert_eq!(a.qualname, b.qualname);
        for (x, y) in a.instructions.iter().zip(&b.instructions) {
            if x.status != Status::Specialized || x.opname != y.opname {
                continue;
            }
            for (cx, cy) in x.caches.iter().zip(&y.caches).skip(1) {
                assert_eq!(
                    cx.meaning, cy.meaning,
                    "{} {} {}",
                    a.qualname, x.opname, cx.name
                );
            }
        }
    }
}

/// Classes and objects that record any attribute lookup made on them once
/// the warm-up is over, when only the collector looks at them.
const WATCHED: &str = "\
import sys

armed = False

def touch(what):
    if armed:
        with open(MARK, 'a') as f:
            f.write(what + '\\n')

class Meta(type):
    def __getattribute__(cls, name):
        touch('class attribute ' + name)
        return type.__getattribute__(cls, name)

class Sneaky:
    def __getattr__(self, name):
        touch('instance attribute ' + name)
        raise AttributeError(name)
    @property
    def __class__(self):
        touch('__class__')
        return Sneaky

class Shape(metaclass=Meta):
    extra = Sneaky()
    def __init__(self):
        self.x = 1
    def get(self):
        return self.x

sys.modules['not_a_module'] = Sneaky()
sneaky = Sneaky()

def work(s):
    global armed
    armed = False
    total = s.x + s.get()
    armed = True
    return total
";

#[test]
fn resolving_runs_no_code_of_the_objects_it_looks_at() {
    let mark = std::env::temp_dir().join(format!("specscope-meanings-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&mark);
    let program = format!("MARK = {:?}\n{WATCHED}", mark.to_str().unwrap());
    let s = run(&program, "work(Shape())", 300);
    assert!(s.run.exception.is_none(), "{:?}", s.run.exception);
    let get = op(&s, "work", method_load(), "get");
    assert!(get.opname.ends_with("METHOD_WITH_VALUES"), "{}", get.opname);
    assert_eq!(meaning(get, "descr"), "Shape.get (function)");
    let touched = std::fs::read_to_string(&mark).unwrap_or_default();
    let _ = std::fs::remove_file(&mark);
    assert!(
        touched.is_empty(),
        "the collector ran user code:\n{touched}"
    );
}
