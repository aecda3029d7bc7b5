//! The help overlay, generated from the key table that dispatches keys.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::{TRANSITIONS, change_symbol};
use crate::views::tui::app::App;
use crate::views::tui::keys::KEYS;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let key_width = KEYS
        .iter()
        .map(|b| b.keys_label().chars().count())
        .max()
        .unwrap_or(8);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<key_width$}  ", b.keys_label()), t.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    let mut marks = vec![Span::styled(" bytecode  ", t.label())];
    for mark in crate::analysis::marks::legend_marks(&app.snapshot().code_objects) {
        marks.push(Span::styled(mark.symbol(), t.mark(mark)));
        marks.push(Span::raw(format!(
            " {}  ",
            crate::present::words::mark_words(mark)
        )));
    }
    lines.push(Line::from(marks));
    let mut gutter = vec![Span::styled(" source    ", t.label())];
    for state in crate::analysis::lines::GUTTER_ONLY {
        gutter.push(Span::styled(state.symbol(), t.label()));
        gutter.push(Span::raw(format!(
            " {}  ",
            crate::present::words::line_words(state)
        )));
    }
    lines.push(Line::from(gutter));
    let mut changes = vec![Span::styled(" steps     ", t.label())];
    for transition in TRANSITIONS {
        changes.push(Span::styled(
            change_symbol(transition),
            t.change(transition),
        ));
        changes.push(Span::raw(format!(" {}  ", transition.word())));
    }
    changes.push(Span::styled("since the step before", t.dim()));
    lines.push(Line::from(changes));
    lines.push(Line::styled(
        " Mouse: wheel scrolls, a click selects.   Any key closes this help.",
        t.dim(),
    ));

    let width = (lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 2).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border(true))
                .title(Line::from(" Keys ").style(t.title(true))),
        )
        .render(popup, buf);
}
