//! The command line as a user meets it: exit codes, formats, selection,
//! argv and sys.path, and where the program's output goes.

use std::fs;

use crate::common::{specscope, write};
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn dump_of_the_demo_is_a_table_by_default() {
    specscope()
        .arg("dump")
        .assert()
        .success()
        .stdout(predicate::str::contains("BINARY_OP_ADD_INT"))
        .stdout(predicate::str::contains("add (function, demo.py:"))
        .stdout(
            predicate::str::contains("never_called (function, demo.py:")
                .and(predicate::str::contains("never ran")),
        )
        .stdout(predicate::str::contains("\x1b[").not())
        .stderr(predicate::str::contains("demo finished"));
}

#[test]
fn color_always_paints_and_no_color_wins_over_auto() {
    specscope()
        .args(["dump", "--color", "always", "-f", "add"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b["));
    specscope()
        .args(["dump", "-f", "add"])
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn dis_format_prints_one_block_per_code_object() {
    let out = specscope()
        .args([
            "dump",
            "-c",
            "def add(a, b): return a + b",
            "--call",
            "add(1, 2)",
            "-n",
            "20000",
            "--format",
            "dis",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("Disassembly of <code object").count(), 2);
    assert!(text.contains("BINARY_OP_ADD_INT        0 (+)"), "{text}");
    assert!(
        text.contains("CACHE                    0 (counter: "),
        "{text}"
    );
}

#[test]
fn json_has_every_schema_field() {
    let out = specscope()
        .args(["dump", "--format", "json", "-f", "add", "-f", "Point.*"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(doc["schema"], 1);
    assert!(doc["python"]["version"]["minor"].as_u64().unwrap() >= 11);
    let codes = doc["code_objects"].as_array().unwrap();
    let names: Vec<&str> = codes
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["add", "Point.__init__", "Point.norm"]);
    for code in codes {
        for key in [
            "qualname",
            "filename",
            "first_line",
            "kind",
            "ran",
            "instructions",
            "exception_table",
        ] {
            assert!(code.get(key).is_some(), "code object has {key}");
        }
        for ins in code["instructions"].as_array().unwrap() {
            for key in [
                "offset",
                "line",
                "positions",
                "opname",
                "base_opname",
                "arg",
                "argrepr",
                "status",
                "caches",
                "counter",
                "jump_target",
            ] {
                assert!(ins.get(key).is_some(), "instruction has {key}");
            }
            for cache in ins["caches"].as_array().unwrap() {
                for key in ["name", "size", "value", "meaning"] {
                    assert!(cache.get(key).is_some(), "cache entry has {key}");
                }
            }
        }
    }
    let add = &codes[0]["instructions"];
    let plus = add
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["argrepr"] == "+")
        .unwrap();
    assert_eq!(plus["opname"], "BINARY_OP_ADD_INT");
    assert_eq!(plus["status"], "specialized");
    assert!(plus["counter"]["meaning"].as_str().unwrap().len() > 10);
}

#[test]
fn script_gets_argv_and_its_folder_first_on_sys_path() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "helper_mod.py", "VALUE = 41\n");
    let script = write(
        dir.path(),
        "app.py",
        "import sys, os, helper_mod\n\
         print('argv', sys.argv)\n\
         print('path0', sys.path[0] == os.path.dirname(os.path.abspath(__file__)))\n\
         def main():\n    return helper_mod.VALUE + 1\n",
    );
    specscope()
        .args([
            "dump", &script, "--call", "main()", "-n", "10", "-f", "main", "--", "--size", "10",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("main (function"))
        .stdout(predicate::str::contains("argv").not())
        .stderr(predicate::str::contains(format!(
            "argv ['{script}', '--size', '10']"
        )))
        .stderr(predicate::str::contains("path0 True"));
}

#[test]
fn module_selection_covers_top_level_code_of_an_imported_module() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("mylib")).unwrap();
    write(&dir.path().join("mylib"), "__init__.py", "");
    write(
        &dir.path().join("mylib"),
        "core.py",
        "TABLE = [i * 2 for i in range(3)]\ndef double(x):\n    return x * 2\n",
    );
    let script = write(
        dir.path(),
        "run.py",
        "from mylib.core import double\nfor i in range(100):\n    double(i)\n",
    );
    let out = specscope()
        .args(["dump", &script, "-f", "mylib.core:*", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let names: Vec<&str> = doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"<module>"), "{names:?}");
    assert!(names.contains(&"double"), "{names:?}");
}

#[test]
fn dash_m_runs_a_module_as_main() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("mypkg")).unwrap();
    write(&dir.path().join("mypkg"), "__init__.py", "");
    write(
        &dir.path().join("mypkg"),
        "__main__.py",
        "import sys\nprint('name', __name__, sys.argv[1:])\n",
    );
    specscope()
        .current_dir(dir.path())
        .args(["dump", "-m", "mypkg", "--", "--help"])
        .assert()
        .success()
        .stderr(predicate::str::contains("name __main__ ['--help']"));
}

#[test]
fn missing_file_and_folder_exit_3() {
    specscope()
        .args(["dump", "no/such/file.py"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no such file: no/such/file.py"));
    let dir = tempfile::tempdir().unwrap();
    specscope()
        .args(["dump", dir.path().to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is a folder"));
    specscope()
        .args(["dump", "-m", "no_such_module_here"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no_such_module_here"));
}

#[test]
fn syntax_error_gives_file_line_col_and_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "bad.py", "x = 1\ny = (2 +\n");
    specscope()
        .args(["dump", &script])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(format!("{script}:2:")))
        .stderr(predicate::str::contains("^"));
}

#[test]
fn exception_in_the_program_still_dumps_what_was_collected() {
    specscope()
        .args([
            "dump",
            "-c",
            "def f():\n    return 1\nf()\nraise ValueError('boom')\n",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("f (function"))
        .stderr(predicate::str::contains("ValueError: boom"))
        .stderr(predicate::str::contains("raised ValueError"));
}

#[test]
fn exception_in_call_exits_1_with_traceback() {
    specscope()
        .args([
            "dump",
            "-c",
            "def f(x):\n    return 1 / x\n",
            "--call",
            "f(0)",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("f (function"))
        .stderr(predicate::str::contains("ZeroDivisionError"))
        .stderr(predicate::str::contains("specscope collector").not());
}

#[test]
fn sys_exit_is_reported_and_its_status_decides() {
    specscope()
        .args(["dump", "-c", "import sys\nsys.exit(0)"])
        .assert()
        .success()
        .stderr(predicate::str::contains("sys.exit(0)"));
    specscope()
        .args(["dump", "-c", "import sys\ndef f(): pass\nsys.exit(3)"])
        .assert()
        .code(9)
        .stdout(predicate::str::contains("f (function"))
        .stderr(predicate::str::contains("sys.exit(3)"));
    specscope()
        .args(["dump", "-c", "import os\nos._exit(4)"])
        .assert()
        .code(9)
        .stderr(predicate::str::contains("os._exit(4)"));
}

#[test]
fn pattern_matching_nothing_suggests_close_names() {
    specscope()
        .args(["dump", "-f", "ad"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "-f 'ad' matched no code object; did you mean 'add'",
        ));
}

#[test]
fn program_output_never_reaches_stdout() {
    specscope()
        .args(["dump", "-c", "import os, sys\nprint('-'.join(['py', 'level']))\nos.write(1, b'-'.join([b'fd', b'level\\n']))\nprint('err', file=sys.stderr)\n"])
        .assert()
        .success()
        .stdout(predicate::str::contains("py-level").not())
        .stdout(predicate::str::contains("fd-level").not())
        .stderr(predicate::str::contains("py-level"))
        .stderr(predicate::str::contains("fd-level"))
        .stderr(predicate::str::contains("output of the program"));
}

#[test]
fn reading_stdin_gets_end_of_file() {
    specscope()
        .args([
            "dump",
            "-c",
            "import sys\nprint('read', repr(sys.stdin.read()))\n",
        ])
        .write_stdin("should not be seen")
        .assert()
        .success()
        .stderr(predicate::str::contains("read ''"));
}

#[test]
fn timeout_stops_an_endless_loop_and_shows_what_ran() {
    specscope()
        .args([
            "dump",
            "-c",
            "def spin():\n    while True:\n        pass\n",
            "--call",
            "spin()",
            "--timeout",
            "0.5",
        ])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(8)
        .stdout(predicate::str::contains("spin (function"))
        .stderr(predicate::str::contains("--timeout stopped"));
}

#[test]
fn a_virtualenv_of_another_python_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyvenv.cfg",
        "home = /usr/bin\nversion = 2.7.18\n",
    );
    specscope()
        .args(["dump", "-c", "pass"])
        .env("VIRTUAL_ENV", dir.path())
        .assert()
        .code(6)
        .stderr(predicate::str::contains("is for Python 2.7.18"));
}

#[test]
fn the_explorer_without_a_terminal_points_to_dump() {
    specscope()
        .assert()
        .code(7)
        .stderr(predicate::str::contains("specscope dump"));
}

#[test]
fn a_virtualenv_of_the_linked_python_is_honoured() {
    let linked = specscope::collect::python::linked_version();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyvenv.cfg",
        &format!("home = /usr/bin\nversion = {linked}\n"),
    );
    let site = dir
        .path()
        .join("lib")
        .join(format!("python{}", linked.short()))
        .join("site-packages");
    fs::create_dir_all(&site).unwrap();
    write(&site, "venv_only_pkg.py", "WHERE = 'from the venv'\n");
    specscope()
        .args([
            "dump",
            "-c",
            "import venv_only_pkg\nprint(venv_only_pkg.WHERE)",
        ])
        .env("VIRTUAL_ENV", dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("from the venv"));
}

#[test]
fn html_handout_is_one_self_contained_page() {
    let out = specscope()
        .args(["dump", "--example", "deoptimization", "--format", "html"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8(out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("<style>"));
    for outside in ["<script", "<link", "src=\"http", "href=\"http"] {
        assert!(!page.contains(outside), "the page loads nothing: {outside}");
    }
    assert_eq!(
        page.matches("<details id=c").count(),
        3,
        "three code objects, each with its table folded away"
    );
    assert_eq!(
        page.matches("<div class=src").count(),
        1,
        "the source once, not once per code object"
    );
    assert!(page.contains("BINARY_OP_ADD_FLOAT"));
    assert!(
        page.contains("<h3>BINARY_OP_ADD_FLOAT</h3>"),
        "the form seen there is explained"
    );
    assert!(
        page.contains("<i class=k>def</i>"),
        "the source is highlighted"
    );
    assert!(
        page.contains("<mark class=S title=\"BINARY_OP_ADD_FLOAT: specialized"),
        "the source is heat-mapped"
    );
    assert!(
        page.contains("de-optimized"),
        "the timeline shows the de-optimization"
    );
}

#[test]
fn control_characters_from_the_program_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("esc.py");
    fs::write(
        &script,
        "# a comment with \x1b[31m an escape\nname = 'x\x1b]0;title\x07'\n\
         def f():\n    return '\x1b[2J'\nprint('\x1b[31mred\x1b[0m')\n",
    )
    .unwrap();
    for format in ["table", "dis", "html"] {
        let out = specscope()
            .args([
                "dump",
                script.to_str().unwrap(),
                "--format",
                format,
                "--color",
                "never",
            ])
            .assert()
            .success()
            .get_output()
            .clone();
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
                "{format}: raw control characters on {what}"
            );
        }
    }
    let json = specscope()
        .args(["dump", script.to_str().unwrap(), "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!json.contains(&0x1b), "JSON escapes them");
    let doc: Value = serde_json::from_slice(&json).unwrap();
    assert!(
        doc["files"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .contains('\x1b')
    );
}

#[test]
fn a_misspelt_command_is_suggested() {
    for args in [&["exmaples"][..], &["dump", "exmaples"][..]] {
        specscope()
            .args(args)
            .assert()
            .code(3)
            .stderr(predicate::str::contains("`specscope examples`"));
    }
}

#[test]
fn names_are_suggested_from_parts_and_prefixes() {
    specscope()
        .args(["explain", "BINARY_OP_ADD"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("BINARY_OP_ADD_INT"))
        .stderr(predicate::str::contains("BINARY_OP_ADD_FLOAT"));
    specscope()
        .args(["explain", "INSTANCE_VALUE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("LOAD_ATTR_INSTANCE_VALUE"));
    specscope()
        .args(["dump", "--example", "polymorph"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean polymorphism?"));
    specscope()
        .args(["dump", "-f", "Point.nrom"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("did you mean 'Point.norm'?"));
}

#[test]
fn every_lesson_runs_as_its_listing_prints_it() {
    let listing = specscope().arg("examples").output().unwrap();
    assert!(listing.status.success());
    let binary = assert_cmd::cargo::cargo_bin("specscope");
    let lines: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("try: specscope ").map(str::to_string))
        .collect();
    assert_eq!(lines.len(), 10);
    for line in lines {
        // The line goes through a real shell, quotes and all.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("\"$0\" {line}"))
            .arg(&binary)
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{line}");
    }
}

#[test]
fn a_lesson_takes_steps_without_a_call() {
    specscope()
        .args(["dump", "--example", "polymorphism", "--steps", "0,1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("step 2 · work() × 1"));
    specscope()
        .args(["dump", "--steps", "0,1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--steps counts evaluations of --call",
        ));
}

#[test]
fn version_names_specscope_the_python_it_runs_and_how() {
    let out = specscope()
        .arg("--version")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(&format!("specscope {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let v = crate::common::linked();
    let python = format!("Python {}.{}.", v.major, v.minor);
    assert!(text.contains(&python), "{text}");
    assert!(text.contains("embedded"), "{text}");
    let path = text
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the path in brackets");
    assert!(
        std::path::Path::new(path).is_file(),
        "the interpreter's path exists: {path}"
    );
    let short = specscope()
        .arg("-V")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(short).unwrap(), text);
}

#[test]
fn completions_and_the_manual_page_are_printed() {
    let expect = [
        ("bash", "complete -F _specscope"),
        ("zsh", "#compdef specscope"),
        ("fish", "complete -c specscope"),
        ("elvish", "edit:completion:arg-completer[specscope]"),
        ("powershell", "Register-ArgumentCompleter"),
    ];
    for (shell, marker) in expect {
        let out = specscope()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains(marker), "{shell}: {marker}");
        for word in ["dump", "explain", "only", "format"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    specscope().args(["completions", "tcsh"]).assert().code(2);
    let out = specscope()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8(out).unwrap();
    assert!(page.contains(".TH specscope 1"), "{page}");
    assert!(
        page.contains("\\-\\-function") || page.contains("\\-f"),
        "options are listed"
    );
}

#[test]
fn every_help_has_examples() {
    for args in [
        vec!["--help"],
        vec!["dump", "--help"],
        vec!["explain", "--help"],
        vec!["examples", "--help"],
        vec!["completions", "--help"],
        vec!["man", "--help"],
    ] {
        let out = specscope()
            .args(&args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        let examples = text
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{args:?}:\n{text}"));
        assert!(examples.contains("specscope"), "{args:?}");
    }
}
