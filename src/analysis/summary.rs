//! What a whole program adds up to: for each family of specializable
//! instructions, how many of its sites ended in each state; the sites to
//! look at first; and which code objects a filter (`--only`) keeps.

use std::collections::BTreeMap;

use super::marks::Mark;
use crate::model::{CodeObject, Instruction, Snapshot};

/// Where a specializable site ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SiteState {
    Specialized,
    BackingOff,
    GivenUp,
    Warming,
    /// In a code object known never to have run.
    NeverRan,
}

impl SiteState {
    /// Every state, in the order summaries list them.
    pub const ALL: [SiteState; 5] = [
        SiteState::Specialized,
        SiteState::BackingOff,
        SiteState::GivenUp,
        SiteState::Warming,
        SiteState::NeverRan,
    ];

    /// The state of instruction `ins` of `code`, or `None` when it is no
    /// specializable site (no inline cache, or a superinstruction written
    /// at creation).
    pub fn of(code: &CodeObject, ins: &Instruction) -> Option<SiteState> {
        let mark = Mark::of(ins);
        if matches!(mark, Mark::NoCache | Mark::AtCreation) {
            return None;
        }
        if !code.ran && code.ran_known {
            return Some(SiteState::NeverRan);
        }
        Some(match mark {
            Mark::Specialized => SiteState::Specialized,
            Mark::BackingOff => SiteState::BackingOff,
            Mark::GivenUp => SiteState::GivenUp,
            _ => SiteState::Warming,
        })
    }

    /// Backing off or given up: specialization failed here.
    pub fn failing(self) -> bool {
        matches!(self, SiteState::BackingOff | SiteState::GivenUp)
    }
}

/// How many sites ended in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts([usize; 5]);

impl StateCounts {
    pub fn add(&mut self, state: SiteState) {
        self.0[state as usize] += 1;
    }

    pub fn get(&self, state: SiteState) -> usize {
        self.0[state as usize]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    pub fn merge(&mut self, other: &StateCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// Per family (the base opname), the states of its sites in `codes`,
/// families in name order.
pub fn family_counts(codes: &[CodeObject]) -> BTreeMap<String, StateCounts> {
    let mut out: BTreeMap<String, StateCounts> = BTreeMap::new();
    for code in codes {
        for ins in &code.instructions {
            if let Some(state) = SiteState::of(code, ins) {
                out.entry(ins.base_opname.clone()).or_default().add(state);
            }
        }
    }
    out
}

/// The states of the sites of one code object.
pub fn code_counts(code: &CodeObject) -> StateCounts {
    let mut counts = StateCounts::default();
    for ins in &code.instructions {
        if let Some(state) = SiteState::of(code, ins) {
            counts.add(state);
        }
    }
    counts
}

/// A site of the snapshot: instruction `instruction` of code object `code`
/// (indices into [`Snapshot::code_objects`] and its instructions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    pub code: usize,
    pub instruction: usize,
    pub state: SiteState,
    /// Samples taken at the site, 0 without sampling.
    pub samples: u64,
}

/// The sites to look at first: those where specialization failed (backing
/// off or given up), hottest first (by samples, then by the samples of
/// their code object, then by the executions their backoff proves), ties
/// in source order.
pub fn sites_to_look_at(snapshot: &Snapshot) -> Vec<Site> {
    let facts = snapshot.python.version.facts();
    use std::cmp::Reverse;
    // Hottest first, then the most executions proved, then source order.
    type Key<'a> = (Reverse<u64>, Reverse<u64>, Reverse<u64>, &'a str, u32, u32);
    let mut sites: Vec<(Site, Key)> = Vec::new();
    for (c, code) in snapshot.code_objects.iter().enumerate() {
        for (i, ins) in code.instructions.iter().enumerate() {
            let Some(state) = SiteState::of(code, ins).filter(|s| s.failing()) else {
                continue;
            };
            let line = ins.positions.and_then(|p| p.line).or(ins.line).unwrap_or(0);
            let col = ins.positions.and_then(|p| p.col).unwrap_or(0);
            let proven = ins
                .counter
                .as_ref()
                .and_then(|c| facts.executions_at_least(c))
                .unwrap_or(0);
            let site = Site {
                code: c,
                instruction: i,
                state,
                samples: ins.samples,
            };
            let key = (
                Reverse(ins.samples),
                Reverse(code.samples),
                Reverse(proven),
                code.filename.as_str(),
                line,
                col,
            );
            sites.push((site, key));
        }
    }
    sites.sort_by(|a, b| a.1.cmp(&b.1));
    sites.into_iter().map(|s| s.0).collect()
}

/// Which code objects `--only` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Code objects that ran (or may have: no sign either way).
    Ran,
    /// Code objects with a site where specialization failed.
    Failing,
    /// Code objects with a specialized instruction.
    Specialized,
}

impl Only {
    pub fn keeps(self, code: &CodeObject) -> bool {
        let states = || {
            code.instructions
                .iter()
                .filter_map(|i| SiteState::of(code, i))
        };
        match self {
            Only::Ran => code.ran || !code.ran_known,
            Only::Failing => states().any(SiteState::failing),
            Only::Specialized => states().any(|s| s == SiteState::Specialized),
        }
    }
}

/// The snapshot with only the code objects `only` keeps (in every step of
/// its timeline too), parents pointing at the nearest kept ancestor, and
/// only the files those come from.
pub fn keep_only(mut snapshot: Snapshot, only: Only) -> Snapshot {
    let kept: Vec<bool> = snapshot
        .code_objects
        .iter()
        .map(|c| only.keeps(c))
        .collect();
    let identity = |c: &CodeObject| (c.filename.clone(), c.qualname.clone(), c.first_line);
    let kept_ids: std::collections::BTreeSet<_> = snapshot
        .code_objects
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(c, _)| identity(c))
        .collect();
    snapshot.code_objects = reindexed(std::mem::take(&mut snapshot.code_objects), &kept);
    for step in &mut snapshot.timeline {
        let keep: Vec<bool> = step
            .code_objects
            .iter()
            .map(|c| kept_ids.contains(&identity(c)))
            .collect();
        step.code_objects = reindexed(std::mem::take(&mut step.code_objects), &keep);
    }
    let used: std::collections::BTreeSet<String> = snapshot
        .code_objects
        .iter()
        .map(|c| c.filename.clone())
        .collect();
    snapshot.files.retain(|name, _| used.contains(name));
    snapshot
}

/// The code objects marked in `keep`, their `parent` indices mapped to the
/// new positions (a dropped parent gives way to its nearest kept ancestor).
fn reindexed(codes: Vec<CodeObject>, keep: &[bool]) -> Vec<CodeObject> {
    let parents: Vec<Option<usize>> = codes.iter().map(|c| c.parent).collect();
    let mut new_index = vec![None; codes.len()];
    let mut next = 0;
    for (i, k) in keep.iter().enumerate() {
        if *k {
            new_index[i] = Some(next);
            next += 1;
        }
    }
    let kept_ancestor = |mut at: Option<usize>| {
        // Bounded: a malformed parent chain cannot loop forever.
        for _ in 0..parents.len() {
            let p = at?;
            if let Some(n) = new_index.get(p).copied().flatten() {
                return Some(n);
            }
            at = parents.get(p).copied().flatten();
        }
        None
    };
    codes
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep[*i])
        .map(|(i, mut c)| {
            // A malformed chain that leads back to the code object itself
            // gives no parent.
            c.parent = kept_ancestor(c.parent).filter(|p| Some(*p) != new_index[i]);
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CodeKind;

    fn code(qualname: &str, parent: Option<usize>) -> CodeObject {
        CodeObject {
            qualname: qualname.into(),
            name: qualname.into(),
            filename: "f.py".into(),
            first_line: 1,
            repr: String::new(),
            kind: CodeKind::Function,
            parent,
            ran: true,
            ran_known: true,
            exception_table: Vec::new(),
            instructions: Vec::new(),
            samples: 0,
            source_kept: true,
        }
    }

    #[test]
    fn a_dropped_parent_gives_way_to_its_nearest_kept_ancestor() {
        let codes = vec![
            code("m", None),
            code("f", Some(0)),
            code("f.g", Some(1)),
            code("h", Some(0)),
        ];
        let kept = reindexed(codes, &[true, false, true, true]);
        let pairs: Vec<(&str, Option<usize>)> = kept
            .iter()
            .map(|c| (c.qualname.as_str(), c.parent))
            .collect();
        assert_eq!(pairs, [("m", None), ("f.g", Some(0)), ("h", Some(0))]);
        let orphans = reindexed(vec![code("f", None), code("g", Some(0))], &[false, true]);
        assert_eq!(
            orphans[0].parent, None,
            "a parent chain without a kept member"
        );
    }
}
