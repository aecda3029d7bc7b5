//! Each label specscope prints about a counter or about execution, made to
//! happen on the linked interpreter: misses left, failed attempts, sites the
//! interpreter gave up on, code that ran once, code that never ran, and the
//! claims of the explanation texts.

use crate::common::installed::collect_here as collect;
use crate::common::specscope;
use specscope::collect::request::{Request, Target};
use specscope::model::{CodeObject, CounterState, Instruction, Snapshot, Status};

fn program(code: &str) -> Snapshot {
    collect(&Request::new(Target::Code(code.to_string()))).expect("collection succeeds")
}

fn code<'a>(s: &'a Snapshot, qualname: &str) -> &'a CodeObject {
    s.code_objects
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"))
}

fn site<'a>(c: &'a CodeObject, base: &str) -> &'a Instruction {
    c.instructions
        .iter()
        .find(|i| i.base_opname == base)
        .unwrap_or_else(|| panic!("no {base} in {}", c.qualname))
}

fn minor(s: &Snapshot) -> u8 {
    s.python.version.minor
}

#[test]
fn misses_left_names_the_same_miss_on_every_version() {
    // Specialize, then one miss: 52 misses are left on every version (3.11
    // counts 53 → 52; 3.12+ holds (51, 0) and acts on the miss after the
    // value reaches 0).
    let s = program(
        "def add(a, b):\n    return a + b\nfor _ in range(20):\n    add(1, 2)\nadd(1.5, 2)\n",
    );
    let op = site(code(&s, "add"), "BINARY_OP");
    assert_eq!(op.opname, "BINARY_OP_ADD_INT");
    let c = op.counter.as_ref().unwrap();
    assert_eq!(c.state, CounterState::Misses);
    assert_eq!(c.misses_left, Some(52), "{c:?}");
    assert!(c.meaning.contains("52nd miss from now"), "{}", c.meaning);
}

#[test]
fn the_last_miss_left_is_the_one_that_acts() {
    // Exactly misses_left misses after specializing: the last one changes
    // the instruction, and one fewer does not.
    let warm = "def add(a, b):\n    return a + b\nfor _ in range(20):\n    add(1, 2)\n";
    let before = program(warm);
    let left = site(code(&before, "add"), "BINARY_OP")
        .counter
        .as_ref()
        .unwrap()
        .misses_left
        .unwrap();
    assert_eq!(left, 53);
    let with = |n: u16| {
        let s = program(&format!(
            "{warm}for _ in range({n}):\n    add((1,), (2,))\n"
        ));
        site(code(&s, "add"), "BINARY_OP").opname.clone()
    };
    assert_eq!(with(left - 1), "BINARY_OP_ADD_INT");
    assert_ne!(with(left), "BINARY_OP_ADD_INT");
}

#[test]
fn failed_attempts_read_as_backing_off() {
    // int + float has no form: every attempt fails.
    let s = program("def poly(a, b):\n    return a + b\nfor _ in range(20):\n    poly(1, 2.0)\n");
    let op = site(code(&s, "poly"), "BINARY_OP");
    let c = op.counter.as_ref().unwrap();
    assert_eq!(c.state, CounterState::BackingOff, "{c:?}");
    assert!(c.backoff.unwrap() >= 2);
}

#[test]
fn sites_3_11_gave_up_on_have_their_own_state() {
    let s = program(
        "def mod(a, b):\n    return a % b\ndef less(a, b):\n    x = a < b\n    return x\n\
         for _ in range(20):\n    mod(5, 3)\n    less(1, 2)\n",
    );
    for (name, base) in [("mod", "BINARY_OP"), ("less", "COMPARE_OP")] {
        let op = site(code(&s, name), base);
        let c = op.counter.as_ref().unwrap();
        if minor(&s) == 11 {
            assert_eq!(op.opname, base, "3.11 put the plain opcode back");
            assert_eq!(c.state, CounterState::Unspecializable, "{c:?}");
            assert!(c.meaning.contains("never tries again"), "{}", c.meaning);
        } else {
            assert_ne!(c.state, CounterState::Unspecializable);
        }
    }
}

#[test]
fn a_de_optimized_3_11_site_restarts_at_backoff_5_and_says_it_is_ambiguous() {
    let s = program(
        "def add(a, b):\n    return a + b\nfor _ in range(20):\n    add(1, 2)\n\
         for _ in range(53):\n    add((1,), (2,))\n",
    );
    let op = site(code(&s, "add"), "BINARY_OP");
    let c = op.counter.as_ref().unwrap();
    if minor(&s) == 11 {
        assert_eq!((op.opname.as_str(), c.raw), ("BINARY_OP_ADAPTIVE", 501));
        assert_eq!(c.state, CounterState::BackoffOrRestart);
        assert!(c.meaning.contains("both look the same"), "{}", c.meaning);
    } else {
        assert_ne!(c.state, CounterState::BackoffOrRestart);
    }
}

#[test]
fn class_bodies_and_code_called_once_ran_and_uncalled_code_never_ran() {
    let s = program(
        "class Point:\n    def __init__(self):\n        self.x = 1\n\
         def once():\n    return 1\n\
         def never(a, b):\n    return a + b\n\
         once()\n",
    );
    assert!(code(&s, "Point").ran, "a class body that ran");
    assert!(code(&s, "once").ran, "a function called once");
    assert!(code(&s, "<module>").ran);
    let never = code(&s, "never");
    assert!(!never.ran, "a function never called");
    assert!(!code(&s, "Point.__init__").ran);
    // 3.12 writes superinstructions at creation: they are not
    // specializations and say nothing about running.
    assert_eq!(never.specialized_share().0, 0);
    if minor(&s) == 12 {
        assert!(
            never
                .instructions
                .iter()
                .any(|i| i.status == Status::Superinstruction),
            "3.12 combines the LOAD_FAST pair at creation"
        );
        // Watching a code object with a superinstruction would undo it, so
        // 3.12 cannot prove that one never ran.
        assert!(!never.ran_known);
    } else {
        assert!(never.ran_known);
    }
}

#[test]
fn watching_for_execution_leaves_the_bytecode_as_python_leaves_it() {
    // The same program under the plain interpreter and under specscope:
    // every live opname of its functions is the same.
    let workload = "import json, re, textwrap\n\
        class P:\n    def __init__(self, x):\n        self.x = x\n    def get(self):\n        return self.x\n\
        def work(n):\n    total = 0\n    for i in range(n):\n        p = P(i)\n        total += p.get()\n        s = json.dumps({'a': i})\n        re.match(r'a+', 'aaa')\n    return total\n\
        def idle(a, b):\n    c = a\n    return c + b\n\
        class Empty:\n    pass\n\
        work(100)\n";
    let s = program(workload);
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "{workload}\nimport dis\nnames = dis._all_opname if hasattr(dis, '_all_opname') else dis.opname\n\
         caches = (lambda op: dis._get_cache_size(names[op])) if hasattr(dis, '_get_cache_size') else (lambda op: dis._inline_cache_entries[op])\n\
         def live(c):\n    b = c._co_code_adaptive\n    out, i = [], 0\n    while i < len(b):\n        op = b[i]\n        out.append(names[op])\n        i += 2 * (1 + caches(dis._deoptop(op)))\n    return out\n\
         for f in (work, idle, P.__init__, P.get):\n    print(f.__qualname__, ' '.join(live(f.__code__)))\n"
    );
    let out = std::process::Command::new(&python)
        .args(["-c", &script])
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("the plain interpreter runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut compared = 0;
    for line in text.lines() {
        let (qualname, opnames) = line.split_once(' ').unwrap();
        let ours: Vec<&str> = code(&s, qualname)
            .instructions
            .iter()
            .map(|i| i.opname.as_str())
            .collect();
        assert_eq!(ours.join(" "), opnames, "{qualname}");
        compared += 1;
    }
    assert_eq!(compared, 4);
}

#[test]
fn the_texts_claims_hold_on_this_python() {
    let out = specscope().args(["explain", "--check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let totals = text
        .lines()
        .find(|l| l.starts_with("Causes:"))
        .expect("a totals line");
    let number = |after: &str| -> usize {
        let rest = &totals[totals.find(after).unwrap() + after.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let stated = number("Causes:");
    let proven = number("stated,");
    assert!(stated >= 100, "{totals}");
    assert!(proven * 10 >= stated * 9, "{totals}");
    assert!(totals.contains(" 0 contradicted"), "{totals}");
}

#[test]
fn a_demo_shows_the_53rd_miss_acting() {
    let out = specscope()
        .args(["explain", "BINARY_OP_ADD_INT", "--demo", "--cause", "float"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("The site became BINARY_OP_ADD_INT"), "{text}");
    assert!(text.contains("Miss 53 changed the site to"), "{text}");
    assert!(text.contains("misses left 1"), "{text}");
}

#[test]
fn a_demo_of_a_name_that_is_no_form_suggests_forms() {
    specscope()
        .args(["explain", "BINARY_OP_ADD", "--demo"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("BINARY_OP_ADD_INT"));
}

#[test]
fn a_timeline_tells_a_restart_from_five_failures() {
    let mut r = Request::new(Target::Code(
        "def add(a, b):\n    return a + b\n".to_string(),
    ));
    r.call = Some("add(1, 2)".into());
    r.calls = 20;
    r.steps = vec![10, 20];
    r.then = Some("add((1,), (2,))".into());
    r.then_calls = 53;
    let s = collect(&r).expect("collection succeeds");
    let op = site(code(&s, "add"), "BINARY_OP");
    let c = op.counter.as_ref().unwrap();
    if minor(&s) == 11 {
        assert_eq!((op.opname.as_str(), c.raw), ("BINARY_OP_ADAPTIVE", 501));
        assert_eq!(c.state, CounterState::Warming, "{c:?}");
        assert!(c.meaning.contains("restarted at (31, 5)"), "{}", c.meaning);
    }
    // Five failures in a row, seen step by step.
    let mut r = Request::new(Target::Code(
        "def poly(a, b):\n    return a + b\n".to_string(),
    ));
    r.call = Some("poly(1, 2.0)".into());
    r.steps = (1..=40).collect();
    r.calls = 40;
    let s = collect(&r).expect("collection succeeds");
    if minor(&s) == 11 {
        let at_5 = s
            .timeline
            .iter()
            .flat_map(|step| &step.code_objects)
            .filter(|c| c.qualname == "poly")
            .map(|c| site(c, "BINARY_OP").counter.clone().unwrap())
            .find(|c| c.backoff == Some(5))
            .expect("the backoff reaches 5 within 40 calls");
        assert_eq!(at_5.state, CounterState::BackingOff, "{at_5:?}");
        assert!(
            at_5.meaning.contains("five failed attempts"),
            "{}",
            at_5.meaning
        );
    }
}

#[test]
fn a_demo_says_when_the_53rd_miss_specializes_the_same_form_anew() {
    // Misses by instances of another class: on 3.12+ the 53rd re-specializes
    // the site, for that class, into the same form; 3.11 de-optimizes it.
    let out = specscope()
        .args(["explain", "LOAD_ATTR_INSTANCE_VALUE", "--demo"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    if specscope::collect::python::linked_version().minor == 11 {
        assert!(
            text.contains("Miss 53 changed the site to LOAD_ATTR_ADAPTIVE."),
            "{text}"
        );
        assert!(text.contains("restarted after de-optimization"), "{text}");
    } else {
        assert!(
            text.contains("Miss 53 changed the site to LOAD_ATTR_INSTANCE_VALUE again"),
            "{text}"
        );
    }
    assert!(!text.contains("absorbed"), "{text}");
}
