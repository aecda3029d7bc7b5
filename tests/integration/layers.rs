//! The layers of `src/` as `src/lib.rs` states them, checked on the source:
//! which module refers to which (`crate::…` and `super::…` paths in code,
//! not in comments), no circle among modules, no view using another view,
//! and no layer reaching up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`views::tui::app`) → its file's code, comments and unit
/// tests left out.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            if parts.is_empty() {
                return None;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            Some((parts.join("::"), code.join("\n")))
        })
        .collect()
}

/// The module a path names: its longest prefix that is a module.
fn resolve<'a>(known: &'a BTreeMap<String, String>, path: &str) -> Option<&'a str> {
    let mut parts: Vec<&str> = path.split("::").collect();
    while !parts.is_empty() {
        if let Some((name, _)) = known.get_key_value(&parts.join("::")) {
            return Some(name);
        }
        parts.pop();
    }
    None
}

/// The path that follows each `prefix` in `code`: `crate::a::b::C` → `a::b::C`.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Module → the other modules it refers to (not its own ancestors or
/// descendants, which hold it or which it holds).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let known = modules();
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
    };
    known
        .iter()
        .map(|(module, code)| {
            let parent: Vec<&str> = {
                let mut p: Vec<&str> = module.split("::").collect();
                p.pop();
                p
            };
            let mut uses = BTreeSet::new();
            for path in paths_after(code, "crate::") {
                if let Some(target) = resolve(&known, path) {
                    uses.insert(target.to_string());
                }
            }
            for path in paths_after(code, "super::") {
                let full = parent
                    .iter()
                    .copied()
                    .chain(path.split("::"))
                    .collect::<Vec<_>>()
                    .join("::");
                if let Some(target) = resolve(&known, &full) {
                    uses.insert(target.to_string());
                }
            }
            uses.retain(|t| !related(module, t));
            (module.clone(), uses)
        })
        .collect()
}

#[test]
fn no_module_circles_back_to_itself() {
    let graph = graph();
    assert!(
        graph.len() > 30,
        "the modules are found: {:?}",
        graph.keys()
    );
    // Depth-first, remembering the path: a module met again on the path
    // closes a circle.
    fn visit<'a>(
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        module: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|m| *m == module) {
            panic!(
                "an import circle: {}",
                path[at..].join(" → ") + " → " + module
            );
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            visit(graph, next, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(&graph, module, &mut Vec::new(), &mut done);
    }
}

#[test]
fn layers_use_only_what_lies_below_them() {
    // Layer → the layers it may use.
    let allowed: [(&str, &[&str]); 4] = [
        ("model", &[]),
        ("analysis", &["model"]),
        ("present", &["model", "analysis"]),
        (
            "views",
            &["model", "analysis", "present", "explain", "collect"],
        ),
    ];
    let layer = |m: &str| m.split("::").next().unwrap_or("").to_string();
    for (module, uses) in graph() {
        for (name, below) in allowed {
            if layer(&module) != name {
                continue;
            }
            for used in &uses {
                let l = layer(used);
                assert!(
                    l == name || below.contains(&l.as_str()),
                    "{module} uses {used}: the {name} layer uses only {below:?}"
                );
            }
        }
        if layer(&module) == "collect" {
            for used in &uses {
                assert!(
                    !["analysis", "views", "cli", "error", "explain"]
                        .contains(&layer(used).as_str()),
                    "{module} uses {used}: collection knows nothing of what is made of it"
                );
            }
        }
    }
}

#[test]
fn no_view_uses_another_view() {
    for (module, uses) in graph() {
        for (a, b) in [("views::dump", "views::tui"), ("views::tui", "views::dump")] {
            if module.starts_with(a) {
                assert!(
                    uses.iter().all(|u| !u.starts_with(b)),
                    "{module} uses {b}: {uses:?}"
                );
            }
        }
    }
}
