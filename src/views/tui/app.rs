//! The explorer's state and what each key or click does to it. Drawing lives
//! in [`super::views`] and only reads the app.

use std::cell::{Cell, OnceCell};
use std::collections::BTreeMap;
use std::io;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, Event, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::keys::{self, Action};
use super::theme::Theme;
use crate::analysis::marks::Mark;
use crate::analysis::timeline::{self, Transition};
use crate::model::{CodeKind, CodeObject, Instruction, Snapshot};
use crate::present::highlight::{LazyHighlight, SourceFile};

/// The panes that can take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Navigator,
    Source,
    Bytecode,
    /// The explanation of the selected instruction (while `e` has it open).
    Explain,
    Output,
}

/// Every pane, in Tab order; [`App::visible`] says which are on screen.
const PANES: [Pane; 5] = [
    Pane::Navigator,
    Pane::Source,
    Pane::Bytecode,
    Pane::Explain,
    Pane::Output,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Browse,
    /// Typing a search query.
    Search(String),
    Help,
    Quit,
}

/// One entry of the code-object navigator: module → class → function, nested
/// code under its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub code: usize,
    pub depth: usize,
}

/// One row of the bytecode pane: an instruction, or one code unit of its
/// inline cache (shown as `CACHE` rows, as `dis` does with `show_caches`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytecodeRow {
    Instruction(usize),
    Cache {
        instruction: usize,
        entry: usize,
        /// Code unit within the entry; only unit 0 carries the value.
        unit: u32,
    },
}

/// What a source line's instructions add up to, for the gutter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    Specialized,
    Warming,
    BackingOff,
    Mixed,
    NeverRan,
    /// Only instructions without an inline cache.
    Plain,
}

impl LineState {
    pub fn symbol(self) -> &'static str {
        match self {
            LineState::Specialized => Mark::Specialized.symbol(),
            LineState::Warming => Mark::Warming.symbol(),
            LineState::BackingOff => Mark::BackingOff.symbol(),
            LineState::Mixed => "±",
            LineState::NeverRan => "·",
            LineState::Plain => " ",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            LineState::Specialized => "every specializable instruction specialized",
            LineState::Warming => "adaptive, warming up",
            LineState::BackingOff => "adaptive, backing off",
            LineState::Mixed => "some specialized, some adaptive",
            LineState::NeverRan => "code that never ran",
            LineState::Plain => "no inline cache",
        }
    }
}

/// Where a scrolled pane was last drawn and how far it was scrolled: drawing
/// keeps the selection visible, clicks map screen rows back to items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewport {
    pub area: Rect,
    pub offset: usize,
}

#[derive(Debug, Default)]
pub struct Viewports {
    pub navigator: Cell<Viewport>,
    pub source: Cell<Viewport>,
    pub bytecode: Cell<Viewport>,
    pub explain: Cell<Viewport>,
    pub output: Cell<Viewport>,
    /// Lines the explain pane had when last drawn, for scrolling.
    pub explain_lines: Cell<usize>,
}

impl Viewports {
    fn of(&self, pane: Pane) -> &Cell<Viewport> {
        match pane {
            Pane::Navigator => &self.navigator,
            Pane::Source => &self.source,
            Pane::Bytecode => &self.bytecode,
            Pane::Explain => &self.explain,
            Pane::Output => &self.output,
        }
    }
}

/// One moment of the warm-up the views can show: a recorded step of the
/// timeline, or the snapshot's final state.
#[derive(Debug)]
pub(super) struct Moment {
    /// Index into [`Snapshot::timeline`]; `None` for the final state.
    pub(super) step: Option<usize>,
    /// For each code object of the snapshot, its index in the step's list
    /// (`None`: the step does not have it, the final state stands in).
    map: Vec<Option<usize>>,
    line_states: OnceCell<BTreeMap<String, BTreeMap<u32, LineState>>>,
    /// (specialized, specializable) of every code object, by snapshot index.
    shares: OnceCell<Vec<(usize, usize)>>,
}

/// Widths of the opname columns of the current code object, measured once
/// when it is opened rather than on every frame.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OpnameWidths {
    pub(super) live: usize,
    pub(super) base: usize,
}

pub struct App {
    pub(super) snapshot: Snapshot,
    pub(super) theme: Theme,
    pub(super) tree: Vec<TreeEntry>,
    /// The code object shown in the source and bytecode panes.
    pub(super) code: usize,
    /// Selected instruction of `code`.
    pub(super) selected: usize,
    /// Cursor line (1-based) in the source pane.
    pub(super) source_line: u32,
    pub(super) rows: Vec<BytecodeRow>,
    /// Row of each instruction of `code` in `rows`.
    pub(super) row_of: Vec<usize>,
    pub(super) focus: Pane,
    pub(super) mode: Mode,
    pub(super) show_caches: bool,
    pub(super) show_base: bool,
    pub(super) show_output: bool,
    pub(super) show_explain: bool,
    pub(super) explain_scroll: usize,
    pub(super) widths: OpnameWidths,
    pub(super) moments: Vec<Moment>,
    /// The moment on screen (the last one when the explorer opens).
    pub(super) at: usize,
    pub(super) output_lines: Vec<String>,
    pub(super) output_scroll: usize,
    pub(super) query: Option<String>,
    pub(super) message: Option<String>,
    history: Vec<(usize, usize)>,
    highlights: BTreeMap<String, LazyHighlight>,
    pub(super) viewports: Viewports,
}

impl App {
    /// Builds the explorer over a snapshot; needs neither Python nor a terminal.
    pub fn new(snapshot: Snapshot, theme: Theme) -> App {
        let tree = build_tree(&snapshot.code_objects);
        let highlights = snapshot
            .files
            .keys()
            .map(|f| (f.clone(), LazyHighlight::new()))
            .collect();
        let moments = moments(&snapshot);
        let at = moments.len() - 1;
        let output_lines = output_lines(&snapshot);
        let show_output =
            snapshot.run.exception.is_some() || snapshot.run.collection_error.is_some();
        // Open on the first function the interpreter specialized: module and
        // class bodies run once, so they say little about specialization.
        let specialized = |c: usize| snapshot.code_objects[c].specialized_share().0 > 0;
        let is_body = |c: usize| {
            matches!(
                snapshot.code_objects[c].kind,
                CodeKind::Module | CodeKind::Class
            )
        };
        let codes = || tree.iter().map(|e| e.code);
        let first = codes()
            .find(|&c| specialized(c) && !is_body(c))
            .or_else(|| codes().find(|&c| specialized(c)))
            .or_else(|| codes().next())
            .unwrap_or(0);
        let mut app = App {
            snapshot,
            theme,
            tree,
            code: first,
            selected: 0,
            source_line: 1,
            rows: Vec::new(),
            row_of: Vec::new(),
            focus: Pane::Bytecode,
            mode: Mode::Browse,
            show_caches: false,
            show_base: true,
            show_output,
            show_explain: false,
            explain_scroll: 0,
            widths: OpnameWidths::default(),
            moments,
            at,
            output_lines,
            output_scroll: 0,
            query: None,
            message: None,
            history: Vec::new(),
            highlights,
            viewports: Viewports::default(),
        };
        let start = app
            .code_object()
            .map(|c| {
                let specialized = |i: &&Instruction| Mark::of(i) == Mark::Specialized;
                c.instructions
                    .iter()
                    .position(|i| specialized(&i) && !i.caches.is_empty())
                    .or_else(|| c.instructions.iter().position(|i| specialized(&i)))
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        app.open_code(first, start);
        app
    }

    /// Runs the event loop until the user quits. Blocks on input: no CPU is
    /// used while nothing happens.
    pub fn run(mut self, terminal: &mut DefaultTerminal) -> io::Result<()> {
        while self.mode != Mode::Quit {
            terminal.draw(|frame| frame.render_widget(&self, frame.area()))?;
            self.handle_event(event::read()?);
        }
        Ok(())
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    pub fn focus(&self) -> Pane {
        self.focus
    }

    pub fn should_quit(&self) -> bool {
        self.mode == Mode::Quit
    }

    /// The code object on screen, as it was at the moment on screen.
    pub fn code_object(&self) -> Option<&CodeObject> {
        self.code_at(self.code)
    }

    /// Code object `code` (a snapshot index) at the moment on screen.
    pub fn code_at(&self, code: usize) -> Option<&CodeObject> {
        self.code_in(self.at, code)
    }

    fn code_in(&self, moment: usize, code: usize) -> Option<&CodeObject> {
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

    /// Whether the explain pane is open.
    pub fn explaining(&self) -> bool {
        self.show_explain
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
    pub(super) fn share(&self, code: usize) -> (usize, usize) {
        let m = &self.moments[self.at];
        let shares = m.shares.get_or_init(|| {
            (0..self.snapshot.code_objects.len())
                .map(|c| self.code_at(c).map_or((0, 0), |c| c.specialized_share()))
                .collect()
        });
        shares.get(code).copied().unwrap_or((0, 0))
    }

    pub fn current_code(&self) -> usize {
        self.code
    }

    pub fn selected_instruction(&self) -> Option<&Instruction> {
        self.code_object()?.instructions.get(self.selected)
    }

    pub fn source_line(&self) -> u32 {
        self.source_line
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// A file of the snapshot, highlighted as its lines come into view.
    pub(super) fn source_file(&self, filename: &str) -> Option<SourceFile<'_>> {
        Some(SourceFile {
            text: self.snapshot.files.get(filename)?,
            lines: self.highlights.get(filename)?,
        })
    }

    /// Source lines run through the syntax grammar so far, over all files
    /// (for tests and benchmarks: drawing highlights only what is in view).
    pub fn lines_highlighted(&self) -> usize {
        self.highlights
            .values()
            .map(LazyHighlight::lines_parsed)
            .sum()
    }

    pub(super) fn line_state(&self, filename: &str, line: u32) -> Option<LineState> {
        let m = &self.moments[self.at];
        let states = m.line_states.get_or_init(|| {
            line_states((0..self.snapshot.code_objects.len()).filter_map(|c| self.code_at(c)))
        });
        states.get(filename)?.get(&line).copied()
    }

    // ── events ──────────────────────────────────────────────────────────

    pub fn handle_event(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.handle_key(key),
            Event::Mouse(mouse) => self.handle_mouse(mouse),
            _ => {}
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        match &mut self.mode {
            Mode::Search(query) => {
                use ratatui::crossterm::event::KeyCode;
                match key.code {
                    KeyCode::Enter => {
                        let query = std::mem::take(query);
                        self.mode = Mode::Browse;
                        self.start_search(query);
                    }
                    KeyCode::Esc => self.mode = Mode::Browse,
                    KeyCode::Backspace => {
                        query.pop();
                    }
                    KeyCode::Char(c) => query.push(c),
                    _ => {}
                }
            }
            Mode::Help => self.mode = Mode::Browse,
            Mode::Quit => {}
            Mode::Browse => {
                self.message = None;
                if let Some(action) = keys::action_for(&key) {
                    self.apply(action);
                }
            }
        }
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page_height() as isize)),
            Action::PageDown => self.move_by(self.page_height() as isize),
            Action::First => self.move_by(isize::MIN / 2),
            Action::Last => self.move_by(isize::MAX / 2),
            Action::NextPane => self.focus_next(1),
            Action::PrevPane => self.focus_next(-1),
            Action::Open => self.open_selection(),
            Action::Back => self.go_back(),
            Action::Search => self.mode = Mode::Search(String::new()),
            Action::NextMatch => self.repeat_search(true),
            Action::PrevMatch => self.repeat_search(false),
            Action::ToggleCaches => self.toggle_caches(),
            Action::ToggleBase => self.show_base = !self.show_base,
            Action::ToggleOutput => self.toggle_output(),
            Action::ToggleExplain => self.toggle_explain(),
            Action::PrevStep => self.step_by(-1),
            Action::NextStep => self.step_by(1),
            Action::Help => self.mode = Mode::Help,
            Action::Quit => self.mode = Mode::Quit,
        }
    }

    fn handle_mouse(&mut self, mouse: MouseEvent) {
        if self.mode != Mode::Browse {
            return;
        }
        let at = Position::new(mouse.column, mouse.row);
        let Some(pane) = self.pane_at(at) else {
            return;
        };
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_pane(pane, 3),
            MouseEventKind::ScrollUp => self.move_pane(pane, -3),
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                let vp = self.viewports.of(pane).get();
                let index = vp.offset + usize::from(at.y - vp.area.y);
                self.click_row(pane, index);
            }
            _ => {}
        }
    }

    /// Whether a pane is on screen (with a size-independent answer: the
    /// layout may still leave a visible pane out when the terminal is small).
    fn visible(&self, pane: Pane) -> bool {
        match pane {
            Pane::Output => self.show_output,
            Pane::Explain => self.show_explain,
            _ => true,
        }
    }

    fn pane_at(&self, at: Position) -> Option<Pane> {
        PANES
            .into_iter()
            .filter(|p| self.visible(*p))
            .find(|p| self.viewports.of(*p).get().area.contains(at))
    }

    fn click_row(&mut self, pane: Pane, index: usize) {
        match pane {
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
            Pane::Explain | Pane::Output => {}
        }
    }

    fn page_height(&self) -> usize {
        let height = self.viewports.of(self.focus).get().area.height;
        usize::from(height.saturating_sub(1)).max(1)
    }

    // ── intentions ──────────────────────────────────────────────────────

    fn move_by(&mut self, delta: isize) {
        self.move_pane(self.focus, delta)
    }

    fn move_pane(&mut self, pane: Pane, delta: isize) {
        match pane {
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
            Pane::Output => {
                let max = self.output_lines.len().saturating_sub(1);
                self.output_scroll = step(self.output_scroll, delta, max + 1).min(max);
            }
        }
    }

    fn focus_next(&mut self, direction: isize) {
        let panes: Vec<Pane> = PANES.into_iter().filter(|p| self.visible(*p)).collect();
        let at = panes.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        let next = (at + direction).rem_euclid(panes.len() as isize) as usize;
        self.focus = panes[next];
    }

    fn toggle_caches(&mut self) {
        self.show_caches = !self.show_caches;
        self.rebuild_rows();
    }

    fn toggle_explain(&mut self) {
        self.show_explain = !self.show_explain;
        self.explain_scroll = 0;
        if !self.show_explain && self.focus == Pane::Explain {
            self.focus = Pane::Bytecode;
        }
    }

    /// Shows the moment `delta` steps away, keeping the same code object and
    /// the instruction at the same offset selected.
    fn step_by(&mut self, delta: isize) {
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

    fn toggle_output(&mut self) {
        self.show_output = !self.show_output;
        if !self.show_output && self.focus == Pane::Output {
            self.focus = Pane::Bytecode;
        }
    }

    /// Enter: in the navigator or source, go to the bytecode; in the bytecode,
    /// follow a jump or open the code object a LOAD_CONST loads.
    fn open_selection(&mut self) {
        match self.focus {
            Pane::Navigator | Pane::Source => self.focus = Pane::Bytecode,
            Pane::Explain | Pane::Output => {}
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

    fn go_back(&mut self) {
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
    pub(super) fn nested_code(&self, ins: &Instruction) -> Option<usize> {
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
            .filter(|(_, c)| c.filename == filename)
            .filter_map(|(index, c)| first_on_line(c, line).map(|i| (index, i, c.first_line)))
            .max_by_key(|(_, _, first)| *first);
        if let Some((code, i, _)) = owner {
            self.code = code;
            self.rebuild_rows();
            self.selected = i;
        }
    }

    fn tree_position(&self) -> Option<usize> {
        self.tree.iter().position(|e| e.code == self.code)
    }

    pub(super) fn navigator_selected(&self) -> usize {
        self.tree_position().unwrap_or(0)
    }

    pub(super) fn source_line_count(&self) -> usize {
        self.code_object()
            .and_then(|c| self.source_file(&c.filename))
            .map_or(0, |f| f.line_count())
    }

    fn rebuild_rows(&mut self) {
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

    // ── search ──────────────────────────────────────────────────────────

    fn start_search(&mut self, query: String) {
        if query.is_empty() {
            return;
        }
        self.query = Some(query);
        self.repeat_search(true);
    }

    fn repeat_search(&mut self, forward: bool) {
        let Some(query) = self.query.clone() else {
            self.message = Some("no search yet: press / to search".into());
            return;
        };
        let needle = query.to_lowercase();
        let found = if self.focus == Pane::Source {
            self.search_source(&needle, forward)
        } else {
            self.search_bytecode(&needle, forward)
        };
        if !found {
            self.message = Some(format!(
                "no match for “{}”",
                crate::present::text::sanitize_line(&query)
            ));
        }
    }

    fn search_source(&mut self, needle: &str, forward: bool) -> bool {
        let Some(filename) = self.code_object().map(|c| c.filename.clone()) else {
            return false;
        };
        let Some(file) = self.source_file(&filename) else {
            return false;
        };
        let count = file.line_count();
        let start = self.source_line as usize - 1;
        let hit = (1..=count)
            .map(|k| wrap(start, k, count, forward))
            .find(|&i| {
                file.line(i)
                    .is_some_and(|t| t.to_lowercase().contains(needle))
            });
        match hit {
            Some(i) => {
                self.select_source_line(i as u32 + 1);
                true
            }
            None => false,
        }
    }

    fn search_bytecode(&mut self, needle: &str, forward: bool) -> bool {
        // Every instruction of every code object, in navigator order.
        let order: Vec<(usize, usize)> = self
            .tree
            .iter()
            .flat_map(|e| {
                let n = self.code_at(e.code).map_or(0, |c| c.instructions.len());
                (0..n).map(move |i| (e.code, i))
            })
            .collect();
        let count = order.len();
        let Some(start) = order.iter().position(|&p| p == (self.code, self.selected)) else {
            return false;
        };
        let hit = (1..=count)
            .map(|k| order[wrap(start, k, count, forward)])
            .find(|&(c, i)| {
                let ins = &self.code_at(c).expect("listed above").instructions[i];
                ins.opname.to_lowercase().contains(needle)
                    || ins.base_opname.to_lowercase().contains(needle)
                    || ins.argrepr.to_lowercase().contains(needle)
            });
        match hit {
            Some((code, i)) => {
                if code != self.code {
                    self.open_code(code, i);
                } else {
                    self.select_instruction(i);
                }
                true
            }
            None => false,
        }
    }
}

fn wrap(start: usize, k: usize, count: usize, forward: bool) -> usize {
    if forward {
        (start + k) % count
    } else {
        (start + count * 2 - k) % count
    }
}

fn step(at: usize, delta: isize, count: usize) -> usize {
    if count == 0 {
        return 0;
    }
    (at as isize)
        .saturating_add(delta)
        .clamp(0, count as isize - 1) as usize
}

fn first_on_line(code: &CodeObject, line: u32) -> Option<usize> {
    code.instructions
        .iter()
        .position(|i| i.positions.and_then(|p| p.line).or(i.line) == Some(line))
}

fn build_tree(codes: &[CodeObject]) -> Vec<TreeEntry> {
    fn visit(codes: &[CodeObject], code: usize, depth: usize, out: &mut Vec<TreeEntry>) {
        out.push(TreeEntry { code, depth });
        let mut children: Vec<usize> = (0..codes.len())
            .filter(|&i| i != code && codes[i].parent == Some(code))
            .collect();
        children.sort_by_key(|&i| (codes[i].first_line, i));
        for child in children {
            visit(codes, child, depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(codes.len());
    for (i, c) in codes.iter().enumerate() {
        let orphan = c.parent.is_none_or(|p| p >= codes.len() || p == i);
        if orphan {
            visit(codes, i, 0, &mut out);
        }
    }
    out
}

/// The moments to step through: every recorded step, then the final state
/// unless the last step already shows it.
fn moments(snapshot: &Snapshot) -> Vec<Moment> {
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

fn line_states<'a>(
    codes: impl Iterator<Item = &'a CodeObject>,
) -> BTreeMap<String, BTreeMap<u32, LineState>> {
    #[derive(Default, Clone, Copy)]
    struct Tally {
        ran: bool,
        specialized: usize,
        warming: usize,
        backing_off: usize,
    }
    let mut tallies: BTreeMap<&str, BTreeMap<u32, Tally>> = BTreeMap::new();
    for code in codes {
        let file = tallies.entry(code.filename.as_str()).or_default();
        for ins in &code.instructions {
            let Some(line) = ins.positions.and_then(|p| p.line).or(ins.line) else {
                continue;
            };
            let tally = file.entry(line).or_default();
            if !code.ran {
                continue;
            }
            tally.ran = true;
            match Mark::of(ins) {
                Mark::Specialized => tally.specialized += 1,
                Mark::Warming => tally.warming += 1,
                Mark::BackingOff | Mark::GivenUp => tally.backing_off += 1,
                Mark::NoCache | Mark::AtCreation => {}
            }
        }
    }
    tallies
        .into_iter()
        .map(|(file, lines)| {
            let states = lines
                .into_iter()
                .map(|(line, t)| {
                    let state = match t {
                        Tally { ran: false, .. } => LineState::NeverRan,
                        Tally {
                            specialized: 0,
                            warming: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Plain,
                        Tally {
                            specialized: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Warming,
                        Tally { specialized: 0, .. } => LineState::BackingOff,
                        Tally {
                            warming: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Specialized,
                        _ => LineState::Mixed,
                    };
                    (line, state)
                })
                .collect();
            (file.to_string(), states)
        })
        .collect()
}

/// The program's output and how it ended, as sanitized lines.
fn output_lines(snapshot: &Snapshot) -> Vec<String> {
    use crate::present::text::sanitize_line;
    let run = &snapshot.run;
    let mut text = String::new();
    for chunk in &run.output {
        text.push_str(&chunk.text);
    }
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| sanitize_line(l).into_owned())
        .collect();
    if run.output_dropped_bytes > 0 {
        lines.push(format!(
            "… {} more not kept",
            crate::present::words::human_bytes(run.output_dropped_bytes)
        ));
    }
    if let Some(exc) = &run.exception {
        lines.push(String::new());
        lines.extend(exc.traceback.lines().map(|l| sanitize_line(l).into_owned()));
    }
    for (_, sentence) in crate::present::words::endings(snapshot) {
        lines.push(format!("── {sentence} ──"));
    }
    if lines.is_empty() {
        lines.push("(the program printed nothing)".into());
    }
    lines
}
