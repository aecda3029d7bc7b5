//! Bad programs and hostile output: specscope never hangs, crashes, lets
//! the program's text loose on the terminal, or loses what it collected.

use std::fs;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::common::{minor, specscope};
use predicates::prelude::*;
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let out = specscope()
        .args(args)
        .args(["--format", "json"])
        .assert()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("valid JSON")
}

#[test]
fn instrumented_code_is_shown_and_explained() {
    let code = "import sys\n\
                def add(a, b):\n    c = a + b\n    return c\n\
                def main():\n    for i in range(100):\n        add(i, 1)\n\
                main()\n\
                if hasattr(sys, 'monitoring'):\n    m = sys.monitoring\n    m.use_tool_id(3, 'probe')\n    m.set_events(3, m.events.LINE | m.events.CALL)\n\
                else:\n    sys.settrace(lambda *a: None)\n\
                main()\n";
    let doc = json_of(&["dump", "-c", code, "-f", "main"]);
    let ins = doc["code_objects"][0]["instructions"].as_array().unwrap();
    if minor() >= 12 {
        let instrumented: Vec<&Value> = ins
            .iter()
            .filter(|i| i["status"] == "instrumented")
            .collect();
        assert!(
            !instrumented.is_empty(),
            "sys.monitoring shows as INSTRUMENTED_*"
        );
        for i in &instrumented {
            assert!(i["opname"].as_str().unwrap().starts_with("INSTRUMENTED_"));
            assert!(
                !i["base_opname"]
                    .as_str()
                    .unwrap()
                    .starts_with("INSTRUMENTED_"),
                "the base is the instruction underneath"
            );
        }
        let call = ins
            .iter()
            .find(|i| i["opname"] == "INSTRUMENTED_CALL")
            .expect("an instrumented call");
        assert_eq!(call["base_opname"], "CALL");
        specscope()
            .args(["explain", "INSTRUMENTED_CALL"])
            .assert()
            .success();
    }
    // The walk stays on instruction boundaries: no cache unit read as an opcode.
    assert!(
        ins.iter()
            .all(|i| i["opname"] != "CACHE" && i["opname"] != "RESERVED")
    );
}

#[test]
fn replacing_print_stdout_dis_opcode_and_json_changes_nothing() {
    let code = "import builtins, dis, json, opcode, sys\n\
                dis.get_instructions = dis._get_instructions_bytes = dis.findlinestarts = None\n\
                opcode.opmap.clear()\n\
                opcode._cache_format.clear()\n\
                json.dumps = json.loads = None\n\
                builtins.print = None\n\
                sys.stdout = sys.stderr = None\n\
                def add(a, b):\n    return a + b\n";
    let doc = json_of(&[
        "dump",
        "-c",
        code,
        "--call",
        "add(1, 2)",
        "-n",
        "100",
        "-f",
        "add",
    ]);
    let plus = doc["code_objects"][0]["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["argrepr"] == "+")
        .cloned()
        .unwrap();
    assert_eq!(plus["opname"], "BINARY_OP_ADD_INT");
    assert_eq!(plus["caches"][0]["name"], "counter");
}

#[test]
fn a_flood_of_output_is_kept_up_to_a_limit_and_counted() {
    let code = "import sys, os\n\
                line = 'x' * 1023 + '\\n'\n\
                for _ in range(100 * 1024):\n    sys.stdout.write(line)\n\
                os.write(1, b'y' * (8 << 20))\n\
                def f():\n    return 1\n";
    let started = Instant::now();
    let out = specscope()
        .args(["dump", "-c", code, "-f", "f"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MiB more not kept"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    assert!(
        out.stderr.len() < 3 << 20,
        "kept output is bounded: {} bytes",
        out.stderr.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("f (function"));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn threads_left_running_are_waited_for_as_python_does() {
    // python waits for the threads that are not daemons before its exit
    // handlers (and never for daemon threads): their output is the
    // program's. One that never ends keeps the run going, as it keeps
    // python, until --timeout stops the wait.
    let code = "import atexit, threading, time\n\
                atexit.register(lambda: print('exit handler', flush=True))\n\
                def late():\n    time.sleep(0.3)\n    print('the thread ended', flush=True)\n\
                threading.Thread(target=late).start()\n\
                def spin():\n    while True:\n        pass\n\
                threading.Thread(target=spin, daemon=True).start()\n\
                def f():\n    return 1\n\
                print('main ended', flush=True)\n";
    let out = specscope()
        .args(["dump", "-c", code, "-f", "f"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stdout(predicate::str::contains("f (function"))
        .get_output()
        .clone();
    assert_eq!(
        crate::common::program_output(&out.stderr),
        "main ended\nthe thread ended\nexit handler\n"
    );
    let forever = "import threading, time\n\
                   threading.Thread(target=lambda: time.sleep(3600)).start()\n\
                   def f():\n    return 1\n";
    let started = Instant::now();
    let out = specscope()
        .args([
            "dump",
            "--timeout",
            "1",
            "--format",
            "json",
            "-c",
            forever,
            "-f",
            "f",
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(i32::from(specscope::exit::TIMEOUT))
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(30));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["run"]["stopped"]["phase"], "threads",
        "{}",
        json["run"]
    );
    assert_eq!(json["code_objects"][0]["qualname"], "f");
}

#[test]
fn ctrl_c_stops_the_warm_up_and_shows_what_ran() {
    // The warm-up says when it has begun: a file appears.
    let dir = tempfile::tempdir().unwrap();
    let begun = dir.path().join("begun");
    let bin = crate::common::installed::program();
    let child = Process::new(bin)
        .args([
            "dump",
            "-c",
            "import sys\n\
             def spin():\n    open(sys.argv[1], 'w').close()\n    while True:\n        pass\n",
            "--call",
            "spin()",
            "--",
        ])
        .arg(&begun)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !begun.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the warm-up began"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("spin (function"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Ctrl-C stopped"));
}

#[test]
fn source_that_is_not_text_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.py");
    fs::write(&path, b"x = '\xff\xfe'\n").unwrap();
    specscope()
        .args(["dump", path.to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is not valid source text"));
}

#[test]
fn a_function_of_fifty_thousand_instructions_with_extended_args() {
    let mut code = String::from("def big(x):\n    for i in range(2):\n");
    for i in 0..12_600 {
        code.push_str(&format!("        x = x + {i}\n"));
    }
    code.push_str("    return x\n");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("big.py");
    fs::write(&script, code).unwrap();
    let started = Instant::now();
    let out = specscope()
        .args([
            "dump",
            script.to_str().unwrap(),
            "--call",
            "big(0)",
            "-n",
            "10",
            "-f",
            "big",
            "--format",
            "dis",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let instructions = text
        .lines()
        .filter(|l| !l.contains("CACHE") && !l.trim().is_empty())
        .count();
    assert!(instructions > 50_000, "{instructions} instructions");
    assert!(
        text.contains("EXTENDED_ARG"),
        "the loop's jump needs EXTENDED_ARG"
    );
    assert!(text.contains("BINARY_OP_ADD_INT"));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn every_kind_of_code_object_is_found_and_deep_nesting_keeps_parents() {
    let mut code = String::from(
        "class Box:\n    def method(self):\n        return [y for y in range(3)]\n\
         def gen():\n    yield 1\n\
         async def coro():\n    return 1\n\
         async def agen():\n    yield 1\n\
         square = lambda v: v * v\n\
         squares = list(x * x for x in range(3))\n",
    );
    let depth = 30;
    for d in 0..depth {
        code.push_str(&format!("{}def level{d}():\n", "    ".repeat(d)));
    }
    code.push_str(&format!("{}return 0\n", "    ".repeat(depth)));
    let doc = json_of(&["dump", "-c", &code]);
    let codes = doc["code_objects"].as_array().unwrap();
    let kinds: Vec<&str> = codes.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    for kind in [
        "module",
        "class",
        "function",
        "generator",
        "coroutine",
        "async_generator",
        "lambda",
        "comprehension",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let deepest = codes
        .iter()
        .position(|c| c["name"] == format!("level{}", depth - 1))
        .unwrap();
    let mut chain = 0;
    let mut at = deepest;
    while let Some(parent) = codes[at]["parent"].as_u64() {
        at = parent as usize;
        chain += 1;
    }
    assert_eq!(
        chain, depth,
        "each level sits under the one before, under the module"
    );
}

#[test]
fn a_file_that_cannot_be_read_exits_3() {
    // Reading /proc/self/mem from its start fails for every user, root too.
    specscope()
        .args(["dump", "/proc/self/mem"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot read /proc/self/mem"));
}

#[test]
fn a_forked_child_ends_quietly_and_only_the_parent_prints() {
    let dir = tempfile::tempdir().unwrap();
    let fork = dir.path().join("fork.py");
    fs::write(
        &fork,
        "import os, sys\npid = os.fork()\nif pid == 0:\n    sys.exit(3)\n\
         _, st = os.waitpid(pid, 0)\nprint('child status', os.waitstatus_to_exitcode(st))\n",
    )
    .unwrap();
    let pool = dir.path().join("pool.py");
    fs::write(
        &pool,
        "import multiprocessing as mp\ndef sq(x):\n    return x * x\n\
         if __name__ == '__main__':\n    ctx = mp.get_context('fork')\n\
         \x20   with ctx.Pool(2) as p:\n        print(p.map(sq, range(5)))\n\
         \x20   q = ctx.Process(target=sq, args=(3,))\n    q.start(); q.join()\n\
         \x20   print('process exit', q.exitcode)\n",
    )
    .unwrap();
    for (script, said) in [
        (&fork, "child status 3"),
        (&pool, "[0, 1, 4, 9, 16]"),
        (&pool, "process exit 0"),
    ] {
        let out = specscope().arg("dump").arg(script).assert().success();
        let out = out.get_output();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.matches("Python 3.").count(),
            1,
            "one dump, from the original process:\n{stdout}"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains(said));
    }
}

#[test]
fn hooks_that_print_while_specscope_collects_never_reach_the_dump() {
    // An audit hook and a gc callback that print on every event keep
    // firing after the program ended, while specscope chooses and
    // describes the code objects (it opens files, compiles, collects).
    let code = "import sys, gc\n\
                sys.addaudithook(lambda event, args: print('AUDIT', event))\n\
                gc.callbacks.append(lambda phase, info: print('GC', phase))\n\
                compile('1', 'here', 'eval')\n\
                class P:\n    def __init__(self):\n        self.x = 1\n\
                def f():\n    return P().x\n\
                for _ in range(100):\n    f()\n";
    let out = specscope()
        .args(["dump", "-c", code, "--format", "json"])
        .assert()
        .success();
    let out = out.get_output();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the JSON");
    assert!(doc["code_objects"].as_array().unwrap().len() >= 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AUDIT"),
        "the hook's output is the program's: {stderr}"
    );
}
