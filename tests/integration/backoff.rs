//! What a failing site's backoff proves about how often it ran
//! (`VersionFacts::executions_at_least`), checked against the interpreter:
//! a site that fails every attempt runs exactly N times, and the bound read
//! from its counter is never above N and is N where the arithmetic says.

use specscope::model::{CounterState, Instruction, Snapshot};

/// `concat` fails every attempt to specialize `+` (tuples have no
/// specialized form); `power` too, and 3.11 gives it up at the first
/// attempt. The first call runs a loop instead, so that 3.11 quickens the
/// code object (after 8 calls or loop iterations) before either site runs:
/// every execution of a site is then one its counter saw.
const SITES: &str = "\
def concat(a, b, warm=False):
    if warm:
        for _ in range(10):
            pass
        return
    return a + b

def power(a, b, warm=False):
    if warm:
        for _ in range(10):
            pass
        return
    return a ** b

concat(None, None, warm=True)
power(None, None, warm=True)
";

fn site<'a>(codes: &'a [specscope::model::CodeObject], qualname: &str) -> &'a Instruction {
    codes
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no {qualname}"))
        .instructions
        .iter()
        .find(|i| i.base_opname == "BINARY_OP")
        .expect("a BINARY_OP")
}

/// SITES warmed up by `call`, with a snapshot after each of `steps` calls.
fn warm_up(call: &str, steps: &[u64]) -> Snapshot {
    let steps: Vec<String> = steps.iter().map(u64::to_string).collect();
    let out = crate::common::specscope()
        .args(["dump", "--format", "json", "-c", SITES, "--call", call])
        .args(["--steps", &steps.join(","), "--sample-interval", "0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("a snapshot")
}

#[test]
fn a_failing_site_proves_it_ran_as_often_as_it_did() {
    // Backoff 12, the largest, comes with the 4,084th execution; the next
    // attempt, 4,095 executions later, fails at 12 again, which the counter
    // cannot tell from the first: from the 8,179th the bound stays below.
    let mut steps: Vec<u64> = (1..=80).collect();
    steps.extend([127, 128, 500, 2047, 4083, 4084, 4085, 8178, 8179, 9000]);
    let snapshot = warm_up("concat((1,), (2,))", &steps);
    let facts = snapshot.python.version.facts();
    assert_eq!(snapshot.timeline.len(), steps.len());
    let mut exact = 0;
    for step in &snapshot.timeline {
        let n = step.calls;
        let ins = site(&step.code_objects, "concat");
        let counter = ins.counter.as_ref().expect("a counter");
        let bound = facts.executions_at_least(counter);
        // 3.12 and 3.13 try at the second execution, 3.11 at the first
        // after quickening: one execution of warm-up proves nothing.
        if n == 1 && snapshot.python.version.minor >= 12 {
            assert_eq!(counter.state, CounterState::Warming);
            assert_eq!(bound, None);
            continue;
        }
        let bound = bound.unwrap_or_else(|| panic!("n={n}: {counter:?}"));
        assert!(bound <= n, "n={n}: bound {bound}, counter {counter:?}");
        if n <= 8178 {
            assert_eq!(bound, n, "n={n}: counter {counter:?}");
            exact += 1;
        } else {
            assert!(bound < n);
        }
    }
    assert!(exact >= 87, "{exact}");
    let last = site(&snapshot.code_objects, "concat");
    assert_eq!(last.counter.as_ref().unwrap().backoff, Some(12));
}

#[test]
fn a_site_given_up_ran_at_least_once() {
    let snapshot = warm_up("power(2, 3)", &[1, 2, 100, 1000]);
    let facts = snapshot.python.version.facts();
    for step in &snapshot.timeline {
        let ins = site(&step.code_objects, "power");
        let bound = facts.executions_at_least(ins.counter.as_ref().unwrap());
        if snapshot.python.version.minor == 11 {
            // 3.11 puts the plain BINARY_OP back for ** at the first attempt.
            assert_eq!(ins.opname, "BINARY_OP");
            assert_eq!(bound, Some(1), "after {}", step.calls);
        } else if step.calls > 1 {
            assert_eq!(bound, Some(step.calls), "after {}", step.calls);
        }
    }
}

#[test]
fn the_table_says_how_often_a_failing_site_ran() {
    let out = crate::common::specscope()
        .args(["dump", "--color", "never", "-f", "f", "-c"])
        .arg("def f(a, b):\n    return a + b\n")
        .args(["--call", "f((1,), (2,))", "-n", "5000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8(out.stdout).unwrap();
    // 3.11 counts from the 8th call, which quickens f; later versions from
    // the first.
    let said = match crate::common::minor() {
        11 => "(backing off 3185/12; ran at least 4,993 times)",
        _ => "(backing off 3178/12; ran at least 5,000 times)",
    };
    assert!(table.contains(said), "{table}");
}
