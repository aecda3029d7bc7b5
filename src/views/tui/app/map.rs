//! `m`: the map of a whole source file in place of source and bytecode,
//! every stretch the interpreter could specialize coloured by how it ended;
//! the navigator lists the files with their totals. `j`/`k` walk the
//! stretches, Enter opens the selected one's instruction in the bytecode
//! pane.

use std::cell::OnceCell;

use super::{App, Pane};
use crate::analysis::heat::{FileHeat, HeatMap, Span};
use crate::analysis::summary::Site;

#[derive(Debug, Default)]
pub(in crate::views::tui) struct MapState {
    pub(in crate::views::tui) shown: bool,
    /// The file on the map, an index into the heat map's files.
    pub(in crate::views::tui) file: usize,
    /// The selected stretch of that file.
    pub(in crate::views::tui) span: usize,
    heat: OnceCell<HeatMap>,
}

impl App {
    /// The program's heat map (made once, from the final snapshot).
    pub(in crate::views::tui) fn heat(&self) -> &HeatMap {
        self.map.heat.get_or_init(|| HeatMap::of(&self.snapshot))
    }

    /// The file on the map.
    pub(in crate::views::tui) fn map_file(&self) -> Option<&FileHeat> {
        self.heat().files.get(self.map.file)
    }

    pub(super) fn toggle_map(&mut self) {
        self.map.shown = !self.map.shown;
        if self.map.shown {
            self.summary.shown = false;
            // Open on the file and the stretch of the instruction on screen.
            let here = self.code_object().map(|c| c.filename.clone());
            if let Some(file) =
                here.and_then(|f| self.heat().files.iter().position(|h| h.filename == f))
            {
                self.map.file = file;
                let (code, selected) = (self.code, self.selected);
                self.map.span = self
                    .map_file()
                    .and_then(|f| {
                        f.spans.iter().position(|s| {
                            s.sites
                                .iter()
                                .any(|x| x.code == code && x.instruction == selected)
                        })
                    })
                    .unwrap_or(0);
            }
            self.focus = Pane::Map;
        } else {
            self.focus = Pane::Bytecode;
        }
    }

    pub(super) fn move_in_map(&mut self, delta: isize) {
        let count = self.map_file().map_or(0, |f| f.spans.len());
        self.map.span = super::step(self.map.span, delta, count);
    }

    /// In the navigator while the map is shown: the next or previous file.
    pub(super) fn move_map_file(&mut self, delta: isize) {
        let count = self.heat().files.len();
        let next = super::step(self.map.file, delta, count);
        if next != self.map.file {
            self.map.file = next;
            self.map.span = 0;
        }
    }

    /// Enter on a stretch: the map gives way to the bytecode, on the
    /// instruction that gives the stretch its colour.
    pub(super) fn open_map_span(&mut self) {
        let Some(site) = self
            .map_file()
            .and_then(|f| f.spans.get(self.map.span))
            .and_then(telling_site)
        else {
            return;
        };
        self.map.shown = false;
        self.history.push((self.code, self.selected));
        self.open_code(site.code, site.instruction);
        self.focus = Pane::Bytecode;
    }
}

/// The site that gives a stretch its state: the innermost of those in that
/// state (a failing `+` around a specialized operand load is the `+`).
pub(in crate::views::tui) fn telling_site(stretch: &Span) -> Option<Site> {
    stretch
        .sites
        .iter()
        .find(|s| s.state == stretch.state)
        .or(stretch.sites.first())
        .copied()
}
