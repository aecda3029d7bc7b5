//! The explorer on snapshot B compared with snapshot A (`specscope diff A
//! B --explore`): for each of B's sites, what A had there and what
//! changed, worked out once when the explorer opens.

use crate::analysis::diff::{Change, Diff};
use crate::model::Snapshot;
use crate::present::diff::side_words;

use super::App;

/// Snapshot A, and what the comparison found.
pub struct Against {
    pub snapshot: Snapshot,
    /// The file A was read from, as the command line named it.
    pub name: String,
    pub diff: Diff,
    /// Whether the navigator lists every code object (`--only all`) or
    /// only those where something changed.
    pub all: bool,
}

/// What A had at one of B's sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDiff {
    pub change: Change,
    /// A's opname (and state when not specialized); `None` when the site
    /// is new in B.
    pub a: Option<String>,
}

/// The comparison as the explorer reads it.
pub struct Comparison {
    pub name: String,
    pub python: String,
    /// Per code object of B, per instruction: what A had there.
    pub rows: Vec<Vec<Option<RowDiff>>>,
    /// Per code object of B: whether anything changed in it (or it is new).
    pub changed: Vec<bool>,
    /// Per code object of B: whether it is one of those compared (`-f`).
    pub compared: Vec<bool>,
    /// Sites A has that B does not, per code object of B; and code objects
    /// only A has.
    pub disappeared: Vec<usize>,
    pub only_in_a: usize,
    pub totals: String,
    pub all: bool,
}

impl Comparison {
    pub fn new(b: &Snapshot, against: &Against) -> Comparison {
        let count = b.code_objects.len();
        let mut rows: Vec<Vec<Option<RowDiff>>> = b
            .code_objects
            .iter()
            .map(|c| vec![None; c.instructions.len()])
            .collect();
        let mut changed = vec![false; count];
        let mut compared = vec![false; count];
        let mut disappeared = vec![0; count];
        let mut only_in_a = 0;
        for f in &against.diff.functions {
            let Some(j) = f.b else {
                only_in_a += 1;
                continue;
            };
            compared[j] = true;
            changed[j] = f.changed();
            let code_a = f.a.map(|i| &against.snapshot.code_objects[i]);
            for site in &f.sites {
                match site.b {
                    Some(side_b) => {
                        rows[j][side_b.instruction] = Some(RowDiff {
                            change: site.change,
                            a: site
                                .a
                                .as_ref()
                                .zip(code_a)
                                .map(|(side, code)| side_words(code, side)),
                        });
                    }
                    None => disappeared[j] += 1,
                }
            }
        }
        let totals = crate::present::diff::totals_words(|c| against.diff.totals.get(c));
        Comparison {
            name: against.name.clone(),
            python: against.snapshot.python.version.to_string(),
            rows,
            changed,
            compared,
            disappeared,
            only_in_a,
            totals,
            all: against.all,
        }
    }
}

impl App {
    /// The explorer comparing its snapshot with `against`: the navigator
    /// lists the code objects where something changed (all of them with
    /// `--only all`) and opens on the first, at its first changed site,
    /// at the end of B's warm-up; the bytecode pane shows A's opname beside
    /// B's.
    pub fn with_comparison(mut self, against: Against) -> App {
        let comparison = Comparison::new(&self.snapshot, &against);
        self.comparison = Some(comparison);
        // A is compared with where B's warm-up ended: the explorer opens
        // there, and `[` walks back through B's timeline.
        self.at = self.moments.len().saturating_sub(1);
        self.rebuild_tree();
        let code = match self.tree.first().map(|e| e.code) {
            Some(first) if !self.tree.iter().any(|e| e.code == self.code) => first,
            _ => self.code,
        };
        self.open_code(code, self.selected);
        if let Some(c) = &self.comparison
            && let Some(row) = c.rows.get(self.code)
            && let Some(i) = row
                .iter()
                .position(|r| r.as_ref().is_some_and(|r| r.change != Change::Unchanged))
        {
            self.select_instruction(i);
        }
        self.rebuild_rows();
        self
    }

    /// What A had at instruction `index` of the current code object, when
    /// comparing.
    pub fn against_row(&self, index: usize) -> Option<&RowDiff> {
        self.comparison
            .as_ref()?
            .rows
            .get(self.code)?
            .get(index)?
            .as_ref()
    }

    pub fn comparison(&self) -> Option<&Comparison> {
        self.comparison.as_ref()
    }

    /// The code objects the navigator lists, in its order.
    pub fn navigator_codes(&self) -> Vec<usize> {
        self.tree.iter().map(|e| e.code).collect()
    }

    /// Whether the navigator keeps code object `code` while comparing.
    pub(super) fn compared_keeps(&self, code: usize) -> bool {
        match &self.comparison {
            None => true,
            Some(c) => {
                c.compared.get(code).copied().unwrap_or(false)
                    && (c.all || c.changed.get(code).copied().unwrap_or(false))
            }
        }
    }
}

/// Width of the A column for code object `code` of B.
pub(super) fn against_width(c: &Comparison, code: usize) -> usize {
    c.rows
        .get(code)
        .into_iter()
        .flatten()
        .flatten()
        .map(|r| {
            r.a.as_deref()
                .map_or(1, crate::present::text::display_width)
        })
        .max()
        .unwrap_or(0)
        .min(40)
}
