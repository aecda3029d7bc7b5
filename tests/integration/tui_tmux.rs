//! The real explorer in a real terminal (tmux): it draws, answers keys,
//! and gives the terminal back when it quits. Skipped when tmux is absent.

use std::process::Command;
use std::time::Duration;

use crate::common::tmux::{Tmux, exit_code};

#[test]
fn explorer_runs_in_a_terminal_and_gives_it_back() {
    let Some(tmux) = Tmux::start("explore") else {
        return;
    };
    let command = format!(
        "'{}' --theme dark; echo specscope-exit=$?",
        crate::common::installed::program().display()
    );
    tmux.send(&[&command, "Enter"]);
    // The first frame may be caught half drawn: wait for its bytecode.
    tmux.wait_for("the explorer with the demo's bytecode", |s| {
        s.contains("Code objects") && s.contains("BINARY_OP_ADD_INT")
    });
    assert!(tmux.alternate_screen_on());

    // Focus the navigator and move to the next code object.
    tmux.send(&["BTab", "BTab", "j"]);
    tmux.wait_for("Point selected", |s| s.contains("Bytecode · Point "));

    tmux.send(&["?"]);
    tmux.wait_for("the help overlay", |s| {
        s.contains("Keys") && s.contains("show or hide this help")
    });
    tmux.send(&["x"]);
    tmux.wait_for("help closed", |s| !s.contains("show or hide this help"));

    tmux.send(&["q"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(0), "{screen}");
    assert!(
        !screen.contains("Code objects"),
        "the explorer's screen is gone"
    );
    assert!(!tmux.alternate_screen_on(), "the alternate screen was left");
}

#[test]
fn explorer_says_when_the_terminal_is_too_small_and_redraws_on_resize() {
    let Some(tmux) = Tmux::start("resize") else {
        return;
    };
    assert!(
        tmux.run(&["resize-window", "-x", "70", "-y", "20"])
            .status
            .success()
    );
    let command = format!(
        "'{}'; echo specscope-exit=$?",
        crate::common::installed::program().display()
    );
    tmux.send(&[&command, "Enter"]);
    tmux.wait_for("the size message", |s| s.contains("at least 80×24"));
    assert!(
        tmux.run(&["resize-window", "-x", "100", "-y", "30"])
            .status
            .success()
    );
    tmux.wait_for("the explorer after resizing", |s| {
        s.contains("Code objects")
    });
    tmux.send(&["q"]);
    tmux.wait_for("the shell", |s| exit_code(s) == Some(0));
}

/// The step number and count in the status line, e.g. `step 7/15`.
fn step_of(screen: &str) -> Option<(usize, usize)> {
    let first = screen.lines().next()?;
    let rest = &first[first.find("step ")? + 5..];
    let (at, rest) = rest.split_once('/')?;
    let count: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((at.parse().ok()?, count.parse().ok()?))
}

#[test]
fn stepping_through_the_deoptimization_lesson_at_80x24() {
    let Some(tmux) = Tmux::start_sized("steps", 80, 24) else {
        return;
    };
    let command = format!(
        "'{}' --example deoptimization; echo specscope-exit=$?",
        crate::common::installed::program().display()
    );
    tmux.send(&[&command, "Enter"]);
    let screen = tmux.wait_for("the lesson", |s| s.contains("Code objects"));
    let (at, count) = step_of(&screen).expect("the status line names the step");
    assert_eq!(at, 1, "the explorer opens on the first step:\n{screen}");
    assert!(screen.contains("] step"), "the hint line offers stepping");

    // Step on until the + shows its de-optimization.
    let mut screen = screen;
    let mut now = at;
    while !screen.contains("▼ de-optimized") {
        assert!(now < count, "no step shows the de-optimization");
        tmux.send(&["]"]);
        now += 1;
        screen = tmux.wait_for("the step after", |s| step_of(s) == Some((now, count)));
    }
    assert!(screen.contains("since step"), "{screen}");
    assert!(screen.contains("shift() ×"), "{screen}");

    // Forward again, then the explanation of the + at that step.
    tmux.send(&["]"]);
    tmux.wait_for("the next step", |s| step_of(s) == Some((now + 1, count)));
    tmux.send(&["e"]);
    let screen = tmux.wait_for("the explanation", |s| s.contains("Explain"));
    assert!(screen.contains("Family BINARY_OP"), "{screen}");
    assert!(screen.contains("▸ BINARY_OP"), "{screen}");

    tmux.send(&["q"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(0), "{screen}");
}

#[test]
fn sigterm_and_sighup_give_the_terminal_back_whatever_the_program_did() {
    let Some(tmux) = Tmux::start("signals") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("signals.py");
    // The program ignores SIGTERM and SIGHUP, and blocks them and SIGWINCH.
    std::fs::write(
        &script,
        "import signal\n\
         signal.signal(signal.SIGTERM, lambda *a: None)\n\
         signal.signal(signal.SIGHUP, signal.SIG_IGN)\n\
         signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH})\n\
         def f():\n    return 1\nf()\n",
    )
    .unwrap();
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        tmux.send(&["clear", "Enter"]);
        let command = format!(
            "'{}' '{}'; echo specscope-exit=$?",
            crate::common::installed::program().display(),
            script.display()
        );
        tmux.send(&[&command, "Enter"]);
        tmux.wait_for("the explorer", |s| s.contains("Code objects"));
        // SIGWINCH still reaches the explorer: a resize redraws.
        assert!(
            tmux.run(&["resize-window", "-x", "100", "-y", "30"])
                .status
                .success()
        );
        tmux.wait_for("a redraw at the new size", |s| {
            s.contains("Code objects") && s.lines().all(|l| l.chars().count() <= 100)
        });
        let pids = Command::new("pgrep")
            .args(["-f", &script.display().to_string()])
            .output()
            .unwrap();
        let pids = String::from_utf8_lossy(&pids.stdout).into_owned();
        assert!(!pids.trim().is_empty(), "the explorer's pid");
        for pid in pids.split_whitespace() {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), pid])
                .status();
        }
        let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
        assert_eq!(exit_code(&screen), Some(code), "{screen}");
        assert!(!tmux.alternate_screen_on(), "the alternate screen was left");
        assert!(
            tmux.run(&["resize-window", "-x", "120", "-y", "40"])
                .status
                .success()
        );
    }
}

#[test]
fn threads_the_program_left_running_neither_print_over_the_explorer_nor_end_it() {
    let Some(tmux) = Tmux::start("threads") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("threads.py");
    std::fs::write(
        &script,
        "import os, sys, threading, time\n\
         def noisy():\n    for _ in range(100):\n        print('-'.join(['NO', 'ISE']), flush=True)\n\
         \x20       os.write(1, b'-'.join([b'FD', b'NO', b'ISE\\n']))\n        time.sleep(0.01)\n    os._exit(7)\n\
         threading.Thread(target=noisy, daemon=True).start()\n",
    )
    .unwrap();
    let command = format!(
        "'{}' '{}'; echo specscope-exit=$?",
        crate::common::installed::program().display(),
        script.display()
    );
    tmux.send(&[&command, "Enter"]);
    tmux.wait_for("the explorer", |s| s.contains("Code objects"));
    // The thread would have printed 100 times and exited within a second.
    std::thread::sleep(Duration::from_millis(2000));
    let screen = tmux.screen();
    assert!(
        screen.contains("Code objects"),
        "still exploring:\n{screen}"
    );
    // The thread builds its text at run time: the source never holds it.
    assert!(!screen.contains("NO-ISE"), "{screen}");
    assert!(exit_code(&screen).is_none(), "{screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(0), "{screen}");
}
