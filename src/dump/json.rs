//! `--format json`: the snapshot as a versioned document (`"schema": 1`).

use crate::model::Snapshot;

pub fn render(snapshot: &Snapshot) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).expect("a snapshot always serializes");
    text.push('\n');
    text
}
