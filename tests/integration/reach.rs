//! What `-f` reaches: modules by glob, files by path, code made at run time
//! from strings (a dataclass's `__init__`), and what a pattern that reaches
//! nothing says.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use specscope::collect::request::{Request, Target};
use specscope::views::tui::{App, Theme, ThemeName, draw_frame};

use crate::common::{specscope, write};

/// A package with submodules two levels deep, and a script that imports
/// and calls all of them.
fn package(dir: &Path) -> String {
    write(dir, "pkg/__init__.py", "def top(x):\n    return x + 1\n");
    write(dir, "pkg/a.py", "def fa(x):\n    return x * 2\n");
    write(dir, "pkg/b.py", "def fb(x):\n    return x - 2\n");
    write(dir, "pkg/sub/__init__.py", "");
    write(dir, "pkg/sub/deep.py", "def fdeep(x):\n    return x // 2\n");
    write(dir, "pkgextra.py", "def extra(x):\n    return x\n");
    write(
        dir,
        "app.py",
        "import pkg, pkg.a, pkg.b, pkg.sub.deep, pkgextra\n\
         for i in range(100):\n\
         \x20   pkg.top(i); pkg.a.fa(i); pkg.b.fb(i); pkg.sub.deep.fdeep(i); pkgextra.extra(i)\n",
    )
}

/// (qualname, file name relative to `dir`) of each code object `dump
/// --format json` gives for these arguments.
fn chosen(dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    let out = specscope()
        .current_dir(dir)
        .args(["dump", "--format", "json"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).expect("valid JSON");
    let prefix = format!("{}/", dir.canonicalize().unwrap().display());
    doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let file = c["filename"].as_str().unwrap();
            (
                c["qualname"].as_str().unwrap().to_string(),
                file.strip_prefix(&prefix).unwrap_or(file).to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(q, f)| (q.to_string(), f.to_string()))
        .collect()
}

#[test]
fn a_star_chooses_the_submodules_a_package_has_one_level_down() {
    let dir = tempfile::tempdir().unwrap();
    let app = package(dir.path());
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg.*:f*"]),
        pairs(&[("fa", "pkg/a.py"), ("fb", "pkg/b.py")]),
        "pkg itself, pkg.sub.deep and pkgextra are not pkg.*"
    );
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg.*:*"]),
        pairs(&[
            ("<module>", "pkg/a.py"),
            ("fa", "pkg/a.py"),
            ("<module>", "pkg/b.py"),
            ("fb", "pkg/b.py"),
            ("<module>", "pkg/sub/__init__.py"),
        ])
    );
}

#[test]
fn a_double_star_chooses_the_package_itself_and_everything_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = package(dir.path());
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg.**:f*", "-f", "pkg.**:top"]),
        pairs(&[
            ("top", "pkg/__init__.py"),
            ("fa", "pkg/a.py"),
            ("fb", "pkg/b.py"),
            ("fdeep", "pkg/sub/deep.py"),
        ])
    );
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "**.deep:*"]),
        pairs(&[
            ("<module>", "pkg/sub/deep.py"),
            ("fdeep", "pkg/sub/deep.py")
        ])
    );
}

#[test]
fn a_file_path_chooses_that_file_s_code_relative_or_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let app = package(dir.path());
    let expected = pairs(&[
        ("<module>", "pkg/sub/deep.py"),
        ("fdeep", "pkg/sub/deep.py"),
    ]);
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg/sub/deep.py:*"]),
        expected
    );
    let absolute = format!("{}:*", dir.path().join("pkg/sub/deep.py").display());
    assert_eq!(chosen(dir.path(), &[&app, "-f", &absolute]), expected);
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "./pkg/../pkg/sub/deep.py:f*"]),
        pairs(&[("fdeep", "pkg/sub/deep.py")])
    );
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg/**/*.py:f*"]),
        pairs(&[
            ("fa", "pkg/a.py"),
            ("fb", "pkg/b.py"),
            ("fdeep", "pkg/sub/deep.py")
        ]),
        "a path glob: * within a folder, ** across folders"
    );
    assert_eq!(
        chosen(dir.path(), &[&app, "-f", "pkg/sub/:f*"]),
        pairs(&[("fdeep", "pkg/sub/deep.py")]),
        "a folder: every file under it"
    );
    // A module's file and the target's own file alike.
    assert_eq!(
        chosen(
            dir.path(),
            &[&app, "-f", "pkgextra.py:*", "-f", "app.py:<module>"]
        ),
        pairs(&[
            ("<module>", "pkgextra.py"),
            ("extra", "pkgextra.py"),
            ("<module>", "app.py")
        ])
    );
}

const DATACLASS: &str = "import dataclasses\n\
\n\
@dataclasses.dataclass\n\
class P:\n\
\x20   x: int\n\
\x20   y: int\n\
\n\
def main():\n\
\x20   for i in range(1000):\n\
\x20       P(i, i + 1)\n\
\n\
main()\n";

fn live_opnames(code: &Value) -> Vec<&str> {
    code["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["opname"].as_str().unwrap())
        .collect()
}

#[test]
fn a_dataclass_init_is_chosen_by_its_qualname_and_shows_what_it_specialized() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "shapes.py", DATACLASS);
    let out = specscope()
        .args(["dump", &script, "-f", "P.__init__", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let codes = doc["code_objects"].as_array().unwrap();
    assert_eq!(codes.len(), 1, "{codes:#?}");
    let init = &codes[0];
    assert_eq!(init["qualname"], "P.__init__");
    assert_eq!(init["filename"], "<string>");
    assert_eq!(init["source_kept"], false);
    assert_eq!(init["ran"], true);
    let live = live_opnames(init);
    assert_eq!(
        live.iter()
            .filter(|op| **op == "STORE_ATTR_INSTANCE_VALUE")
            .count(),
        2,
        "self.x = x and self.y = y after 1000 calls: {live:?}"
    );
    assert!(doc["files"].get("<string>").is_none(), "{}", doc["files"]);
    specscope()
        .args(["dump", &script, "-f", "P.__init__"])
        .assert()
        .success()
        .stdout(predicate::str::contains("P.__init__ (function, <string>:"))
        .stdout(predicate::str::contains("source not kept)"))
        .stdout(predicate::str::contains("STORE_ATTR_INSTANCE_VALUE"));
    specscope()
        .args(["dump", &script, "-f", "P.__init__", "--format", "html"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(source not kept)"));
}

#[test]
fn every_method_a_dataclass_or_namedtuple_made_is_reached_through_its_class() {
    let out = specscope()
        .args([
            "dump",
            "-c",
            &format!(
                "{DATACLASS}import collections\nN = collections.namedtuple('N', 'a b')\nN(1, 2)\n"
            ),
            "-f",
            "P.*",
            "-f",
            "N.*",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let mut names: Vec<&str> = doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["N.__new__", "P.__eq__", "P.__init__", "P.__repr__"]);
}

#[test]
fn generated_code_named_like_a_dash_c_program_is_not_shown_with_the_program_s_source() {
    // `-c` code and exec'd code are both `<string>`: the program's text is
    // not the dataclass's source.
    let mut request = Request::new(Target::Code(DATACLASS.into()));
    request.patterns = vec!["P.__init__".into(), "main".into()];
    let snapshot = crate::common::installed::collect_here(&request).expect("it collects");
    let main = snapshot
        .code_objects
        .iter()
        .find(|c| c.qualname == "main")
        .unwrap();
    let init = snapshot
        .code_objects
        .iter()
        .find(|c| c.qualname == "P.__init__")
        .unwrap();
    assert_eq!(main.filename, init.filename);
    assert_eq!(snapshot.source_of(main), Some(DATACLASS));
    assert_eq!(snapshot.source_of(init), None);
    let html =
        specscope::views::dump::render(&snapshot, specscope::views::dump::Format::Html, false);
    assert_eq!(html.matches("(source not kept)").count(), 1, "{html}");
    // The explorer says the same in its source pane.
    let mut alone = snapshot.clone();
    alone.code_objects.retain(|c| c.qualname == "P.__init__");
    let app = App::new(alone, Theme::new(ThemeName::Dark, false));
    let buf = draw_frame(&app, 120, 40);
    let screen: String = (0..40)
        .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    assert!(screen.contains("Bytecode · P.__init__"), "{screen}");
    assert!(
        screen.contains("│P.__init__ "),
        "chosen without its class, it is named in full: {screen}"
    );
    assert!(screen.contains("(source not kept)"), "{screen}");
}

#[test]
fn generated_source_registered_with_linecache_is_shown() {
    // What attrs does: the generated text is put in linecache under the
    // made-up file name it was compiled with.
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "made.py",
        "import linecache\n\
         SRC = 'def __init__(self, x):\\n    self.x = x\\n'\n\
         NAME = '<generated init C>'\n\
         ns = {}\n\
         exec(compile(SRC, NAME, 'exec'), ns)\n\
         linecache.cache[NAME] = (len(SRC), None, SRC.splitlines(True), NAME)\n\
         class C:\n\
         \x20   __init__ = ns['__init__']\n\
         C.__init__.__qualname__ = 'C.__init__'\n\
         for i in range(100):\n\
         \x20   C(i)\n",
    );
    let out = specscope()
        .args(["dump", &script, "-f", "C.__init__", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["code_objects"][0]["source_kept"], true);
    assert_eq!(
        doc["files"]["<generated init C>"],
        "def __init__(self, x):\n    self.x = x\n"
    );
    specscope()
        .args(["dump", &script, "-f", "C.__init__"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "C.__init__ (function, <generated init C>:1)",
        ))
        .stdout(predicate::str::contains("source not kept").not());
}

#[test]
fn code_compiled_from_strings_is_reached_by_its_name_in_angle_brackets() {
    let out = specscope()
        .args([
            "dump",
            "-c",
            "exec(compile('def render(n):\\n    return [i for i in range(n)]\\n', '<template page>', 'exec'), {})",
            "-f",
            "<template *>:*",
            "--format",
            "json",
        ])
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
    assert_eq!(names[..2], ["<module>", "render"], "{names:?}");
}

#[test]
fn patterns_that_reach_nothing_exit_5_with_close_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let app = package(dir.path());
    let cases = [
        (
            "pkgg.**:*",
            "-f 'pkgg.**:*' matched no module the program imported; did you mean 'pkg.**:*'",
        ),
        (
            "pkg.c:*",
            "-f 'pkg.c:*' matched no module the program imported; did you mean 'pkg.*:*', 'pkg.a:*', 'pkg.b:*'?",
        ),
        (
            "jinja2.**:*",
            "-f 'jinja2.**:*' matched no module the program imported",
        ),
        (
            "pkg/c.py:*",
            "-f 'pkg/c.py:*' matched no file the program's code came from; did you mean 'pkg/a.py:*', 'pkg/b.py:*'?",
        ),
        (
            "pkg.*:fz",
            "-f 'pkg.*:fz' matched no code object; did you mean 'pkg.a:fa', 'pkg.b:fb'?",
        ),
        (
            "<strin>:*",
            "-f '<strin>:*' matched no file the program's code came from",
        ),
    ];
    for (pattern, message) in cases {
        specscope()
            .current_dir(dir.path())
            .args(["dump", &app, "-f", "pkg.a:fa", "-f", pattern])
            .assert()
            .code(5)
            .stdout("")
            .stderr(predicate::str::contains(message));
    }
    // A module named exactly that was never imported: a miss too, with what
    // the program printed shown as after any other miss.
    specscope()
        .current_dir(dir.path())
        .args(["dump", "-c", "import pkg.a\nprint('ran')", "-f", "pkg.b:*"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("ran\n"))
        .stderr(predicate::str::contains(
            "-f 'pkg.b:*' matched no module the program imported; did you mean 'pkg.*:*', 'pkg.a:*'?",
        ));
}

#[test]
fn reaching_further_changes_nothing_the_interpreter_specialized() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    let script = write(
        dir.path(),
        "both.py",
        &format!(
            "import pkg.a\n{DATACLASS}def work():\n    return [pkg.a.fa(i) for i in range(300)]\nwork()\n"
        ),
    );
    // With a colon in a pattern the collector records the code the program
    // executes: an audit hook watches the whole run.
    let state = |extra: &[&str]| -> Vec<(String, Vec<(String, Value)>)> {
        let out = specscope()
            .current_dir(dir.path())
            .args([
                "dump",
                &script,
                "-f",
                "work",
                "-f",
                "P.__init__",
                "--format",
                "json",
            ])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        doc["code_objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["qualname"] == "work" || c["qualname"] == "P.__init__")
            .map(|c| {
                let ins = c["instructions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["opname"].as_str().unwrap().to_string(),
                            i["counter"].clone(),
                        )
                    })
                    .collect();
                (c["qualname"].as_str().unwrap().to_string(), ins)
            })
            .collect()
    };
    let plain = state(&[]);
    assert_eq!(plain.len(), 2);
    assert_eq!(
        plain,
        state(&["-f", "pkg.**:*", "-f", "<string>:*", "-f", "both.py:*"])
    );
}

#[test]
fn an_audit_hook_that_refuses_everything_does_not_hide_made_code() {
    // Reading a function's `__code__` raises an audit event; the search
    // reads it without one.
    let program = format!(
        "{DATACLASS}import sys\n\
         def refuse(event, args):\n\
         \x20   raise RuntimeError('no ' + event)\n\
         sys.addaudithook(refuse)\n"
    );
    let out = specscope()
        .args([
            "dump",
            "-c",
            &program,
            "-f",
            "P.__init__",
            "-f",
            "<string>:P.__eq__",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert!(doc["run"]["collection_error"].is_null(), "{}", doc["run"]);
    let names: Vec<&str> = doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["qualname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["P.__init__", "P.__eq__"]);
}

#[test]
fn the_readme_documents_every_form_of_pattern() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for form in [
        "-f 'pkg.*:*'",
        "-f 'pkg.**:*'",
        "-f 'src/app/models.py:*'",
        "-f 'P.__init__'",
        "-f '<string>:*'",
        "source not kept",
    ] {
        assert!(readme.contains(form), "README says {form}");
    }
}
