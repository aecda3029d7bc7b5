//! Hostile programs, paths, environments and outputs: whatever they do,
//! what was collected is printed and the exit code is the README's.

use std::fs;
use std::io::Write;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use crate::common::{minor, specscope};
use assert_cmd::Command;
use serde_json::Value;

/// Exit code, stdout and stderr of `specscope dump -c CODE ARGS...`.
fn dump_code(code: &str, args: &[&str]) -> (i32, String, String) {
    let out = specscope()
        .args(["dump", "-c", code])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ------------------------------------------------------------ item 6

#[test]
fn indentation_errors_give_exit_4_with_file_line_column_and_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    // CPython gives these an end_offset of -1 (or 0 for TabError).
    let cases = [
        (
            "unexpected.py",
            "x = 1\n    y = 2\n",
            ":2:4: IndentationError: unexpected indent",
            "    y = 2",
        ),
        (
            "unindent.py",
            "if 1:\n        x = 1\n    y = 2\n",
            ":3:10: IndentationError: unindent does not match any outer indentation level",
            "    y = 2",
        ),
        (
            "tabs.py",
            "def f():\n\tif 1:\n        pass\n",
            ":3:1: TabError: inconsistent use of tabs and spaces in indentation",
            "pass",
        ),
        (
            "block.py",
            "def f():\npass\n",
            ":2:1: IndentationError: expected an indented block",
            "pass",
        ),
        (
            "eof.py",
            "x = 1 +\\\n",
            ":1:9: SyntaxError: unexpected EOF while parsing",
            "x = 1 +\\",
        ),
    ];
    for (name, source, place, line) in cases {
        let path = dir.path().join(name);
        fs::write(&path, source).unwrap();
        let out = specscope().arg("dump").arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{name}: {err}");
        assert!(err.contains(&format!("{name}{place}")), "{name}: {err}");
        assert!(err.contains(line), "{name} shows the line: {err}");
        let caret = err.lines().last().unwrap_or("");
        assert!(
            !caret.trim().is_empty() && caret.trim().chars().all(|c| c == '^'),
            "{name} ends with a caret line: {err}"
        );
        assert!(!err.contains("internal error"), "{err}");
    }
    // The caret stands under the column, counted in the shown line.
    let path = dir.path().join("unindent.py");
    let out = specscope().arg("dump").arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let shown = lines[lines.len() - 2];
    let caret = lines[lines.len() - 1];
    assert_eq!(
        caret.find('^'),
        Some(shown.len()),
        "column 10 of a 9-character line is just after it:\n{err}"
    );
}

#[test]
fn indentation_error_in_code_given_with_c() {
    let (code, _, err) = dump_code("if True:\n    x = 1\n  y = 2\n", &[]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("specscope: <string>:3:") && err.contains(": IndentationError: unindent"),
        "{err}"
    );
    assert!(err.trim_end().ends_with('^'), "{err}");
}

// ------------------------------------------------------------ item 7

#[test]
fn lone_surrogates_in_messages_output_and_names_keep_the_dump() {
    let program = "import sys\n\
                   def f():\n    return 1\n\
                   def g():\n    pass\n\
                   g.__qualname__ = 'g\\udcff'\n\
                   sys.stderr.write('err \\udfff\\n')\n\
                   sys.stdout.buffer.write(b'out \\xff here\\n')\n\
                   raise ValueError('bad \\udcff byte')\n";
    let (code, out, err) = dump_code(program, &["-f", "f"]);
    assert_eq!(code, 1, "an exception of the program: {err}");
    assert!(err.contains("ValueError: bad \\udcff byte"), "{err}");
    assert!(err.contains("err \\udfff"), "{err}");
    assert!(err.contains("out \\xff here"), "{err}");
    assert!(out.contains("f (function, <string>:2)"), "the dump: {out}");
    assert!(!err.contains("unreadable collector reply"), "{err}");
    let json = specscope()
        .args(["dump", "-c", program, "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(doc["run"]["exception"]["message"], "bad \\udcff byte");
}

#[test]
fn sys_exit_with_any_argument_is_reported_as_python_would_end() {
    let cases = [
        ("sys.exit(True)", 1, Some("True")),
        ("sys.exit(2**64)", -1, Some("18446744073709551616")),
        ("sys.exit('bye now')", 1, Some("'bye now'")),
        ("sys.exit(3)", 3, None),
    ];
    for (call, status, shown) in cases {
        let program = format!("import sys\ndef f(): pass\n{call}\n");
        let (code, out, err) = dump_code(&program, &["-f", "f"]);
        assert_eq!(code, 9, "{call}: {err}");
        assert!(out.contains("f (function"), "{call}: the dump is printed");
        let said = match shown {
            Some(text) => format!("called sys.exit({text}) (exit status {status})"),
            None => format!("called sys.exit({status})"),
        };
        assert!(err.contains(&said), "{call}: {err}");
        let json = specscope()
            .args(["dump", "-c", &program, "--format", "json"])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
        assert_eq!(doc["run"]["exit"]["status"], status, "{call}");
    }
    // python prints a message given to sys.exit on stderr.
    let (_, _, err) = dump_code("import sys\nsys.exit('bye now')\n", &[]);
    let output = err
        .split("── output of the program ──")
        .nth(1)
        .expect("the program's output is shown");
    assert!(output.starts_with("\nbye now\n"), "{err}");
}

#[test]
fn os_exit_checks_its_argument_as_python_does() {
    for (call, error) in [
        (
            "os._exit('x')",
            "TypeError: 'str' object cannot be interpreted as an integer",
        ),
        (
            "os._exit(2**64)",
            "OverflowError: Python int too large to convert to C int",
        ),
        (
            "os._exit()",
            "TypeError: _exit() missing 1 required positional argument",
        ),
        (
            "os._exit(1.5)",
            "TypeError: 'float' object cannot be interpreted",
        ),
    ] {
        let program = format!("import os\ndef f(): pass\n{call}\n");
        let (code, out, err) = dump_code(&program, &["-f", "f"]);
        assert_eq!(code, 1, "{call} raises in the program: {err}");
        assert!(err.contains(error), "{call}: {err}");
        assert!(
            !err.contains("specscope collector"),
            "no frame of specscope's in the traceback: {err}"
        );
        assert!(out.contains("f (function"), "{call}: the dump is printed");
    }
    let (code, _, err) = dump_code("import os\nos._exit(True)\n", &[]);
    assert_eq!(code, 9, "{err}");
    assert!(err.contains("called os._exit(1)"), "{err}");
}

#[test]
fn an_exception_whose_str_raises_is_reported() {
    let program = "class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no str')\n\
                   def f(): pass\n\
                   raise Odd()\n";
    let (code, out, err) = dump_code(program, &["-f", "f"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Odd: <exception str() failed>"), "{err}");
    assert!(err.contains("the program raised Odd"), "{err}");
    assert!(out.contains("f (function"), "{out}");
}

#[test]
fn keyboard_interrupt_raised_by_the_program_is_its_exception_and_ctrl_c_is_not() {
    let (code, out, err) = dump_code("def f(): pass\nraise KeyboardInterrupt\n", &["-f", "f"]);
    assert_eq!(code, 1, "an exception of the program, exit 1: {err}");
    assert!(
        err.contains("the program raised KeyboardInterrupt"),
        "{err}"
    );
    assert!(!err.contains("Ctrl-C"), "{err}");
    assert!(out.contains("f (function"), "{out}");

    // A real Ctrl-C (SIGINT) stops the warm-up: exit 130.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    let program = format!(
        "def f(): pass\nopen({:?}, 'w').close()\nwhile True: pass\n",
        marker.to_str().unwrap()
    );
    let child = Process::new(assert_cmd::cargo::cargo_bin("specscope"))
        .args(["dump", "-c", &program, "-f", "f"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the program started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("Ctrl-C stopped the program"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("f (function"));
}

// ------------------------------------------------------------ item 8

/// A function whose dump shows a specialized attribute load: proof that
/// the collection went all the way.
const WARM: &str = "class P:\n    def __init__(self):\n        self.x = 1\n\
                    def f(p):\n    return p.x\n\
                    for _ in range(100):\n    f(P())\n";

#[test]
fn closing_file_descriptors_loses_nothing() {
    let program =
        format!("import os\n{WARM}print('before')\nos.closerange(3, 1024)\nprint('after')\n");
    let (code, out, err) = dump_code(&program, &["-f", "f"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("LOAD_ATTR_INSTANCE_VALUE"), "the dump: {out}");
    assert!(err.contains("before\nafter"), "the program's output: {err}");
}

#[test]
fn replaced_modules_and_builtins_do_not_break_collection() {
    let breakers = [
        "import os; os.dup2 = None; os.close = None",
        "import types; types.CodeType = int; types.FunctionType = int",
        "import time; time.perf_counter = None",
        "import builtins; builtins.repr = None",
        "import builtins; builtins.isinstance = None",
        "import builtins; builtins.id = None",
        "import sys; sys.modules['fnmatch'] = None",
        "import fnmatch; fnmatch.fnmatchcase = None",
        "import sys; sys.modules['linecache'] = None",
        "import sys; sys.modules['traceback'] = None",
        "import importlib; importlib.import_module = None",
    ];
    for breaker in breakers {
        let program = format!("{WARM}{breaker}\n");
        let (code, out, err) = dump_code(&program, &["-f", "f", "-f", "P.*"]);
        assert_eq!(code, 0, "{breaker}: {err}");
        assert!(out.contains("LOAD_ATTR_INSTANCE_VALUE"), "{breaker}: {out}");
        assert!(out.contains("P.__init__"), "{breaker}: {out}");
        // And an exception's traceback is still written.
        let (code, _, err) = dump_code(
            &format!("{WARM}{breaker}\nraise ValueError('boom')\n"),
            &["-f", "f"],
        );
        assert_eq!(code, 1, "{breaker}: {err}");
        assert!(err.contains("Traceback"), "{breaker}: {err}");
        assert!(err.contains("ValueError: boom"), "{breaker}: {err}");
    }
}

#[test]
fn hooks_that_raise_do_not_break_collection() {
    let mut hooks = vec![
        "import sys\ndef hook(*a): raise RuntimeError('audit')\nsys.addaudithook(hook)",
        "import sys\ndef hook(*a): raise RuntimeError('trace')\nsys.settrace(hook)",
        "import sys\ndef hook(*a): raise RuntimeError('profile')\nsys.setprofile(hook)",
        "import gc\ndef hook(*a): raise RuntimeError('gc')\ngc.callbacks.append(hook)\ngc.collect()",
    ];
    if minor() >= 12 {
        hooks.push(
            "import sys\nm = sys.monitoring\nm.use_tool_id(2, 'hostile')\n\
             def hook(*a): raise RuntimeError('monitoring')\n\
             for e in (m.events.PY_START, m.events.PY_RETURN, m.events.CALL, m.events.LINE):\n    m.register_callback(2, e, hook)\n\
             m.set_events(2, m.events.PY_START | m.events.PY_RETURN | m.events.CALL | m.events.LINE)",
        );
    }
    for hook in hooks {
        let program = format!("{WARM}{hook}\n");
        let (code, out, err) = dump_code(&program, &["-f", "f"]);
        assert!(
            [0, 1].contains(&code),
            "the program's own exception at most: {hook}\n{err}"
        );
        assert!(
            out.contains("LOAD_ATTR_INSTANCE_VALUE"),
            "{hook}: the dump is whole: {out}\n{err}"
        );
        assert!(!err.contains("internal error"), "{hook}: {err}");
    }
}

#[test]
fn a_broken_collection_shows_what_was_collected_and_says_what_failed() {
    // The program breaks the collector itself: each code object's
    // description fails, the code objects are still listed.
    let program = format!(
        "{WARM}import sys\nsys.modules['_specscope_collector']._raw_code = None\n\
         sys.modules['_specscope_collector']._describe = None\nprint('ran')\n"
    );
    let (code, out, err) = dump_code(&program, &["-f", "f"]);
    assert_eq!(code, 11, "{err}");
    assert!(
        err.contains("the program broke part of the collection (describing f failed: TypeError"),
        "{err}"
    );
    assert!(err.contains("ran"), "the program's output: {err}");
    assert!(out.contains("f (function, <string>:4)"), "{out}");
    let json = specscope()
        .args(["dump", "-c", &program, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(11));
    let doc: Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert!(
        doc["run"]["collection_error"]
            .as_str()
            .unwrap()
            .contains("TypeError")
    );
}

// ------------------------------------------------------------ item 13

#[test]
fn json_escapes_c1_controls_and_bidirectional_overrides() {
    let program = "s = 'A\u{85}B\u{202e}C\u{2066}D\u{9b}E'\nprint(s)\n";
    let out = specscope()
        .args(["dump", "-c", program, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for raw in ['\u{85}', '\u{9b}', '\u{202e}', '\u{2066}'] {
        assert!(!text.contains(raw), "{raw:?} is escaped");
    }
    for escape in [r"\u0085", r"\u009b", r"\u202e", r"\u2066"] {
        assert!(text.contains(escape), "{escape} in the JSON");
    }
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["run"]["output"][0]["text"],
        "A\u{85}B\u{202e}C\u{2066}D\u{9b}E\n"
    );
}

// ------------------------------------------------------------ item 16

#[test]
fn a_fifo_or_a_device_as_the_script_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.py");
    let made = Process::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for (target, what) in [
        (fifo.to_str().unwrap(), "named pipe"),
        ("/dev/zero", "device"),
        ("/dev/null", "device"),
    ] {
        let started = Instant::now();
        let out = specscope()
            .timeout(Duration::from_secs(20))
            .args(["dump", target])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{target}: {err}");
        assert!(err.contains(what), "{target}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{target} at once"
        );
    }
    // The explorer too, in a terminal (`script` gives it one).
    let available = Process::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("note: script(1) is absent; the explorer's part is skipped");
        return;
    }
    let command = format!(
        "{} {}",
        assert_cmd::cargo::cargo_bin("specscope").display(),
        fifo.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{screen}");
    assert!(screen.contains("named pipe"), "{screen}");
}

// ------------------------------------------------------------ item 19

#[test]
fn timeouts_that_mean_nothing_are_usage_errors() {
    for value in [
        "0", "-1", "nan", "inf", "1e300", "0.00001", "1000001", "soon",
    ] {
        let out = specscope()
            .args(["dump", "-c", "x = 1", &format!("--timeout={value}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--timeout {value}: {err}");
        assert!(err.contains("--timeout"), "{err}");
    }
    // Negative numbers are read as the option's value, not as an option.
    let out = specscope()
        .args(["dump", "-c", "x = 1", "--timeout", "-1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("at least 0.001"), "{err}");
    for value in ["0.001", "0.5", "1000000"] {
        let out = specscope()
            .args(["dump", "-c", "x = 1", "--timeout", value])
            .output()
            .unwrap();
        assert!(
            [0, 8].contains(&out.status.code().unwrap()),
            "--timeout {value} runs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ------------------------------------------------------------ item 20

#[test]
fn a_script_path_that_is_not_utf8_runs() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
    fs::write(&path, "def f(): return 1\nf()\n").unwrap();
    let out = specscope().arg("dump").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("caf\\udce9.py"),
        "named as python names it: {text}"
    );
    assert!(text.contains("f (function"), "{text}");
    fs::write(&path, "def f(:\n").unwrap();
    let out = specscope().arg("dump").arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("caf\\udce9.py:1:7"), "{err}");
}

// ------------------------------------------------------------ item 21

#[test]
fn an_environment_python_cannot_start_with_is_named_in_one_line() {
    let mut bad = vec![
        ("PYTHONHOME", "/nonexistent/python"),
        ("PYTHONHASHSEED", "abc"),
        ("PYTHONHASHSEED", "4294967296"),
        ("PYTHONIOENCODING", "no-such-codec"),
        ("PYTHONIOENCODING", "rot13"),
        ("PYTHONMALLOC", "bogus"),
        ("PYTHONUTF8", "7"),
        ("PYTHONTRACEMALLOC", "many"),
        ("PYTHONINTMAXSTRDIGITS", "5"),
        ("PYTHONPLATLIBDIR", "nowhere"),
    ];
    if minor() >= 13 {
        bad.extend([("PYTHON_CPU_COUNT", "0"), ("PYTHON_GIL", "5")]);
    }
    for (name, value) in bad {
        let out = specscope()
            .env(name, value)
            .args(["dump", "-c", "x = 1"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(12), "{name}={value}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(&format!("{name}=\"{value}\"")), "{err}");
        assert!(!err.contains("Fatal Python error"), "{err}");
    }
    for (name, value) in [
        ("PYTHONHASHSEED", "0"),
        ("PYTHONHASHSEED", "random"),
        ("PYTHONIOENCODING", "utf-8:surrogateescape"),
        ("PYTHONIOENCODING", "Latin 1"),
        ("PYTHONMALLOC", "malloc"),
        ("PYTHONUTF8", "1"),
        ("PYTHONPLATLIBDIR", "lib"),
    ] {
        let out = specscope()
            .env(name, value)
            .args(["dump", "-c", "x = 1"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}={value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ------------------------------------------------------------ item 22

/// Runs specscope with its stdout a pipe whose reading end is closed.
fn into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Process::new(assert_cmd::cargo::cargo_bin("specscope"))
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_pipe_is_quiet_and_a_full_disk_is_said() {
    for args in [
        &["examples"][..],
        &["explain", "BINARY_OP"],
        &["--help"],
        &["dump", "-c", "def f(): pass"],
    ] {
        let out = into_closed_pipe(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} is quiet: {err}");

        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Process::new(assert_cmd::cargo::cargo_bin("specscope"))
            .args(args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(13), "{args:?}: {err}");
        assert!(err.contains("cannot write the output"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A message to a full stderr: exit 13, no panic.
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Process::new(assert_cmd::cargo::cargo_bin("specscope"))
        .args(["explain", "NO_SUCH_OPNAME"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(13));
    // `specscope examples | head -1`, as a shell runs it.
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("specscope"))
        .arg("examples")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let _ = std::io::stderr().write_all(&out.stderr);
    assert!(out.stderr.is_empty());
}
