//! Sampling (`--sample-interval`): where the program spent its time, found
//! without changing what the interpreter specializes.

use specscope::collect::python::{collect, eval_repr};
use specscope::collect::request::{Request, Target};
use specscope::model::{CodeObject, Snapshot};

fn run(code: &str, interval_ms: f64) -> Snapshot {
    let mut request = Request::new(Target::Code(code.into()));
    request.sample_interval_ms = interval_ms;
    collect(&request).expect("it collects")
}

fn code<'a>(snapshot: &'a Snapshot, qualname: &str) -> &'a CodeObject {
    snapshot
        .code_objects
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no {qualname}"))
}

const HOT_AND_COLD: &str = "\
import time

def hot():
    n = 0
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        for i in range(200):
            n += i
    return n

def cold():
    return sum(range(10))

hot()
cold()
";

#[test]
fn a_hot_loop_gets_the_samples_of_the_code_it_runs_in() {
    let snapshot = run(HOT_AND_COLD, 1.0);
    let sampling = snapshot.sampling.expect("sampled");
    let hot = code(&snapshot, "hot");
    let selected: u64 = snapshot.code_objects.iter().map(|c| c.samples).sum();
    // 0.3 s at about 1 ms: far more than 30 samples even on a busy machine.
    assert!(sampling.total >= 30, "{sampling:?}");
    assert!(selected <= sampling.total);
    assert!(
        hot.samples * 10 >= selected * 8,
        "hot has {} of {selected} samples",
        hot.samples
    );
    assert!(code(&snapshot, "cold").samples * 10 <= selected);
    for c in &snapshot.code_objects {
        let placed: u64 = c.instructions.iter().map(|i| i.samples).sum();
        assert_eq!(c.samples, placed, "{}", c.qualname);
    }
    // The switch interval is lowered while sampling: the interval achieved
    // is near the one asked, not the 5 ms a waiting thread gets otherwise.
    assert!(
        sampling.interval_ms > 0.5 && sampling.interval_ms < 4.0,
        "{sampling:?}"
    );
}

#[test]
fn a_program_waiting_outside_the_interpreter_is_sampled_at_its_call() {
    let snapshot = run(
        "import time\ndef wait():\n    time.sleep(0.15)\nwait()\n",
        1.0,
    );
    let wait = code(&snapshot, "wait");
    assert!(wait.samples >= 20, "{} samples", wait.samples);
    let at: Vec<&str> = wait
        .instructions
        .iter()
        .filter(|i| i.samples > 0)
        .map(|i| i.base_opname.as_str())
        .collect();
    // 3.11 calls a C function from CALL (after PRECALL); later versions too.
    assert_eq!(at, ["CALL"], "samples landed on {at:?}");
}

#[test]
fn without_sampling_there_are_no_samples() {
    let snapshot = run(HOT_AND_COLD, 0.0);
    assert_eq!(snapshot.sampling, None);
    assert!(
        snapshot
            .code_objects
            .iter()
            .all(|c| c.samples == 0 && c.instructions.iter().all(|i| i.samples == 0))
    );
    let out = crate::common::specscope()
        .args([
            "dump",
            "--format",
            "json",
            "--sample-interval",
            "0",
            "-c",
            "x = 1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sampling"], serde_json::Value::Null);
}

#[test]
fn the_json_says_how_the_run_was_sampled() {
    let out = crate::common::specscope()
        .args(["dump", "--format", "json", "--sample-interval", "0.5", "-c"])
        .arg("import time\ntime.sleep(0.05)\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = json["sampling"]["total"].as_u64().unwrap();
    assert!(total >= 10, "{}", json["sampling"]);
    assert!(json["sampling"]["interval_ms"].as_f64().unwrap() > 0.0);
    let module = &json["code_objects"][0];
    assert!(module["samples"].as_u64().unwrap() <= total);
}

#[test]
fn sample_intervals_out_of_range_are_usage_errors() {
    for bad in ["-1", "nan", "inf", "0.01", "60001", "often"] {
        let out = crate::common::specscope()
            .args(["dump", "-c", "x = 1", "--sample-interval", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--sample-interval"), "{bad}: {stderr}");
    }
}

#[test]
fn the_program_sees_no_sampling_thread_and_gets_its_switch_interval_back() {
    let mut seen = Vec::new();
    for interval in [0.0, 1.0] {
        run("import time\ntime.sleep(0.01)\n", interval);
        seen.push(eval_repr("import sys", "sys.getswitchinterval()").unwrap());
    }
    assert_eq!(seen, ["0.005", "0.005"]);
    let counted = |interval: f64| {
        let out = crate::common::specscope()
            .args(["dump", "--sample-interval"])
            .arg(interval.to_string())
            .args(["-c", "import threading, time\ntime.sleep(0.02)\nprint(threading.active_count(), [t.name for t in threading.enumerate()])\n"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        crate::common::program_output(&out.stderr)
    };
    assert_eq!(counted(0.0), counted(0.5));
    // A switch interval the program sets itself is its own.
    let mut request = Request::new(Target::Code(
        "import sys\nsys.setswitchinterval(0.002)\n".into(),
    ));
    request.sample_interval_ms = 1.0;
    collect(&request).expect("it collects");
    let own = eval_repr("import sys", "sys.getswitchinterval()").unwrap();
    eval_repr("import sys\nsys.setswitchinterval(0.005)", "0").unwrap();
    assert_eq!(own, "0.002");
}

#[test]
fn a_timeout_stops_a_sampled_program_that_will_not_stop() {
    // The program ignores SIGALRM and sleeps: the watchdog freezes its
    // thread and ends the run from its own, with the sampler running.
    let started = std::time::Instant::now();
    let out = crate::common::specscope()
        .args([
            "dump",
            "--format",
            "json",
            "--timeout",
            "0.5",
            "--sample-interval",
            "0.2",
            "-c",
        ])
        .arg("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ndef wait():\n    time.sleep(60)\nwait()\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    assert!(started.elapsed().as_secs_f64() < 10.0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["stopped"]["reason"], "timeout");
    let wait = json["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["qualname"] == "wait")
        .unwrap();
    assert!(
        wait["samples"].as_u64().unwrap() > 100,
        "{}",
        json["sampling"]
    );
}

/// Every live opname of a snapshot, its timeline included, with where it is.
fn live_opnames(snapshot: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |moment: &str, codes: &[CodeObject]| {
        for c in codes {
            for i in &c.instructions {
                out.push(format!(
                    "{moment} {}:{} @{} {}",
                    c.qualname, c.first_line, i.offset, i.opname
                ));
            }
        }
    };
    for (n, step) in snapshot.timeline.iter().enumerate() {
        add(&format!("step {n}"), &step.code_objects);
    }
    add("end", &snapshot.code_objects);
    out
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
    let mut samples = 0;
    for request in &mut requests {
        request.sample_interval_ms = 0.0;
        let unsampled = collect(request).expect("it collects");
        request.sample_interval_ms = 0.1;
        let sampled = collect(request).expect("it collects");
        samples += sampled.sampling.expect("sampled").total;
        let (a, b) = (live_opnames(&unsampled), live_opnames(&sampled));
        assert_eq!(a.len(), b.len(), "{:?}", request.target);
        let differ: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
        assert!(
            differ.is_empty(),
            "{:?}: sampling changed {differ:#?}",
            request.target
        );
    }
    assert!(samples >= 1000, "only {samples} samples in all");
}
