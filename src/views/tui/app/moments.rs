//! The moments of a warm-up the explorer steps through (`[` and `]`): each
//! recorded step of the timeline, then the final state; what the views read
//! at the moment on screen.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use super::{App, step};
use crate::analysis::lines::{LineState, line_states};
use crate::analysis::timeline::{self, Transition};
use crate::model::{CodeObject, Snapshot};

impl App {
    /// Code object `code` (a snapshot index) at the moment on screen.
    pub fn code_at(&self, code: usize) -> Option<&CodeObject> {
        self.code_in(self.at, code)
    }

    pub(super) fn code_in(&self, moment: usize, code: usize) -> Option<&CodeObject> {
        let m = self.moments.get(moment)?;
        match (m.step, m.map.get(code).copied().flatten()) {
            (Some(step), Some(i)) => self.snapshot.timeline[step].code_objects.get(i),
            _ => self.snapshot.code_objects.get(code),
        }
    }

    /// Which moment is on screen and how many there are: `(index, count)`.
    /// A snapshot without a timeline has one moment.
    pub fn moment(&self) -> (usize, usize) {
        (self.at, self.moments.len())
    }

    /// The recorded step on screen, or `None` for the final state.
    pub fn step(&self) -> Option<&crate::model::Step> {
        let step = self.moments.get(self.at)?.step?;
        self.snapshot.timeline.get(step)
    }

    /// `step 4/12 · shift() × 53` for the moment on screen, or `None` when
    /// there is no timeline.
    pub fn moment_label(&self) -> Option<String> {
        if self.snapshot.timeline.is_empty() {
            return None;
        }
        let (at, count) = self.moment();
        let warmup = &self.snapshot.warmup;
        Some(match self.step() {
            Some(step) => {
                let expr = if step.phase == crate::model::Phase::Then {
                    warmup.then.as_deref()
                } else {
                    warmup.call.as_deref()
                };
                format!(
                    "step {}/{count} · {} × {}",
                    at + 1,
                    crate::present::text::sanitize_line(expr.unwrap_or("?")),
                    step.calls
                )
            }
            None => format!(
                "step {}/{count} · final: {}",
                at + 1,
                crate::present::words::warmup_line(&self.snapshot)
            ),
        })
    }

    /// How instruction `index` of the current code object changed since the
    /// moment before the one on screen.
    pub fn change_of(&self, index: usize) -> Option<(Transition, String)> {
        let before = self.code_in(self.at.checked_sub(1)?, self.code)?;
        let now = self.code_object()?.instructions.get(index)?;
        let old = match before.instructions.get(index) {
            Some(old) if old.offset == now.offset => old,
            _ => {
                let i = before
                    .instructions
                    .binary_search_by_key(&now.offset, |i| i.offset)
                    .ok()?;
                &before.instructions[i]
            }
        };
        timeline::instruction_change(old, now)
            .map(|c| (c.transition, crate::present::words::change_words(&c)))
    }

    /// (specialized, specializable) of code object `code` at the moment on
    /// screen, counted once per moment.
    pub(in crate::views::tui) fn share(&self, code: usize) -> (usize, usize) {
        let m = &self.moments[self.at];
        let shares = m.shares.get_or_init(|| {
            (0..self.snapshot.code_objects.len())
                .map(|c| self.code_at(c).map_or((0, 0), |c| c.specialized_share()))
                .collect()
        });
        shares.get(code).copied().unwrap_or((0, 0))
    }

    pub(in crate::views::tui) fn line_state(&self, filename: &str, line: u32) -> Option<LineState> {
        let m = &self.moments[self.at];
        let states = m.line_states.get_or_init(|| {
            line_states((0..self.snapshot.code_objects.len()).filter_map(|c| self.code_at(c)))
        });
        states.get(filename)?.get(&line).copied()
    }

    /// Shows the moment `delta` steps away, keeping the same code object and
    /// the instruction at the same offset selected.
    pub(super) fn step_by(&mut self, delta: isize) {
        if self.snapshot.timeline.is_empty() {
            self.message = Some(
                "no timeline: record one with --steps N,N,… (and --then EXPR) to step through the warm-up"
                    .into(),
            );
            return;
        }
        let next = step(self.at, delta, self.moments.len());
        if next == self.at {
            let end = if delta < 0 { "first" } else { "last" };
            self.message = Some(format!("already at the {end} step"));
            return;
        }
        let offset = self.selected_instruction().map(|i| i.offset);
        self.at = next;
        self.rebuild_rows();
        if self.only.is_some() || self.order != super::Order::Source {
            self.rebuild_tree();
        }
        let count = self.code_object().map_or(0, |c| c.instructions.len());
        let index = offset
            .and_then(|o| {
                self.code_object()?
                    .instructions
                    .binary_search_by_key(&o, |i| i.offset)
                    .ok()
            })
            .unwrap_or(self.selected)
            .min(count.saturating_sub(1));
        self.selected = index;
    }
}

/// One moment of the warm-up the views can show: a recorded step of the
/// timeline, or the snapshot's final state.
#[derive(Debug)]
pub(in crate::views::tui) struct Moment {
    /// Index into [`Snapshot::timeline`]; `None` for the final state.
    pub(in crate::views::tui) step: Option<usize>,
    /// For each code object of the snapshot, its index in the step's list
    /// (`None`: the step does not have it, the final state stands in).
    map: Vec<Option<usize>>,
    line_states: OnceCell<BTreeMap<String, BTreeMap<u32, LineState>>>,
    /// (specialized, specializable) of every code object, by snapshot index.
    shares: OnceCell<Vec<(usize, usize)>>,
}

/// The moments to step through: every recorded step, then the final state
/// unless the last step already shows it.
pub(super) fn moments(snapshot: &Snapshot) -> Vec<Moment> {
    let same = |a: &CodeObject, b: &CodeObject| {
        a.qualname == b.qualname && a.first_line == b.first_line && a.filename == b.filename
    };
    let mut out: Vec<Moment> = snapshot
        .timeline
        .iter()
        .enumerate()
        .map(|(index, step)| Moment {
            step: Some(index),
            map: snapshot
                .code_objects
                .iter()
                .enumerate()
                .map(|(i, code)| match step.code_objects.get(i) {
                    // The collector lists code objects in the same order at
                    // every step; search only when it did not.
                    Some(c) if same(c, code) => Some(i),
                    _ => step.code_objects.iter().position(|c| same(c, code)),
                })
                .collect(),
            line_states: OnceCell::new(),
            shares: OnceCell::new(),
        })
        .collect();
    let last_is_final = snapshot
        .timeline
        .last()
        .is_some_and(|s| s.code_objects == snapshot.code_objects);
    if !last_is_final {
        out.push(Moment {
            step: None,
            map: Vec::new(),
            line_states: OnceCell::new(),
            shares: OnceCell::new(),
        });
    }
    out
}
