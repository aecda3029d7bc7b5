//! `specscope explain` for every opname of the linked interpreter, including
//! the instructions that never specialize (`assets/explain/instructions.md`):
//! each one has a written text, and what the texts say about inline caches
//! agrees with the interpreter's own `dis` tables.

use std::collections::BTreeMap;

use crate::common::linked;
use assert_cmd::Command;
use predicates::prelude::*;
use specscope::collect::python;
use specscope::explain::{self, Lookup};

/// The texts this test file is about.
const INSTRUCTIONS: &str = include_str!("../../assets/explain/instructions.md");

/// Every opname of the linked interpreter (`dis.opname` without the `<N>`
/// placeholders: real, pseudo and instrumented opnames, and CACHE), with the
/// number of inline-cache code units `dis` says it is followed by.
fn opnames_and_cache_sizes() -> BTreeMap<String, u64> {
    let code = r#"
import dis, json

def cache_size(name):
    if hasattr(dis, "_get_cache_size"):  # 3.13+
        return dis._get_cache_size(name)
    op = dis.opmap[name]
    entries = dis._inline_cache_entries  # indexed by opcode; pseudo-ops lie beyond it
    return entries[op] if op < len(entries) else 0

sizes = {n: cache_size(n) for n in dis.opname if not n.startswith("<")}
"#;
    let repr = python::eval_repr(code, "json.dumps(sizes)").expect("dis tables");
    let text = repr.trim_matches('\'');
    let sizes: BTreeMap<String, u64> =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    // A sanity check that the table is the real one.
    assert!(sizes.contains_key("RETURN_VALUE") && sizes.contains_key("CACHE"));
    assert!(
        sizes["LOAD_ATTR"] > 0 && sizes["RETURN_VALUE"] == 0,
        "{sizes:?}"
    );
    sizes
}

/// Opnames that the texts explain only for another version on purpose.
/// From 3.12 on, `dis.opname` also lists LOAD_METHOD, but only as a
/// pseudo-instruction that the compiler turns into LOAD_ATTR; the texts keep
/// LOAD_METHOD as the 3.11 family and `explain` says where it exists
/// (tests/explain.rs relies on that).
fn explained_for_another_version(name: &str) -> bool {
    linked().minor >= 12 && name == "LOAD_METHOD"
}

/// What `specscope explain NAME` shows for the linked Python, if anything.
fn shown(name: &str) -> Option<explain::Explanation> {
    let families = python::specializations().expect("opcode._specializations");
    match explain::lookup_in(name, linked(), &families) {
        Lookup::Found(e) => Some(e),
        _ => None,
    }
}

fn found(name: &str) -> explain::Explanation {
    shown(name).unwrap_or_else(|| panic!("{name} is not explained for {}", linked()))
}

fn explain_cmd(opname: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("specscope")
        .unwrap()
        .args(["explain", opname])
        .env_remove("NO_COLOR")
        .assert()
}

#[test]
fn every_opname_of_the_linked_python_has_a_written_explanation() {
    let mut missing = Vec::new();
    for name in opnames_and_cache_sizes().keys() {
        match explain::lookup(name, linked()) {
            Lookup::Found(e) if e.written => {}
            Lookup::OtherVersions { .. } if explained_for_another_version(name) => {}
            other => missing.push(format!("{name}: {other:?}")),
        }
    }
    assert!(
        missing.is_empty(),
        "{} opnames of Python {} have no written explanation:\n{}",
        missing.len(),
        linked(),
        missing.join("\n")
    );
}

#[test]
fn inline_cache_sizes_match_the_interpreter() {
    let mut wrong = Vec::new();
    for (name, size) in opnames_and_cache_sizes() {
        // An opname without a text is reported by the test above.
        let Some(e) = shown(&name) else { continue };
        let written: u64 = e.cache.iter().map(|f| u64::from(f.units)).sum();
        if written != size {
            wrong.push(format!(
                "{name}: texts say {written} units, dis says {size}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}:\n{}", linked(), wrong.join("\n"));
}

#[test]
fn a_text_that_denies_a_cache_is_right() {
    for (name, size) in opnames_and_cache_sizes() {
        let Some(e) = shown(&name) else { continue };
        let text = e.paragraphs.join(" ").to_lowercase();
        // Phrases that say the instruction itself has no cache ("which no
        // cache holds" says something else).
        let denies = [
            "no inline cache",
            "has no cache",
            "have no cache",
            "no cache,",
            "no cache and",
            "no cache;",
        ];
        if denies.iter().any(|phrase| text.contains(phrase)) {
            assert_eq!(size, 0, "{name} in {}: {text}", linked());
            assert!(e.cache.is_empty(), "{name}");
        }
    }
}

/// One `# NAME [tags]` entry of instructions.md.
struct Entry {
    name: String,
    /// The versions in the heading's tag; empty means every version.
    versions: Vec<String>,
    /// Paragraphs, each as (tag versions, text with its lines joined).
    paragraphs: Vec<(Vec<String>, String)>,
}

/// Splits `[3.11 3.12] text` into its versions and the text.
fn split_tag(text: &str) -> (Vec<String>, &str) {
    if let Some(rest) = text.strip_prefix('[')
        && let Some((inside, after)) = rest.split_once(']')
    {
        let versions: Vec<String> = inside.split_whitespace().map(String::from).collect();
        if !versions.is_empty() && versions.iter().all(|v| v.starts_with("3.")) {
            return (versions, after.trim_start());
        }
    }
    (Vec::new(), text)
}

fn parse_instructions() -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for block in INSTRUCTIONS.split("\n\n") {
        let block = block.trim();
        if block.is_empty() {
            continue;
        }
        if let Some(heading) = block.strip_prefix("# ") {
            assert!(!block.contains('\n'), "a heading stands alone: {block}");
            let (name, tag) = heading.split_once(' ').unwrap_or((heading, ""));
            entries.push(Entry {
                name: name.to_string(),
                versions: split_tag(tag).0,
                paragraphs: Vec::new(),
            });
        } else {
            assert!(!block.starts_with("##"), "no family members here: {block}");
            let (tag, text) = split_tag(block);
            let joined = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
            entries
                .last_mut()
                .expect("text before the first heading")
                .paragraphs
                .push((tag, joined));
        }
    }
    entries
}

fn holds(versions: &[String], version: &str) -> bool {
    versions.is_empty() || versions.iter().any(|v| v == version)
}

#[test]
fn instructions_md_entries_exist_exactly_in_their_tagged_versions_and_are_shown() {
    let sizes = opnames_and_cache_sizes();
    let version = linked().short();
    let entries = parse_instructions();
    assert!(entries.len() > 80, "{} entries", entries.len());
    for entry in &entries {
        let exists = sizes.contains_key(&entry.name);
        assert_eq!(
            holds(&entry.versions, &version),
            exists,
            "{} is tagged {:?} but {} in Python {version}",
            entry.name,
            entry.versions,
            if exists { "exists" } else { "does not exist" },
        );
        if !exists {
            continue;
        }
        // The first paragraph written for this version is what `explain`
        // shows first: no entry of another file shadows this one.
        let first = entry
            .paragraphs
            .iter()
            .find(|(tag, text)| {
                holds(tag, &version)
                    && !["Cache:", "Also:", "Fields:", "Counter:"]
                        .iter()
                        .any(|k| text.starts_with(k))
            })
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| panic!("{} has no text for {version}", entry.name));
        let e = found(&entry.name);
        assert_eq!(e.paragraphs.first(), Some(&first), "{}", entry.name);
        assert_eq!(e.role, explain::Role::Standalone, "{}", entry.name);
        for line in e.render(80).lines() {
            assert!(line.chars().count() <= 80, "{}: {line}", entry.name);
        }
        // Nothing here has a cache, so nothing here claims one.
        assert!(e.cache.is_empty(), "{}", entry.name);
        assert_eq!(sizes[&entry.name], 0, "{}", entry.name);
    }
}

#[test]
fn explain_return_value_prints_its_text() {
    explain_cmd("RETURN_VALUE")
        .success()
        .stdout(predicate::str::starts_with(format!(
            "RETURN_VALUE  (instruction, Python {})",
            linked().short()
        )))
        .stdout(predicate::str::contains("to the caller"))
        .stdout(predicate::str::contains("Inline cache"));
}

#[test]
fn explain_the_keyword_call_says_why_it_is_not_specialized() {
    let (opname, says) = match linked().minor {
        11 | 12 => ("KW_NAMES", "not specialized"),
        _ => ("CALL_KW", "no specialized forms"),
    };
    let output = explain_cmd(opname)
        .success()
        .stdout(predicate::str::contains(format!("{opname}  (instruction")))
        .get_output()
        .stdout
        .clone();
    // The text may wrap anywhere; compare with the line breaks removed.
    let text = String::from_utf8(output)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains(says), "{text}");
    assert!(text.contains("keyword"), "{text}");
}
