//! `--format summary` and `--only`: the whole program at a glance, and the
//! same filter for every format.

use serde_json::Value;

use crate::common::{specscope, write};

/// `steady`'s `+` specializes, `flip`'s `p + q` (an int and a float) keeps
/// failing, `never` never runs (written without a pair of instructions
/// 3.12 would fuse at creation, so that 3.12 can watch it too).
const PROGRAM: &str = "\
def steady(a, b):
    return a + b

def flip(a, b, p, q):
    return [a + b, p + q]

def never(x):
    return x.real + x.imag

for i in range(2000):
    steady(i, i)
    flip(i, i, i, 0.5)
";

fn dump(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "prog.py", PROGRAM);
    let out = specscope()
        .current_dir(dir.path())
        .args(["dump"])
        .args(args)
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn qualnames(json: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(json).unwrap();
    doc["code_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["qualname"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_summary_counts_each_family_and_lists_the_failing_site_first() {
    let (text, _) = dump(&["--format", "summary"]);
    let binary_op = text
        .lines()
        .find(|l| l.starts_with("BINARY_OP "))
        .unwrap_or_else(|| panic!("a BINARY_OP row:\n{text}"));
    let cells: Vec<&str> = binary_op.split_whitespace().collect();
    // family, specialized, backing off, given up, warming, never ran
    assert_eq!(cells.len(), 6, "{binary_op}");
    assert_eq!(cells[1], "2", "steady's and flip's `a + b`: {binary_op}");
    assert_eq!(cells[2], "1", "flip's `p + q` backs off: {binary_op}");
    assert_eq!(cells[5], "1", "never's `+`: {binary_op}");
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("Look at first: 1 site"))
        .nth(1)
        .unwrap_or_else(|| panic!("one site to look at:\n{text}"));
    assert!(
        first.contains("prog.py:5:20") && first.contains("in flip"),
        "the place of `p + q` (column 20, as editors count): {first}"
    );
    assert!(first.contains("backing off"), "{first}");
    let source = text
        .lines()
        .skip_while(|l| !l.starts_with("Look at first"))
        .nth(2)
        .unwrap();
    assert_eq!(source.trim(), "return [a + b, p + q]");
}

#[test]
fn only_keeps_the_same_code_objects_in_every_format() {
    let expect: [(&str, &[&str], &[&str]); 3] = [
        ("ran", &["<module>", "steady", "flip"], &["never"]),
        ("failing", &["flip"], &["steady", "never"]),
        ("specialized", &["<module>", "steady", "flip"], &["never"]),
    ];
    for (only, kept, dropped) in expect {
        let (json, _) = dump(&["--format", "json", "--only", only]);
        let names = qualnames(&json);
        for name in kept {
            assert!(
                names.iter().any(|n| n == name),
                "--only {only} keeps {name}: {names:?}"
            );
        }
        for name in dropped {
            assert!(
                !names.iter().any(|n| n == name),
                "--only {only} drops {name}: {names:?}"
            );
        }
        let (table, _) = dump(&["--format", "table", "--only", only]);
        let (dis, _) = dump(&["--format", "dis", "--only", only]);
        for name in kept.iter().filter(|n| **n != "<module>") {
            assert!(
                table
                    .lines()
                    .any(|l| l.starts_with(&format!("{name} (function"))),
                "--only {only} --format table keeps {name}:\n{table}"
            );
        }
        for name in dropped {
            for (format, text) in [("table", &table), ("dis", &dis)] {
                let header = text.lines().any(|l| {
                    l.starts_with(&format!("{name} (function"))
                        || l.starts_with(&format!("Disassembly of <code object {name} at"))
                });
                assert!(
                    !header,
                    "--only {only} --format {format} drops {name}:\n{text}"
                );
            }
        }
    }
}
