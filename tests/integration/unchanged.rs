//! Sampling leaves what the interpreter specializes as it was: the lessons
//! and programs that specialize, back off, de-optimize and re-specialize
//! are run with sampling off and every 0.1 ms, and every live opname of
//! each moment (the timeline's steps and the end) must be the same.

use specscope::collect::request::{Request, Target};

/// Every live opname of a JSON snapshot, its timeline included, with
/// where it is.
fn live_opnames(json: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |moment: &str, codes: &serde_json::Value| {
        for c in codes.as_array().unwrap() {
            for i in c["instructions"].as_array().unwrap() {
                out.push(format!(
                    "{moment} {}:{} @{} {}",
                    c["qualname"], c["first_line"], i["offset"], i["opname"]
                ));
            }
        }
    };
    for (n, step) in json["timeline"].as_array().unwrap().iter().enumerate() {
        add(&format!("step {n}"), &step["code_objects"]);
    }
    add("end", &json["code_objects"]);
    out
}

/// The command-line words that ask for `request`'s run.
fn words(request: &Request) -> Vec<String> {
    let mut words: Vec<String> = match &request.target {
        Target::Example(e) => vec!["--example".into(), e.name.into()],
        Target::Code(code) => vec!["-c".into(), code.clone()],
        other => panic!("not used here: {other:?}"),
    };
    if let Some(call) = &request.call {
        words.extend([
            "--call".into(),
            call.clone(),
            "-n".into(),
            request.calls.to_string(),
        ]);
    }
    if let Some(then) = &request.then {
        words.extend([
            "--then".into(),
            then.clone(),
            "--then-calls".into(),
            request.then_calls.to_string(),
        ]);
    }
    if !request.steps.is_empty() {
        let steps: Vec<String> = request.steps.iter().map(u64::to_string).collect();
        words.extend(["--steps".into(), steps.join(",")]);
    }
    words
}

/// Programs that make the interpreter specialize, back off, de-optimize
/// and re-specialize for a while, in every kind of code: long enough to be
/// sampled often at 0.1 ms. Each does the same work on every run.
const BUSY: &[&str] = &[
    "\
class A:
    def __init__(self):
        self.x = 1
class B:
    __slots__ = ('x',)
    def __init__(self):
        self.x = 2.5
def attr(o):
    return o.x
def add(a, b):
    return a + b
def gen(n):
    for i in range(n):
        yield i * 2
def work(rounds):
    total = 0
    objs = [A(), B()]
    for r in range(rounds):
        o = objs[(r // 300) % 2]
        total = add(total, attr(o))
        total = add(total, 1) if r % 7 else add(str(r), 'x') and total
        for v in gen(3):
            total += v
        try:
            if r % 50 == 0:
                raise ValueError(r)
        except ValueError:
            total -= 1
    return total
work(150000)
",
    "\
import threading
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def make(k):
    def inner(x):
        return x * k
    return inner
def spin():
    return sum(make(i % 5)(i) for i in range(20000))
def run():
    t = threading.Thread(target=spin)
    t.start()
    r = fib(25)
    t.join()
    return r, [x ** 2 for x in range(5000)], {x: x for x in 'abc' * 1000}
run()
",
    "\
import time
LIMIT = 3
def slow(i):
    if i % 500 == 0:
        time.sleep(0.001)
    return len(str(i)) < LIMIT
async def co(n):
    return [slow(i) for i in range(n)]
def drive():
    c = co(100000)
    try:
        c.send(None)
    except StopIteration as e:
        return e.value
drive()
",
];

#[test]
fn sampling_leaves_what_the_interpreter_specializes_unchanged() {
    let mut requests: Vec<Request> = BUSY
        .iter()
        .map(|code| Request::new(Target::Code((*code).into())))
        .collect();
    for example in specscope::examples::all() {
        let cli = <specscope::cli::Cli as clap::Parser>::try_parse_from([
            "specscope",
            "--example",
            example.name,
        ])
        .unwrap();
        let lesson = cli.target.request().unwrap();
        // The lesson as it is, and with a warm-up long enough to be
        // sampled often.
        let mut longer = lesson.clone();
        longer.calls *= 200;
        longer.then_calls *= 200;
        requests.push(lesson);
        requests.push(longer);
    }
    // The busy programs again, warmed up by --call and then --then.
    let mut warmed = Request::new(Target::Code(BUSY[0].replace("work(150000)", "")));
    warmed.call = Some("work(300)".into());
    warmed.calls = 60;
    warmed.then = Some("add(1.5, 2)".into());
    warmed.then_calls = 3000;
    warmed.steps = vec![1, 2, 8, 30];
    requests.push(warmed);
    // Each run in a process of its own, so that the two runs start alike.
    let dump = |request: &Request, interval: &str| -> serde_json::Value {
        let out = crate::common::specscope()
            .args(["dump", "--format", "json", "--sample-interval", interval])
            .args(words(request))
            .output()
            .unwrap();
        assert!(out.status.success(), "{request:?}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let check = |request: &Request| -> u64 {
        let unsampled = dump(request, "0");
        let sampled = dump(request, "0.1");
        let (a, b) = (live_opnames(&unsampled), live_opnames(&sampled));
        assert_eq!(a.len(), b.len(), "{:?}", request.target);
        let differ: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
        assert!(
            differ.is_empty(),
            "{:?}: sampling changed {differ:#?}",
            request.target
        );
        sampled["sampling"]["total"].as_u64().expect("sampled")
    };
    // Two requests at a time: the pairs are independent.
    let samples: u64 = std::thread::scope(|scope| {
        let halves: Vec<_> = (0..2)
            .map(|half| {
                let (requests, check) = (&requests, &check);
                scope.spawn(move || {
                    requests
                        .iter()
                        .skip(half)
                        .step_by(2)
                        .map(check)
                        .sum::<u64>()
                })
            })
            .collect();
        halves.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(samples >= 1000, "only {samples} samples in all");
}
