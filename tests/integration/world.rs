//! The program's world is python's: the interpreter `sys.executable` starts,
//! the standard streams, an active virtualenv's `sys.path`, `atexit`
//! handlers, `--stdin`, and the packages `-m` imports.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::specscope;
use predicates::prelude::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// What the program printed: the text between the output marks on stderr.
fn program_output(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let start = text
        .find("── output of the program ──\n")
        .unwrap_or_else(|| panic!("no program output in:\n{text}"));
    let rest = &text[start + "── output of the program ──\n".len()..];
    let end = rest
        .find("── end of program output ──")
        .expect("an end mark");
    rest[..end].to_string()
}

fn linked() -> specscope::model::version::PythonVersion {
    specscope::collect::python::linked_version()
}

/// The linked interpreter, found without specscope: the one the build
/// used (`PYO3_PYTHON`), else pyenv's folder of the linked version.
fn linked_python() -> PathBuf {
    let v = linked();
    let short = format!("python{}.{}", v.major, v.minor);
    if let Some(p) = option_env!("PYO3_PYTHON").map(PathBuf::from)
        && p.is_absolute()
        && p.is_file()
    {
        return p;
    }
    let root = Process::new("pyenv").arg("root").output().unwrap().stdout;
    let root = String::from_utf8(root).unwrap();
    let p = Path::new(root.trim())
        .join("versions")
        .join(v.to_string())
        .join("bin")
        .join(short);
    assert!(p.is_file(), "no interpreter at {}", p.display());
    p
}

/// Runs `python -c code` and returns its stdout.
fn python_says(python: &Path, code: &str) -> String {
    let out = Process::new(python)
        .args(["-c", code])
        .env_remove("VIRTUAL_ENV")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ------------------------------------------------------------ sys.executable

#[test]
fn sys_executable_starts_the_linked_python_not_the_first_on_path() {
    // A `python3` first on PATH that is some other program: the program's
    // children must not meet it.
    let dir = tempfile::tempdir().unwrap();
    let fake = write(
        dir.path(),
        "bin/python3",
        "#!/bin/sh\necho 'the wrong python'\n",
    );
    Process::new("chmod").args(["+x", &fake]).status().unwrap();
    let path = format!(
        "{}:{}",
        dir.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let code = "import subprocess, sys, os\n\
                out = subprocess.run([sys.executable, '-c', 'import sys; print(*sys.version_info[:3])'],\n\
                                     capture_output=True, text=True).stdout.strip()\n\
                print('child version', out)\n\
                print('executable', sys.executable)\n\
                print('base executable', sys._base_executable)\n\
                print('is a file', os.path.isfile(sys.executable))\n";
    let out = specscope()
        .env("PATH", path)
        .args(["dump", "-c", code])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = program_output(&out.stderr);
    let v = linked();
    assert!(
        text.contains(&format!(
            "child version {} {} {}\n",
            v.major, v.minor, v.micro
        )),
        "{text}"
    );
    assert!(!text.contains("wrong python"), "{text}");
    assert!(text.contains("is a file True"), "{text}");
    let python = linked_python();
    let real = |p: &str| fs::canonicalize(p).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        real(&line("executable ")),
        fs::canonicalize(&python).unwrap()
    );
    assert_eq!(
        real(&line("base executable ")),
        fs::canonicalize(&python).unwrap()
    );
}

#[test]
fn multiprocessing_spawn_starts_children_on_the_linked_python() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "spawn.py",
        "import multiprocessing as mp, sys\n\
         def version(q):\n    q.put(tuple(sys.version_info[:3]))\n\
         if __name__ == '__main__':\n\
         \x20   ctx = mp.get_context('spawn')\n\
         \x20   q = ctx.Queue()\n\
         \x20   p = ctx.Process(target=version, args=(q,))\n\
         \x20   p.start()\n\
         \x20   print('child', q.get(timeout=60))\n\
         \x20   p.join()\n",
    );
    let out = specscope()
        .args(["dump", &script, "-f", "version"])
        .assert()
        .success()
        .get_output()
        .clone();
    let v = linked();
    assert!(
        program_output(&out.stderr)
            .contains(&format!("child ({}, {}, {})", v.major, v.minor, v.micro)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ------------------------------------------------------------ the program's code

/// Python that compares the running module's code object, and the code
/// objects in its constants, with what `compile()` makes of `source`
/// (`SOURCE` names an expression for it): prints "same code" or the first
/// difference.
const SAME_CODE: &str = "\
import sys
def differ(a, b, where):
    for field in ('co_code', 'co_names', 'co_varnames', 'co_freevars', 'co_cellvars', 'co_flags',
                  'co_firstlineno', 'co_qualname', 'co_linetable', 'co_exceptiontable', 'co_stacksize'):
        if getattr(a, field) != getattr(b, field):
            return '%s: %s differs' % (where, field)
    if len(a.co_consts) != len(b.co_consts):
        return '%s: co_consts differ' % where
    for x, y in zip(a.co_consts, b.co_consts):
        if hasattr(x, 'co_code'):
            found = differ(x, y, where + '.' + x.co_qualname)
            if found:
                return found
        elif type(x) is not type(y) or x != y:
            return '%s: constant %r is %r' % (where, x, y)
    return None
print(differ(sys._getframe().f_code, compile(SOURCE, FILENAME, 'exec'), '<module>') or 'same code')
";

#[test]
fn the_program_runs_the_code_python_compiles_from_its_text() {
    // A coding cookie other than UTF-8 (the text is decoded once, not again
    // by the cookie), a future import, a closure, a comprehension and an
    // exception table: all must come out as python compiles them.
    let dir = tempfile::tempdir().unwrap();
    let body = "# -*- coding: latin-1 -*-\n\
                from __future__ import annotations\n\
                WORD = 'caf\u{e9} \u{b5}'\n\
                def outer(n: int) -> list[int]:\n\
                \x20   def inner(k):\n\
                \x20       return k + n\n\
                \x20   try:\n\
                \x20       return [inner(i) for i in range(n) if i % 2]\n\
                \x20   except ValueError as e:\n\
                \x20       raise TypeError(WORD) from e\n\
                outer(4)\n\
                SOURCE = open(__file__, 'rb').read()\n\
                FILENAME = __file__\n";
    let latin1: Vec<u8> = format!("{body}{SAME_CODE}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a latin-1 character"))
        .collect();
    let script = dir.path().join("cookie.py");
    fs::write(&script, latin1).unwrap();
    let out = specscope()
        .args(["dump", "--format", "json"])
        .arg(&script)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "same code\n", "a script");

    // -c: the text given, compiled as "<string>" (the program reads the
    // same text from a file to compile it again).
    let copy = dir.path().join("given.txt");
    let code = format!(
        "SOURCE = open({:?}, encoding='utf-8').read()\nFILENAME = '<string>'\n\
         squares = {{k: k * k for k in range(3)}}\n{SAME_CODE}",
        copy.to_str().unwrap()
    );
    fs::write(&copy, &code).unwrap();
    let out = dump_json(&["-c", &code]);
    assert_eq!(program_output(&out.stderr), "same code\n", "-c");
}

// ------------------------------------------------------------ fork

/// A program that forks in `__main__` with every warning shown: under
/// python it prints what its child and then it wrote, and no warning
/// (CPython 3.12 and later warn only when other threads run at the fork).
const FORKS: &str = "\
import os, warnings
warnings.simplefilter('always')
print('threads before', len(os.listdir('/proc/self/task')), flush=True)
for i in range(3):
    pid = os.fork()
    if pid == 0:
        os.write(1, b'child %d\\n' % i)
        os._exit(0)
    os.waitpid(pid, 0)
    print('parent', i, flush=True)
";

#[test]
fn a_program_that_forks_gets_no_warning_python_would_not_give() {
    let expected = {
        let out = run_python(["-c", FORKS]);
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "python warns");
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(expected.starts_with("threads before 1\n"), "{expected}");
    // With the watchdog (--timeout) and the sampler (on by default) beside
    // the program, whose output the reader thread takes: all three stop
    // while the program forks, and go on after.
    let out = dump_json(&["--timeout", "60", "-c", FORKS]);
    let text = program_output(&out.stderr);
    let mine = text.split_once('\n').map_or("", |(_, rest)| rest);
    let theirs = expected.split_once('\n').map_or("", |(_, rest)| rest);
    assert_eq!(
        mine, theirs,
        "the program's output under specscope:\n{text}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["sampling"]["total"].as_u64().is_some(),
        "{}",
        json["sampling"]
    );
}

#[test]
fn the_timeout_still_ends_a_program_after_it_forked() {
    // It forks (the watchdog stops and starts again), then ignores SIGALRM
    // and spins: only the watchdog can end it.
    let code = "import os, signal\n\
                pid = os.fork()\n\
                if pid == 0:\n\
                \x20   os._exit(0)\n\
                os.waitpid(pid, 0)\n\
                signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
                print('spinning', flush=True)\n\
                while True:\n\
                \x20   pass\n";
    let started = Instant::now();
    let out = specscope()
        .args(["dump", "--format", "json", "--timeout", "0.5", "-c", code])
        .assert()
        .code(i32::from(specscope::exit::TIMEOUT))
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(program_output(&out.stderr).contains("spinning"));
}

/// `specscope dump --format json ARGS`, which must succeed.
fn dump_json(args: &[&str]) -> std::process::Output {
    dump_json_in(Path::new("."), args)
}

/// [`dump_json`], started in `dir`.
fn dump_json_in(dir: &Path, args: &[&str]) -> std::process::Output {
    specscope()
        .args(["dump", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .assert()
        .success()
        .get_output()
        .clone()
}

/// `python ARGS` with stdin at end-of-file.
fn run_python<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
    args: I,
) -> std::process::Output {
    run_python_in(Path::new("."), args)
}

/// [`run_python`], started in `dir`.
fn run_python_in<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: I,
) -> std::process::Output {
    Process::new(linked_python())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The same lines, in any order: under specscope the program's stdout and
/// stderr are one stream, in the order written, where python's were read
/// one after the other.
fn assert_same_lines(mine: &str, theirs: &str, context: &str) {
    let mut a: Vec<&str> = mine.lines().collect();
    let mut b: Vec<&str> = theirs.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "{context}");
}

/// What `python -c code` printed on stdout and stderr, one after the other
/// (the program flushes between them), with process ids made `N`.
fn python_prints(code: &str) -> String {
    let out = run_python(["-c", code]);
    without_pids(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

fn without_pids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("pid=") {
        out.push_str(&rest[..at + 4]);
        rest = rest[at + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

#[test]
fn a_fork_from_another_thread_is_warned_as_python_warns_it() {
    // The program has two threads of its own when it forks: CPython 3.12
    // and later warn it, under python as under specscope; 3.11 does not.
    let code = "import os, sys, threading, warnings\n\
                warnings.simplefilter('always')\n\
                def worker():\n\
                \x20   pid = os.fork()\n\
                \x20   if pid == 0:\n\
                \x20       os._exit(0)\n\
                \x20   os.waitpid(pid, 0)\n\
                \x20   print('worker forked', flush=True)\n\
                t = threading.Thread(target=worker)\n\
                t.start(); t.join()\n\
                sys.stdout.flush()\n";
    let expected = python_prints(code);
    assert_eq!(
        expected.contains("DeprecationWarning"),
        common::minor() >= 12,
        "{expected}"
    );
    let out = dump_json(&["-c", code]);
    let text = without_pids(&program_output(&out.stderr));
    assert_same_lines(&text, &expected, &format!("under specscope:\n{text}"));
}

#[test]
fn os_exit_in_a_forked_child_ends_it_at_once() {
    // No `finally` of the child's runs, as under python.
    let code = "import os\n\
                pid = os.fork()\n\
                if pid == 0:\n\
                \x20   try:\n\
                \x20       os._exit(3)\n\
                \x20   finally:\n\
                \x20       print('finally in the child', flush=True)\n\
                _, status = os.waitpid(pid, 0)\n\
                print('child exited with', os.waitstatus_to_exitcode(status), flush=True)\n";
    assert_eq!(python_prints(code), "child exited with 3\n");
    let out = dump_json(&["-c", code]);
    assert_eq!(program_output(&out.stderr), "child exited with 3\n");
}

#[test]
fn a_forked_child_s_uncaught_exception_is_printed_as_under_python() {
    // python's own hook prints the child's traceback; the child exits 1.
    let code = "import os\n\
                if os.fork() == 0:\n\
                \x20   raise ValueError('in the child')\n\
                _, status = os.wait()\n\
                print('child status', os.waitstatus_to_exitcode(status), flush=True)\n";
    let expected = python_prints(code);
    assert!(expected.contains("ValueError: in the child"), "{expected}");
    let out = dump_json(&["-c", code]);
    assert_same_lines(&program_output(&out.stderr), &expected, "forked child");
}

#[test]
fn os_exit_in_another_thread_ends_the_run_at_once() {
    // Under python the process ends at once, with that status, while the
    // main thread waits in join(): no `finally` of the thread's runs, and
    // the main thread prints nothing more. specscope ends the run there,
    // reports the exit and still shows what was collected.
    let code = "import os, threading, time\n\
                def f():\n\
                \x20   return 1\n\
                for _ in range(100):\n\
                \x20   f()\n\
                ready = threading.Event()\n\
                def worker():\n\
                \x20   ready.wait()\n\
                \x20   time.sleep(0.01)\n\
                \x20   try:\n\
                \x20       os._exit(5)\n\
                \x20   finally:\n\
                \x20       print('finally in the thread', flush=True)\n\
                t = threading.Thread(target=worker)\n\
                t.start()\n\
                print('main waits', flush=True)\n\
                ready.set()\n\
                t.join()\n\
                print('main after join', flush=True)\n";
    let python = run_python(["-c", code]);
    assert_eq!(python.status.code(), Some(5));
    assert_eq!(String::from_utf8_lossy(&python.stdout), "main waits\n");
    let out = specscope()
        .args(["dump", "--format", "json", "-c", code, "-f", "f"])
        .assert()
        .code(i32::from(specscope::exit::PROGRAM_EXIT))
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "main waits\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("os._exit(5)"), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["exit"]["how"], "os._exit", "{}", json["run"]);
    assert_eq!(json["run"]["exit"]["status"], 5);
    assert_eq!(json["code_objects"][0]["qualname"], "f");
}

#[test]
fn os_exit_and_exec_are_posix_s_own_as_the_program_sees_them() {
    // `os` has them from `posix`: the same function in both, named as
    // posix's, so pickle names it (a spawned process can be told to run
    // os._exit) and `posix._exit` ends the run as `os._exit` does.
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "spawner.py",
        "import os, pickle, posix, multiprocessing as mp\n\
         if __name__ == '__main__':\n\
         \x20   print(os._exit is posix._exit, os.execv is posix.execv, os.execve is posix.execve)\n\
         \x20   print(os._exit.__module__, os._exit.__qualname__, pickle.loads(pickle.dumps(os._exit)) is os._exit)\n\
         \x20   p = mp.get_context('spawn').Process(target=os._exit, args=(3,))\n\
         \x20   p.start()\n\
         \x20   p.join()\n\
         \x20   print('child exit', p.exitcode, flush=True)\n\
         \x20   try:\n\
         \x20       posix._exit(5)\n\
         \x20   finally:\n\
         \x20       print('finally', flush=True)\n",
    );
    let python = run_python([&script]);
    assert_eq!(python.status.code(), Some(5));
    let expected = String::from_utf8(python.stdout).unwrap();
    assert_eq!(expected, "True True True\nposix _exit True\nchild exit 3\n");
    let out = specscope()
        .args(["dump", "--format", "json", &script])
        .assert()
        .code(i32::from(specscope::exit::PROGRAM_EXIT))
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), expected);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["exit"]["how"], "os._exit", "{}", json["run"]);
    assert_eq!(json["run"]["exit"]["status"], 5);
}

#[test]
fn os_exit_after_an_uncaught_exception_decides_the_exit_status() {
    // In the program's sys.excepthook, or in an exit handler: python ends
    // with os._exit's status, not the exception's 1.
    for (code, status) in [
        (
            "import os, sys\n\
             def hook(t, v, tb):\n\
             \x20   print('hook', v, flush=True)\n\
             \x20   os._exit(3)\n\
             sys.excepthook = hook\n\
             raise ValueError('x')\n",
            3,
        ),
        (
            "import atexit, os\n\
             atexit.register(os._exit, 4)\n\
             raise ValueError('x')\n",
            4,
        ),
    ] {
        assert_eq!(run_python(["-c", code]).status.code(), Some(status));
        let out = specscope()
            .args(["dump", "--format", "json", "-c", code])
            .assert()
            .code(i32::from(specscope::exit::PROGRAM_EXIT))
            .get_output()
            .clone();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["run"]["exception"]["type"], "ValueError",
            "{}",
            json["run"]
        );
        assert_eq!(json["run"]["exit"]["how"], "os._exit", "{}", json["run"]);
        assert_eq!(json["run"]["exit"]["status"], status);
    }
}

#[test]
fn os_exit_in_another_thread_while_the_main_thread_trades_the_interpreter() {
    // The main thread gives the interpreter up and takes it back all the
    // time (`time.sleep(0)`), so the exit finds it inside CPython's
    // hand-over more often than not. Stopping it there with a signal hung
    // the run for good about every second time; it is parked instead the
    // next time it runs Python code. Five runs, each of which must end.
    let code = "import os, threading, time\n\
                def worker():\n\
                \x20   for _ in range(200000):\n\
                \x20       pass\n\
                \x20   os._exit(7)\n\
                threading.Thread(target=worker).start()\n\
                while True:\n\
                \x20   time.sleep(0)\n";
    assert_eq!(run_python(["-c", code]).status.code(), Some(7));
    for _ in 0..5 {
        let out = specscope()
            .args(["dump", "--format", "json", "-c", code])
            .timeout(Duration::from_secs(30))
            .assert()
            .code(i32::from(specscope::exit::PROGRAM_EXIT))
            .get_output()
            .clone();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["run"]["exit"]["how"], "os._exit", "{}", json["run"]);
        assert_eq!(json["run"]["exit"]["status"], 7);
    }
}

/// Python source of `count` small functions, each run twice, so that
/// collecting takes a while (tens of milliseconds and more): a takeover
/// then lasts long enough for the program's thread to wake during it.
fn many_functions(count: usize) -> String {
    (0..count)
        .map(|i| format!("def g{i}(x):\n    return x + {i}\ng{i}(1); g{i}(2.5)\n"))
        .collect()
}

#[test]
fn a_timeout_that_ends_the_run_from_the_watchdog_runs_no_more_of_the_program() {
    // The main thread sleeps past the timeout, SIGALRM ignored: the
    // watchdog ends the run from its own thread, and the main thread wakes
    // while the dump of its 3,000 functions is built. Whether it then finds
    // the interpreter held for good or gets it for a moment (and is parked
    // at once), it runs no further line.
    let code = many_functions(3000)
        + "import signal, time\n\
           signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
           print('asleep', flush=True)\n\
           time.sleep(0.35)\n\
           print('awake', flush=True)\n\
           time.sleep(100)\n";
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "sleeper.py", &code);
    let out = specscope()
        .args(["dump", "--format", "json", "--timeout", "0.2", &script])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(i32::from(specscope::exit::TIMEOUT))
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "asleep\n");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["run"]["stopped"]["reason"], "timeout",
        "{}",
        json["run"]
    );
}

#[test]
fn code_that_swallows_errors_cannot_keep_the_program_going_after_os_exit() {
    // The main thread loops on an SQL query whose Python function sqlite
    // calls: sqlite clears whatever that function raises (and the query
    // fails with OperationalError, which the loop catches). Another thread
    // calls os._exit while the dump of 3,000 functions takes a while: the
    // main thread must run none of the program's code after that, or its
    // write would land in the dump on stdout.
    let code = many_functions(3000)
        + "import os, sqlite3, threading, time\n\
           ended = []\n\
           def f(x):\n\
           \x20   time.sleep(0.0005)\n\
           \x20   return x\n\
           con = sqlite3.connect(':memory:')\n\
           con.create_function('f', 1, f)\n\
           def worker():\n\
           \x20   time.sleep(0.2)\n\
           \x20   ended.append(1)\n\
           \x20   os._exit(7)\n\
           threading.Thread(target=worker).start()\n\
           while True:\n\
           \x20   try:\n\
           \x20       con.execute('select f(1)').fetchall()\n\
           \x20   except sqlite3.OperationalError:\n\
           \x20       if ended:\n\
           \x20           os.write(1, b'LEAKED\\n')\n";
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "swallower.py", &code);
    assert_eq!(run_python([&script]).status.code(), Some(7));
    for _ in 0..2 {
        let out = specscope()
            .args(["dump", "--format", "json", &script])
            .timeout(Duration::from_secs(30))
            .assert()
            .code(i32::from(specscope::exit::PROGRAM_EXIT))
            .get_output()
            .clone();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            let text = String::from_utf8_lossy(&out.stdout);
            panic!("{e}: {}", &text[text.len().saturating_sub(300)..])
        });
        assert_eq!(json["run"]["exit"]["status"], 7, "{}", json["run"]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("LEAKED"));
    }
}

#[test]
fn os_exit_while_the_watchdog_asks_for_the_run_ends_it_once() {
    // The timeout passes while the program spins (SIGALRM ignored, a long
    // switch interval: the main thread keeps the interpreter), and the
    // program calls os._exit before it took the watchdog's pending call.
    // Whichever comes first ends the run; the other must not get in its
    // way (the thread ending the run once parked itself at that pending
    // call, and nothing was shown).
    let code = "import os, signal, sys, time\n\
                signal.signal(signal.SIGALRM, signal.SIG_IGN)\n\
                sys.setswitchinterval(0.5)\n\
                t0 = time.monotonic()\n\
                while time.monotonic() - t0 < 0.3:\n\
                \x20   pass\n\
                os._exit(3)\n";
    let started = Instant::now();
    let out = specscope()
        .args(["dump", "--format", "json", "--timeout", "0.2", "-c", code])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code();
    if code == Some(i32::from(specscope::exit::TIMEOUT)) {
        assert_eq!(
            json["run"]["stopped"]["reason"], "timeout",
            "{}",
            json["run"]
        );
    } else {
        assert_eq!(code, Some(i32::from(specscope::exit::PROGRAM_EXIT)));
        assert_eq!(json["run"]["exit"]["status"], 3, "{}", json["run"]);
    }
}

#[test]
fn a_command_s_lines_are_where_python_puts_them() {
    // python 3.13 registers the text of -c with linecache (warnings and
    // tracebacks then show its lines); 3.11 and 3.12 do not.
    let code = "import sys, warnings\n\
                warnings.warn('look here')\n\
                print('in linecache', '<string>' in sys.modules.get('linecache', type('', (), {'cache': {}})).cache, flush=True)\n\
                sys.stderr.flush()\n";
    let expected = python_prints(code);
    assert_eq!(
        expected.contains("warnings.warn('look here')"),
        common::minor() >= 13,
        "{expected}"
    );
    let out = dump_json(&["-c", code]);
    let text = program_output(&out.stderr);
    assert_same_lines(&text, &expected, &format!("under specscope:\n{text}"));
}

#[test]
fn a_command_s_traceback_is_python_s() {
    // Lines and carets from 3.13 on, none before, as python prints it.
    let code = "def f():\n    return 1 / 0\nf()\n";
    let python = run_python(["-c", code]);
    let expected = String::from_utf8(python.stderr).unwrap();
    assert_eq!(
        expected.contains("return 1 / 0"),
        common::minor() >= 13,
        "{expected}"
    );
    let out = specscope()
        .args(["dump", "--format", "json", "-c", code])
        .assert()
        .code(i32::from(specscope::exit::PROGRAM_EXCEPTION))
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&expected),
        "python's traceback:\n{expected}\nspecscope's stderr:\n{stderr}"
    );
}

// ------------------------------------------------------------ the stack

#[test]
fn the_program_s_frames_are_the_only_ones_on_its_stack() {
    // Under python the script's module frame is its thread's first: a
    // warning two levels up is attributed to the place past it, and the
    // stack the program sees holds its own frames only.
    let probe = "import inspect, sys, traceback, warnings\n\
                 warnings.warn('two up', stacklevel=2)\n\
                 traceback.print_stack(file=sys.stdout)\n\
                 print([f.function for f in inspect.stack()])\n\
                 def f():\n\
                 \x20   warnings.warn('three up', stacklevel=3)\n\
                 \x20   frame, depth = sys._getframe(), 0\n\
                 \x20   while frame is not None:\n\
                 \x20       frame, depth = frame.f_back, depth + 1\n\
                 \x20   return depth\n\
                 print('depth', f())\n\
                 try:\n\
                 \x20   sys._getframe(1)\n\
                 except ValueError as e:\n\
                 \x20   print('ValueError', e)\n\
                 sys.stderr.flush()\n";
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "stack.py", probe);
    for target in [&[script.as_str()][..], &["-c", probe][..]] {
        let python = run_python(target);
        let expected = format!(
            "{}{}",
            String::from_utf8_lossy(&python.stdout),
            String::from_utf8_lossy(&python.stderr)
        );
        // (3.13 names the place past the last frame `<sys>:0`.)
        let past_the_top = if common::minor() >= 13 {
            "<sys>:0"
        } else {
            "sys:1"
        };
        assert!(
            expected.contains(&format!("{past_the_top}: UserWarning: two up")),
            "{expected}"
        );
        let out = dump_json(target);
        let text = program_output(&out.stderr);
        assert_same_lines(
            &text,
            &expected,
            &format!("{target:?} under specscope:\n{text}"),
        );
    }
}

// ------------------------------------------------------------ threads at the end

#[test]
fn the_program_s_threads_end_before_its_exit_handlers_as_under_python() {
    // A thread that is not a daemon, an idle ThreadPoolExecutor (its
    // workers end on threading's own exit callbacks) and an exit handler.
    let code = "import atexit, threading, time\n\
                from concurrent.futures import ThreadPoolExecutor\n\
                atexit.register(lambda: print('exit handler', flush=True))\n\
                pool = ThreadPoolExecutor(2)\n\
                print(sum(pool.map(abs, range(-5, 5))), flush=True)\n\
                def late():\n\
                \x20   time.sleep(0.2)\n\
                \x20   print('the thread ended', flush=True)\n\
                threading.Thread(target=late).start()\n\
                print('main ended', flush=True)\n";
    let expected = python_prints(code);
    assert_eq!(expected, "25\nmain ended\nthe thread ended\nexit handler\n");
    let out = dump_json(&["-c", code]);
    assert_eq!(program_output(&out.stderr), expected);
}

#[test]
fn a_broken_threading_shutdown_is_reported_as_python_reports_it() {
    let code = "import threading\n\
                del threading._shutdown\n\
                print('main ended', flush=True)\n";
    let expected = python_prints(code);
    assert!(
        expected.ends_with("AttributeError: module 'threading' has no attribute '_shutdown'\n"),
        "{expected}"
    );
    let out = dump_json(&["-c", code]);
    assert_eq!(program_output(&out.stderr), expected);
}

// ------------------------------------------------------------ sys.excepthook

#[test]
fn an_uncaught_exception_goes_to_the_program_s_excepthook() {
    // python calls the hook the program put in sys.excepthook, and prints
    // its error and then the original traceback when the hook raises.
    for (hook, says) in [
        (
            "print('hook:', t.__name__, v, file=sys.stderr)",
            "hook: KeyError 'main'",
        ),
        (
            "raise RuntimeError('the hook broke')",
            "Original exception was:",
        ),
        // Not callable: the error has no traceback of the program's.
        ("pass\nhook = 3", "TypeError: 'int' object is not callable"),
    ] {
        let code = format!(
            "import sys\n\
             def hook(t, v, tb):\n\
             \x20   {hook}\n\
             sys.excepthook = hook\n\
             raise KeyError('main')\n"
        );
        let python = run_python(["-c", &code]);
        let expected = String::from_utf8(python.stderr).unwrap();
        assert!(expected.contains(says), "{expected}");
        let out = specscope()
            .args(["dump", "--format", "json", "-c", &code])
            .assert()
            .code(i32::from(specscope::exit::PROGRAM_EXCEPTION))
            .get_output()
            .clone();
        assert_eq!(program_output(&out.stderr), expected, "{hook}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["run"]["exception"]["type"], "KeyError");
    }
}

// ------------------------------------------------------------ os.exec*

#[test]
fn an_exec_ends_the_run_there_and_what_was_collected_is_shown() {
    // Under python the process becomes `echo`: no `finally` block and no
    // exit handler of the program runs. Under specscope the run ends there,
    // as for os._exit, and the dump is shown (echo does not run).
    let code = "import atexit, os\n\
                atexit.register(lambda: print('exit handler', flush=True))\n\
                def f():\n\
                \x20   return 1\n\
                for _ in range(100):\n\
                \x20   f()\n\
                print('before exec', flush=True)\n\
                try:\n\
                \x20   os.execvp('echo', ['echo', 'echo ran'])\n\
                finally:\n\
                \x20   print('finally', flush=True)\n";
    assert_eq!(python_prints(code), "before exec\necho ran\n");
    let out = dump_json(&["-c", code, "-f", "f"]);
    assert_eq!(program_output(&out.stderr), "before exec\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("which would make the process another program: the run ends there"),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let exit = &json["run"]["exit"];
    assert_eq!(exit["how"], "os.exec", "{exit}");
    assert_eq!(exit["status"], 0);
    let call = exit["code"].as_str().unwrap();
    assert!(
        call.starts_with("os.execv('/") && call.ends_with("echo')"),
        "{call}"
    );
    assert_eq!(json["code_objects"][0]["qualname"], "f");
}

#[test]
fn an_exec_that_fails_raises_in_the_program_as_under_python() {
    // A missing file, an empty argument list: the program gets python's
    // errors and goes on; a child the program forked becomes the program
    // it names, as under python, its output captured.
    let code = "import os\n\
                try:\n\
                \x20   os.execv('/nonexistent/program', ['program'])\n\
                except OSError as e:\n\
                \x20   print(type(e).__name__, e.errno, flush=True)\n\
                try:\n\
                \x20   os.execv('/bin/echo', [])\n\
                except ValueError as e:\n\
                \x20   print('ValueError', e, flush=True)\n\
                pid = os.fork()\n\
                if pid == 0:\n\
                \x20   os.execv('/bin/echo', ['echo', 'the child became echo'])\n\
                os.waitpid(pid, 0)\n\
                print('parent goes on', flush=True)\n";
    let expected = python_prints(code);
    assert!(
        expected.ends_with("the child became echo\nparent goes on\n"),
        "{expected}"
    );
    let out = dump_json(&["-c", code]);
    assert_eq!(program_output(&out.stderr), expected);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["run"]["exit"].is_null(), "{}", json["run"]);
}

#[test]
fn an_exec_on_another_thread_ends_the_run_at_once() {
    let code = "import os, threading\n\
                def worker():\n\
                \x20   os.execv('/bin/echo', ['echo', 'echo ran'])\n\
                t = threading.Thread(target=worker)\n\
                t.start()\n\
                t.join()\n\
                print('main after join', flush=True)\n";
    assert_eq!(python_prints(code), "echo ran\n");
    let out = dump_json(&["-c", code]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("output of the program"), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["exit"]["code"], "os.execv('/bin/echo')");
}

// ------------------------------------------------------------ __main__

#[test]
fn main_is_the_module_python_makes() {
    // Its names in python's order, its loader and `__cached__`, for a
    // script, -c, -m of a module and -m of a package; and `sys.argv` and
    // `sys.orig_argv` as python's command line gives them.
    let dir = tempfile::tempdir().unwrap();
    let probe = "import sys\n\
                 main = sys.modules['__main__']\n\
                 names = [k for k in vars(main) if k.startswith('__') and k != '__main__']\n\
                 print(names)\n\
                 print(type(main.__loader__).__name__, main.__loader__.__class__.__module__,\n\
                 \x20     repr(getattr(main, '__cached__', 'none')), main.__annotations__, main.__package__)\n\
                 print(sys.orig_argv[0] == sys.executable, sys.orig_argv[1:], sys.argv[1:])\n";
    let script = write(dir.path(), "probe.py", probe);
    write(dir.path(), "pkg/__init__.py", "");
    write(dir.path(), "pkg/__main__.py", probe);
    // The target, then the program's arguments.
    let runs: [(&[&str], &[&str]); 4] = [
        (&[&script], &["--flag"]),
        (&["-c", probe], &["arg"]),
        (&["-m", "probe"], &[]),
        (&["-m", "pkg"], &["one", "two"]),
    ];
    for (target, args) in runs {
        let python = run_python_in(dir.path(), target.iter().chain(args));
        assert!(python.status.success(), "{target:?}");
        let expected = String::from_utf8(python.stdout).unwrap();
        let dumped: Vec<&str> = target.iter().chain(&["--"]).chain(args).copied().collect();
        let out = dump_json_in(dir.path(), &dumped);
        assert_eq!(program_output(&out.stderr), expected, "{target:?}");
    }
}

#[test]
fn a_script_s_file_name_is_absolute_as_python_makes_it() {
    // python joins the path given to the working folder as it is
    // (`./sub/../sub/s.py` stays so), for `__file__` and the code's file
    // name; `sys.argv[0]` is the path given. A program that changes folder
    // still finds the files beside it.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sub/data.txt", "beside\n");
    write(
        dir.path(),
        "sub/s.py",
        "import os, sys\n\
         print(__file__, sys.argv[0], sys._getframe().f_code.co_filename)\n\
         os.chdir('/')\n\
         print(open(os.path.join(os.path.dirname(__file__), 'data.txt')).read(), end='')\n",
    );
    for path in ["sub/s.py", "./sub/../sub/s.py"] {
        let python = run_python_in(dir.path(), [path]);
        assert!(python.status.success(), "{path}");
        let expected = String::from_utf8(python.stdout).unwrap();
        assert!(
            expected.starts_with('/') && expected.ends_with("beside\n"),
            "{expected}"
        );
        let out = dump_json_in(dir.path(), &[path]);
        assert_eq!(program_output(&out.stderr), expected, "{path}");
    }
}

#[test]
fn a_write_past_the_file_size_limit_fails_as_under_python() {
    // python ignores SIGXFSZ: the write raises OSError (EFBIG) and the
    // program goes on, where the signal's default would end the process.
    let code = "import errno, resource, signal\n\
                print(signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN)\n\
                resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))\n\
                try:\n\
                \x20   with open('big.bin', 'wb') as f:\n\
                \x20       f.write(b'x' * 5000)\n\
                except OSError as e:\n\
                \x20   print(errno.errorcode[e.errno])\n";
    let dir = tempfile::tempdir().unwrap();
    let python = run_python_in(dir.path(), ["-c", code]);
    let expected = String::from_utf8(python.stdout).unwrap();
    assert_eq!(expected, "True\nEFBIG\n");
    let out = dump_json_in(dir.path(), &["-c", code]);
    assert_eq!(program_output(&out.stderr), expected);
}

#[test]
fn a_sigint_the_program_sends_itself_is_a_keyboardinterrupt_not_ctrl_c() {
    // Under python each one raises KeyboardInterrupt, however many. Under
    // specscope a second Ctrl-C ends a program that caught the first: one
    // the program sends itself (or simulates, `_thread.interrupt_main`) is
    // not Ctrl-C, and never the second one.
    let code = "import _thread, os, signal\n\
                caught = 0\n\
                for send in [signal.raise_signal, lambda s: os.kill(os.getpid(), s), lambda s: _thread.interrupt_main(s)] * 2:\n\
                \x20   try:\n\
                \x20       send(signal.SIGINT)\n\
                \x20       signal.sigtimedwait([], 0.5)\n\
                \x20   except KeyboardInterrupt:\n\
                \x20       caught += 1\n\
                print('caught', caught, flush=True)\n\
                signal.raise_signal(signal.SIGINT)\n";
    let python = run_python(["-c", code]);
    assert_eq!(String::from_utf8_lossy(&python.stdout), "caught 6\n");
    let out = specscope()
        .args(["dump", "--format", "json", "-c", code])
        .assert()
        .code(i32::from(specscope::exit::PROGRAM_EXCEPTION))
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "caught 6\n");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["run"]["stopped"].is_null(), "{}", json["run"]);
    assert_eq!(json["run"]["exception"]["type"], "KeyboardInterrupt");
}

#[test]
fn print_runs_no_python_code_the_program_s_hooks_would_see() {
    // Under python `print` and `sys.stdout.buffer.write` run C code only: a
    // trace function, a profiler and sys.monitoring (3.12 and later) see
    // the calls of the program's own frame and nothing more.
    let code = "import sys\n\
                seen = []\n\
                def tracer(frame, event, arg):\n\
                \x20   seen.append(('trace', frame.f_code.co_name, event))\n\
                \x20   return tracer\n\
                sys.settrace(tracer)\n\
                print('traced')\n\
                sys.stdout.buffer.write(b'bytes\\n')\n\
                sys.settrace(None)\n\
                sys.setprofile(lambda f, e, a: seen.append(('profile', f.f_code.co_name, e)))\n\
                print('profiled')\n\
                sys.setprofile(None)\n\
                if hasattr(sys, 'monitoring'):\n\
                \x20   m = sys.monitoring\n\
                \x20   m.use_tool_id(3, 'probe')\n\
                \x20   m.register_callback(3, m.events.PY_START, lambda code, offset: seen.append(('start', code.co_name)))\n\
                \x20   m.set_events(3, m.events.PY_START)\n\
                \x20   print('monitored')\n\
                \x20   m.set_events(3, 0)\n\
                sys.stdout.flush()\n\
                print(seen)\n";
    let expected = python_prints(code);
    assert!(
        expected.contains("('profile', '<module>', 'c_call')"),
        "{expected}"
    );
    let out = dump_json(&["-c", code]);
    assert_eq!(program_output(&out.stderr), expected);
}

#[test]
fn a_termination_signal_the_program_sends_itself_keeps_its_output() {
    // Under python the process dies by the signal, its output already on
    // the terminal. Under specscope that output is still shown, with a
    // paragraph naming the signal (exit 14); sent by another process, the
    // signal ends specscope as it ends python, without a word.
    use std::os::unix::process::ExitStatusExt;
    for (name, number) in [("SIGTERM", libc::SIGTERM), ("SIGHUP", libc::SIGHUP)] {
        let code = format!(
            "import os, signal\n\
             print('before', flush=True)\n\
             os.kill(os.getpid(), signal.{name})\n\
             signal.sigtimedwait([], 1)\n\
             print('after', flush=True)\n"
        );
        let python = run_python(["-c", &code]);
        assert_eq!(python.status.signal(), Some(number), "{name}");
        assert_eq!(String::from_utf8_lossy(&python.stdout), "before\n");
        let out = specscope()
            .args(["dump", "--format", "json", "-c", &code])
            .assert()
            .code(i32::from(specscope::exit::CRASHED))
            .get_output()
            .clone();
        assert_eq!(program_output(&out.stderr), "before\n", "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("ended by {name}")), "{stderr}");
    }
    let child = Process::new(env!("CARGO_BIN_EXE_specscope"))
        .args(["dump", "--format", "json", "-c"])
        .arg("import time\nprint('waiting', flush=True)\ntime.sleep(30)\n")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: kill with a live child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGTERM));
}

#[test]
fn the_interpreter_is_not_finalized_after_the_exit_handlers() {
    // As the README says: python frees the program's globals at its end
    // (a file's buffer is flushed, `__del__` runs); specscope does not.
    let code = "f = open('left-open.txt', 'w')\n\
                f.write('data\\n')\n\
                class Noisy:\n\
                \x20   def __del__(self):\n\
                \x20       print('__del__ ran', flush=True)\n\
                kept = Noisy()\n";
    let dir = tempfile::tempdir().unwrap();
    let python = run_python_in(dir.path(), ["-c", code]);
    assert_eq!(String::from_utf8_lossy(&python.stdout), "__del__ ran\n");
    assert_eq!(
        fs::read_to_string(dir.path().join("left-open.txt")).unwrap(),
        "data\n"
    );
    fs::remove_file(dir.path().join("left-open.txt")).unwrap();
    let out = dump_json_in(dir.path(), &["-c", code]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("__del__ ran"));
    assert_eq!(
        fs::read_to_string(dir.path().join("left-open.txt")).unwrap(),
        ""
    );
}

#[test]
fn print_goes_to_the_capture_whatever_file_descriptor_1_points_to() {
    // As the README says: under python `print` follows file descriptor 1
    // to the log; under specscope it stays in the program's output, and
    // only `os.write(1, ...)` reaches the log.
    let code = "import os\n\
                log = open('log.txt', 'w')\n\
                os.dup2(log.fileno(), 1)\n\
                print('printed', flush=True)\n\
                os.write(1, b'written\\n')\n";
    let dir = tempfile::tempdir().unwrap();
    let python = run_python_in(dir.path(), ["-c", code]);
    assert!(python.status.success());
    let log = dir.path().join("log.txt");
    assert_eq!(fs::read_to_string(&log).unwrap(), "printed\nwritten\n");
    fs::remove_file(&log).unwrap();
    let out = dump_json_in(dir.path(), &["-c", code]);
    assert_eq!(program_output(&out.stderr), "printed\n");
    assert_eq!(fs::read_to_string(&log).unwrap(), "written\n");
}

#[test]
fn sigint_s_handler_is_specscope_s_while_the_program_runs() {
    // As the README says: python's own handler under python, so that
    // asyncio.run puts its own in while it runs; specscope's under
    // specscope, which asyncio.run then leaves alone.
    let code = "import asyncio, signal\n\
                print('default', signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n\
                outside = signal.getsignal(signal.SIGINT)\n\
                async def main():\n\
                \x20   print('asyncio took it', signal.getsignal(signal.SIGINT) is not outside)\n\
                asyncio.run(main())\n";
    assert_eq!(python_prints(code), "default True\nasyncio took it True\n");
    let out = dump_json(&["-c", code]);
    assert_eq!(
        program_output(&out.stderr),
        "default False\nasyncio took it False\n"
    );
}

// ------------------------------------------------------------ standard streams

#[test]
fn standard_streams_are_real_text_streams() {
    let code = "import sys, io, faulthandler\n\
                for name in ('stdout', 'stderr', 'stdin'):\n\
                \x20   s = getattr(sys, name)\n\
                \x20   print(name, isinstance(s, io.TextIOWrapper), s.fileno(), s.isatty(),\n\
                \x20         s.writable(), s.readable(), type(s.buffer).__name__ != 'NoneType')\n\
                sys.stdout.reconfigure(line_buffering=True)\n\
                print('line buffering', sys.stdout.line_buffering)\n\
                faulthandler.enable()\n\
                print('faulthandler', faulthandler.is_enabled())\n\
                sys.stdout.flush(); sys.stderr.flush()\n";
    let out = specscope()
        .args(["dump", "-c", code, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    serde_json::from_slice::<Value>(&out.stdout).expect("stdout holds only the dump");
    let text = program_output(&out.stderr);
    for line in [
        "stdout True 1 False True False True",
        "stderr True 2 False True False True",
        "stdin True 0 False False True True",
        "line buffering True",
        "faulthandler True",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[test]
fn streams_have_the_encoding_and_errors_python_gives_them() {
    let ask =
        "import sys; print([(s.encoding, s.errors) for s in (sys.stdin, sys.stdout, sys.stderr)])";
    for env in [None, Some("latin-1:replace")] {
        let mut python = Process::new(linked_python());
        python.args(["-c", ask]).stdin(Stdio::null());
        let mut ours = specscope();
        ours.args(["dump", "-c", ask]);
        if let Some(value) = env {
            python.env("PYTHONIOENCODING", value);
            ours.env("PYTHONIOENCODING", value);
        }
        let expected = String::from_utf8(python.output().unwrap().stdout).unwrap();
        let out = ours.assert().success().get_output().clone();
        assert_eq!(
            program_output(&out.stderr),
            expected,
            "PYTHONIOENCODING={env:?}"
        );
    }
}

#[test]
fn bytes_written_to_stdout_buffer_are_kept_in_order_with_the_text() {
    let code = "import sys\n\
                print('text one')\n\
                sys.stdout.buffer.write(b'bytes \\xc3\\xa9t\\xc3')\n\
                sys.stdout.buffer.write(b'\\xa9\\n')\n\
                print('text two')\n\
                sys.stderr.buffer.write(b'error bytes\\n')\n\
                print('text three')\n";
    let out = specscope()
        .args(["dump", "-c", code])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        program_output(&out.stderr),
        "text one\nbytes été\ntext two\nerror bytes\ntext three\n"
    );
}

// ------------------------------------------------------------ virtualenvs

/// `python -m venv` of the linked interpreter (no pip: quicker).
fn make_venv(dir: &Path, system_site_packages: bool) -> PathBuf {
    let venv = dir.join(if system_site_packages {
        "with-system"
    } else {
        "plain"
    });
    let mut cmd = Process::new(linked_python());
    cmd.args(["-m", "venv", "--without-pip"]);
    if system_site_packages {
        cmd.arg("--system-site-packages");
    }
    assert!(cmd.arg(&venv).status().unwrap().success());
    venv
}

const SHOW_WORLD: &str = "import sys\nprint(sys.executable)\nprint(sys.prefix)\nprint(sys.path)\n";

#[test]
fn a_virtualenv_gives_the_program_the_sys_path_of_its_own_python() {
    let dir = tempfile::tempdir().unwrap();
    let base_sites = python_says(
        &linked_python(),
        "import site; print('\\n'.join(site.getsitepackages()))",
    );
    let base_site = base_sites.lines().next().unwrap().to_string();
    for system in [false, true] {
        let venv = make_venv(dir.path(), system);
        let theirs = python_says(&venv.join("bin/python"), SHOW_WORLD);
        let out = specscope()
            .env("VIRTUAL_ENV", &venv)
            .args(["dump", "-c", SHOW_WORLD])
            .assert()
            .success()
            .get_output()
            .clone();
        let ours = program_output(&out.stderr);
        assert_eq!(ours, theirs, "include-system-site-packages = {system}");
        let lines: Vec<&str> = ours.lines().collect();
        assert_eq!(Path::new(lines[0]), venv.join("bin/python"));
        assert_eq!(Path::new(lines[1]), venv);
        let own_site = format!(
            "{}/lib/python{}/site-packages",
            venv.display(),
            linked().short()
        );
        let own_at = lines[2]
            .find(&format!("'{own_site}'"))
            .expect("its site-packages");
        match lines[2].find(&format!("'{base_site}'")) {
            Some(base_at) => {
                assert!(
                    system,
                    "base site-packages without include-system-site-packages"
                );
                assert!(own_at < base_at, "the venv's site-packages come first");
            }
            None => assert!(!system, "base site-packages missing: {}", lines[2]),
        }
    }
}

#[test]
fn a_virtualenv_package_wins_over_one_outside_it() {
    // The same module in the virtualenv and in the user's site-packages
    // (which a virtualenv with system site-packages also sees, after its
    // own): the virtualenv's copy is imported, as with its python.
    let dir = tempfile::tempdir().unwrap();
    let user_base = dir.path().join("userbase");
    let short = linked().short();
    write(
        &user_base.join(format!("lib/python{short}/site-packages")),
        "world_probe_module.py",
        "WHERE = 'user site-packages'\n",
    );
    let code = "import world_probe_module; print(world_probe_module.WHERE)";
    for system in [false, true] {
        let venv = make_venv(dir.path(), system);
        write(
            &venv.join(format!("lib/python{short}/site-packages")),
            "world_probe_module.py",
            "WHERE = 'the virtualenv'\n",
        );
        let theirs = Process::new(venv.join("bin/python"))
            .args(["-c", code])
            .env("PYTHONUSERBASE", &user_base)
            .output()
            .unwrap();
        let out = specscope()
            .env("VIRTUAL_ENV", &venv)
            .env("PYTHONUSERBASE", &user_base)
            .args(["dump", "-c", code])
            .assert()
            .success()
            .get_output()
            .clone();
        assert_eq!(program_output(&out.stderr), "the virtualenv\n");
        assert_eq!(
            program_output(&out.stderr),
            String::from_utf8(theirs.stdout).unwrap()
        );
    }
}

/// A virtualenv made for Python 3.99, by hand.
fn foreign_venv(dir: &Path, extra_cfg: &str) -> PathBuf {
    let venv = dir.join("venv399");
    write(
        &venv,
        "pyvenv.cfg",
        &format!("include-system-site-packages = false\nversion = 3.99.1\n{extra_cfg}"),
    );
    venv
}

fn executable_file(dir: &Path, name: &str) -> PathBuf {
    let path = PathBuf::from(write(dir, name, "#!/bin/sh\n"));
    Process::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

#[test]
fn a_virtualenv_of_another_version_names_its_interpreter_in_full() {
    let dir = tempfile::tempdir().unwrap();
    // From pyvenv.cfg's `home`.
    let home = dir.path().join("base/bin");
    let interpreter = executable_file(&home, "python3.99");
    let venv = foreign_venv(dir.path(), &format!("home = {}\n", home.display()));
    specscope()
        .env("VIRTUAL_ENV", &venv)
        .args(["dump", "-c", "pass"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("is for Python 3.99.1"))
        .stderr(predicate::str::contains(format!(
            "PYO3_PYTHON={} cargo build --release",
            interpreter.display()
        )));
}

#[test]
fn a_virtualenv_of_another_version_is_found_in_pyenv() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pyenv");
    let interpreter = executable_file(&root.join("versions/3.99.1/bin"), "python3.99");
    let venv = foreign_venv(dir.path(), "home = /nowhere/bin\n");
    specscope()
        .env("VIRTUAL_ENV", &venv)
        .env("PYENV_ROOT", &root)
        .args(["dump", "-c", "pass"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(format!(
            "PYO3_PYTHON={} cargo build --release",
            interpreter.display()
        )));
    // Nothing found: the interpreter's name, never a path that is not there.
    specscope()
        .env("VIRTUAL_ENV", &venv)
        .env("PYENV_ROOT", dir.path().join("no-pyenv"))
        .env("HOME", dir.path())
        .args(["dump", "-c", "pass"])
        .assert()
        .code(6)
        .stderr(predicate::str::contains(
            "PYO3_PYTHON=python3.99 cargo build --release",
        ));
}

// ------------------------------------------------------------ atexit

#[test]
fn atexit_handlers_run_at_the_end_of_the_warm_up_captured() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "handlers.py",
        "import atexit, sys\n\
         def bye(who):\n    print('bye from', who)\n\
         def broken():\n    raise ValueError('handler failed')\n\
         atexit.register(bye, 'the first registered')\n\
         atexit.register(broken)\n\
         atexit.register(lambda: sys.stdout.buffer.write(b'last registered runs first\\n'))\n\
         calls = 0\n\
         def work():\n    global calls\n    calls += 1\n\
         atexit.register(lambda: print('calls seen', calls))\n\
         print('program ran')\n",
    );
    let out = specscope()
        .args(["dump", &script, "--call", "work()", "-n", "7", "-f", "work"])
        .args(["--then", "work()", "--then-calls", "3"])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = program_output(&out.stderr);
    let order = [
        "program ran\n",
        "calls seen 10\n",
        "last registered runs first\n",
        "Exception ignored in atexit callback",
        "ValueError: handler failed",
        "bye from the first registered\n",
    ];
    let mut at = 0;
    for piece in order {
        let found = text[at..]
            .find(piece)
            .unwrap_or_else(|| panic!("{piece:?} missing (or out of order) in:\n{text}"));
        at += found + piece.len();
    }
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("bye from"),
        "handlers never write into the dump"
    );
}

#[test]
fn atexit_handlers_do_not_run_after_os_exit_and_are_stopped_by_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let exits = write(
        dir.path(),
        "exits.py",
        "import atexit, os\natexit.register(print, 'must not run')\nos._exit(3)\n",
    );
    let out = specscope()
        .args(["dump", &exits])
        .assert()
        .code(9)
        .get_output()
        .clone();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("must not run"));

    let hangs = write(
        dir.path(),
        "hangs.py",
        "import atexit\n\
         atexit.register(print, 'registered first: must not run')\n\
         def hang():\n    print('handler hangs')\n    while True:\n        pass\n\
         atexit.register(hang)\n",
    );
    let started = Instant::now();
    let out = specscope()
        .args(["dump", &hangs, "--timeout", "1"])
        .assert()
        .code(8)
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(program_output(&out.stderr), "handler hangs\n");
    assert!(
        stderr.contains("--timeout stopped the program's atexit handlers"),
        "{stderr}"
    );
    // What the program defined is still shown.
    assert!(String::from_utf8_lossy(&out.stdout).contains("hang (function"));
}

// ------------------------------------------------------------ --stdin

#[test]
fn stdin_file_feeds_the_program_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "input.txt", "first line\nsecond line\n");
    // A child inherits the file at the file-descriptor level and reads it
    // all; what is left for Python is then nothing, as under python.
    let code = "import sys, subprocess\n\
                child = subprocess.run([sys.executable, '-c', 'import sys; print(repr(sys.stdin.read()))'],\n\
                                       capture_output=True, text=True).stdout\n\
                print('a child reads', child.strip())\n\
                print('python reads', repr(sys.stdin.read()))\n";
    let out = specscope()
        .args(["dump", "-c", code, "--stdin", &input])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        program_output(&out.stderr),
        "a child reads 'first line\\nsecond line\\n'\npython reads ''\n"
    );
    let code = "import sys\nprint(repr(sys.stdin.readline()))\nprint(repr(sys.stdin.read()))\n";
    let out = specscope()
        .args(["dump", "-c", code, "--stdin", &input])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        program_output(&out.stderr),
        "'first line\\n'\n'second line\\n'\n"
    );

    // Without --stdin: end-of-file, even when specscope's stdin has data.
    let out = specscope()
        .args([
            "dump",
            "-c",
            "import sys; print('read', repr(sys.stdin.read()))",
        ])
        .write_stdin("specscope's own stdin\n")
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "read ''\n");
}

#[test]
fn stdin_can_be_a_named_pipe() {
    // A named pipe is opened once, by the run (never waited on before it).
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Process::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || fs::write(writer_path, "through a pipe\n"));
    let out = specscope()
        .args([
            "dump",
            "-c",
            "import sys; print('got', repr(sys.stdin.read()))",
        ])
        .arg("--stdin")
        .arg(&fifo)
        .assert()
        .success()
        .get_output()
        .clone();
    writer.join().unwrap().unwrap();
    assert_eq!(program_output(&out.stderr), "got 'through a pipe\\n'\n");
}

#[test]
fn stdin_file_that_cannot_be_read_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    specscope()
        .args(["dump", "-c", "pass", "--stdin", "no/such/input.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--stdin no/such/input.txt"))
        .stderr(predicate::str::contains("cannot read"));
    specscope()
        .args(["dump", "-c", "pass", "--stdin"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a folder"));
}

#[test]
fn stdin_is_documented_in_help_and_readme() {
    specscope()
        .args(["dump", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--stdin <FILE>"));
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("--stdin FILE"));
    assert!(readme.contains("a `--stdin` file that cannot be read"));
}

// ------------------------------------------------------------ -m

fn package(dir: &Path, init: &str) {
    write(dir, "pkg/__init__.py", init);
    write(dir, "pkg/helper.py", "VALUE = 42\n");
    write(
        dir,
        "pkg/mod.py",
        "from .helper import VALUE\nprint('module runs as', __name__, __package__, VALUE)\n\
         def work():\n    return 1\n",
    );
}

#[test]
fn dash_m_imports_the_package_under_capture() {
    let dir = tempfile::tempdir().unwrap();
    package(
        dir.path(),
        "import sys\nprint('package init runs')\nsys.stdout.buffer.write(b'init bytes\\n')\n",
    );
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "pkg.mod", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout holds only the dump");
    assert!(doc["code_objects"].as_array().unwrap().len() >= 2);
    assert_eq!(
        program_output(&out.stderr),
        "package init runs\ninit bytes\nmodule runs as __main__ pkg 42\n"
    );
}

#[test]
fn dash_m_hang_in_a_package_is_stopped_by_timeout() {
    let dir = tempfile::tempdir().unwrap();
    package(
        dir.path(),
        "print('about to hang')\nwhile True:\n    pass\n",
    );
    let started = Instant::now();
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "pkg.mod", "--timeout", "1"])
        .assert()
        .code(8)
        .get_output()
        .clone();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(program_output(&out.stderr), "about to hang\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout stopped the program"));
}

#[test]
fn dash_m_package_errors_and_missing_modules() {
    let dir = tempfile::tempdir().unwrap();
    // An exception in the package's own code is the program's (exit 1).
    package(dir.path(), "print('init starts')\n1 / 0\n");
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "pkg.mod"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "init starts\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ZeroDivisionError"), "{stderr}");
    assert!(stderr.contains("pkg/__init__.py"), "{stderr}");

    // No such module in a package that printed: exit 3, and what it printed.
    package(dir.path(), "print('init runs')\n");
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "pkg.nothing_here"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert_eq!(program_output(&out.stderr), "init runs\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no module named pkg.nothing_here"));

    // No such package.
    specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "no_such_pkg.mod"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no module named no_such_pkg.mod"));
}
