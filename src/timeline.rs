//! What changed between two moments of a warm-up: instructions that
//! specialized, de-optimized or re-specialized, counters that moved, cache
//! entries that were rewritten.

use crate::dump::Mark;
use crate::dump::table::counter_short;
use crate::model::{CodeObject, Instruction, Status};

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
    pub transition: Transition,
    /// One line: `BINARY_OP → BINARY_OP_ADD_INT; counter warming 0/1 → cooldown 52/0`.
    pub text: String,
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
            if let Some((transition, text)) = instruction_change(old_ins, ins) {
                out.push(Change {
                    code: index,
                    qualname: code.qualname.clone(),
                    offset: ins.offset,
                    transition,
                    text,
                });
            }
        }
    }
    out
}

/// How one instruction changed, if it did.
pub fn instruction_change(old: &Instruction, new: &Instruction) -> Option<(Transition, String)> {
    let mut parts = Vec::new();
    let transition = if old.opname != new.opname {
        parts.push(format!("{} → {}", old.opname, new.opname));
        Some(match (old.status, new.status) {
            (Status::Specialized, Status::Specialized) => Transition::Respecialized,
            (_, Status::Specialized) => Transition::Specialized,
            (Status::Specialized, _) => Transition::Deoptimized,
            _ => Transition::Quickened,
        })
    } else {
        None
    };
    match (&old.counter, &new.counter) {
        (Some(a), Some(b)) if a.raw != b.raw || a.state != b.state => parts.push(format!(
            "counter {} → {}",
            counter_short(a),
            counter_short(b)
        )),
        _ => {}
    }
    for (a, b) in old
        .caches
        .iter()
        .zip(&new.caches)
        .skip(usize::from(new.counter.is_some()))
    {
        if a.value != b.value {
            parts.push(format!("{} {} → {}", b.name, a.value, b.value));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some((
        transition.unwrap_or(Transition::CacheChanged),
        parts.join("; "),
    ))
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
