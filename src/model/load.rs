//! Reading a snapshot back from the JSON document `dump --format json`
//! wrote (schema 1), for `--load` and `diff`.
//!
//! Loading gives the same [`Snapshot`] the collection gave: writing it out
//! again gives the same document, byte for byte.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{SCHEMA_VERSION, Snapshot};

/// Why a file is not a snapshot this build can read.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub problem: LoadProblem,
}

#[derive(Debug)]
pub enum LoadProblem {
    /// The file cannot be opened or read.
    Unreadable(std::io::Error),
    /// Not JSON at all (or not UTF-8).
    NotJson { line: usize, column: usize },
    /// JSON that ends before the document does: a copy or a dump cut short.
    Truncated { line: usize },
    /// JSON, but not a document `dump --format json` writes.
    NotSnapshot,
    /// A snapshot of a schema this build does not read.
    Schema(u64),
    /// A schema 1 document with a field missing or of the wrong kind.
    Malformed(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.problem {
            LoadProblem::Unreadable(e) => write!(f, "cannot read the snapshot {path}: {e}"),
            LoadProblem::NotJson { line, column } => write!(
                f,
                "{path}:{line}:{column}: not JSON; a snapshot is what `specscope dump --format json` writes"
            ),
            LoadProblem::Truncated { line } => write!(
                f,
                "{path}: the JSON ends early (line {line}): the snapshot is truncated"
            ),
            LoadProblem::NotSnapshot => write!(
                f,
                "{path}: JSON, but not a specscope snapshot (no \"schema\" number); write one with `specscope dump --format json`"
            ),
            LoadProblem::Schema(n) => write!(
                f,
                "{path}: a snapshot of schema {n}; this specscope reads schema {SCHEMA_VERSION}"
            ),
            LoadProblem::Malformed(what) => {
                write!(f, "{path}: not a schema {SCHEMA_VERSION} snapshot: {what}")
            }
        }
    }
}

impl Snapshot {
    /// Reads the snapshot in the file at `path`.
    pub fn load(path: &Path) -> Result<Snapshot, LoadError> {
        let fail = |problem| LoadError {
            path: path.to_path_buf(),
            problem,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(LoadProblem::Unreadable(e)))?;
        Snapshot::from_json(&bytes).map_err(fail)
    }

    /// Reads a snapshot from the bytes of a JSON document.
    pub fn from_json(bytes: &[u8]) -> Result<Snapshot, LoadProblem> {
        // The usual case in one pass; the reason for a refusal is looked
        // for only then.
        match serde_json::from_slice::<Snapshot>(bytes) {
            Ok(snapshot) if u64::from(snapshot.schema) == u64::from(SCHEMA_VERSION) => Ok(snapshot),
            Ok(snapshot) => Err(LoadProblem::Schema(snapshot.schema.into())),
            Err(typed) => Err(why_not(bytes, typed)),
        }
    }
}

/// What is wrong with `bytes`, which did not read as a snapshot.
fn why_not(bytes: &[u8], typed: serde_json::Error) -> LoadProblem {
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => value,
        Err(e) if e.is_eof() => return LoadProblem::Truncated { line: e.line() },
        Err(e) => {
            return LoadProblem::NotJson {
                line: e.line(),
                column: e.column(),
            };
        }
    };
    match value.get("schema").map(serde_json::Value::as_u64) {
        None | Some(None) => LoadProblem::NotSnapshot,
        Some(Some(n)) if n != u64::from(SCHEMA_VERSION) => LoadProblem::Schema(n),
        Some(Some(_)) => {
            // serde_json says where, but counts from the whole document's
            // start: the field's own words are enough.
            let text = typed.to_string();
            let what = text.split(" at line ").next().unwrap_or(&text).to_string();
            LoadProblem::Malformed(what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> LoadProblem {
        Snapshot::from_json(text.as_bytes()).expect_err("not a snapshot")
    }

    #[test]
    fn each_kind_of_refusal_is_told_apart() {
        assert!(matches!(
            problem("hello"),
            LoadProblem::NotJson { line: 1, .. }
        ));
        assert!(matches!(
            problem("{\"schema\": 1, \"python\": {"),
            LoadProblem::Truncated { line: 1 }
        ));
        assert!(matches!(problem("[1, 2]"), LoadProblem::NotSnapshot));
        assert!(matches!(
            problem("{\"name\": \"x\"}"),
            LoadProblem::NotSnapshot
        ));
        assert!(matches!(
            problem("{\"schema\": 2, \"future\": true}"),
            LoadProblem::Schema(2)
        ));
        match problem("{\"schema\": 1, \"python\": 3}") {
            LoadProblem::Malformed(what) => assert!(what.contains("invalid type"), "{what}"),
            other => panic!("{other:?}"),
        }
    }
}
