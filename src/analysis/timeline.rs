//! What changed between two moments of a warm-up: instructions that
//! specialized, de-optimized or re-specialized, counters that moved, cache
//! entries that were rewritten.

use crate::analysis::marks::Mark;
use crate::model::{CodeObject, Counter, Instruction, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// 3.11: the code object was quickened (base → adaptive form).
    Quickened,
    /// Generic → specialized form.
    Specialized,
    /// Specialized → generic form.
    Deoptimized,
    /// One specialized form → another.
    Respecialized,
    /// Same opname; the counter or another cache entry changed.
    CacheChanged,
}

impl Transition {
    pub fn word(self) -> &'static str {
        match self {
            Transition::Quickened => "quickened",
            Transition::Specialized => "specialized",
            Transition::Deoptimized => "de-optimized",
            Transition::Respecialized => "re-specialized",
            Transition::CacheChanged => "cache",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Index of the code object in the later step.
    pub code: usize,
    pub qualname: String,
    pub offset: u32,
    pub change: InstructionChange,
}

/// What changed at one instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct InstructionChange {
    pub transition: Transition,
    /// (before, after) when the live opname changed.
    pub opnames: Option<(String, String)>,
    /// (before, after) when the counter moved.
    pub counter: Option<(Counter, Counter)>,
    /// The other cache entries whose value changed.
    pub caches: Vec<CacheChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CacheChange {
    pub name: String,
    pub before: u64,
    pub after: u64,
}

fn same_code(a: &CodeObject, b: &CodeObject) -> bool {
    a.qualname == b.qualname && a.first_line == b.first_line && a.filename == b.filename
}

/// The changes from `before` to `after`, in code-object and offset order.
pub fn changes(before: &[CodeObject], after: &[CodeObject]) -> Vec<Change> {
    let mut out = Vec::new();
    for (index, code) in after.iter().enumerate() {
        let Some(old) = before.iter().find(|c| same_code(c, code)) else {
            continue;
        };
        for (old_ins, ins) in old.instructions.iter().zip(&code.instructions) {
            if old_ins.offset != ins.offset {
                break;
            }
            if let Some(change) = instruction_change(old_ins, ins) {
                out.push(Change {
                    code: index,
                    qualname: code.qualname.clone(),
                    offset: ins.offset,
                    change,
                });
            }
        }
    }
    out
}

/// How one instruction changed, if it did: its opname, its counter, its
/// other cache entries.
pub fn instruction_change(old: &Instruction, new: &Instruction) -> Option<InstructionChange> {
    let opnames = (old.opname != new.opname).then(|| (old.opname.clone(), new.opname.clone()));
    let transition = match (&opnames, old.status, new.status) {
        (None, _, _) => Transition::CacheChanged,
        (Some(_), Status::Specialized, Status::Specialized) => Transition::Respecialized,
        (Some(_), _, Status::Specialized) => Transition::Specialized,
        (Some(_), Status::Specialized, _) => Transition::Deoptimized,
        (Some(_), _, _) => Transition::Quickened,
    };
    let counter = match (&old.counter, &new.counter) {
        (Some(a), Some(b)) if a.raw != b.raw || a.state != b.state => Some((a.clone(), b.clone())),
        _ => None,
    };
    let caches: Vec<CacheChange> = old
        .caches
        .iter()
        .zip(&new.caches)
        .skip(usize::from(new.counter.is_some()))
        .filter(|(a, b)| a.value != b.value)
        .map(|(a, b)| CacheChange {
            name: b.name.clone(),
            before: a.value,
            after: b.value,
        })
        .collect();
    if opnames.is_none() && counter.is_none() && caches.is_empty() {
        return None;
    }
    Some(InstructionChange {
        transition,
        opnames,
        counter,
        caches,
    })
}

/// Counts of instructions per mark: (specialized, warming, failing: backing
/// off or given up).
pub fn census(codes: &[CodeObject]) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for ins in codes.iter().flat_map(|c| &c.instructions) {
        match Mark::of(ins) {
            Mark::Specialized => counts.0 += 1,
            Mark::Warming => counts.1 += 1,
            Mark::BackingOff | Mark::GivenUp => counts.2 += 1,
            Mark::NoCache | Mark::AtCreation => {}
        }
    }
    counts
}
