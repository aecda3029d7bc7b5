//! Facts a person would check about what the adaptive interpreter did.

use crate::common::installed::collect;
use specscope::collect::request::{Request, Target};
use specscope::model::{CodeObject, CounterState, Instruction, Phase, Snapshot, Status};

fn run(code: &str, call: &str, calls: u64) -> Snapshot {
    let mut r = Request::new(Target::Code(code.to_string()));
    r.call = Some(call.to_string());
    r.calls = calls;
    collect(&r).expect("collection succeeds")
}

fn code<'a>(s: &'a Snapshot, qualname: &str) -> &'a CodeObject {
    s.code_objects
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"))
}

fn plus(c: &CodeObject) -> &Instruction {
    c.instructions
        .iter()
        .find(|i| i.base_opname == "BINARY_OP" && i.argrepr == "+")
        .expect("a + in the code")
}

#[test]
fn add_of_ints_specializes_and_its_counter_reads_as_documented() {
    let s = run(
        "def add(a, b):\n    return a + b\n\ndef never():\n    return 1\n",
        "add(1, 2)",
        20_000,
    );
    assert_eq!(s.warmup.calls_done, 20_000);
    let add = code(&s, "add");
    let op = plus(add);
    assert_eq!(op.opname, "BINARY_OP_ADD_INT");
    assert_eq!(op.status, Status::Specialized);
    let counter = op.counter.as_ref().expect("BINARY_OP has a counter");
    match s.python.version.minor {
        11 => {
            // A specialized 3.11 instruction counts misses down from 53.
            assert_eq!(
                (counter.raw, counter.value, counter.backoff),
                (53, 53, None)
            );
            assert_eq!(counter.state, CounterState::Misses);
        }
        _ => {
            // 3.12+: cooldown (value 52, backoff 0), raw 52 << 4 = 832.
            assert_eq!(
                (counter.raw, counter.value, counter.backoff),
                (832, 52, Some(0))
            );
            assert!(counter.meaning.contains("cooldown"), "{}", counter.meaning);
        }
    }
    assert!(add.ran);
    assert!(
        !code(&s, "never").ran,
        "a never-called function is reported as never run"
    );
}

#[test]
fn the_demo_warms_the_classic_families() {
    let s = collect(&Request::new(Target::Demo)).expect("demo runs");
    let all: Vec<&Instruction> = s
        .code_objects
        .iter()
        .flat_map(|c| &c.instructions)
        .collect();
    let has = |name: &str| all.iter().any(|i| i.opname == name);
    for name in [
        "BINARY_OP_ADD_INT",
        "BINARY_OP_ADD_FLOAT",
        "BINARY_OP_MULTIPLY_FLOAT",
        "LOAD_ATTR_SLOT",
        "LOAD_ATTR_MODULE",
        "STORE_ATTR_INSTANCE_VALUE",
        "LOAD_GLOBAL_MODULE",
        "LOAD_GLOBAL_BUILTIN",
        "UNPACK_SEQUENCE_TWO_TUPLE",
        "LOAD_ATTR_INSTANCE_VALUE",
        "STORE_SUBSCR_LIST_INT",
        "BINARY_SUBSCR_LIST_INT",
    ] {
        assert!(has(name), "the demo shows {name}");
    }
    let per_version: &[&str] = match s.python.version.minor {
        11 => &[
            "COMPARE_OP_INT_JUMP",
            "PRECALL_NO_KW_LEN",
            "PRECALL_NO_KW_ISINSTANCE",
            "PRECALL_NO_KW_LIST_APPEND",
        ],
        12 => &[
            "COMPARE_OP_INT",
            "CALL_NO_KW_LEN",
            "FOR_ITER_RANGE",
            "FOR_ITER_LIST",
            "FOR_ITER_GEN",
            "CALL_NO_KW_LIST_APPEND",
        ],
        _ => &[
            "COMPARE_OP_INT",
            "CALL_LEN",
            "FOR_ITER_GEN",
            "CALL_LIST_APPEND",
            "TO_BOOL_LIST",
            "CONTAINS_OP_SET",
        ],
    };
    for name in per_version {
        assert!(has(name), "the demo shows {name}");
    }
    // The polymorphic site fails to specialize and backs off.
    let poly = code(&s, "polymorphic");
    let op = plus(poly);
    assert_eq!(op.status, Status::Adaptive, "{}", op.opname);
    assert_eq!(
        op.counter.as_ref().map(|c| c.state),
        Some(CounterState::BackingOff)
    );
    assert!(!code(&s, "never_called").ran);
    assert_eq!(plus(code(&s, "add")).opname, "BINARY_OP_ADD_INT");
}

#[test]
fn cache_values_are_read_from_their_own_units() {
    // The type version in LOAD_ATTR's cache is the class's real version: the
    // --call prints it with _testcapi, in the same run. CPython 3.13.0's dis
    // prints another number there (it reads the first cache unit).
    let s = run(
        "import _testcapi\n\
         class Point:\n    def __init__(self, x):\n        self.x = x\n\
         def read(p):\n    return p.x\n",
        "(read(Point(1)), print(_testcapi.type_get_version(Point)))",
        100,
    );
    let load = code(&s, "read")
        .instructions
        .iter()
        .find(|i| i.base_opname == "LOAD_ATTR")
        .expect("read loads an attribute");
    assert_eq!(load.opname, "LOAD_ATTR_INSTANCE_VALUE");
    let version = load
        .caches
        .iter()
        .find(|c| c.name == "version")
        .unwrap()
        .value;
    let output: String = s
        .run
        .output
        .iter()
        .filter(|c| c.stream == specscope::model::Stream::Stdout)
        .map(|c| c.text.as_str())
        .collect();
    let printed: u64 = output.lines().last().unwrap().trim().parse().unwrap();
    assert_eq!(version, printed, "the cache holds the class's type version");
    assert!(version > 0);
}

fn cache_meaning(ins: &Instruction, field: &str) -> String {
    ins.caches
        .iter()
        .find(|c| c.name == field)
        .and_then(|c| c.meaning.clone())
        .unwrap_or_else(|| panic!("{} has a meaning for {field}", ins.opname))
}

#[test]
fn cache_values_name_what_they_refer_to() {
    let s = run(
        "class Point:\n    def __init__(self, x):\n        self.x = x\n    def get(self):\n        return self.x\n\
         \ndef helper(v):\n    return v\n\
         \ndef read(p):\n    return helper(p.x) + len([p.get()])\n",
        "read(Point(1))",
        200,
    );
    let read = code(&s, "read");
    let find = |pred: &dyn Fn(&Instruction) -> bool| {
        *read
            .instructions
            .iter()
            .filter(|i| pred(i))
            .collect::<Vec<_>>()
            .first()
            .expect("instruction present")
    };
    let attr_x = find(&|i| i.base_opname == "LOAD_ATTR" && i.argrepr == "x");
    assert_eq!(attr_x.opname, "LOAD_ATTR_INSTANCE_VALUE");
    assert_eq!(cache_meaning(attr_x, "version"), "type version of Point");

    let global_helper = find(&|i| i.base_opname == "LOAD_GLOBAL" && i.argrepr.contains("helper"));
    assert!(cache_meaning(global_helper, "index").ends_with("of the module's globals: helper"));
    assert_eq!(
        cache_meaning(global_helper, "module_keys_version"),
        "keys version of the globals of module __main__"
    );
    let global_len = find(&|i| i.base_opname == "LOAD_GLOBAL" && i.argrepr.contains("len"));
    assert!(cache_meaning(global_len, "index").ends_with("of builtins: len"));
    assert_eq!(
        cache_meaning(global_len, "builtin_keys_version"),
        "keys version of the builtins dict"
    );

    let call_helper = find(&|i| i.opname == "CALL_PY_EXACT_ARGS");
    assert_eq!(
        cache_meaning(call_helper, "func_version"),
        "function helper"
    );

    let method = find(&|i| i.opname.ends_with("METHOD_WITH_VALUES"));
    assert_eq!(cache_meaning(method, "descr"), "Point.get (function)");
}

#[test]
fn a_type_change_deoptimizes_and_the_timeline_shows_it() {
    let mut r = Request::new(Target::Code(
        "def add(a, b):\n    return a + b\n".to_string(),
    ));
    r.call = Some("add(1, 2)".into());
    r.calls = 1000;
    r.then = Some("add(1.5, 2.5)".into());
    r.then_calls = 1000;
    r.steps = vec![0, 1, 2, 8, 20, 52, 53, 54, 60, 1000];
    let s = collect(&r).expect("collection succeeds");
    assert_eq!(
        (s.warmup.calls_done, s.warmup.then_calls_done),
        (1000, 1000)
    );
    let history: Vec<(Phase, u64, String)> = s
        .timeline
        .iter()
        .map(|step| {
            let op = plus(code_in(&step.code_objects, "add"));
            (step.phase, step.calls, op.opname.clone())
        })
        .collect();
    let at = |phase: Phase, calls: u64| {
        history
            .iter()
            .find(|(p, c, _)| *p == phase && *c == calls)
            .map(|(_, _, op)| op.as_str())
            .unwrap_or_else(|| panic!("no step {phase:?} {calls}: {history:?}"))
    };
    assert_eq!(at(Phase::Call, 1000), "BINARY_OP_ADD_INT");
    assert_eq!(at(Phase::Then, 1000), "BINARY_OP_ADD_FLOAT");
    // Every float call misses the int guard; the counter counts them.
    let misses_left = |calls: u64| {
        let step = s
            .timeline
            .iter()
            .find(|st| st.phase == Phase::Then && st.calls == calls)
            .unwrap();
        plus(code_in(&step.code_objects, "add"))
            .counter
            .clone()
            .unwrap()
            .value
    };
    assert_eq!(at(Phase::Then, 20), "BINARY_OP_ADD_INT");
    assert!(misses_left(20) < misses_left(1), "{history:?}");
    if s.python.version.minor == 11 {
        // 3.11: 53 misses de-optimize to the adaptive form, which
        // specializes again on its next attempt.
        assert_eq!(at(Phase::Then, 53), "BINARY_OP_ADAPTIVE");
    } else {
        // 3.12+: when the cooldown runs out the instruction re-specializes
        // in place.
        assert_eq!(at(Phase::Then, 54), "BINARY_OP_ADD_FLOAT", "{history:?}");
    }
}

fn code_in<'a>(codes: &'a [CodeObject], qualname: &str) -> &'a CodeObject {
    codes.iter().find(|c| c.qualname == qualname).unwrap()
}
