//! Limits that hold: `--timeout` ends the run within twice the timeout, and
//! a second Ctrl-C ends it, whatever the program does to stay alive: it
//! ignores SIGALRM or handles it itself, cancels the timer, catches
//! `BaseException` or `KeyboardInterrupt` in a loop, sleeps in a system
//! call, or does so while `-m` imports its package. What ran is shown.
//!
//! They run beside the other tests, several at a time. With `--timeout 1`
//! a run that spins ends after about 1.25 s, and one held in C code (ended
//! by the last resort) after about 1.65 s; four at once beside two other
//! busy processes on two cores, within 1.35 s and 1.75 s: inside the 2 s
//! bound.

use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::common::tmux::Tmux;
use crate::common::{program_output, specscope, write};
use serde_json::Value;

fn qualnames(doc: &Value) -> Vec<&str> {
    doc["code_objects"]
        .as_array()
        .expect("code objects")
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect()
}

/// Runs `specscope dump ARGS --format json` and returns the exit code, the
/// wall time, the JSON on stdout and stderr.
fn dump_json(dir: &Path, args: &[&str]) -> (i32, Duration, Value, String) {
    let started = Instant::now();
    let out = specscope()
        .current_dir(dir)
        .arg("dump")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout holds only the JSON dump ({e}); stderr:\n{stderr}"));
    (out.status.code().unwrap_or(-1), took, doc, stderr)
}

/// Programs that outlive `--timeout` however it asks them to stop.
const UNCOOPERATIVE: [(&str, &str); 4] = [
    (
        "ignores SIGALRM",
        "import signal\n\
         signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
         def spin():\n    while True:\n        pass\n\
         print('spinning')\n\
         spin()\n",
    ),
    (
        "handles SIGALRM itself",
        "import signal\n\
         signal.signal(signal.SIGALRM, lambda *a: print('alarm? no'))\n\
         def spin():\n    while True:\n        pass\n\
         print('spinning')\n\
         spin()\n",
    ),
    (
        "cancels the timers",
        "import signal\n\
         def spin():\n    while True:\n        signal.setitimer(signal.ITIMER_REAL, 0)\n        signal.alarm(0)\n\
         print('spinning')\n\
         spin()\n",
    ),
    (
        "catches BaseException in a loop",
        "def spin():\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n\
         print('spinning')\n\
         spin()\n",
    ),
];

#[test]
fn timeout_ends_a_program_that_will_not_stop_within_twice_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    for (how, source) in UNCOOPERATIVE {
        let script = write(dir.path(), "stubborn.py", source);
        let (code, took, doc, stderr) = dump_json(dir.path(), &[&script, "--timeout", "1"]);
        assert_eq!(code, 8, "a program that {how}: {stderr}");
        assert!(
            took < Duration::from_secs(2),
            "a program that {how} took {took:?}"
        );
        assert!(
            qualnames(&doc).contains(&"spin"),
            "a program that {how}: {:?}",
            qualnames(&doc)
        );
        assert_eq!(doc["run"]["stopped"]["reason"], "timeout", "{how}");
        assert_eq!(doc["run"]["stopped"]["phase"], "program", "{how}");
        assert!(
            program_output(&stderr).starts_with("spinning\n"),
            "a program that {how}: {stderr}"
        );
        assert!(stderr.contains("--timeout stopped the program"), "{stderr}");
    }
}

#[test]
fn timeout_ends_a_call_that_will_not_stop() {
    let dir = tempfile::tempdir().unwrap();
    let code = "import signal\n\
                signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
                def work(n):\n    while True:\n        try:\n            n += 1\n        except BaseException:\n            pass\n";
    let (exit, took, doc, stderr) = dump_json(
        dir.path(),
        &["-c", code, "--call", "work(0)", "--timeout", "1"],
    );
    assert_eq!(exit, 8, "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(doc["run"]["stopped"]["phase"], "call", "{stderr}");
    assert!(qualnames(&doc).contains(&"work"));
    assert!(
        stderr.contains("--timeout stopped the --call expression"),
        "{stderr}"
    );
}

#[test]
fn timeout_ends_a_package_import_that_will_not_stop() {
    let dir = tempfile::tempdir().unwrap();
    let init = write(
        dir.path(),
        "pkg/__init__.py",
        "import signal\n\
         signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
         def spin():\n    while True:\n        try:\n            pass\n        except BaseException:\n            pass\n\
         print('package init runs')\n\
         spin()\n",
    );
    write(dir.path(), "pkg/mod.py", "def work():\n    return 1\n");
    let (code, took, doc, stderr) = dump_json(dir.path(), &["-m", "pkg.mod", "--timeout", "1"]);
    assert_eq!(code, 8, "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(program_output(&stderr), "package init runs\n");
    // What ran is the package's own code: it is what the dump shows.
    assert_eq!(doc["target"]["filename"], init.as_str());
    assert!(qualnames(&doc).contains(&"spin"), "{:?}", qualnames(&doc));
    assert_eq!(doc["run"]["stopped"]["reason"], "timeout");
}

#[test]
fn timeout_covers_the_collection_after_the_program_ended() {
    let dir = tempfile::tempdir().unwrap();
    // From its atexit handler on, a gc callback of the program spins at
    // every collection: specscope's own work after the run sets it off.
    let script = write(
        dir.path(),
        "after.py",
        "import atexit, gc\n\
         state = {'done': False}\n\
         def spin(phase, info):\n    while state['done']:\n        try:\n            pass\n        except BaseException:\n            pass\n\
         gc.callbacks.append(spin)\n\
         gc.set_threshold(1)\n\
         def work():\n    return [1, 2, 3]\n\
         work()\n\
         atexit.register(state.update, done=True)\n",
    );
    let (code, took, doc, stderr) = dump_json(dir.path(), &[&script, "--timeout", "1"]);
    assert_eq!(code, 8, "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(qualnames(&doc).contains(&"work"), "{:?}", qualnames(&doc));
    let phase = doc["run"]["stopped"]["phase"].as_str().unwrap();
    assert!(["atexit", "collection"].contains(&phase), "{phase}");
}

#[test]
fn timeout_ends_a_program_asleep_in_a_system_call() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "sleeper.py",
        "import signal, time\n\
         signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
         def nap():\n    time.sleep(3600)\n\
         print('napping')\n\
         nap()\n",
    );
    let (code, took, doc, stderr) = dump_json(dir.path(), &[&script, "--timeout", "1"]);
    assert_eq!(code, 8, "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(program_output(&stderr), "napping\n");
    assert!(qualnames(&doc).contains(&"nap"));
}

#[test]
fn a_stopped_program_that_prints_in_its_loop_never_reaches_the_dump() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "chatty.py",
        "import os, signal, sys, time\n\
         signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
         def chatter():\n    while True:\n        try:\n            print('tick')\n            sys.stdout.flush()\n            os.write(1, b'raw tick\\n')\n            time.sleep(0.001)\n        except BaseException:\n            pass\n\
         chatter()\n",
    );
    // The JSON parses: nothing the program printed after its run was
    // ended went to specscope's stdout.
    let (code, took, doc, stderr) = dump_json(dir.path(), &[&script, "--timeout", "1"]);
    assert_eq!(code, 8);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(qualnames(&doc).contains(&"chatter"));
    assert!(program_output(&stderr).starts_with("tick\nraw tick\n"));
}

#[test]
fn a_program_that_holds_the_interpreter_in_c_code_is_ended_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    // sum() over an endless iterator never returns to the interpreter's
    // loop: nothing can be collected, but the process still ends in time.
    let script = write(
        dir.path(),
        "native.py",
        "import itertools, signal\n\
         signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
         sum(itertools.repeat(1))\n",
    );
    let started = Instant::now();
    let out = specscope()
        .args(["dump", &script, "--timeout", "1"])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(out.status.code(), Some(8));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--timeout could not stop the program"),
        "{stderr}"
    );
}

/// Waits for `path` to exist (the program writes it); false after 30 s.
fn appears(path: &Path) -> bool {
    let until = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

fn interrupt(child: &Child) {
    let ok = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT");
}

/// Waits for `child` to end, at most `limit`; kills it if it does not.
fn ends_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_ctrl_c_ends_a_program_that_catches_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let caught = dir.path().join("caught");
    for (how, body) in [
        ("spins", "        while True:\n            pass\n"),
        ("sleeps", "        time.sleep(3600)\n"),
    ] {
        let _ = std::fs::remove_file(&ready);
        let _ = std::fs::remove_file(&caught);
        // Ready only inside the `try`: a Ctrl-C before it would end the
        // program instead of being caught.
        let source = format!(
            "import sys, time\n\
             def stubborn():\n    while True:\n      try:\n        open(sys.argv[1], 'w').close()\n{body}      except KeyboardInterrupt:\n        print('caught it, going on')\n        open(sys.argv[2], 'w').close()\n\
             stubborn()\n"
        );
        let script = write(dir.path(), "stubborn.py", &source);
        let mut child = Process::new(env!("CARGO_BIN_EXE_specscope"))
            .args(["dump", &script, "--format", "json", "--"])
            .arg(&ready)
            .arg(&caught)
            .env_remove("NO_COLOR")
            .env_remove("VIRTUAL_ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(appears(&ready), "the program {how} started");
        interrupt(&child);
        assert!(
            appears(&caught),
            "the program {how} caught the first Ctrl-C"
        );
        // The dump can be larger than a pipe holds: read it as it comes.
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
        interrupt(&child);
        let status = ends_within(&mut child, Duration::from_secs(10));
        let stdout = stdout.join().unwrap();
        let stderr = stderr.join().unwrap();
        let stderr = String::from_utf8_lossy(&stderr);
        let status =
            status.unwrap_or_else(|| panic!("a second Ctrl-C ended nothing ({how}): {stderr}"));
        assert_eq!(status.code(), Some(130), "{how}: {stderr}");
        let doc: Value = serde_json::from_slice(&stdout).expect("the JSON dump");
        assert!(qualnames(&doc).contains(&"stubborn"), "{how}");
        assert_eq!(doc["run"]["stopped"]["reason"], "interrupt", "{how}");
        assert_eq!(
            program_output(stderr.as_bytes()),
            "caught it, going on\n",
            "{how}"
        );
        assert!(stderr.contains("Ctrl-C stopped the program"), "{stderr}");
    }
}

// ---------------------------------------------------------------- explorer

#[test]
fn the_explorer_opens_on_a_program_that_will_not_stop() {
    let dir = tempfile::tempdir().unwrap();
    // One spins (ended on its own thread), one sleeps (ended from another).
    for (name, source, function) in [
        ("spinner.py", UNCOOPERATIVE[3].1, "spin"),
        (
            "sleeper.py",
            "import signal, time\n\
             signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
             def nap():\n    time.sleep(3600)\n\
             nap()\n",
            "nap",
        ),
    ] {
        let Some(tmux) = Tmux::start(name.trim_end_matches(".py")) else {
            return;
        };
        let script = write(dir.path(), name, source);
        let command = format!(
            "'{}' '{script}' --timeout 1; echo specscope-exit=$?",
            env!("CARGO_BIN_EXE_specscope")
        );
        tmux.send(&[&command, "Enter"]);
        let screen = tmux.wait_for("the explorer", |s| s.contains("Code objects"));
        assert!(
            screen.contains("timeout stopped the program"),
            "{name}: {screen}"
        );
        assert!(screen.contains(function), "{name}: {screen}");
        tmux.send(&["q"]);
        // (The command line shows `specscope-exit=$?`; the echo, a number.)
        let exit_code = |screen: &str| {
            let at = screen.rfind("specscope-exit=")? + "specscope-exit=".len();
            let digits: String = screen[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<i32>().ok()
        };
        let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
        assert_eq!(exit_code(&screen), Some(8), "{name}: {screen}");
    }
}
