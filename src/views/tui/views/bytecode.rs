//! The bytecode of the current code object: one row per instruction, base
//! and live opname side by side, optional CACHE rows, and a legend.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{change_symbol, pane_block, scroll_into_view};
use crate::analysis::diff::Change;
use crate::analysis::marks::Mark;
use crate::analysis::timeline::Transition;
use crate::model::Instruction;
use crate::present::diff::{change_symbol as diff_symbol, change_tone, change_words};
use crate::present::text::sanitize_line;
use crate::present::text::{clip, display_width};
use crate::present::words::counter_short;
use crate::views::tui::app::{App, BytecodeRow, Comparison, OpnameWidths, Pane, RowDiff};
use crate::views::tui::theme::Theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let Some(code) = app.code_object() else {
        pane_block(app, Pane::Bytecode, " Bytecode ").render(area, buf);
        return;
    };
    let (specialized, specializable) = app.share(app.current_code());
    let ran = match (code.ran, code.ran_known) {
        (true, _) => "",
        (false, true) => " · never ran",
        (false, false) => " · no sign it ran",
    };
    let columns = Columns::of(
        app.widths,
        app.show_base,
        !app.snapshot.timeline.is_empty(),
        app.comparison().is_some(),
        usize::from(area.width.saturating_sub(2)),
    );
    app.viewports.base_shown.set(columns.base.is_some());
    let hidden = if columns.base.is_none() {
        " · base column hidden: b shows it"
    } else {
        ""
    };
    let name = sanitize_line(&code.qualname);
    let mut title = format!(
        " Bytecode · {name} ({}, line {}) · {specialized}/{specializable} specialized{ran}{hidden} ",
        code.kind.as_str(),
        code.first_line
    );
    // A narrow pane drops the kind and line (the navigator shows them)
    // before the note about the base column.
    if display_width(&title) + 2 > usize::from(area.width) {
        title = format!(" Bytecode · {name} · {specialized}/{specializable}{ran}{hidden} ");
    }
    let mut block = pane_block(app, Pane::Bytecode, title).title_bottom(legend(t, code));
    if let Some(c) = app.comparison() {
        block = block.title_bottom(compared_legend(t, c, app.current_code()).right_aligned());
    }
    let inner = block.inner(area);
    block.render(area, buf);

    let cursor = app.row_of.get(app.selected).copied().unwrap_or(0);
    let offset = scroll_into_view(&app.viewports.bytecode, inner, cursor, app.rows.len());
    // Only the rows on screen are laid out, however long the code object.
    let end = (offset + usize::from(inner.height)).min(app.rows.len());
    let lines: Vec<Line> = app.rows[offset.min(end)..end]
        .iter()
        .enumerate()
        .map(|(row, kind)| (offset + row, kind))
        .map(|(row, kind)| {
            let line = match *kind {
                BytecodeRow::Instruction(i) => {
                    let change = columns.changes.then(|| app.change_of(i).map(|(t, _)| t));
                    let against = columns.against.map(|_| app.against_row(i));
                    instruction_row(t, &columns, &code.instructions[i], change, against)
                }
                BytecodeRow::Cache {
                    instruction,
                    entry,
                    unit,
                } => cache_row(t, &columns, &code.instructions[instruction], entry, unit),
            };
            if row == cursor {
                line.patch_style(t.selection(app.focus == Pane::Bytecode))
            } else {
                line
            }
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

fn legend(t: Theme, code: &crate::model::CodeObject) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for mark in crate::analysis::marks::legend_marks(std::slice::from_ref(code)) {
        spans.push(Span::styled(mark.symbol(), t.mark(mark)));
        let words = match mark {
            Mark::Specialized => " specialized  ",
            Mark::Warming => " warming  ",
            Mark::BackingOff => " backing off  ",
            Mark::GivenUp => " given up  ",
            Mark::AtCreation => " at creation  ",
            Mark::NoCache => "",
        };
        spans.push(Span::styled(words, t.dim()));
    }
    spans.push(Span::styled("blank no cache  ", t.dim()));
    spans.push(Span::styled(">>", t.jump()));
    spans.push(Span::styled(" jump target ", t.dim()));
    Line::from(spans)
}

/// What the A column's marks mean, for the changes this code object has,
/// and how many of A's sites B does not have.
fn compared_legend(t: Theme, c: &Comparison, code: usize) -> Line<'static> {
    let present: Vec<Change> = Change::ALL
        .into_iter()
        .filter(|change| !matches!(change, Change::Unchanged | Change::Disappeared))
        .filter(|change| {
            c.rows
                .get(code)
                .is_some_and(|rows| rows.iter().flatten().any(|r| r.change == *change))
        })
        .collect();
    let mut spans = vec![Span::styled(" A → B: ", t.dim())];
    if present.is_empty() {
        spans.push(Span::styled("no change ", t.dim()));
    }
    for change in present {
        spans.push(Span::styled(
            diff_symbol(change),
            t.compared(change_tone(change)),
        ));
        spans.push(Span::styled(format!(" {} ", change_words(change)), t.dim()));
    }
    let gone = c.disappeared.get(code).copied().unwrap_or(0);
    if gone > 0 {
        spans.push(Span::styled(
            format!("· {gone} of A's sites gone "),
            t.compared(change_tone(Change::Disappeared)),
        ));
    }
    Line::from(spans)
}

struct Columns {
    base: Option<usize>,
    live: usize,
    /// A column of change marks, when there is a timeline to step through.
    changes: bool,
    /// The width of A's opname column, when comparing with snapshot A.
    against: Option<usize>,
}

impl Columns {
    /// Unless `b` said otherwise (`show_base`), the base column is left
    /// out when the pane is too narrow for it and a useful part of the
    /// argrepr; the title then says so, and the detail pane still names
    /// the base.
    fn of(
        widths: OpnameWidths,
        show_base: Option<bool>,
        changes: bool,
        comparing: bool,
        width: usize,
    ) -> Columns {
        const FIXED: usize = 1 + 5 + 3 + 5 + 2 + 7 + 12;
        let live = widths.live.max(5);
        let base = widths.base.max(4);
        let against = comparing.then_some(widths.against.max(1));
        let against_width = against.map_or(0, |w| w + 4);
        let fits = FIXED + usize::from(changes) + against_width + live + base + 2 <= width;
        Columns {
            base: show_base.unwrap_or(fits).then_some(base),
            live,
            changes,
            against,
        }
    }
}

/// `change` is `Some` when the timeline is on: what changed since the step
/// before, if anything.
fn instruction_row(
    t: Theme,
    columns: &Columns,
    ins: &Instruction,
    change: Option<Option<Transition>>,
    against: Option<Option<&RowDiff>>,
) -> Line<'static> {
    let mark = Mark::of(ins);
    let line = match ins.line {
        Some(l) if ins.starts_line => l.to_string(),
        _ => String::new(),
    };
    let target = if ins.is_jump_target { ">>" } else { "  " };
    let mut spans = vec![Span::styled(mark.symbol().to_string(), t.mark(mark))];
    match change {
        Some(Some(transition)) => spans.push(Span::styled(
            change_symbol(transition),
            t.change(transition),
        )),
        Some(None) => spans.push(Span::raw(" ")),
        None => {}
    }
    spans.extend([
        Span::styled(format!("{line:>5}"), t.line_number(false)),
        Span::styled(format!(" {target}"), t.jump()),
        Span::raw(format!("{:>5}  ", ins.offset)),
    ]);
    if let Some(width) = columns.base {
        spans.push(Span::styled(
            format!("{:<width$}  ", sanitize_line(&ins.base_opname)),
            t.base_opcode(),
        ));
    }
    if let (Some(width), Some(row)) = (columns.against, against) {
        // A's opname, then the change's mark, then B's live opname.
        let (text, symbol, style) = match row {
            Some(r) => (
                r.a.clone().unwrap_or_else(|| "·".into()),
                diff_symbol(r.change),
                if r.change == Change::Unchanged {
                    t.dim()
                } else {
                    t.compared(change_tone(r.change))
                },
            ),
            None => (String::new(), " ", t.dim()),
        };
        spans.push(Span::styled(
            format!("{:<width$}", clip(&text, width)),
            style,
        ));
        spans.push(Span::styled(format!(" {symbol}  "), style));
    }
    let live = columns.live;
    spans.push(Span::styled(
        format!("{:<live$}", sanitize_line(&ins.opname)),
        t.opcode(mark, ins.changed()),
    ));
    let arg = ins.arg.map(|a| a.to_string()).unwrap_or_default();
    spans.push(Span::raw(format!(" {arg:>4}  ")));
    let argrepr = clip(&sanitize_line(&ins.argrepr), 60);
    if ins.jump_target.is_some() {
        spans.push(Span::styled("→ ", t.jump()));
    }
    spans.push(Span::raw(argrepr));
    Line::from(spans)
}

fn cache_row(
    t: Theme,
    columns: &Columns,
    ins: &Instruction,
    entry: usize,
    unit: u32,
) -> Line<'static> {
    let cache = &ins.caches[entry];
    let offset = cache.offset + unit * 2;
    let mark_width = 1 + usize::from(columns.changes);
    let mut spans = vec![Span::raw(format!(
        "{:>mark_width$}{:>5} {:>2}{offset:>5}  ",
        "", "", ""
    ))];
    if let Some(width) = columns.base {
        spans.push(Span::raw(" ".repeat(width + 2)));
    }
    if let Some(width) = columns.against {
        spans.push(Span::raw(" ".repeat(width + 4)));
    }
    let live = columns.live;
    let value = if unit > 0 {
        String::new()
    } else {
        match (&ins.counter, entry) {
            (Some(counter), 0) => format!(
                "{}: {} ({})",
                cache.name,
                cache.value,
                counter_short(counter)
            ),
            _ => format!("{}: {}", cache.name, cache.value),
        }
    };
    spans.push(Span::raw(format!("{:<live$}    0  {value}", "CACHE")));
    Line::from(spans).style(t.cache_row())
}
