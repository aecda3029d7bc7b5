//! A program that crashes the interpreter, or is ended by a signal it set
//! off and did not handle, still has its output shown, with a paragraph
//! naming the signal and exit code 14. Output written at the
//! file-descriptor level is kept to the limit while it is written, in the
//! order written with the Python-level output.

use std::fs;
use std::path::Path;
use std::process::{Command as Process, Output};
use std::time::{Duration, Instant};

use crate::common::tmux::Tmux;
use crate::common::{program_output, specscope};

const CRASHED: i32 = 14;

fn dump(dir: &Path, program: &str) -> Output {
    let script = dir.join("program.py");
    fs::write(&script, program).unwrap();
    specscope()
        .arg("dump")
        .arg(&script)
        .output()
        .expect("specscope runs")
}

/// The last line of stderr: specscope's own message.
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.trim_end().lines().last().unwrap_or("").to_string()
}

#[test]
fn a_segmentation_fault_shows_what_the_program_wrote_and_names_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dump(
        dir.path(),
        "import ctypes, os, subprocess, sys\n\
         print('one')\n\
         os.write(1, b'two\\n')\n\
         subprocess.run(['echo', 'three'])\n\
         print('four \\x1b[31m', file=sys.stderr)\n\
         sys.stdout.buffer.write(b'five\\n')\n\
         ctypes.string_at(0)\n\
         print('never')\n",
    );
    assert_eq!(out.status.code(), Some(CRASHED), "{out:?}");
    assert_eq!(
        program_output(&out.stderr),
        "one\ntwo\nthree\nfour ^[[31m\nfive\n",
        "every way of writing, in order, escaped as the dump escapes"
    );
    let message = last_line(&out.stderr);
    assert!(
        message.starts_with("specscope: the program crashed the interpreter with SIGSEGV"),
        "{message}"
    );
    assert!(message.contains("nothing could be collected"), "{message}");
    assert!(out.stdout.is_empty(), "no dump after a crash");
}

#[test]
fn a_crash_after_a_flood_of_output_shows_the_first_mib_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dump(
        dir.path(),
        "import os, sys\n\
         sys.stdout.write('x' * (1 << 20))\n\
         os.write(1, b'y' * (2 << 20))\n\
         os.abort()\n",
    );
    assert_eq!(out.status.code(), Some(CRASHED), "{out:?}");
    let text = program_output(&out.stderr);
    assert!(text.starts_with("xxxx"));
    assert!(
        text.ends_with("\n… 2 MiB more not kept\n"),
        "{}",
        &text[text.len() - 100..]
    );
    assert!(
        out.stderr.len() < (1 << 20) + 1000,
        "{} bytes",
        out.stderr.len()
    );
}

#[test]
fn os_abort_and_a_c_stack_overflow_are_crashes_too() {
    let dir = tempfile::tempdir().unwrap();
    for (program, signal) in [
        ("import os\nprint('before abort')\nos.abort()\n", "SIGABRT"),
        // The stack limit lowered so that nested reprs overflow the C stack
        // long before any recursion limit of the interpreter is reached.
        (
            "import resource, sys\n\
             sys.setrecursionlimit(10 ** 6)\n\
             hard = resource.getrlimit(resource.RLIMIT_STACK)[1]\n\
             resource.setrlimit(resource.RLIMIT_STACK, (1 << 17, hard))\n\
             nested = []\n\
             for _ in range(10 ** 5):\n    nested = [nested]\n\
             print('before overflow')\n\
             repr(nested)\n",
            "SIGSEGV",
        ),
    ] {
        let out = dump(dir.path(), program);
        // How deep the C stack already reaches when the program lowers its
        // limit depends on what ran before it in the process: where the
        // interpreter's own C recursion limit comes first, the overflow
        // cannot be reached, and the run ends with a RecursionError.
        if signal == "SIGSEGV"
            && out.status.code() == Some(1)
            && String::from_utf8_lossy(&out.stderr).contains("RecursionError")
        {
            eprintln!(
                "note: the C recursion limit came before the stack's end; overflow not reached"
            );
            continue;
        }
        assert_eq!(out.status.code(), Some(CRASHED), "{program}\n{out:?}");
        assert!(program_output(&out.stderr).starts_with("before "));
        assert!(
            last_line(&out.stderr).contains(&format!("crashed the interpreter with {signal}")),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_signal_the_program_set_off_without_a_handler_ends_it_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for (program, signal) in [
        (
            "import signal, time\nprint('waiting')\n\
             signal.setitimer(signal.ITIMER_REAL, 0.05)\ntime.sleep(30)\n",
            "SIGALRM",
        ),
        (
            "import os, signal\nprint('waiting')\nos.kill(os.getpid(), signal.SIGUSR1)\n",
            "SIGUSR1",
        ),
    ] {
        let started = Instant::now();
        let out = dump(dir.path(), program);
        // How deep the C stack already reaches when the program lowers its
        // limit depends on what ran before it in the process: where the
        // interpreter's own C recursion limit comes first, the overflow
        // cannot be reached, and the run ends with a RecursionError.
        if signal == "SIGSEGV"
            && out.status.code() == Some(1)
            && String::from_utf8_lossy(&out.stderr).contains("RecursionError")
        {
            eprintln!(
                "note: the C recursion limit came before the stack's end; overflow not reached"
            );
            continue;
        }
        assert_eq!(out.status.code(), Some(CRASHED), "{program}\n{out:?}");
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(program_output(&out.stderr), "waiting\n");
        assert!(
            last_line(&out.stderr)
                .starts_with(&format!("specscope: the program was ended by {signal}")),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A handler of the program's own is left to act (the program waits
    // for it at most 3 s).
    let out = dump(
        dir.path(),
        "import signal, time\n\
         handled = []\n\
         signal.signal(signal.SIGALRM, lambda *a: (print('handled'), handled.append(1)))\n\
         signal.setitimer(signal.ITIMER_REAL, 0.05)\n\
         for _ in range(300):\n    if handled:\n        break\n    time.sleep(0.01)\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(program_output(&out.stderr), "handled\n");
}

#[test]
fn faulthandler_writes_its_traceback_before_the_crash_report() {
    let dir = tempfile::tempdir().unwrap();
    let crash = "import ctypes\nprint('hello')\n\
                 def crash_here():\n    ctypes.string_at(0)\n\
                 crash_here()\n";
    // Enabled by the program, and by PYTHONFAULTHANDLER before it runs.
    let by_program = dump(
        dir.path(),
        &format!("import faulthandler\nfaulthandler.enable()\n{crash}"),
    );
    let script = dir.path().join("program.py");
    fs::write(&script, crash).unwrap();
    let by_environment = specscope()
        .env("PYTHONFAULTHANDLER", "1")
        .arg("dump")
        .arg(&script)
        .output()
        .unwrap();
    for out in [by_program, by_environment] {
        assert_eq!(out.status.code(), Some(CRASHED), "{out:?}");
        let text = program_output(&out.stderr);
        assert!(text.starts_with("hello\n"), "{text}");
        assert!(
            text.contains("Fatal Python error: Segmentation fault"),
            "{text}"
        );
        assert!(text.contains("in crash_here"), "{text}");
        assert!(last_line(&out.stderr).contains("crashed the interpreter with SIGSEGV"));
    }
}

#[test]
fn a_forked_child_that_crashes_leaves_the_run_to_go_on() {
    let dir = tempfile::tempdir().unwrap();
    // (3.12 and later warn that a process with more than one thread forks:
    // specscope's process has its watchdog and output threads.)
    let out = dump(
        dir.path(),
        "import ctypes, os, warnings\n\
         warnings.simplefilter('ignore', DeprecationWarning)\n\
         pid = os.fork()\n\
         if pid == 0:\n    print('the child prints')\n    ctypes.string_at(0)\n\
         _, status = os.waitpid(pid, 0)\n\
         print('child status', os.waitstatus_to_exitcode(status))\n\
         def f():\n    return 1\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // The child dies of its signal, as under python; what it printed is
    // the program's output too.
    assert_eq!(
        program_output(&out.stderr),
        "the child prints\nchild status -11\n"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("crashed the interpreter"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("Python 3.")
            .count(),
        1
    );
}

#[test]
fn output_from_python_and_from_file_descriptors_stays_in_the_order_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dump(
        dir.path(),
        "import os, subprocess, sys\n\
         for i in range(3):\n\
         \x20   print('print', i)\n\
         \x20   os.write(1, b'fd 1 %d\\n' % i)\n\
         \x20   sys.stderr.write('stderr %d\\n' % i)\n\
         \x20   os.write(2, b'fd 2 %d\\n' % i)\n\
         \x20   subprocess.run(['echo', 'child', str(i)])\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let expected: String = (0..3)
        .map(|i| format!("print {i}\nfd 1 {i}\nstderr {i}\nfd 2 {i}\nchild {i}\n"))
        .collect();
    assert_eq!(program_output(&out.stderr), expected);
}

#[test]
fn output_past_the_limit_is_counted_in_mib_as_the_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = dump(
        dir.path(),
        "import os, sys\n\
         sys.stdout.write('x' * (1 << 20))\n\
         os.write(1, b'y' * (5 << 20))\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\n… 5 MiB more not kept\n"),
        "{}",
        &stderr[stderr.len() - 200..]
    );
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("MiB more not kept"));
    assert!(!readme.contains(" MB more not kept"));
}

/// Runs specscope under `ulimit -f` (a file may grow to `limit_kib`): a
/// capture that held the program's output in a file would be stopped by it.
fn under_file_size_limit(limit_kib: u64, program: &Path) -> Output {
    Process::new("bash")
        .arg("-c")
        // bash's `ulimit -f` counts 1024-byte blocks.
        .arg(format!("ulimit -f {limit_kib} && exec \"$0\" dump \"$1\""))
        .arg(env!("CARGO_BIN_EXE_specscope"))
        .arg(program)
        .env_remove("VIRTUAL_ENV")
        .output()
        .expect("bash runs")
}

#[test]
fn output_written_to_file_descriptors_is_bounded_while_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("flood.py");
    // 96 MiB from the program and its child, under a 16 MiB file size limit.
    fs::write(
        &program,
        "import os, subprocess, sys\n\
         os.write(1, b'y' * (64 << 20))\n\
         subprocess.run([sys.executable, '-c', \"import os; os.write(1, b'z' * (32 << 20))\"])\n\
         print('done')\n\
         def f():\n    return 1\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = under_file_size_limit(16 << 10, &program);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("… 95 MiB more not kept"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    assert!(
        out.stderr.len() < 2 << 20,
        "kept output is bounded: {} bytes",
        out.stderr.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("f (function"));
    assert!(started.elapsed() < Duration::from_secs(60));
}

// ---------------------------------------------------------------- the explorer

#[test]
fn the_explorer_shows_a_crash_in_the_terminal() {
    let Some(tmux) = Tmux::start("crash") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("crash.py");
    fs::write(
        &script,
        "import os\nprint('before the crash')\nos.abort()\n",
    )
    .unwrap();
    let command = format!(
        "'{}' '{}'; echo specscope-exit=$?",
        env!("CARGO_BIN_EXE_specscope"),
        script.display()
    );
    tmux.run(&["send-keys", "-t", "0", &command, "Enter"]);
    let screen = tmux.wait_for("the shell", |s| {
        s.contains(&format!("specscope-exit={CRASHED}"))
    });
    assert!(screen.contains("before the crash"), "{screen}");
    assert!(
        screen.contains("crashed the interpreter with SIGABRT"),
        "{screen}"
    );
}
