//! What a key or click does within and between the panes: moving the
//! selection, following a jump or a nested code object, showing and hiding
//! panes.

use ratatui::layout::Position;

use super::{App, BytecodeRow, OpnameWidths, PANES, Pane};
use crate::model::{CodeObject, Instruction};

impl App {
    /// Whether a pane is on screen (with a size-independent answer: the
    /// layout may still leave a visible pane out when the terminal is small).
    pub(super) fn visible(&self, pane: Pane) -> bool {
        let browsing = !self.summary.shown && !self.map.shown;
        match pane {
            Pane::Navigator => true,
            Pane::Summary => self.summary.shown,
            Pane::Map => self.map.shown,
            Pane::Output => self.show_output,
            Pane::Explain => browsing && self.show_explain,
            Pane::Detail => browsing && !self.show_explain,
            Pane::Source | Pane::Bytecode => browsing,
        }
    }

    pub(super) fn pane_at(&self, at: Position) -> Option<Pane> {
        PANES
            .into_iter()
            .filter(|p| self.visible(*p))
            .find(|p| self.viewports.of(*p).get().area.contains(at))
    }

    pub(super) fn click_row(&mut self, pane: Pane, index: usize) {
        match pane {
            Pane::Navigator if self.map.shown => {
                if index < self.heat().files.len() {
                    self.map.file = index;
                    self.map.span = 0;
                }
            }
            Pane::Navigator => {
                if let Some(entry) = self.tree.get(index) {
                    self.open_code(entry.code, 0);
                }
            }
            Pane::Source => {
                let count = self.source_line_count();
                if index < count {
                    self.select_source_line(index as u32 + 1);
                }
            }
            Pane::Bytecode => match self.rows.get(index) {
                Some(BytecodeRow::Instruction(i))
                | Some(BytecodeRow::Cache { instruction: i, .. }) => self.select_instruction(*i),
                None => {}
            },
            Pane::Summary => self.click_summary(index),
            Pane::Map => {}
            Pane::Detail | Pane::Explain | Pane::Output => {}
        }
    }

    pub(super) fn page_height(&self) -> usize {
        let height = self.viewports.of(self.focus).get().area.height;
        usize::from(height.saturating_sub(1)).max(1)
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        self.move_pane(self.focus, delta)
    }

    pub(super) fn move_pane(&mut self, pane: Pane, delta: isize) {
        match pane {
            Pane::Navigator if self.map.shown => self.move_map_file(delta),
            Pane::Navigator => {
                let at = self.tree_position().unwrap_or(0);
                let next = step(at, delta, self.tree.len());
                if let Some(entry) = self.tree.get(next) {
                    self.open_code(entry.code, 0);
                }
            }
            Pane::Source => {
                let count = self.source_line_count();
                if count > 0 {
                    let next = step(self.source_line as usize - 1, delta, count);
                    self.select_source_line(next as u32 + 1);
                }
            }
            Pane::Bytecode => {
                let count = self.code_object().map_or(0, |c| c.instructions.len());
                if count > 0 {
                    self.select_instruction(step(self.selected, delta, count));
                }
            }
            Pane::Explain => {
                let count = self.viewports.explain_lines.get().max(1);
                self.explain_scroll = step(self.explain_scroll, delta, count);
            }
            Pane::Detail => {
                let count = self.viewports.detail_lines.get().max(1);
                self.detail_scroll = step(self.detail_scroll, delta, count);
            }
            Pane::Summary => self.move_in_summary(delta),
            Pane::Map => self.move_in_map(delta),
            Pane::Output => {
                let max = self.output_lines.len().saturating_sub(1);
                self.output_scroll = step(self.output_scroll, delta, max + 1).min(max);
            }
        }
    }

    pub(super) fn focus_next(&mut self, direction: isize) {
        let panes: Vec<Pane> = PANES.into_iter().filter(|p| self.visible(*p)).collect();
        let at = panes.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        let next = (at + direction).rem_euclid(panes.len() as isize) as usize;
        self.focus = panes[next];
    }

    pub(super) fn toggle_caches(&mut self) {
        self.show_caches = !self.show_caches;
        self.rebuild_rows();
    }

    pub(super) fn toggle_explain(&mut self) {
        self.show_explain = !self.show_explain;
        self.explain_scroll = 0;
        if self.show_explain && self.focus == Pane::Detail {
            self.focus = Pane::Explain;
        }
        if !self.show_explain && self.focus == Pane::Explain {
            self.focus = Pane::Bytecode;
        }
    }

    pub(super) fn toggle_output(&mut self) {
        self.show_output = !self.show_output;
        if !self.show_output && self.focus == Pane::Output {
            self.focus = Pane::Bytecode;
        }
    }

    /// Enter: in the navigator or source, go to the bytecode; in the bytecode,
    /// follow a jump or open the code object a LOAD_CONST loads.
    pub(super) fn open_selection(&mut self) {
        match self.focus {
            Pane::Navigator | Pane::Source if !self.summary.shown && !self.map.shown => {
                self.focus = Pane::Bytecode
            }
            Pane::Summary => self.open_summary_site(),
            Pane::Map => self.open_map_span(),
            Pane::Navigator if self.map.shown => self.focus = Pane::Map,
            Pane::Navigator | Pane::Source | Pane::Detail | Pane::Explain | Pane::Output => {}
            Pane::Bytecode => {
                let Some(ins) = self.selected_instruction() else {
                    return;
                };
                if let Some(target) = ins.jump_target {
                    let found = self
                        .code_object()
                        .and_then(|c| c.instructions.iter().position(|i| i.offset == target));
                    match found {
                        Some(i) => {
                            self.history.push((self.code, self.selected));
                            self.select_instruction(i);
                        }
                        None => self.message = Some(format!("no instruction at offset {target}")),
                    }
                } else if let Some(child) = self.nested_code(ins) {
                    self.history.push((self.code, self.selected));
                    self.open_code(child, 0);
                } else {
                    self.message =
                        Some("nothing to follow here: not a jump or a code object".into());
                }
            }
        }
    }

    pub(super) fn go_back(&mut self) {
        match self.history.pop() {
            Some((code, selected)) => {
                self.open_code(code, selected);
                self.focus = Pane::Bytecode;
            }
            None => self.message = Some("nothing to go back to".into()),
        }
    }

    /// The code object a `LOAD_CONST <code object NAME at 0x…, file "…", line N>`
    /// loads: a child of the current code object with that name and first line.
    pub(in crate::views::tui) fn nested_code(&self, ins: &Instruction) -> Option<usize> {
        let rest = ins.argrepr.strip_prefix("<code object ")?;
        let name = rest.split(" at ").next()?;
        let line: u32 = rest
            .rsplit("line ")
            .next()?
            .trim_end_matches('>')
            .parse()
            .ok()?;
        self.snapshot
            .code_objects
            .iter()
            .enumerate()
            .position(|(i, c)| {
                i != self.code
                    && c.parent == Some(self.code)
                    && c.name == name
                    && c.first_line == line
            })
    }

    /// Shows code object `code` with instruction `selected` selected.
    pub fn open_code(&mut self, code: usize, selected: usize) {
        if code >= self.snapshot.code_objects.len() {
            return;
        }
        self.code = code;
        self.rebuild_rows();
        let count = self.code_object().map_or(0, |c| c.instructions.len());
        self.select_instruction(selected.min(count.saturating_sub(1)));
        if let Some(c) = self.code_object().filter(|c| c.instructions.is_empty()) {
            self.source_line = c.first_line.max(1);
        }
    }

    /// Selects an instruction of the current code object; the source cursor
    /// follows to its line.
    pub fn select_instruction(&mut self, index: usize) {
        if index != self.selected {
            self.explain_scroll = 0;
            self.detail_scroll = 0;
        }
        self.selected = index;
        let line = self
            .selected_instruction()
            .and_then(|i| i.positions.and_then(|p| p.line).or(i.line));
        if let Some(line) = line.filter(|l| *l > 0) {
            self.source_line = line;
        }
    }

    /// Moves the source cursor to `line` and selects that line's first
    /// instruction: in the current code object if it has one there, else in
    /// the innermost code object of the file that does.
    pub fn select_source_line(&mut self, line: u32) {
        self.source_line = line;
        let Some(current) = self.code_object() else {
            return;
        };
        if let Some(i) = first_on_line(current, line) {
            self.selected = i;
            return;
        }
        let filename = current.filename.clone();
        let owner = self
            .snapshot
            .code_objects
            .iter()
            .enumerate()
            .filter(|(_, c)| c.filename == filename && c.source_kept)
            .filter_map(|(index, c)| first_on_line(c, line).map(|i| (index, i, c.first_line)))
            .max_by_key(|(_, _, first)| *first);
        if let Some((code, i, _)) = owner {
            self.code = code;
            self.rebuild_rows();
            self.selected = i;
        }
    }

    pub(in crate::views::tui) fn source_line_count(&self) -> usize {
        self.code_object()
            .and_then(|c| self.source_file(c))
            .map_or(0, |f| f.line_count())
    }

    pub(super) fn rebuild_rows(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        let mut row_of = std::mem::take(&mut self.row_of);
        rows.clear();
        row_of.clear();
        let mut widths = OpnameWidths::default();
        if let Some(code) = self.code_in(self.at, self.code) {
            let widest = |f: fn(&Instruction) -> usize| code.instructions.iter().map(f).max();
            widths = OpnameWidths {
                live: widest(|i| i.opname.chars().count()).unwrap_or(0),
                base: widest(|i| i.base_opname.chars().count()).unwrap_or(0),
                against: self
                    .comparison
                    .as_ref()
                    .map_or(0, |c| super::compare::against_width(c, self.code)),
            };
            for (i, ins) in code.instructions.iter().enumerate() {
                row_of.push(rows.len());
                rows.push(BytecodeRow::Instruction(i));
                if self.show_caches {
                    for (entry, cache) in ins.caches.iter().enumerate() {
                        for unit in 0..cache.size {
                            rows.push(BytecodeRow::Cache {
                                instruction: i,
                                entry,
                                unit,
                            });
                        }
                    }
                }
            }
        }
        self.rows = rows;
        self.row_of = row_of;
        self.widths = widths;
    }
}

pub(super) fn step(at: usize, delta: isize, count: usize) -> usize {
    if count == 0 {
        return 0;
    }
    (at as isize)
        .saturating_add(delta)
        .clamp(0, count as isize - 1) as usize
}

pub(super) fn first_on_line(code: &CodeObject, line: u32) -> Option<usize> {
    code.instructions
        .iter()
        .position(|i| i.positions.and_then(|p| p.line).or(i.line) == Some(line))
}
