//! The selected instruction in full: its state, each inline-cache field and
//! the counter in words.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{change_symbol, pane_block};
use crate::analysis::marks::Mark;
use crate::model::{CacheEntry, Instruction};
use crate::present::text::sanitize_line;
use crate::present::words::counter_short;
use crate::views::tui::app::{App, Pane, Viewport};
use crate::views::tui::theme::Theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let Some(ins) = app.selected_instruction() else {
        let block = pane_block(app, Pane::Detail, " Detail ");
        let inner = block.inner(area);
        block.render(area, buf);
        app.viewports.detail_lines.set(0);
        app.viewports.detail.set(Viewport {
            area: inner,
            offset: 0,
        });
        Paragraph::new("no instruction selected")
            .style(t.dim())
            .render(inner, buf);
        return;
    };
    let mark = Mark::of(ins);
    let mut lines = Vec::new();

    let mut head = vec![
        Span::styled(format!("{} ", mark.symbol()), t.mark(mark)),
        Span::styled(
            sanitize_line(&ins.opname).into_owned(),
            t.opcode(mark, ins.changed()),
        ),
    ];
    if ins.changed() {
        head.push(Span::styled(
            format!(" ← {}", sanitize_line(&ins.base_opname)),
            t.base_opcode(),
        ));
    }
    head.push(Span::styled(
        format!("  {}", crate::present::words::mark_words(mark)),
        t.mark(mark),
    ));
    lines.push(Line::from(head));

    let mut place = vec![format!("offset {}", ins.offset)];
    if let Some(p) = ins.positions {
        place.push(positions_text(&p));
    }
    if let Some(arg) = ins.arg {
        place.push(format!("arg {arg}"));
    }
    if !ins.argrepr.is_empty() {
        place.push(format!("({})", sanitize_line(&ins.argrepr)));
    }
    let mut second = vec![Span::raw(place.join(" · "))];
    if let Some(target) = ins.jump_target {
        second.push(Span::styled(
            format!(" · jumps to {target} (Enter follows)"),
            t.jump(),
        ));
    } else if app.nested_code(ins).is_some() {
        second.push(Span::styled(" · a code object (Enter opens it)", t.jump()));
    }
    lines.push(Line::from(second));

    if let Some(line) = change_line(app) {
        lines.push(line);
    }

    if let Some(counter) = &ins.counter {
        lines.push(Line::from(vec![
            Span::styled("counter: ", t.label()),
            Span::raw(format!(
                "{} — {}",
                counter_short(counter),
                sanitize_line(&counter.meaning)
            )),
        ]));
    }
    if let Some(evidence) = &ins.evidence {
        lines.push(Line::from(vec![
            Span::styled("why: ", t.label()),
            Span::raw(sanitize_line(&evidence.reason).into_owned()),
        ]));
        lines.push(Line::from(vec![
            Span::styled("seen: ", t.label()),
            Span::raw(
                sanitize_line(&crate::present::why::observed_words(ins, evidence)).into_owned(),
            ),
        ]));
    }
    if ins.caches.is_empty() {
        lines.push(Line::styled("no inline cache", t.dim()));
    } else {
        let name_width = ins
            .caches
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(4)
            .max(5);
        lines.push(Line::styled(
            format!("{:<name_width$}  size  {:>10}  refers to", "cache", "value"),
            t.label(),
        ));
        for (i, cache) in ins.caches.iter().enumerate() {
            lines.push(cache_line(t, ins, i, cache, name_width));
        }
    }
    // What does not fit scrolls (Tab to the pane, then the arrows); the
    // title says which lines are in view.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = usize::from(area.height.saturating_sub(2));
    let count = paragraph.line_count(area.width.saturating_sub(2));
    let offset = app.detail_scroll.min(count.saturating_sub(height));
    let mut title = String::from(" Detail ");
    if count > height {
        let last = (offset + height).min(count);
        title.push_str(&format!("· lines {}–{last} of {count} ", offset + 1));
    }
    let block = pane_block(app, Pane::Detail, title);
    let inner = block.inner(area);
    block.render(area, buf);
    app.viewports.detail_lines.set(count);
    app.viewports.detail.set(Viewport {
        area: inner,
        offset,
    });
    paragraph
        .scroll((u16::try_from(offset).unwrap_or(u16::MAX), 0))
        .render(inner, buf);
}

fn positions_text(p: &crate::model::Positions) -> String {
    let col = |c: Option<u32>| c.map_or("?".to_string(), |c| c.to_string());
    match (p.line, p.end_line) {
        (Some(l), Some(e)) if l == e => format!("line {l} col {}–{}", col(p.col), col(p.end_col)),
        (Some(l), Some(e)) => format!("lines {l}:{}–{e}:{}", col(p.col), col(p.end_col)),
        (Some(l), None) => format!("line {l}"),
        _ => "no position".to_string(),
    }
}

fn cache_line(
    t: Theme,
    ins: &Instruction,
    index: usize,
    cache: &CacheEntry,
    name_width: usize,
) -> Line<'static> {
    let head = format!(
        "{:<name_width$}  {:>4}  {:>10}  ",
        sanitize_line(&cache.name),
        cache.size,
        cache.value
    );
    // The counter's meaning in words is on the counter line above; its row
    // says it in short.
    let meaning = match (&ins.counter, index) {
        (Some(counter), 0) => Span::raw(counter_short(counter)),
        _ => match &cache.meaning {
            Some(meaning) => Span::raw(sanitize_line(meaning).into_owned()),
            None => Span::styled("—", t.dim()),
        },
    };
    Line::from(vec![Span::raw(head), meaning])
}

/// What changed at this instruction since the step before the one on screen.
fn change_line(app: &App) -> Option<Line<'static>> {
    let t = app.theme;
    if app.snapshot.timeline.is_empty() {
        return None;
    }
    let (at, _) = app.moment();
    if at == 0 {
        return Some(Line::styled(
            "first step of the timeline: nothing before it to compare with",
            t.dim(),
        ));
    }
    let since = format!("since step {at}: ");
    Some(match app.change_of(app.selected) {
        Some((transition, text)) => Line::from(vec![
            Span::styled(since, t.label()),
            Span::styled(
                format!("{} {} ", change_symbol(transition), transition.word()),
                t.change(transition),
            ),
            Span::raw(sanitize_line(&text).into_owned()),
        ]),
        None => Line::from(vec![
            Span::styled(since, t.label()),
            Span::styled("unchanged", t.dim()),
        ]),
    })
}
