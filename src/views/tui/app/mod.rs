//! The explorer's state and what each key or click does to it. Drawing lives
//! in the `views` module beside this one and only reads the app.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, Event, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

mod compare;
pub(in crate::views::tui) mod map;
mod moments;
mod panes;
mod search;
mod summary;
mod tree;

use super::keys::{self, Action};
use super::theme::Theme;
use crate::analysis::marks::Mark;
use crate::model::{CodeKind, CodeObject, Instruction, Snapshot};
use crate::present::highlight::{LazyHighlight, SourceFile};

pub use compare::{Against, Comparison, RowDiff};
use moments::{Moment, moments};
use panes::step;
use tree::build_tree;
pub use tree::{Order, TreeEntry};

/// The panes that can take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Navigator,
    Source,
    Bytecode,
    /// The selected instruction in full (scrolls when its caches do not
    /// fit).
    Detail,
    /// The program at a glance (`S`), in place of source and bytecode.
    Summary,
    /// A whole file as a heat map (`m`), in place of source and bytecode.
    Map,
    /// The explanation of the selected instruction (while `e` has it open).
    Explain,
    Output,
}

/// Every pane, in Tab order; [`App::visible`] says which are on screen.
const PANES: [Pane; 8] = [
    Pane::Navigator,
    Pane::Summary,
    Pane::Map,
    Pane::Source,
    Pane::Bytecode,
    Pane::Detail,
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
    pub detail: Cell<Viewport>,
    pub summary: Cell<Viewport>,
    pub map: Cell<Viewport>,
    /// The summary's first row of sites, as last drawn (clicks land on
    /// sites below it).
    pub summary_sites_top: Cell<usize>,
    pub explain: Cell<Viewport>,
    pub output: Cell<Viewport>,
    /// Lines the detail pane had when last drawn (wrapped), for scrolling.
    pub detail_lines: Cell<usize>,
    /// Lines the explain pane had when last drawn, for scrolling.
    pub explain_lines: Cell<usize>,
    /// Whether the bytecode pane showed the base column when last drawn.
    pub base_shown: Cell<bool>,
}

impl Viewports {
    fn of(&self, pane: Pane) -> &Cell<Viewport> {
        match pane {
            Pane::Navigator => &self.navigator,
            Pane::Source => &self.source,
            Pane::Bytecode => &self.bytecode,
            Pane::Detail => &self.detail,
            Pane::Summary => &self.summary,
            Pane::Map => &self.map,
            Pane::Explain => &self.explain,
            Pane::Output => &self.output,
        }
    }
}

/// Widths of the opname columns of the current code object, measured once
/// when it is opened rather than on every frame.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OpnameWidths {
    pub(super) live: usize,
    pub(super) base: usize,
    /// The A column, when comparing with another snapshot.
    pub(super) against: usize,
}

pub struct App {
    pub(super) snapshot: Snapshot,
    pub(super) theme: Theme,
    /// The navigator's entries, as filtered and ordered.
    pub(super) tree: Vec<TreeEntry>,
    /// The navigator's filter (`f`, or `--only`).
    pub(super) only: Option<crate::analysis::summary::Only>,
    /// The navigator's order (`s`).
    pub(super) order: Order,
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
    /// The base opname column: `None` shows it when the pane is wide
    /// enough, `Some` is what `b` asked for.
    pub(super) show_base: Option<bool>,
    pub(super) show_output: bool,
    pub(super) show_explain: bool,
    pub(super) explain_scroll: usize,
    pub(super) detail_scroll: usize,
    pub(super) summary: summary::SummaryState,
    pub(super) map: map::MapState,
    pub(super) widths: OpnameWidths,
    pub(super) moments: Vec<Moment>,
    /// The moment on screen (the first one when the explorer opens, so
    /// that the warm-up is read from its start).
    pub(super) at: usize,
    pub(super) output_lines: Vec<String>,
    pub(super) output_scroll: usize,
    pub(super) query: Option<String>,
    pub(super) message: Option<String>,
    history: Vec<(usize, usize)>,
    highlights: BTreeMap<String, LazyHighlight>,
    pub(super) viewports: Viewports,
    /// The snapshot this one is compared with (`diff --explore`).
    pub(super) comparison: Option<Comparison>,
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
        let at = 0;
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
            only: None,
            order: Order::Source,
            code: first,
            selected: 0,
            source_line: 1,
            rows: Vec::new(),
            row_of: Vec::new(),
            focus: Pane::Bytecode,
            mode: Mode::Browse,
            show_caches: false,
            show_base: None,
            show_output,
            show_explain: false,
            explain_scroll: 0,
            detail_scroll: 0,
            summary: summary::SummaryState::default(),
            map: map::MapState::default(),
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
            comparison: None,
        };
        // The instruction the warm-up ends up specializing, whatever moment
        // is on screen.
        let start = app
            .snapshot
            .code_objects
            .get(first)
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

    /// Whether the explain pane is open.
    pub fn explaining(&self) -> bool {
        self.show_explain
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

    /// The file `code` comes from, highlighted as its lines come into
    /// view; none when its source was not kept.
    pub(super) fn source_file(&self, code: &CodeObject) -> Option<SourceFile<'_>> {
        Some(SourceFile {
            text: self.snapshot.source_of(code)?,
            lines: self.highlights.get(&code.filename)?,
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
            Action::ToggleBase => {
                self.show_base = Some(!self.viewports.base_shown.get());
            }
            Action::ToggleOutput => self.toggle_output(),
            Action::ToggleExplain => self.toggle_explain(),
            Action::CycleFilter => self.cycle_filter(),
            Action::CycleOrder => self.cycle_order(),
            Action::ToggleSummary => self.toggle_summary(),
            Action::ToggleMap => self.toggle_map(),
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
