//! Drawing: one function per thing a person sees. Everything here reads the
//! [`App`]; the only state it writes is where each pane was drawn
//! ([`Viewport`]), so clicks and paging know the geometry.

mod bytecode;
mod detail;
mod help;
mod navigator;
mod output;
mod source;

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::app::{App, Mode, Pane, Viewport};
use super::keys::KEYS;
use crate::dump::table::warmup_line;
use crate::text::sanitize_line;

/// The smallest terminal the explorer lays itself out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            render_too_small(self, area, buf);
            return;
        }
        let [status, body, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_status(status, buf);
        self.render_hints(hints, buf);

        let nav_width = (area.width / 4).clamp(22, 34);
        let [left, right] =
            Layout::horizontal([Constraint::Length(nav_width), Constraint::Fill(1)]).areas(body);
        navigator::render(self, left, buf);

        let detail_height = if body.height >= 34 { 11 } else { 7 };
        let [source, bytecode, bottom] = Layout::vertical([
            Constraint::Percentage(36),
            Constraint::Fill(1),
            Constraint::Length(detail_height),
        ])
        .areas(right);
        source::render(self, source, buf);
        bytecode::render(self, bytecode, buf);
        if self.show_output {
            if bottom.width >= 90 {
                let [d, o] = Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)])
                    .areas(bottom);
                detail::render(self, d, buf);
                output::render(self, o, buf);
            } else {
                output::render(self, bottom, buf);
            }
        } else {
            self.viewports.output.set(Viewport::default());
            detail::render(self, bottom, buf);
        }
        if self.mode == Mode::Help {
            help::render(self, area, buf);
        }
    }
}

impl App {
    fn render_status(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = &self.snapshot;
        let mut spans = vec![
            Span::styled(" specscope ", t.label()),
            Span::raw(format!("· Python {} · ", s.python.version)),
            Span::raw(sanitize_line(&s.target.filename).into_owned()),
            Span::raw(format!(" · {}", warmup_line(s))),
        ];
        if let Some(exc) = &s.run.exception {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!(
                    "{} raised {}",
                    phase(&exc.phase),
                    sanitize_line(&exc.type_name)
                ),
                t.error(),
            ));
        }
        if let Some(exit) = &s.run.exit {
            spans.push(Span::raw(format!(
                " · {} exit({})",
                phase(&exit.phase),
                exit.status
            )));
        }
        if let Some(stopped) = &s.run.stopped {
            spans.push(Span::styled(
                format!(
                    " · {} stopped the {}",
                    sanitize_line(&stopped.reason),
                    phase(&stopped.phase)
                ),
                t.error(),
            ));
        }
        Paragraph::new(Line::from(spans))
            .style(t.status_bar())
            .render(area, buf);
    }

    fn render_hints(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let line = match &self.mode {
            Mode::Search(query) => Line::from(vec![
                Span::styled(" /", t.key()),
                Span::raw(sanitize_line(query).into_owned()),
                Span::styled("█", t.text()),
                Span::styled("   Enter search · Esc cancel", t.dim()),
            ]),
            _ => match &self.message {
                Some(message) => Line::from(Span::styled(format!(" {message}"), t.error())),
                None => {
                    let mut spans = vec![Span::raw(" ")];
                    for binding in KEYS {
                        if let Some(hint) = binding.hint {
                            spans.push(Span::styled(binding.keys[0].label(), t.key()));
                            spans.push(Span::styled(format!(" {hint}  "), t.dim()));
                        }
                    }
                    Line::from(spans)
                }
            },
        };
        Paragraph::new(line).render(area, buf);
    }
}

fn phase(phase: &str) -> &'static str {
    if phase == "call" { "--call" } else { "program" }
}

fn render_too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let text = format!(
        "specscope needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}. \
         Enlarge the window, or press q to quit.",
        area.width, area.height
    );
    Paragraph::new(text)
        .style(app.theme.label())
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// A bordered pane whose title and border show whether it has focus.
fn pane_block<'a>(app: &App, pane: Pane, title: impl Into<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(focused))
        .title(title.into().style(app.theme.title(focused)))
}

/// Keeps `cursor` visible in a pane `height` rows high, scrolling as little as
/// possible from where the pane was last drawn; records the geometry.
fn scroll_into_view(vp: &Cell<Viewport>, area: Rect, cursor: usize, len: usize) -> usize {
    scroll_with_margin(vp, area, cursor, len, 0)
}

/// As [`scroll_into_view`], keeping `margin` rows of context around the cursor
/// when the pane is tall enough.
fn scroll_with_margin(
    vp: &Cell<Viewport>,
    area: Rect,
    cursor: usize,
    len: usize,
    margin: usize,
) -> usize {
    let height = usize::from(area.height).max(1);
    let margin = margin.min(height.saturating_sub(1) / 2);
    let mut offset = vp.get().offset;
    if cursor < offset + margin {
        offset = cursor.saturating_sub(margin);
    } else if cursor + margin >= offset + height {
        offset = cursor + margin + 1 - height;
    }
    offset = offset.min(len.saturating_sub(height));
    vp.set(Viewport { area, offset });
    offset
}

/// Cuts `text` to `width` characters, ending in `…` when it was longer.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}
