//! `--why`: what reached each failing site while the warm-up ran again, and
//! the reason in words, checked against the `SPEC_FAIL_*` kind that
//! `Python/specialize.c` of the linked version records for each case (or
//! that the case specializes in that version after all).

use serde_json::Value;

use crate::common::{minor, program_output, specscope, write};

/// One function per case, each called once by `main()`.
const CASES: &str = r#"
import types

class Proxy:
    def __init__(self, target):
        self._target = target
    def __getattr__(self, name):
        return getattr(self._target, name)

class A:
    @property
    def size(self):
        return 1

class B:
    @property
    def size(self):
        return 2

class C:
    @property
    def size(self):
        return 3

class Logged:
    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)

class Config(dict):
    pass

class Countdown:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.n == 0:
            raise StopIteration
        self.n -= 1
        return self.n

class Namespace(dict):
    pass

class Box:
    LIMIT = 10
    def method(self):
        return 1

def limit(b):
    return b.LIMIT

def unbound(b):
    return b.method

def last(xs):
    return xs[-1]

def add(a, b):
    return a + b

def read(p):
    return p.real

def size(o):
    return o.size

def variadic(*args, **kwargs):
    return len(args)

def call_variadic(x):
    return variadic(x, x)

def keywords(**kwargs):
    return kwargs

def call_keywords(x):
    return keywords(a=x)

def call_wrapper(f):
    return f(2)

def less(a, b):
    if a < b:
        return 1
    return 0

def total(it):
    s = 0
    for x in it:
        s += x
    return s

def store(o, v):
    o.x = v

def lookup(c):
    return c["k"]

def _in_space():
    return len

in_space = types.FunctionType(_in_space.__code__, Namespace(len=len))
objs = [A(), B(), C()]
cfg = Config(k=1)
wrapper = (1).__add__
proxy = Proxy(3)
box = Box()
count = 0

def main():
    global count
    count += 1
    add(count, 0.5)
    read(proxy)
    size(objs[count % 3])
    call_variadic(count)
    call_keywords(count)
    call_wrapper(wrapper)
    less(count, 2.5)
    total(Countdown(3))
    store(Logged(), count)
    lookup(cfg)
    in_space()
    limit(box)
    unbound(box)
    last(objs)

print("ran once")
"#;

fn dump_json(extra: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "cases.py", CASES);
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "--format", "json", "--call", "main()", "-n", "2000"])
        .args(extra)
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The first instruction of `function` whose base opname is `base`.
fn site<'a>(doc: &'a Value, function: &str, base: &str) -> &'a Value {
    let code = doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["qualname"] == function)
        .unwrap_or_else(|| panic!("no code object {function}"));
    code["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["base_opname"] == base)
        .unwrap_or_else(|| panic!("no {base} in {function}"))
}

/// The site's `SPEC_FAIL_*` kind and reason, asserting it failed and was
/// observed.
fn failure(doc: &Value, function: &str, base: &str) -> (Option<String>, String) {
    let ins = site(doc, function, base);
    let evidence = &ins["evidence"];
    assert!(
        evidence.is_object(),
        "{function} {base} has no evidence: {ins:#}"
    );
    assert_eq!(ins["status"], "adaptive", "{ins:#}");
    assert!(evidence["seen"].as_u64().unwrap() > 0, "{ins:#}");
    (
        evidence["fail_kind"].as_str().map(str::to_string),
        evidence["reason"].as_str().unwrap().to_string(),
    )
}

/// The kinds of the most frequent observation at a site.
fn first_kinds(doc: &Value, function: &str, base: &str) -> Vec<String> {
    site(doc, function, base)["evidence"]["observed"][0]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

fn specialized(doc: &Value, function: &str, base: &str) -> bool {
    site(doc, function, base)["status"] == "specialized"
}

#[test]
fn each_case_gets_the_kind_specialize_c_records_in_this_version() {
    let (doc, _) = dump_json(&["--why"]);
    let v = minor();

    // int + float: the same kind in every version.
    let (kind, reason) = failure(&doc, "add", "BINARY_OP");
    assert_eq!(
        kind.as_deref(),
        Some("SPEC_FAIL_BINARY_OP_ADD_DIFFERENT_TYPES")
    );
    assert!(reason.contains("int + float"), "{reason}");
    assert_eq!(first_kinds(&doc, "add", "BINARY_OP"), ["int", "float"]);
    let add = &site(&doc, "add", "BINARY_OP")["evidence"];
    assert_eq!(
        add["observed"][0]["count"], add["seen"],
        "all of them: {add}"
    );
    assert!(
        add["seen"].as_u64().unwrap() <= 2000,
        "at most 2,000: {add}"
    );

    // A class with __getattr__, reading an attribute it does not have.
    let (kind, reason) = failure(&doc, "read", "LOAD_ATTR");
    assert_eq!(first_kinds(&doc, "read", "LOAD_ATTR"), ["Proxy", "missing"]);
    if v == 11 {
        // 3.11: tp_getattro is not the generic one: GETSET_OVERRIDDEN.
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_OVERRIDDEN"));
        assert!(reason.contains("defines __getattr__"), "{reason}");
    } else {
        // 3.12+: ABSENT, and specialize_dict_access finds no index.
        assert_eq!(kind, None);
        assert!(reason.contains("SPEC_FAIL_ATTR_NOT_IN_KEYS"), "{reason}");
    }

    // A function that takes *args and **kwargs, called positionally.
    match v {
        11 => assert_eq!(
            failure(&doc, "call_variadic", "CALL").0.as_deref(),
            Some("SPEC_FAIL_CALL_COMPLEX_PARAMETERS")
        ),
        12 => assert_eq!(
            failure(&doc, "call_variadic", "CALL").0.as_deref(),
            Some("SPEC_FAIL_CODE_COMPLEX_PARAMETERS")
        ),
        // 3.13: CALL_PY_GENERAL takes any Python function.
        _ => assert!(specialized(&doc, "call_variadic", "CALL")),
    }
    // Keyword arguments to a Python function.
    if v <= 12 {
        let (kind, reason) = failure(&doc, "call_keywords", "CALL");
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_KWNAMES"));
        assert!(reason.contains("keyword arguments"), "{reason}");
    } else {
        // 3.13: such a call is CALL_KW, which has no inline cache.
        assert_eq!(site(&doc, "call_keywords", "CALL_KW")["status"], "no_cache");
    }

    // A bound method of a C type (method-wrapper).
    let wrapper_site = if v == 11 { "PRECALL" } else { "CALL" };
    if v <= 12 {
        let (kind, reason) = failure(&doc, "call_wrapper", wrapper_site);
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_METHOD_WRAPPER"));
        assert!(reason.contains("method-wrapper"), "{reason}");
    } else {
        // 3.13: CALL_NON_PY_GENERAL.
        assert!(specialized(&doc, "call_wrapper", "CALL"));
    }

    // int < float before a conditional jump.
    let (kind, _) = failure(&doc, "less", "COMPARE_OP");
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_COMPARE_OP_LONG_FLOAT"));
    assert_eq!(first_kinds(&doc, "less", "COMPARE_OP"), ["int", "float"]);

    // A custom iterator in `for`.
    if v == 11 {
        // FOR_ITER has no inline cache before 3.12.
        assert_eq!(site(&doc, "total", "FOR_ITER")["status"], "no_cache");
    } else {
        let (kind, reason) = failure(&doc, "total", "FOR_ITER");
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_OTHER"));
        assert!(reason.contains("Countdown"), "{reason}");
    }

    // __setattr__ on STORE_ATTR.
    let (kind, reason) = failure(&doc, "store", "STORE_ATTR");
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_OVERRIDDEN"));
    assert!(reason.contains("__setattr__"), "{reason}");

    // A dict subclass in subscription: binary_subscr_fail_kind says OTHER.
    let (kind, reason) = failure(&doc, "lookup", "BINARY_SUBSCR");
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_OTHER"));
    assert!(reason.contains("subclass of dict"), "{reason}");
    assert_eq!(
        first_kinds(&doc, "lookup", "BINARY_SUBSCR"),
        ["Config", "str"]
    );

    // LOAD_GLOBAL with globals that are a dict subclass.
    let (kind, reason) = failure(&doc, "_in_space", "LOAD_GLOBAL");
    if v == 11 {
        assert_eq!(kind, None);
        assert!(reason.contains("without recording a kind"), "{reason}");
    } else {
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_LOAD_GLOBAL_NON_DICT"));
    }
    assert!(reason.contains("Namespace"), "{reason}");

    // A method read without a call: every version records ATTR_METHOD.
    let (kind, _) = failure(&doc, "unbound", "LOAD_ATTR");
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_ATTR_METHOD"));

    // A negative index: 3.12+ checks it when it specializes; 3.11's
    // specialized form checks it at run time and misses.
    if v == 11 {
        // Specialized or restarted, by turns: --why-all watches it either way.
        let (all, _) = dump_json(&["--why-all"]);
        let evidence = &site(&all, "last", "BINARY_SUBSCR")["evidence"];
        assert_eq!(evidence["fail_kind"], Value::Null);
        let reason = evidence["reason"].as_str().unwrap();
        assert!(reason.contains("guard misses"), "{reason}");
    } else {
        let (kind, _) = failure(&doc, "last", "BINARY_SUBSCR");
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_OUT_OF_RANGE"));
    }

    // A plain class value read through an instance.
    match v {
        12 => assert_eq!(
            failure(&doc, "limit", "LOAD_ATTR").0.as_deref(),
            Some("SPEC_FAIL_ATTR_CLASS_ATTR_SIMPLE")
        ),
        // 3.13: LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES.
        13 => assert!(specialized(&doc, "limit", "LOAD_ATTR")),
        // 3.11 looks for it in the instance: which kind it records there
        // is not told apart, and the reason says so.
        _ => assert!(
            failure(&doc, "limit", "LOAD_ATTR").1.starts_with("unknown"),
            "{doc}"
        ),
    }
}

#[test]
fn a_property_read_through_three_classes() {
    let (doc, _) = dump_json(&["--why-all"]);
    let evidence = &site(&doc, "size", "LOAD_ATTR")["evidence"];
    let classes: Vec<&str> = evidence["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kinds"][0].as_str().unwrap())
        .collect();
    assert_eq!(classes.len(), 3, "{evidence:#}");
    for class in ["A", "B", "C"] {
        assert!(classes.contains(&class), "{evidence:#}");
    }
    let reason = evidence["reason"].as_str().unwrap();
    if minor() == 11 {
        // 3.11 has no form for properties.
        assert_eq!(evidence["fail_kind"], "SPEC_FAIL_ATTR_PROPERTY");
    } else {
        // LOAD_ATTR_PROPERTY holds one class at a time.
        assert_eq!(evidence["fail_kind"], Value::Null);
        assert!(reason.starts_with("polymorphic: 3 kinds"), "{reason}");
    }
}

#[test]
fn without_why_all_only_failing_sites_carry_evidence() {
    let (doc, _) = dump_json(&["--why"]);
    for code in doc["code_objects"].as_array().unwrap() {
        for ins in code["instructions"].as_array().unwrap() {
            if ins["evidence"].is_object() {
                assert_eq!(ins["status"], "adaptive", "{ins:#}");
            }
        }
    }
    let (all, _) = dump_json(&["--why-all"]);
    // add's LOAD_FASTs have no cache; its RESUME (3.11, 3.13) or nothing else.
    assert!(
        all["code_objects"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["instructions"].as_array().unwrap())
            .any(|i| i["status"] == "specialized" && i["evidence"].is_object()),
        "--why-all observes specialized sites too"
    );
    assert_eq!(all["why"]["scope"], "all");
    assert_eq!(doc["why"]["scope"], "failing");
    assert_eq!(doc["why"]["again"], "call");
    assert!(
        doc["why"]["ended"]
            .as_str()
            .unwrap()
            .starts_with("completed"),
        "{}",
        doc["why"]
    );
}

/// The live instructions of every code object: opname and raw counter.
fn live(doc: &Value) -> Vec<(String, String, Value)> {
    doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["instructions"].as_array().unwrap().iter().map(|i| {
                (
                    c["qualname"].as_str().unwrap().to_string(),
                    i["opname"].as_str().unwrap().to_string(),
                    i["counter"]["raw"].clone(),
                )
            })
        })
        .collect()
}

#[test]
fn the_snapshot_shown_is_the_one_taken_before_observing() {
    let (plain, plain_err) = dump_json(&["--sample-interval", "0"]);
    let (why, why_err) = dump_json(&["--sample-interval", "0", "--why"]);
    assert_eq!(live(&plain), live(&why));
    // The program's output is that of its first run only.
    assert_eq!(program_output(&plain_err), program_output(&why_err));
    assert_eq!(program_output(&why_err).matches("ran once").count(), 1);
}

#[test]
fn without_call_the_program_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    // Watching lasts as long as the first run took, and 0.1 s more: the
    // sleep after the loop leaves the watched loop of the second run room
    // on a busy machine (where a pause of 0.1 s cut it short at 1,299).
    let script = write(
        dir.path(),
        "prog.py",
        "import time\n\
         def add(a, b):\n    return a + b\n\n\
         for i in range(3000):\n    add(i, 0.5)\n\
         time.sleep(0.3)\n",
    );
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "--why"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let why = text
        .lines()
        .find(|l| l.trim_start().starts_with("why: "))
        .unwrap_or_else(|| panic!("a reason line:\n{text}"));
    assert!(
        why.contains("operands of different types (int + float)"),
        "{why}"
    );
    assert!(
        why.contains("SPEC_FAIL_BINARY_OP_ADD_DIFFERENT_TYPES"),
        "{why}"
    );
    assert!(why.contains("int + float 2,000×"), "{why}");
}

/// The polymorphism lesson, observed with --why, as the explorer gets it.
fn polymorphism_lesson() -> specscope::model::Snapshot {
    use clap::Parser;
    let cli = specscope::cli::Cli::try_parse_from(["specscope", "--example", "polymorphism"])
        .expect("the lesson's options parse");
    let request = cli.target.request().expect("the lesson exists");
    assert_eq!(
        request.why,
        Some(specscope::model::WhyScope::Failing),
        "the lesson's Try: line asks for --why"
    );
    let snapshot = crate::common::installed::collect_here(&request).expect("the lesson collects");
    specscope::present::why::explained(snapshot)
}

#[test]
fn the_explorer_detail_pane_and_summary_say_why() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use specscope::views::tui::{App, Theme, draw_frame};
    let snapshot = polymorphism_lesson();
    let code = snapshot
        .code_objects
        .iter()
        .position(|c| c.qualname == "double")
        .unwrap();
    let at = snapshot.code_objects[code]
        .instructions
        .iter()
        .position(|i| i.base_opname == "BINARY_OP")
        .unwrap();
    let text = |app: &App| {
        let buf = draw_frame(app, 160, 60);
        let area = buf.area;
        (area.y..area.bottom())
            .map(|y| {
                (area.x..area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let steps = snapshot.timeline.len();
    let mut app = App::new(snapshot, Theme::mono());
    // The explorer opens on the first step; the evidence is of the last,
    // the state the warm-up ended in.
    for _ in 1..steps {
        app.handle_key(KeyEvent::new(KeyCode::Char(']'), KeyModifiers::NONE));
    }
    app.open_code(code, at);
    let screen = text(&app);
    assert!(
        screen.contains("why: tuple + tuple, list + list and bytes + bytes"),
        "{screen}"
    );
    assert!(screen.contains("SPEC_FAIL_BINARY_OP_ADD_OTHER"), "{screen}");
    assert!(screen.contains("seen: tuple + tuple 50×"), "{screen}");
    app.handle_key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::NONE));
    let summary = text(&app);
    assert!(
        summary.contains("return item + item  · why: tuple + tuple"),
        "{summary}"
    );
}

#[test]
fn the_handout_says_why_under_each_site_to_look_at() {
    let out = specscope()
        .args(["dump", "--format", "html", "--example", "polymorphism"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = String::from_utf8(out.stdout).unwrap();
    let look = &page[page.find("<ol class=look>").expect("sites to look at")..];
    let look = &look[..look.find("</ol>").unwrap()];
    assert!(
        look.contains("<span class=why>why: tuple + tuple, list + list and bytes + bytes"),
        "{look}"
    );
    // In the stretch's title and in the bytecode table too.
    assert!(page.contains("— why: tuple + tuple"), "a stretch's title");
    assert!(
        page.contains("<td colspan=5 class=why>why: "),
        "the bytecode table"
    );
}

#[test]
fn the_unspecializable_lesson_names_the_mutable_descriptor_class() {
    let out = specscope()
        .args(["dump", "--example", "unspecializable", "-f", "read"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let why = text
        .lines()
        .find(|l| l.trim_start().starts_with("why: "))
        .unwrap_or_else(|| panic!("a reason line:\n{text}"));
    // analyze_descriptor: the descriptor's class is not immutable (MUTABLE).
    assert!(why.contains("SPEC_FAIL_ATTR_MUTABLE_CLASS"), "{why}");
    assert!(why.contains("a Celsius"), "{why}");
}

/// A warm-up of about a second and a half, and its failing `+`; it sleeps
/// most of that time, which leaves the cores to the other tests.
const SLOW: &str = "\
import time

def add(a, b):
    return a + b

def work():
    t = 0
    end = time.perf_counter() + 1.5
    while time.perf_counter() < end:
        t = add(1, 0.5)
        time.sleep(0.001)
    return t
";

#[test]
fn a_progress_line_on_a_terminal_only_while_observing_lasts() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "slow.py", SLOW);
    let bin = assert_cmd::cargo::cargo_bin("specscope");
    let command = format!(
        "{} dump {} --call 'work()' -n 1 --why -f add > /dev/null",
        bin.display(),
        script
    );
    // The same run on a pipe, at the same time.
    let (out, piped) = std::thread::scope(|scope| {
        let piped = scope.spawn(|| {
            specscope()
                .current_dir(dir.path())
                .args(["dump", "--call", "work()", "-n", "1", "--why", "-f", "add"])
                .arg(&script)
                .output()
                .unwrap()
        });
        // `script` gives the command a terminal and copies what it shows.
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .output()
            .expect("script(1) runs");
        (out, piped.join().unwrap())
    });
    assert!(out.status.success(), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("specscope --why: running the warm-up again, watching 1 site · 1."),
        "{shown:?}"
    );
    // Cleared at the end.
    assert!(
        shown.trim_end_matches(['\r', '\n']).ends_with("\r\x1b[K"),
        "{shown:?}"
    );
    // Not on a pipe.
    assert_eq!(piped.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("specscope --why:"));
}

#[test]
fn a_second_run_that_will_not_stop_keeps_what_was_observed() {
    // The 51st call never returns and swallows every exception, --timeout's
    // included: the watchdog ends it.
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "hang.py",
        "n = 0\n\
         def add(a, b):\n    return a + b\n\
         def work():\n    global n\n    n += 1\n    for i in range(200):\n        add(i, 0.5)\n\
         \x20   if n > 50:\n        while True:\n            try:\n                while True:\n                    pass\n\
         \x20           except BaseException:\n                pass\n",
    );
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "--format", "json", "--call", "work()", "-n", "50"])
        .args(["--why", "--timeout", "1", "-f", "add"])
        .arg(&script)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(doc["why"]["ended"], "stopped: timeout", "{}", doc["why"]);
    // The snapshot is the first run's, which ended well.
    assert_eq!(doc["run"]["stopped"], Value::Null);
    let (kind, _) = failure(&doc, "add", "BINARY_OP");
    assert_eq!(
        kind.as_deref(),
        Some("SPEC_FAIL_BINARY_OP_ADD_DIFFERENT_TYPES")
    );
}

#[test]
fn no_tool_id_left_means_no_second_run() {
    if minor() < 12 {
        return; // sys.monitoring is 3.12's
    }
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "greedy.py",
        "import sys\n\
         for tool in range(6):\n    if sys.monitoring.get_tool(tool) is None:\n        sys.monitoring.use_tool_id(tool, 'mine')\n\
         def add(a, b):\n    return a + b\n\
         for i in range(3000):\n    add(i, 0.5)\n\
         print('ran')\n",
    );
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "--format", "json", "--why", "-f", "add"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ended = doc["why"]["ended"].as_str().unwrap();
    if minor() == 12 {
        // specscope's own watcher of which code ran held tool 4 during the
        // first run and gave it back: --why watches with it.
        assert_eq!(ended, "completed");
    } else {
        assert_eq!(
            ended,
            "could not watch: RuntimeError: every sys.monitoring tool id is taken"
        );
        // The program did not run again.
        assert_eq!(program_output(&out.stderr).matches("ran").count(), 1);
    }
}

/// Runs the warm-up of `add` once; when run a second time in the same
/// interpreter (as --why does), it aborts the interpreter.
const ABORTS_THE_SECOND_TIME: &str = "\
import builtins, os

def add(a, b):
    return a + b

for i in range(100):
    add(i, 0.5)
print('second run' if getattr(builtins, 'ran_once', False) else 'first run')
if getattr(builtins, 'ran_once', False):
    os.abort()
builtins.ran_once = True
";

#[test]
fn a_crash_in_the_second_run_still_prints_the_snapshot_taken_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "aborts.py", ABORTS_THE_SECOND_TIME);
    let out = specscope()
        .args(["dump", "--why", "-f", "add", "--format", "json"])
        .arg(&script)
        .output()
        .unwrap();
    // The crash decides the exit code; the snapshot is there all the same.
    assert_eq!(out.status.code(), Some(14), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SIGABRT"), "{stderr}");
    let note = stderr
        .find("that run crashed; what follows is the snapshot taken before it")
        .unwrap_or_else(|| panic!("no note in:\n{stderr}"));
    // After the crash report, the first run's output as a dump reports it.
    assert_eq!(program_output(&stderr[note..]), "first run\n", "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the dump is whole JSON");
    let add = &doc["code_objects"][0];
    assert_eq!(add["qualname"], "add");
    let binary_op = add["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["base_opname"] == "BINARY_OP")
        .expect("add's BINARY_OP");
    // int + float: not specialized.
    assert_eq!(binary_op["status"], "adaptive", "{binary_op:#}");
    assert!(
        doc.get("why").is_none_or(Value::is_null),
        "no evidence: {doc}"
    );

    // The table too.
    let out = specscope()
        .args(["dump", "--why", "-f", "add"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(14));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("add (function, "), "{table}");
    assert!(!table.contains("why:"), "{table}");
}

/// Opens the explorer with `--why` on `script` in a terminal (`script(1)`
/// gives it one), with `keys` waiting on its input and a TMPDIR of its own
/// in `dir`: the outcome, and that folder.
fn explore_with_why(
    dir: &std::path::Path,
    script: &str,
    keys: &str,
) -> (std::process::Output, std::path::PathBuf) {
    let command = format!(
        "'{}' --why '{}'",
        crate::common::installed::program().display(),
        script
    );
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("printf '{keys}' | script -qec \"{command}\" /dev/null"),
        ])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("TMPDIR", &tmp)
        .output()
        .expect("script(1) runs");
    (out, tmp)
}

#[test]
fn a_crash_in_the_second_run_leaves_the_explorer_s_snapshot_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "aborts.py", ABORTS_THE_SECOND_TIME);
    let (out, tmp) = explore_with_why(dir.path(), &script, "");
    assert_eq!(out.status.code(), Some(14), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let at = shown
        .find("specscope --load ")
        .unwrap_or_else(|| panic!("no file named in:\n{shown}"));
    let path: String = shown[at + "specscope --load ".len()..]
        .chars()
        .take_while(|c| *c != '`')
        .collect();
    assert!(
        path.starts_with(tmp.to_str().unwrap()) && path.ends_with("-before-why.json"),
        "{path}"
    );
    let loaded = specscope()
        .args(["dump", "--format", "json", "--load", &path])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded.status.code(), Some(0), "{loaded:?}");
    let doc: Value = serde_json::from_slice(&loaded.stdout).unwrap();
    let names: Vec<&str> = doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"add"), "{names:?}");
}

#[test]
fn without_a_crash_the_explorer_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "fine.py",
        "def add(a, b):\n    return a + b\nfor i in range(100):\n    add(i, 0.5)\n",
    );
    // The explorer opens and `q` (already waiting on its input) closes it.
    let (out, tmp) = explore_with_why(dir.path(), &script, "q");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout);
    // It took the screen (and quit at the `q` waiting for it).
    assert!(
        shown.contains("\x1b[?1049h"),
        "the explorer opened: {shown:?}"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `specscope dump --format json --why-all` of `source` (saved as `name`),
/// its selection narrowed to `functions`: the snapshot and what the program
/// printed.
fn why_all(name: &str, source: &str, functions: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), name, source);
    let mut command = specscope();
    command.args(["dump", "--format", "json", "--why-all"]);
    for function in functions {
        command.args(["-f", function]);
    }
    let out = command.arg(&script).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        program_output(&out.stderr),
    )
}

/// Calls of C callables, and each callable's `METH_*` flags as the program
/// reads them itself with ctypes (from the `PyMethodDef` its object points
/// to), to check the flags `--why` names against.
const C_CALLS: &str = r#"
import ctypes

def descriptor_flags(descr):
    # PyMethodDescrObject: the object header, d_type, d_name, d_qualname,
    # then d_method; PyMethodDef: ml_name, ml_meth, then ml_flags.
    method_def = ctypes.c_void_p.from_address(id(descr) + 40).value
    return ctypes.c_int.from_address(method_def + 16).value

def builtin_flags(function):
    # PyCFunctionObject: the object header, then m_ml.
    method_def = ctypes.c_void_p.from_address(id(function) + 16).value
    return ctypes.c_int.from_address(method_def + 16).value

def starts(s, p):
    return s.startswith(p)

def lower(s):
    return s.lower()

def largest(a, b):
    return max(a, b)

def main():
    for i in range(300):
        starts("abc", "a")
        lower("ABC")
        largest(i, 2)

main()
print(descriptor_flags(str.startswith), descriptor_flags(str.lower), builtin_flags(max))
"#;

#[test]
fn calls_of_c_functions_are_judged_by_their_calling_convention() {
    let (doc, printed) = why_all("ccalls.py", C_CALLS, &["starts", "lower", "largest"]);
    let flags: Vec<i32> = printed
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    // The convention specialize.c switches on (METH_VARARGS, METH_FASTCALL,
    // METH_NOARGS, METH_O, METH_KEYWORDS, METH_METHOD), named.
    let named = |flags: i32| {
        let names = [
            (0x200, "METH_METHOD"),
            (0x1, "METH_VARARGS"),
            (0x80, "METH_FASTCALL"),
            (0x4, "METH_NOARGS"),
            (0x8, "METH_O"),
            (0x2, "METH_KEYWORDS"),
        ];
        names
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join("|")
    };
    let (startswith, lower, max) = (named(flags[0]), named(flags[1]), named(flags[2]));
    // A C method without arguments has a form of its own in every version.
    assert_eq!(lower, "METH_NOARGS");
    let call = if minor() == 11 { "PRECALL" } else { "CALL" };
    assert!(
        specialized(&doc, "lower", call),
        "{:#}",
        site(&doc, "lower", call)
    );
    match minor() {
        11 | 12 => {
            // str.startswith and max parse a tuple of arguments: no form
            // takes them; CALL stays unspecialized.
            assert_eq!(startswith, "METH_VARARGS");
            assert_eq!(max, "METH_VARARGS|METH_KEYWORDS");
            let (kind, reason) = failure(&doc, "starts", call);
            assert!(
                reason.contains("calling convention METH_VARARGS"),
                "{reason}"
            );
            assert!(reason.contains("str.startswith"), "{reason}");
            let (max_kind, max_reason) = failure(&doc, "largest", call);
            assert!(
                max_reason.contains("calling convention METH_VARARGS|METH_KEYWORDS"),
                "{max_reason}"
            );
            if minor() == 11 {
                // PRECALL's builtin_call_fail_kind, for both; then CALL,
                // which takes Python functions only: call_fail_kind.
                assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_PYCFUNCTION"));
                assert_eq!(
                    max_kind.as_deref(),
                    Some("SPEC_FAIL_CALL_PYCFUNCTION_WITH_KEYWORDS")
                );
                assert_eq!(
                    failure(&doc, "starts", "CALL").0.as_deref(),
                    Some("SPEC_FAIL_CALL_METHOD_DESCRIPTOR")
                );
                assert_eq!(
                    failure(&doc, "largest", "CALL").0.as_deref(),
                    Some("SPEC_FAIL_CALL_PYCFUNCTION")
                );
            } else {
                // meth_descr_call_fail_kind and builtin_call_fail_kind.
                assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_METH_DESCR_VARARGS"));
                assert_eq!(
                    max_kind.as_deref(),
                    Some("SPEC_FAIL_CALL_CFUNC_VARARGS_KEYWORDS")
                );
            }
        }
        _ => {
            // 3.13: both are vectorcall methods now, and any convention
            // would get CALL_NON_PY_GENERAL.
            assert_eq!(startswith, "METH_FASTCALL");
            assert_eq!(max, "METH_FASTCALL|METH_KEYWORDS");
            for (function, form) in [
                ("starts", "CALL_METHOD_DESCRIPTOR_FAST"),
                ("largest", "CALL_BUILTIN_FAST_WITH_KEYWORDS"),
            ] {
                let ins = site(&doc, function, "CALL");
                assert_eq!(ins["opname"], form, "{ins:#}");
                assert!(
                    ins["evidence"]["reason"]
                        .as_str()
                        .unwrap()
                        .contains("specializes"),
                    "{ins:#}"
                );
            }
        }
    }
}

#[test]
fn a_c_type_that_lists_its_own_getattribute_is_not_said_to_override_lookup() {
    // str lists a __getattribute__ of its own on 3.11 and 3.12 (a slot
    // wrapper of the generic lookup): its methods specialize, and --why must
    // not blame the hook.
    let (doc, printed) = why_all(
        "strmethod.py",
        "def starts(s):\n    return s.startswith('a')\nfor i in range(300):\n    starts('abc')\nprint('__getattribute__' in vars(str))\n",
        &["starts"],
    );
    // 3.11 and 3.12 list it; 3.13 no longer does.
    let listed = if minor() < 13 { "True\n" } else { "False\n" };
    assert_eq!(printed, listed);
    let load = if minor() == 11 {
        "LOAD_METHOD"
    } else {
        "LOAD_ATTR"
    };
    let ins = site(&doc, "starts", load);
    assert!(specialized(&doc, "starts", load), "{ins:#}");
    let reason = ins["evidence"]["reason"].as_str().unwrap();
    assert!(!reason.contains("__getattribute__"), "{reason}");
    // A str has no instance dict: the method form without dict checks.
    assert!(
        ins["opname"].as_str().unwrap().ends_with("_METHOD_NO_DICT"),
        "{ins:#}"
    );
    assert!(reason.contains("specializes, as this site did"), "{reason}");
    assert_ne!(
        ins["evidence"]["fail_kind"].as_str(),
        Some("SPEC_FAIL_OVERRIDDEN"),
        "{ins:#}"
    );
}

#[test]
fn bound_c_methods_get_the_kinds_call_fail_kind_gives_them() {
    // `match` is a C method that takes its defining class (METH_METHOD):
    // bound, a `builtin_method`; `size` binds a C function as a method.
    let (doc, printed) = why_all(
        "bound.py",
        "import re, types\n\
         match = re.compile('a').match\n\
         size = types.MethodType(len, 'abc')\n\
         def find(s):\n    return match(s)\n\
         def measure():\n    return size()\n\
         for i in range(300):\n    find('abc')\n    measure()\n\
         print(type(match).__name__, type(size).__name__)\n",
        &["find", "measure"],
    );
    assert_eq!(printed, "builtin_method method\n");
    if minor() == 13 {
        // CALL_NON_PY_GENERAL takes the one; the other fails in 3.13 too.
        assert_eq!(site(&doc, "find", "CALL")["opname"], "CALL_NON_PY_GENERAL");
        let (kind, _) = failure(&doc, "measure", "CALL");
        assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_BOUND_METHOD"));
        return;
    }
    let call = if minor() == 11 { "PRECALL" } else { "CALL" };
    let (kind, reason) = failure(&doc, "find", call);
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_CMETHOD"), "{reason}");
    assert!(reason.contains("built-in method Pattern.match"), "{reason}");
    if minor() == 11 {
        // PRECALL_BOUND_METHOD takes any bound method; CALL then fails.
        assert!(specialized(&doc, "measure", "PRECALL"));
        assert_eq!(
            failure(&doc, "find", "CALL").0.as_deref(),
            Some("SPEC_FAIL_CALL_CMETHOD")
        );
    }
    let (kind, _) = failure(&doc, "measure", "CALL");
    assert_eq!(kind.as_deref(), Some("SPEC_FAIL_CALL_BOUND_METHOD"));
}

#[test]
fn a_child_forked_in_the_second_run_ends_without_a_dump_of_its_own() {
    // The program forks in both runs; each child leaves with os._exit(0).
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "forks.py",
        "import os\n\
         def add(a, b):\n    return a + b\n\
         for i in range(100):\n    add(i, 0.5)\n\
         print('parent', flush=True)\n\
         pid = os.fork()\n\
         if pid == 0:\n    os._exit(0)\n\
         os.waitpid(pid, 0)\n",
    );
    let out = specscope()
        .args(["dump", "--why", "-f", "add"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.matches("add (function, ").count(), 1, "{stdout}");
    assert!(stdout.contains("why: "), "{stdout}");
    assert_eq!(
        stderr.matches("── output of the program ──").count(),
        1,
        "{stderr}"
    );
    // (3.12 and 3.13 also warn that the process forked with threads running.)
    assert!(
        program_output(&out.stderr).starts_with("parent\n"),
        "{stderr}"
    );
}
