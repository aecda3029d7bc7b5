//! `S`: the program at a glance in place of source and bytecode — per
//! family the sites in each state, then the sites where specialization
//! failed, hottest first; Enter opens one in the bytecode pane.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use super::{App, Pane};
use crate::analysis::summary::{Site, StateCounts, family_counts, sites_to_look_at};

#[derive(Debug, Default)]
pub(in crate::views::tui) struct SummaryState {
    pub(in crate::views::tui) shown: bool,
    /// The selected site, an index into [`App::summary_sites`].
    pub(in crate::views::tui) selected: usize,
    families: OnceCell<BTreeMap<String, StateCounts>>,
    sites: OnceCell<Vec<Site>>,
}

impl App {
    /// Per family, the states of its sites in the final snapshot (counted
    /// once).
    pub(in crate::views::tui) fn summary_families(&self) -> &BTreeMap<String, StateCounts> {
        self.summary
            .families
            .get_or_init(|| family_counts(&self.snapshot.code_objects))
    }

    /// The sites where specialization failed, hottest first (found once).
    pub(in crate::views::tui) fn summary_sites(&self) -> &[Site] {
        self.summary
            .sites
            .get_or_init(|| sites_to_look_at(&self.snapshot))
    }

    pub(super) fn toggle_summary(&mut self) {
        self.summary.shown = !self.summary.shown;
        self.map.shown &= !self.summary.shown;
        self.focus = if self.summary.shown {
            Pane::Summary
        } else {
            Pane::Bytecode
        };
    }

    pub(super) fn move_in_summary(&mut self, delta: isize) {
        let count = self.summary_sites().len();
        self.summary.selected = super::step(self.summary.selected, delta, count);
    }

    pub(super) fn click_summary(&mut self, row: usize) {
        let top = self.viewports.summary_sites_top.get();
        // A site takes two rows: its place, then its source line.
        if let Some(index) = row.checked_sub(top).map(|r| r / 2)
            && index < self.summary_sites().len()
        {
            self.summary.selected = index;
        }
    }

    /// Enter on a site: the summary gives way to the bytecode, on it.
    pub(super) fn open_summary_site(&mut self) {
        let Some(site) = self.summary_sites().get(self.summary.selected).copied() else {
            return;
        };
        self.summary.shown = false;
        self.history.push((self.code, self.selected));
        self.open_code(site.code, site.instruction);
        self.focus = Pane::Bytecode;
    }
}
