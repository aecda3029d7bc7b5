//! The words of a comparison of two snapshots ([`crate::analysis::diff`]),
//! shared by the printed diff, its HTML page and the explorer.

use crate::analysis::diff::{Change, Side};
use crate::model::{CodeObject, Snapshot};
use crate::present::text::sanitize_line;
use crate::present::words::{site_state_words, warmup_line};

/// What a change is called in rows and totals.
pub fn change_words(change: Change) -> &'static str {
    match change {
        Change::Lost => "lost",
        Change::Specialized => "specialized",
        Change::ChangedForm => "changed form",
        Change::NowFailing => "now failing",
        Change::NoLongerFailing => "no longer failing",
        Change::Appeared => "appeared",
        Change::Disappeared => "disappeared",
        Change::Unchanged => "unchanged",
    }
}

/// The name a change has in the JSON of a diff.
pub fn change_key(change: Change) -> &'static str {
    match change {
        Change::Lost => "lost",
        Change::Specialized => "specialized",
        Change::ChangedForm => "changed_form",
        Change::NowFailing => "now_failing",
        Change::NoLongerFailing => "no_longer_failing",
        Change::Appeared => "appeared",
        Change::Disappeared => "disappeared",
        Change::Unchanged => "unchanged",
    }
}

/// One character for a change, for narrow columns: `-` lost, `+`
/// specialized, `~` changed form, `!` now failing, `✓` no longer failing,
/// `>` appeared, `<` disappeared.
pub fn change_symbol(change: Change) -> &'static str {
    match change {
        Change::Lost => "-",
        Change::Specialized => "+",
        Change::ChangedForm => "~",
        Change::NowFailing => "!",
        Change::NoLongerFailing => "✓",
        Change::Appeared => ">",
        Change::Disappeared => "<",
        Change::Unchanged => " ",
    }
}

/// Whether a change is for the worse, for the better, or neither: views
/// colour them red, green and plain.
pub fn change_tone(change: Change) -> Tone {
    match change {
        Change::Lost | Change::NowFailing => Tone::Worse,
        Change::Specialized | Change::NoLongerFailing => Tone::Better,
        _ => Tone::Neutral,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Worse,
    Better,
    Neutral,
}

/// One side of a site: `LOAD_ATTR_INSTANCE_VALUE` when specialized, else
/// the live opname and its state: `LOAD_ATTR (backing off)`.
pub fn side_words(code: &CodeObject, side: &Side) -> String {
    let ins = &code.instructions[side.instruction];
    let name = sanitize_line(&ins.opname);
    match side.state {
        crate::analysis::summary::SiteState::Specialized => name.into_owned(),
        state => format!("{name} ({})", site_state_words(state)),
    }
}

/// `Python 3.12.1 · app.py · main() × 1000 in 12.0 ms`: what a snapshot is.
pub fn snapshot_line(snapshot: &Snapshot) -> String {
    format!(
        "Python {} · {} · {}",
        snapshot.python.version,
        sanitize_line(&snapshot.target.filename),
        warmup_line(snapshot)
    )
}

/// `3 lost, 1 specialized, 2 changed form`: the changes that happened,
/// in the order of [`Change::ALL`], unchanged sites left out; `no change`
/// when nothing did.
pub fn totals_words(count: impl Fn(Change) -> usize) -> String {
    let parts: Vec<String> = Change::ALL
        .iter()
        .filter(|c| **c != Change::Unchanged)
        .filter(|c| count(**c) > 0)
        .map(|c| format!("{} {}", count(*c), change_words(*c)))
        .collect();
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join(", ")
    }
}

/// The line (and column, 1-based as editors count) of a site.
pub fn site_place(code: &CodeObject, side: &Side) -> String {
    let ins = &code.instructions[side.instruction];
    let line = ins.positions.and_then(|p| p.line).or(ins.line);
    let col = ins.positions.and_then(|p| p.col);
    match (line, col) {
        (Some(line), Some(col)) => format!("{line}:{}", col + 1),
        (Some(line), None) => line.to_string(),
        (None, _) => "?".into(),
    }
}
