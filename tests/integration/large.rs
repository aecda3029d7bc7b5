//! Very large sources: the explorer highlights only what is in view, and a
//! source above the documented size limit is refused with exit 3 and a
//! message saying why. (Speed figures live in the benchmark harness:
//! `cargo bench --bench frame` and `benches/harness.py`.)

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use specscope::collect::request::{Request, Target};
use specscope::model::Snapshot;
use specscope::present::highlight::{LazyHighlight, highlight};
use specscope::views::tui::keys::Action;
use specscope::views::tui::{App, Pane, Theme, draw_frame};

use crate::common::tmux::{Tmux, exit_code};

/// The largest source specscope reads, as the README states it.
const LIMIT: u64 = 64 << 20;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

fn collect(target: Target) -> Snapshot {
    crate::common::installed::collect_here(&Request::new(target)).expect("the target collects")
}

fn specscope() -> Command {
    let mut cmd = Command::cargo_bin("specscope").expect("the binary is built");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A small function, then comment lines up to `size` bytes, then a loop that
/// calls the function (so the module's last instructions sit on the last line).
fn write_comment_file(path: &Path, size: u64) {
    let head = "def tiny(x):\n    return x + 1\n\n";
    let tail = "for _i in range(100):\n    tiny(_i)\n";
    let line = format!("# {:<77}\n", "a comment that says nothing at all");
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("temp file"));
    file.write_all(head.as_bytes()).unwrap();
    let body = size - (head.len() + tail.len()) as u64;
    let lines = body / line.len() as u64;
    let block = line.repeat(10_000);
    for _ in 0..lines / 10_000 {
        file.write_all(block.as_bytes()).unwrap();
    }
    for _ in 0..lines % 10_000 {
        file.write_all(line.as_bytes()).unwrap();
    }
    // Pad with spaces up to the exact size.
    let written = head.len() as u64 + lines * line.len() as u64;
    let pad = size - tail.len() as u64 - written;
    if pad > 0 {
        file.write_all(&vec![b' '; pad as usize - 1]).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.write_all(tail.as_bytes()).unwrap();
    file.flush().unwrap();
    drop(file);
    assert_eq!(std::fs::metadata(path).unwrap().len(), size);
}

/// Rows of a buffer as text.
fn rows(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn the_explorer_on_a_large_file_highlights_only_the_lines_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("comments.py");
    // 48 MB of comments: large, and under the limit, so it is collected.
    write_comment_file(&path, 48 << 20);
    let snapshot = collect(Target::Script(path.clone()));
    let filename = path.to_string_lossy().into_owned();
    let lines = snapshot.files[&filename].lines().count();
    assert!(lines > 600_000, "{lines} lines");

    let mut app = App::new(snapshot, Theme::mono());
    let screen = rows(&draw_frame(&app, WIDTH, HEIGHT));
    assert!(
        screen.iter().any(|r| r.contains("def tiny(x):")),
        "the first frame shows the function: {screen:#?}"
    );
    let first = app.lines_highlighted();
    assert!(
        first > 0 && first <= 4 * usize::from(HEIGHT),
        "the first frame highlighted {first} of {lines} lines"
    );

    // To the last line of the file, where the module calls the function.
    app.select_source_line(lines as u32);
    let screen = rows(&draw_frame(&app, WIDTH, HEIGHT));
    assert!(
        screen.iter().any(|r| r.contains("tiny(_i)")),
        "the frame shows the end of the file: {screen:#?}"
    );
    let after = app.lines_highlighted();
    assert!(
        after - first <= 4 * usize::from(HEIGHT),
        "going to the end highlighted {} more lines",
        after - first
    );

    // Scrolling the source pane a page at a time highlights as it goes.
    while app.focus() != Pane::Source {
        app.apply(Action::NextPane);
    }
    for _ in 0..5 {
        app.apply(Action::PageUp);
        draw_frame(&app, WIDTH, HEIGHT);
    }
    let scrolled = app.lines_highlighted() - after;
    assert!(scrolled <= 8 * usize::from(HEIGHT), "{scrolled} lines");
}

#[test]
fn a_file_of_one_long_line_opens_in_the_explorer() {
    // One list of 400,000 numbers on one line: 3 MB.
    let items: Vec<String> = (0..400_000).map(|i| i.to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oneline.py");
    std::fs::write(
        &path,
        format!("x = [{}]\nprint(len(x))\n", items.join(", ")),
    )
    .unwrap();
    let snapshot = collect(Target::Script(path));
    let app = App::new(snapshot, Theme::mono());
    let screen = rows(&draw_frame(&app, WIDTH, HEIGHT));
    assert!(
        screen.iter().any(|r| r.contains("x = [0, 1, 2, 3")),
        "{screen:#?}"
    );
    assert!(
        screen.iter().any(|r| r.contains("print(len(x))")),
        "{screen:#?}"
    );
}

/// Highlighted from any line on, each line is coloured as highlighting the
/// whole file from its first line colours it, on real files: standard
/// library modules with long docstrings, f-strings, brackets over many lines
/// and continuation lines.
#[test]
fn lines_highlighted_in_view_match_the_whole_file_highlighted() {
    let modules = ["argparse", "dataclasses", "textwrap"];
    let mut request = Request::new(Target::Code(format!("import {}", modules.join(", "))));
    request.patterns = modules.iter().map(|m| format!("{m}:*")).collect();
    let snapshot = crate::common::installed::collect_here(&request).expect("the modules collect");
    let mut checked = 0;
    for (name, source) in &snapshot.files {
        if !name.ends_with(".py") {
            continue;
        }
        let whole = highlight(source);
        for window in [
            0,
            whole.len() / 3,
            whole.len() / 2,
            whole.len().saturating_sub(50),
        ] {
            let lazy = LazyHighlight::new();
            let end = (window + 50).min(whole.len());
            assert_eq!(
                lazy.lines(source, window..end),
                whole[window..end],
                "{name}, lines {}..{}",
                window + 1,
                end
            );
        }
        checked += 1;
    }
    assert_eq!(checked, modules.len(), "{:?}", snapshot.files.keys());
}

#[test]
fn a_source_above_the_limit_is_refused_with_exit_3_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("comments.py");
    write_comment_file(&path, 200_000_000);
    for args in [&["dump"][..], &["dump", "--format", "json"]] {
        specscope()
            .args(args)
            .arg(&path)
            .assert()
            .code(3)
            .stdout("")
            .stderr(
                predicate::str::contains("comments.py is 190.7 MiB")
                    .and(predicate::str::contains("up to 64 MiB")),
            );
    }
    // The same for a module run with -m.
    specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "comments"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is 190.7 MiB"));
}

#[test]
fn a_source_of_exactly_the_limit_runs_and_one_byte_more_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("limit.py");
    write_comment_file(&path, LIMIT);
    let out = specscope()
        .args(["dump", "--format", "json"])
        .arg(&path)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let name = path.to_string_lossy();
    assert_eq!(
        json["files"][name.as_ref()].as_str().map(str::len),
        Some(LIMIT as usize),
        "the whole text is in `files`"
    );
    drop(json);
    write_comment_file(&path, LIMIT + 1);
    specscope()
        .args(["dump"])
        .arg(&path)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("up to 64 MiB"));
}

#[test]
fn another_modules_file_above_the_limit_is_left_out_of_files() {
    let dir = tempfile::tempdir().unwrap();
    write_comment_file(&dir.path().join("bigmod.py"), LIMIT + 1);
    let out = specscope()
        .current_dir(dir.path())
        .args([
            "dump",
            "--format",
            "json",
            "-c",
            "import bigmod",
            "-f",
            "bigmod:*",
        ])
        .env("PYTHONPATH", dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let files = json["files"].as_object().expect("a files map");
    assert!(
        files.keys().all(|name| !name.ends_with("bigmod.py")),
        "{:?}",
        files.keys()
    );
    let names: Vec<&str> = json["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["qualname"].as_str())
        .collect();
    assert!(
        names.contains(&"tiny"),
        "its code objects are listed: {names:?}"
    );
}

#[test]
fn in_a_terminal_the_explorer_opens_a_large_file_and_refuses_one_above_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let large = dir.path().join("large.py");
    write_comment_file(&large, 48 << 20);
    let huge = dir.path().join("huge.py");
    write_comment_file(&huge, 200_000_000);
    let binary = env!("CARGO_BIN_EXE_specscope");
    let command = |path: &Path| format!("'{binary}' '{}'; echo specscope-exit=$?", path.display());

    let Some(tmux) = Tmux::start_sized("large-opens", 200, 40) else {
        return;
    };
    tmux.send(&[&command(&large), "Enter"]);
    let screen = tmux.wait_for("the explorer", |s| s.contains("def tiny(x):"));
    assert!(screen.contains("Source"), "{screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(0), "{screen}");

    let tmux = Tmux::start_sized("large-refused", 200, 40).expect("tmux ran just now");
    tmux.send(&[&command(&huge), "Enter"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(3), "{screen}");
    assert!(
        screen.contains("huge.py is 190.7 MiB; specscope reads sources of up to 64 MiB"),
        "{screen}"
    );
}
