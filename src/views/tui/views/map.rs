//! The map: a whole source file, every stretch the interpreter could
//! specialize coloured by how it ended (specialized, backing off, given
//! up, warming), lines that never ran dimmed; and, in the navigator's
//! place, the files with their totals.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{pane_block, scroll_with_margin};
use crate::analysis::heat::Span as Stretch;
use crate::analysis::marks::Mark;
use crate::analysis::summary::{SiteState, StateCounts};
use crate::present::text::{clip, display_width, sanitize_line};
use crate::present::words::{counter_short, site_state_words};
use crate::views::tui::app::{App, Pane, Viewport};

/// The file list, in the navigator's place.
pub fn render_files(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let block = pane_block(app, Pane::Navigator, " Files ");
    let inner = block.inner(area);
    block.render(area, buf);
    app.viewports.navigator.set(Viewport {
        area: inner,
        offset: 0,
    });
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    for (i, file) in app.heat().files.iter().enumerate() {
        let name = clip(
            &sanitize_line(crate::present::text::shown_path(&file.filename)),
            width,
        );
        let mut line = Line::styled(name, t.text());
        if i == app.map.file {
            line = line.patch_style(t.selection(app.focus() == Pane::Navigator));
        }
        lines.push(line);
        lines.push(totals_line(app, &file.totals));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// `12+ 3! 1~`: a file's sites per state, in the marks' colours.
fn totals_line(app: &App, counts: &StateCounts) -> Line<'static> {
    let t = app.theme;
    let mut spans = vec![Span::raw("  ")];
    for state in SiteState::ALL {
        let n = counts.get(state);
        if n == 0 {
            continue;
        }
        let (symbol, style) = match state {
            SiteState::NeverRan => ("·", t.never_ran()),
            _ => (mark(state).symbol(), t.mark(mark(state))),
        };
        spans.push(Span::styled(format!("{n}{symbol} "), style));
    }
    Line::from(spans)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let Some(file) = app.map_file() else {
        let block = pane_block(app, Pane::Map, " Map ");
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new("no code with a source file to map")
            .style(t.dim())
            .render(inner, buf);
        return;
    };
    let counts = &file.totals;
    let title = format!(
        " Map · {} · {} ",
        sanitize_line(crate::present::text::shown_path(&file.filename)),
        SiteState::ALL
            .iter()
            .filter(|s| counts.get(**s) > 0)
            .map(|s| format!("{} {}", counts.get(*s), site_state_words(*s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let selected = file.spans.get(app.map.span);
    let footer = selected.map(|s| stretch_words(app, s)).unwrap_or_default();
    let block = pane_block(app, Pane::Map, title).title_bottom(Line::from(footer));
    let inner = block.inner(area);
    block.render(area, buf);
    let source = app
        .snapshot()
        .files
        .get(&file.filename)
        .filter(|_| file.source_kept);
    let Some(source) = source else {
        Paragraph::new("(source not kept)")
            .style(t.dim())
            .render(inner, buf);
        return;
    };
    let lines: Vec<&str> = source.lines().collect();
    let cursor = selected.map_or(0, |s| s.start.line.saturating_sub(1) as usize);
    let offset = scroll_with_margin(&app.viewports.map, inner, cursor, lines.len(), 3);
    app.viewports.map.set(Viewport {
        area: inner,
        offset,
    });
    let digits = lines.len().max(1).to_string().len();
    let width = usize::from(inner.width).saturating_sub(digits + 1);
    let shown: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(inner.height))
        .map(|(i, text)| {
            let number = i as u32 + 1;
            let mut spans = vec![Span::styled(
                format!("{number:>digits$} "),
                t.line_number(false),
            )];
            if file.never_ran.contains(&number) {
                spans.push(Span::styled(
                    clip(&sanitize_line(text), width),
                    t.never_ran(),
                ));
                return Line::from(spans);
            }
            spans.extend(coloured(
                app,
                text,
                number,
                file.spans_on(number),
                selected,
                width,
            ));
            Line::from(spans)
        })
        .collect();
    Paragraph::new(shown).render(inner, buf);
}

/// Line `number`'s text cut at the stretches on it, each piece in its
/// state's colour; the selected stretch also underlined.
fn coloured(
    app: &App,
    text: &str,
    number: u32,
    stretches: &[Stretch],
    selected: Option<&Stretch>,
    width: usize,
) -> Vec<Span<'static>> {
    let t = app.theme;
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut used = 0usize;
    let mut push = |piece: &str, style, out: &mut Vec<Span<'static>>| {
        let shown = sanitize_line(piece).into_owned();
        let room = width.saturating_sub(used);
        let shown = if display_width(&shown) > room {
            clip(&shown, room)
        } else {
            shown
        };
        used += display_width(&shown);
        if !shown.is_empty() {
            out.push(Span::styled(shown, style));
        }
    };
    let boundary = |mut b: usize| {
        b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    for stretch in stretches {
        let from = if stretch.start.line == number {
            boundary(stretch.start.col as usize)
        } else {
            0
        };
        let to = if stretch.end.line == number {
            boundary(stretch.end.col as usize)
        } else {
            text.len()
        };
        if from < at || to <= from {
            continue;
        }
        push(&text[at..from], t.text(), &mut out);
        let mut style = match stretch.state {
            SiteState::NeverRan => t.never_ran(),
            state => t.mark(mark(state)),
        };
        if selected == Some(stretch) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        push(&text[from..to], style, &mut out);
        at = to;
    }
    push(&text[at..], t.text(), &mut out);
    out
}

/// The selected stretch in words: its innermost instruction and how it
/// ended.
fn stretch_words(app: &App, stretch: &Stretch) -> String {
    let Some(site) = crate::views::tui::app::map::telling_site(stretch) else {
        return String::new();
    };
    let code = &app.snapshot().code_objects[site.code];
    let ins = &code.instructions[site.instruction];
    // The counter's words say the state when there is a counter.
    let how = match &ins.counter {
        Some(counter) => counter_short(counter),
        None => site_state_words(stretch.state).to_string(),
    };
    format!(
        " line {} · {} · {how} · in {} · Enter opens ",
        stretch.start.line,
        sanitize_line(&ins.opname),
        sanitize_line(&code.qualname)
    )
}

/// The instruction mark whose style a state borrows.
fn mark(state: SiteState) -> Mark {
    match state {
        SiteState::Specialized => Mark::Specialized,
        SiteState::BackingOff => Mark::BackingOff,
        SiteState::GivenUp => Mark::GivenUp,
        SiteState::Warming => Mark::Warming,
        SiteState::NeverRan => Mark::NoCache,
    }
}
