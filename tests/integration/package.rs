//! The Python package's command (`pip install .`), run where it is
//! installed: inside its virtualenv's interpreter, in that environment as
//! it is. These tests run only against an installed command
//! (`SPECSCOPE_COMMAND=/path/to/venv/bin/specscope`, as `.ci/run` sets it);
//! against the binary they say they skipped.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use crate::common::installed::installed;
use crate::common::{program_output, specscope, write};

/// The installed command and its virtualenv, or None (with a note).
fn package() -> Option<(PathBuf, PathBuf)> {
    let Some(command) = installed() else {
        eprintln!("note: SPECSCOPE_COMMAND is not set; skipping the installed package's test");
        return None;
    };
    let venv = command
        .parent()
        .and_then(Path::parent)
        .expect("the command sits in VENV/bin")
        .to_path_buf();
    Some((command, venv))
}

/// What a program printed, run by `dump -c CODE` through the installed
/// command.
fn printed(code: &str) -> String {
    let out = specscope()
        .args(["dump", "--format", "summary", "-c", code])
        .assert()
        .success();
    program_output(&out.get_output().stderr)
}

#[test]
fn version_says_it_runs_inside_the_virtualenv_s_interpreter() {
    let Some((_, venv)) = package() else { return };
    let out = specscope().arg("--version").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with(&format!("specscope {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("inside that interpreter"), "{text}");
    assert!(!text.contains("embedded"), "{text}");
    let path = text
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the path in brackets");
    assert!(
        Path::new(path).starts_with(&venv),
        "the virtualenv's python: {path}"
    );
}

#[test]
fn the_program_runs_in_the_virtualenv_as_python_would_run_it() {
    let Some((_, venv)) = package() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "where.py",
        "import sys, os\n\
         print('executable', sys.executable)\n\
         print('prefix', sys.prefix)\n\
         print('path0', sys.path[0])\n\
         print('bin on path', any(os.path.realpath(p) == os.path.realpath(os.path.dirname(sys.executable)) for p in sys.path))\n\
         print('site', any(p.endswith('site-packages') and p.startswith(sys.prefix) for p in sys.path))\n\
         print('argv', sys.argv)\n",
    );
    let out = specscope()
        .args(["dump", "--format", "summary", &script, "--", "one", "two"])
        .assert()
        .success();
    let text = program_output(&out.get_output().stderr);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} in {text}"))
            .to_string()
    };
    assert!(Path::new(&value("executable")).starts_with(&venv), "{text}");
    assert_eq!(
        Path::new(&value("prefix")).canonicalize().unwrap(),
        venv.canonicalize().unwrap()
    );
    assert_eq!(
        Path::new(&value("path0")).canonicalize().unwrap(),
        dir.path().canonicalize().unwrap(),
        "the script's folder comes first, as with python"
    );
    assert_eq!(value("bin on path"), "False", "{text}");
    assert_eq!(value("site"), "True", "{text}");
    assert_eq!(value("argv"), format!("['{script}', 'one', 'two']"));
}

#[test]
fn a_virtualenv_of_another_python_does_not_stop_it() {
    // The binary refuses (exit 6) an active virtualenv of another version:
    // it cannot become that Python. Inside an interpreter, that interpreter
    // is the program's, whatever VIRTUAL_ENV says.
    let Some(_) = package() else { return };
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyvenv.cfg",
        "home = /usr/bin\nversion = 2.7.18\n",
    );
    specscope()
        .args(["dump", "--format", "summary", "-c", "print('ran')"])
        .env("VIRTUAL_ENV", dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("ran"));
}

#[test]
fn exit_codes_reach_the_shell() {
    let Some(_) = package() else { return };
    specscope()
        .args(["dump", "-c", "import sys; sys.exit(4)"])
        .assert()
        .code(9);
    specscope().args(["dump", "-c", "1/0"]).assert().code(1);
    specscope()
        .args(["dump", "--format", "nope"])
        .assert()
        .code(2);
    specscope()
        .args(["dump", "-f", "no_such_function", "-c", "pass"])
        .assert()
        .code(5);
}

#[test]
fn python_dash_m_specscope_is_the_same_command() {
    let Some((_, venv)) = package() else { return };
    let python = venv.join("bin").join("python");
    let by_module = std::process::Command::new(&python)
        .args(["-m", "specscope", "dump", "--format", "json", "-c"])
        .arg("def f(a):\n    return a + 1\nfor i in range(100): f(i)\n")
        .args(["-f", "f"])
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    assert!(by_module.status.success(), "{by_module:?}");
    let doc: Value = serde_json::from_slice(&by_module.stdout).unwrap();
    let ops: Vec<&str> = doc["code_objects"][0]["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["opname"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"BINARY_OP_ADD_INT"), "{ops:?}");
}

/// Runs `code` with the virtualenv's python, as a session that imports the
/// package would, and checks that it printed `says`.
fn assert_session_prints(venv: &Path, code: &str, says: &str) {
    let out = std::process::Command::new(venv.join("bin").join("python"))
        .args(["-c", code])
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(says),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn main_puts_back_what_it_changed_in_the_interpreter() {
    let Some((_, venv)) = package() else { return };
    let check = "import signal, sys, specscope\n\
                 def mine(*a): pass\n\
                 signal.signal(signal.SIGTERM, mine)\n\
                 before = (list(sys.argv), list(sys.orig_argv), list(sys.path), sys.stdout, sys.modules['__main__'], signal.getsignal(signal.SIGINT))\n\
                 code = specscope.main(['dump', '--format', 'summary', '-c', 'import sys, signal\\nsys.argv.append(1)\\nsys.path.append(2)\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)'])\n\
                 after = (list(sys.argv), list(sys.orig_argv), list(sys.path), sys.stdout, sys.modules['__main__'], signal.getsignal(signal.SIGINT))\n\
                 print('same', code, before == after, signal.getsignal(signal.SIGTERM) is mine)\n";
    assert_session_prints(&venv, check, "same 0 True True");
}

#[test]
fn main_returns_when_the_program_calls_os_exit_or_exec() {
    // The command ends the run on the spot, as the process would end; in a
    // session, main() must return: the call raises in the program instead,
    // and main() returns the exit code.
    let Some((_, venv)) = package() else { return };
    let check = "import specscope\n\
                 a = specscope.main(['dump', '--format', 'summary', '-c', 'import os\\nos._exit(3)'])\n\
                 b = specscope.main(['dump', '--format', 'summary', '-c', 'import os\\nos.execv(\"/bin/echo\", [\"echo\", \"ran\"])'])\n\
                 print('returned', a, b)\n";
    assert_session_prints(&venv, check, "returned 9 0");
}

#[test]
fn threads_and_hooks_the_program_leaves_do_not_outlive_the_command() {
    // A daemon thread (python does not wait for it either), an audit hook
    // and a profile function: none of them runs on after the command.
    let Some(_) = package() else { return };
    let started = std::time::Instant::now();
    let out = specscope()
        .args([
            "dump",
            "--format",
            "summary",
            "-c",
            "import sys, threading, time\n\
             sys.addaudithook(lambda e, a: print('AUDIT', e))\n\
             threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n\
             sys.setprofile(lambda *a: print('PROFILE'))\n",
        ])
        .assert()
        .success();
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(!stdout.contains("AUDIT"), "{stdout}");
    assert!(!stdout.contains("PROFILE"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.ends_with("── end of program output ──\n"),
        "nothing after the program's output: {stderr}"
    );
}

#[test]
fn explain_and_examples_work_inside_the_interpreter() {
    let Some(_) = package() else { return };
    specscope()
        .args(["explain", "BINARY_OP_ADD_INT"])
        .assert()
        .success()
        .stdout(predicate::str::contains("BINARY_OP_ADD_INT"));
    specscope()
        .arg("examples")
        .assert()
        .success()
        .stdout(predicate::str::contains("deoptimization"));
    assert!(printed("print(40 + 2)").contains("42"));
}
