//! Snapshots as files: `--load` reads back what `dump --format json`
//! wrote, and `diff` compares two, across edits and Python versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{minor, specscope, write};

/// Points whose methods the warm-up calls: attribute loads, method loads,
/// calls, arithmetic and a loop, all specializable on every version.
/// `describe` reads `label`, which the class provides.
const BEFORE: &str = "\
class Point:
    label = \"\"

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return self.x * self.x + self.y * self.y

    def describe(self):
        return self.label


def main():
    total = 0
    for i in range(100):
        p = Point(i, i + 1)
        total += p.norm()
        p.describe()
    return total
";

/// `BEFORE` with a line added after `p = Point(...)`.
fn edited(line: &str) -> String {
    BEFORE.replace(
        "        p = Point(i, i + 1)\n",
        &format!("        p = Point(i, i + 1)\n        {line}\n"),
    )
}

fn dump_json(dir: &Path, script: &str, out: &str) -> PathBuf {
    dump_json_with(dir, script, out, &[])
}

/// `dump --format json` of `script` warmed by `main()` × 200, run in
/// `dir` (with `extra` options), saved as `dir/out`.
fn dump_json_with(dir: &Path, script: &str, out: &str, extra: &[&str]) -> PathBuf {
    let result = specscope()
        .current_dir(dir)
        .args([
            "dump", script, "--call", "main()", "-n", "200", "--format", "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0), "{result:?}");
    let path = dir.join(out);
    std::fs::write(&path, &result.stdout).unwrap();
    path
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `dump --load` gives back, byte for byte, the document it read; and the
/// other formats read it as they read a run.
#[test]
fn a_loaded_snapshot_writes_the_same_json() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("demo.json", vec!["dump", "--format", "json"]),
        (
            "lesson.json",
            vec!["dump", "--example", "deoptimization", "--format", "json"],
        ),
    ] {
        let first = specscope().args(&args).output().unwrap();
        assert_eq!(first.status.code(), Some(0), "{first:?}");
        let path = dir.path().join(name);
        std::fs::write(&path, &first.stdout).unwrap();
        let again = specscope()
            .args(["dump", "--format", "json", "--load"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(again.status.code(), Some(0), "{again:?}");
        assert!(
            again.stdout == first.stdout,
            "{name}: dump → load → dump changed the document"
        );
        let snapshot: Value = serde_json::from_slice(&first.stdout).unwrap();
        let version = &snapshot["python"]["version"];
        let python = format!(
            "Python {}.{}.{}",
            version["major"], version["minor"], version["micro"]
        );
        for format in ["table", "summary", "dis", "html"] {
            let out = specscope()
                .args(["dump", "--color", "never", "--format", format, "--load"])
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
            assert!(
                out.stderr.is_empty(),
                "{format}: nothing ran, nothing to report"
            );
            let text = String::from_utf8(out.stdout).unwrap();
            if format != "dis" {
                assert!(text.contains(&python), "{format} names {python}");
            }
            if format == "dis" || format == "table" {
                // dis names code objects by their repr, the table by qualname.
                let field = if format == "dis" { "repr" } else { "qualname" };
                for code in snapshot["code_objects"].as_array().unwrap() {
                    let name = code[field].as_str().unwrap();
                    assert!(text.contains(name), "{format} shows {name}");
                }
            }
        }
    }
}

/// The lost sites of `diff --format json`: (qualname, the source text the
/// site starts with, A's opname, B's opname).
fn lost_sites(diff: &Value, source: &str) -> Vec<(String, String, String, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    for f in diff["functions"].as_array().unwrap() {
        for site in f["sites"].as_array().unwrap() {
            if site["change"] != "lost" {
                continue;
            }
            let p = &site["b"]["positions"];
            let line = lines[p["line"].as_u64().unwrap() as usize - 1];
            let text = &line[p["col"].as_u64().unwrap() as usize..];
            let text: String = text
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '_')
                .collect();
            out.push((
                f["qualname"].as_str().unwrap().to_string(),
                text,
                site["a"]["opname"].as_str().unwrap().to_string(),
                site["b"]["opname"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

/// An instruction of a snapshot's JSON, by code object and offset.
fn instruction<'a>(snapshot: &'a Value, qualname: &str, offset: &Value) -> &'a Value {
    snapshot["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["qualname"] == qualname)
        .flat_map(|c| c["instructions"].as_array().unwrap())
        .find(|i| &i["offset"] == offset)
        .unwrap_or_else(|| panic!("{qualname} @{offset}"))
}

/// Giving points an attribute after `__init__`, through their `__dict__`,
/// costs specializations, and `diff` reports them lost. Which ones
/// depends on the version (each checked against the interpreter):
/// - 3.11 loses the method loads `p.norm` and `p.describe` when only every
///   other point gets the attribute (points with and without a dict
///   alternate at the site, and it de-optimizes);
/// - 3.12 loses them when every point gets it: it does not specialize a
///   method load on an object whose dict exists;
/// - 3.13 keeps those, but `self.label` in `describe` was a class
///   attribute read (`LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES`) and is now
///   shadowed by the instances' own.
#[test]
fn an_attribute_added_after_init_is_reported_lost() {
    let (edit, lost): (&str, &[(&str, &str)]) = match minor() {
        11 => (
            "if i % 2: vars(p)[\"label\"] = \"odd\"",
            &[("main", "p.norm"), ("main", "p.describe")],
        ),
        12 => (
            "vars(p)[\"label\"] = \"point\"",
            &[("main", "p.norm"), ("main", "p.describe")],
        ),
        _ => (
            "vars(p)[\"label\"] = \"point\"",
            &[("Point.describe", "self.label")],
        ),
    };
    let dir = tempfile::tempdir().unwrap();
    // The same file before and after the edit, as in a working copy.
    let script = write(dir.path(), "points.py", BEFORE);
    let a = dump_json(dir.path(), &script, "before.json");
    let after = edited(edit);
    write(dir.path(), "points.py", &after);
    let b = dump_json(dir.path(), &script, "after.json");

    let out = specscope()
        .args(["diff", "--format", "json"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = lost_sites(&diff, &after);
    let names: Vec<(&str, &str)> = found
        .iter()
        .map(|(q, t, _, _)| (q.as_str(), t.as_str()))
        .collect();
    assert_eq!(names, lost, "{found:?}");
    // Each is specialized in A's file and not in B's.
    let (json_a, json_b) = (read_json(&a), read_json(&b));
    for f in diff["functions"].as_array().unwrap() {
        for site in f["sites"].as_array().unwrap() {
            if site["change"] == "lost" {
                let q = f["qualname"].as_str().unwrap();
                let ia = instruction(&json_a, q, &site["a"]["offset"]);
                let ib = instruction(&json_b, q, &site["b"]["offset"]);
                assert_eq!(ia["status"], "specialized", "{ia}");
                assert_ne!(ib["status"], "specialized", "{ib}");
                assert_eq!(ia["opname"], site["a"]["opname"]);
                assert_eq!(ib["opname"], site["b"]["opname"]);
            }
        }
    }
    assert_eq!(
        diff["totals"]["sites"]["lost"].as_u64(),
        Some(lost.len() as u64)
    );

    // The gate: the lost sites fail it, unless -f leaves them out.
    let gate = specscope()
        .args(["diff", "--fail-on", "lost", "--color", "never"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(gate.status.code(), Some(15), "{gate:?}");
    let table = String::from_utf8(gate.stdout).unwrap();
    for (qualname, _) in lost {
        assert!(table.contains(qualname), "{table}");
    }
    let stderr = String::from_utf8(gate.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "specscope: {} specialization in B (--fail-on lost)\n",
            if lost.len() == 1 {
                "1 site specialized in A lost its".to_string()
            } else {
                format!("{} sites specialized in A lost their", lost.len())
            }
        )
    );
    let elsewhere = specscope()
        .args(["diff", "--fail-on", "lost", "-f", "Point.norm"])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(0), "{elsewhere:?}");
    let there = specscope()
        .args(["diff", "--fail-on", "lost", "-f", lost[0].0])
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(there.status.code(), Some(15), "{there:?}");

    // Nothing changed between a snapshot and itself.
    let same = specscope()
        .args(["diff", "--fail-on", "lost", "--color", "never"])
        .args([&a, &a])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert!(
        String::from_utf8(same.stdout)
            .unwrap()
            .contains("sites: no change"),
    );
}

/// The sites of one code object in a snapshot's JSON, worked out here
/// from the fields alone: (family, line, col) → the live opnames and
/// states of the instructions there, in offset order.
type Sites = BTreeMap<(String, Option<u64>, Option<u64>), Vec<(String, &'static str)>>;

fn sites_of(code: &Value) -> Sites {
    let mut out = Sites::new();
    let never_ran = code["ran"] == false && code["ran_known"] == true;
    for ins in code["instructions"].as_array().unwrap() {
        let status = ins["status"].as_str().unwrap();
        if !matches!(status, "specialized" | "adaptive")
            || ins["caches"].as_array().unwrap().is_empty()
        {
            continue;
        }
        let counter = ins["counter"]["state"].as_str().unwrap_or("");
        let state = if never_ran {
            "never_ran"
        } else if status == "specialized" {
            "specialized"
        } else if matches!(counter, "backing_off" | "backoff_or_restart") {
            "backing_off"
        } else if counter == "unspecializable" {
            "given_up"
        } else {
            "warming"
        };
        let family = match ins["base_opname"].as_str().unwrap() {
            "LOAD_METHOD" => "LOAD_ATTR",
            other => other,
        };
        let p = &ins["positions"];
        out.entry((family.to_string(), p["line"].as_u64(), p["col"].as_u64()))
            .or_default()
            .push((ins["opname"].as_str().unwrap().to_string(), state));
    }
    out
}

fn failing(state: &str) -> bool {
    matches!(state, "backing_off" | "given_up")
}

/// (qualname, change, A's opname, B's opname) of every site that changed
/// between two snapshots of the same file, worked out from the JSON.
fn expected_changes(a: &Value, b: &Value) -> Vec<(String, String, String, String)> {
    let by_name = |s: &Value| -> BTreeMap<String, Value> {
        s["code_objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["qualname"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    };
    let (codes_a, codes_b) = (by_name(a), by_name(b));
    let mut out = Vec::new();
    for (qualname, code_b) in &codes_b {
        let Some(code_a) = codes_a.get(qualname) else {
            continue;
        };
        let (sa, sb) = (sites_of(code_a), sites_of(code_b));
        let keys: std::collections::BTreeSet<_> = sa.keys().chain(sb.keys()).collect();
        for key in keys {
            let empty = Vec::new();
            let (la, lb) = (sa.get(key).unwrap_or(&empty), sb.get(key).unwrap_or(&empty));
            for k in 0..la.len().max(lb.len()) {
                let change = match (la.get(k), lb.get(k)) {
                    (Some((oa, x)), Some((ob, y))) => match (*x, *y) {
                        ("specialized", "specialized") if oa != ob => "changed_form",
                        ("specialized", "specialized") => continue,
                        ("specialized", _) => "lost",
                        (_, "specialized") => "specialized",
                        (x, y) if !failing(x) && failing(y) => "now_failing",
                        (x, y) if failing(x) && !failing(y) => "no_longer_failing",
                        _ => continue,
                    },
                    (Some(_), None) => "disappeared",
                    (None, Some(_)) => "appeared",
                    (None, None) => unreachable!(),
                };
                let opname = |side: Option<&(String, &str)>| {
                    side.map(|(o, _)| o.clone()).unwrap_or_default()
                };
                out.push((
                    qualname.clone(),
                    change.to_string(),
                    opname(la.get(k)),
                    opname(lb.get(k)),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The same program dumped by two Python versions compares without error,
/// and `diff` finds what this test works out from the two files itself.
///
/// A binary links one Python, so a test run has the snapshot of its own
/// version only. Each run leaves it in the build folder
/// (`cross-version/3.X.json`) and compares it with those earlier runs
/// left there: `.ci/run` tests 3.11, 3.12 and 3.13 one after another in
/// one build folder, so the 3.12 run compares with 3.11 and the 3.13 run
/// with both. Without another version's snapshot the test says it
/// skipped.
#[test]
fn two_python_versions_compare() {
    let binary = assert_cmd::cargo::cargo_bin("specscope");
    let target = binary
        .parent()
        .and_then(Path::parent)
        .expect("the binary sits in the build folder's profile folder");
    let dir = target.join("cross-version");
    std::fs::create_dir_all(&dir).unwrap();
    // The same path in every version's run: the code objects are matched
    // by file as well as by name.
    let script = write(&dir, "points.py", BEFORE);
    let mine = format!("3.{}.json", minor());
    let mine = dump_json(&dir, &script, &mine);
    let json_b = read_json(&mine);
    let others: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && *p != mine)
        .collect();
    if others.is_empty() {
        eprintln!(
            "skipped: no snapshot of another Python version in {} yet (each version's test run leaves one)",
            dir.display()
        );
        return;
    }
    for other in others {
        let json_a = read_json(&other);
        assert_ne!(
            json_a["python"]["version"],
            json_b["python"]["version"],
            "{} is another version's",
            other.display()
        );
        let out = specscope()
            .args(["diff", "--format", "json", "--only", "all"])
            .args([&other, &mine])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(diff["totals"]["code_objects"]["only_a"], 0);
        assert_eq!(diff["totals"]["code_objects"]["only_b"], 0);
        let mut reported: Vec<(String, String, String, String)> = diff["functions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                f["sites"].as_array().unwrap().iter().filter_map(move |s| {
                    let opname = |side: &Value| side["opname"].as_str().unwrap_or("").to_string();
                    (s["change"] != "unchanged").then(|| {
                        (
                            f["qualname"].as_str().unwrap().to_string(),
                            s["change"].as_str().unwrap().to_string(),
                            opname(&s["a"]),
                            opname(&s["b"]),
                        )
                    })
                })
            })
            .collect();
        reported.sort();
        let expected = expected_changes(&json_a, &json_b);
        assert_eq!(
            reported,
            expected,
            "{} against {}",
            other.display(),
            mine.display()
        );
        eprintln!(
            "{} → {}: {} sites changed",
            other.display(),
            mine.display(),
            expected.len()
        );
    }
}

/// Each file that is not a snapshot: one line, exit 16; so are two
/// snapshots with nothing in common. A `-f` that selects nothing is exit 5.
#[test]
fn what_cannot_be_compared_is_said_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = specscope()
        .args(["dump", "--format", "json"])
        .output()
        .unwrap();
    let good = dir.path().join("demo.json");
    std::fs::write(&good, &demo.stdout).unwrap();
    let text = String::from_utf8(demo.stdout.clone()).unwrap();
    let cut = &text[..text.len() / 2];
    let other = specscope()
        .args([
            "dump",
            "-c",
            "def f(x):\n    return x + 1\nfor i in range(99): f(i)",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    for (name, content, says) in [
        ("words.json", "this is not json\n".to_string(), "not JSON"),
        ("cut.json", cut.to_string(), "truncated"),
        (
            "list.json",
            "[1, 2, 3]\n".to_string(),
            "not a specscope snapshot",
        ),
        (
            "future.json",
            text.replacen("\"schema\": 1", "\"schema\": 2", 1),
            "schema 2; this specscope reads schema 1",
        ),
        (
            "broken.json",
            text.replacen("\"code_objects\"", "\"code_objectz\"", 1),
            "not a schema 1 snapshot: missing field `code_objects`",
        ),
        (
            "other.json",
            String::from_utf8(other.stdout.clone()).unwrap(),
            "have no code object in common",
        ),
    ] {
        let path = write(dir.path(), name, &content);
        let out = specscope()
            .args(["diff"])
            .arg(&good)
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(16), "{name}: {out:?}");
        assert!(out.stdout.is_empty(), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.starts_with("specscope: "), "{stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        if name != "other.json" {
            let load = specscope()
                .args(["dump", "--load", &path])
                .output()
                .unwrap();
            assert_eq!(load.status.code(), Some(16), "{name}: {load:?}");
            assert_eq!(String::from_utf8(load.stderr).unwrap(), stderr);
        }
    }
    let missing = specscope()
        .args(["diff"])
        .arg(&good)
        .arg(dir.path().join("nowhere.json"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(16), "{missing:?}");
    let nothing = specscope()
        .args(["diff", "-f", "no_such_function"])
        .args([&good, &good])
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(5), "{nothing:?}");
    assert_eq!(
        String::from_utf8(nothing.stderr).unwrap(),
        "specscope: -f 'no_such_function' matched no code object of either snapshot\n"
    );
    // --load runs nothing, so nothing of a target goes with it.
    let both = specscope()
        .args(["dump", "--load"])
        .arg(&good)
        .arg("app.py")
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2), "{both:?}");
    for option in ["--why", "--why-all", "--timeout=5", "--sample-interval=2"] {
        let refused = specscope()
            .args(["dump", "--load"])
            .arg(&good)
            .arg(option)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{option}: {refused:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("cannot be used with"),
            "{option}: {refused:?}"
        );
    }
}

/// The table is coloured on request and plain under NO_COLOR; the HTML
/// page puts A and B side by side.
#[test]
fn table_and_page_of_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "points.py", BEFORE);
    let a = dump_json(dir.path(), &script, "a.json");
    write(
        dir.path(),
        "points.py",
        &edited("vars(p)[\"label\"] = \"point\""),
    );
    let b = dump_json(dir.path(), &script, "b.json");
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = specscope();
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.arg("diff").args(args).args([&a, &b]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = run(&[], true);
    assert!(!plain.contains('\x1b'));
    assert!(
        plain.contains("Totals: 6 code objects in both; sites: "),
        "{plain}"
    );
    // The edit's own line brings new sites on every version.
    assert!(plain.contains("main (function, points.py:15)"), "{plain}");
    assert!(plain.contains("appeared"), "{plain}");
    let coloured = run(&["--color", "always"], true);
    assert!(coloured.contains("\x1b["));
    let all = run(&["--only", "all", "--color", "never"], false);
    assert!(
        all.contains("unchanged"),
        "--only all lists unchanged sites"
    );
    assert!(!plain.contains("unchanged"), "--only changed does not");
    let page = run(&["--format", "html", "--only", "all"], false);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<th>A</th><th>B</th>"));
    assert!(
        page.contains("self.x * self.x"),
        "the source beside the sites"
    );
}

mod explorer {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use specscope::analysis::diff::{Change, compare};
    use specscope::model::Snapshot;
    use specscope::views::tui::{Against, App, Theme, draw_frame};

    use super::{BEFORE, dump_json_with, edited};
    use crate::common::{minor, write};

    /// The program before and after the edit, each dumped by the binary
    /// and loaded back here. (Collecting in this process would hand out
    /// type versions that other tests' screens show.)
    fn before_and_after(edit: &str) -> (Snapshot, Snapshot) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "points.py", BEFORE);
        let a = dump_json_with(dir.path(), "points.py", "a.json", &[]);
        write(dir.path(), "points.py", &edited(edit));
        let b = dump_json_with(dir.path(), "points.py", "b.json", &["--steps", "1,8,200"]);
        (
            Snapshot::load(&a).expect("A loads"),
            Snapshot::load(&b).expect("B loads"),
        )
    }

    fn screen(app: &App, width: u16, height: u16) -> String {
        let buf = draw_frame(app, width, height);
        let area = buf.area;
        (area.y..area.bottom())
            .map(|y| {
                let row: String = (area.x..area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect();
                // The script's name is absolute, as python makes it: its
                // temporary folder changes from run to run, as do timings.
                let row = match row.find("/tmp/.tmp") {
                    Some(start) => match row[start + 1..].find("/points.py") {
                        Some(end) => format!("{}[tmp]{}", &row[..start], &row[start + 1 + end..]),
                        None => row,
                    },
                    None => row,
                };
                match row.find(" in ").zip(row.find(" ms")) {
                    Some((start, end)) if start < end => {
                        format!("{}[time]{}", &row[..start + 4], &row[end..])
                    }
                    _ => row,
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `diff --explore`: the navigator lists the changed code objects, the
    /// bytecode pane A's opname beside B's with the change marked, and a
    /// timeline recorded in B still steps.
    #[test]
    fn the_explorer_shows_a_beside_b() {
        let edit = if minor() == 11 {
            "if i % 2: vars(p)[\"label\"] = \"odd\""
        } else {
            "vars(p)[\"label\"] = \"point\""
        };
        let (a, b) = before_and_after(edit);
        let diff = compare(&a, &b);
        let changed: Vec<usize> = diff
            .functions
            .iter()
            .filter(|f| f.changed())
            .filter_map(|f| f.b)
            .collect();
        let lost: Vec<(usize, usize, String)> = diff
            .functions
            .iter()
            .flat_map(|f| f.sites.iter().map(move |s| (f, s)))
            .filter(|(_, s)| s.change == Change::Lost)
            .map(|(f, s)| {
                let ia = &a.code_objects[f.a.unwrap()].instructions[s.a.unwrap().instruction];
                (f.b.unwrap(), s.b.unwrap().instruction, ia.opname.clone())
            })
            .collect();
        assert!(!lost.is_empty(), "the edit loses a specialization");
        let against = Against {
            snapshot: a.clone(),
            name: "before.json".into(),
            diff,
            all: false,
        };
        let mut app = App::new(b.clone(), Theme::mono()).with_comparison(against);
        assert_eq!(app.navigator_codes(), changed);
        let (code, index, a_opname) = lost[0].clone();
        app.open_code(code, index);
        let row = app.against_row(index).expect("the lost site has A's side");
        assert_eq!(row.change, Change::Lost);
        assert_eq!(row.a.as_deref(), Some(a_opname.as_str()));
        let shown = screen(&app, 140, 40);
        let line = shown
            .lines()
            .find(|l| l.contains(&a_opname) && l.contains(" - "))
            .unwrap_or_else(|| panic!("a row with {a_opname} marked lost:\n{shown}"));
        assert!(
            line.contains(&b.code_objects[code].instructions[index].opname),
            "{line}"
        );
        assert!(shown.contains("against before.json"), "{shown}");
        insta::assert_snapshot!(format!("compare_140x40@py3{}", minor()), shown);

        // The timeline of B steps, and A's column stays.
        let (at, count) = app.moment();
        assert!(count > 1, "B recorded a timeline");
        assert_eq!(at, count - 1, "the explorer opens where B's warm-up ended");
        app.handle_key(KeyEvent::new(KeyCode::Char('['), KeyModifiers::NONE));
        assert_eq!(app.moment().0, at - 1);
        assert!(app.against_row(index).is_some());
        assert!(screen(&app, 140, 40).contains(&a_opname));
    }
}

/// In a terminal, `specscope diff A B` with no `--format` or `--fail-on`
/// opens the explorer comparing them, and gives the terminal back on `q`.
#[test]
fn in_a_terminal_diff_opens_the_explorer() {
    use crate::common::tmux::{Tmux, exit_code};
    let Some(tmux) = Tmux::start_sized("diff", 140, 40) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "points.py", BEFORE);
    let a = dump_json_with(dir.path(), "points.py", "a.json", &[]);
    let edit = if crate::common::minor() == 11 {
        "if i % 2: vars(p)[\"label\"] = \"odd\""
    } else {
        "vars(p)[\"label\"] = \"point\""
    };
    write(dir.path(), "points.py", &edited(edit));
    let b = dump_json_with(dir.path(), "points.py", "b.json", &[]);
    let command = format!(
        "'{}' diff '{}' '{}'; echo specscope-exit=$?",
        env!("CARGO_BIN_EXE_specscope"),
        a.display(),
        b.display()
    );
    tmux.send(&[&command, "Enter"]);
    let screen = tmux.wait_for("the explorer comparing A and B", |s| {
        s.contains("Code objects") && s.contains("a.json (Python")
    });
    assert!(tmux.alternate_screen_on(), "{screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the shell", |s| exit_code(s).is_some());
    assert_eq!(exit_code(&screen), Some(0), "{screen}");
    assert!(!tmux.alternate_screen_on());
}
