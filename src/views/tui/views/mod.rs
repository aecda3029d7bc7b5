//! Drawing: one function per thing a person sees. Everything here reads the
//! [`App`]; the only state it writes is where each pane was drawn
//! ([`Viewport`]), so clicks and paging know the geometry.

mod bytecode;
mod detail;
mod explain;
mod help;
mod map;
mod navigator;
mod output;
mod source;
mod summary;

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget, Wrap};

use super::app::{App, Mode, Pane, Viewport};
use super::keys::{Action, KEYS};
use crate::analysis::timeline::Transition;
use crate::present::text::{display_width, sanitize_line};
use crate::present::words::{Ending, warmup_line};

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
        if self.map.shown {
            map::render_files(self, left, buf);
        } else {
            navigator::render(self, left, buf);
        }

        if self.summary.shown || self.map.shown {
            for pane in [
                &self.viewports.source,
                &self.viewports.bytecode,
                &self.viewports.detail,
                &self.viewports.explain,
                &self.viewports.output,
            ] {
                pane.set(Viewport::default());
            }
            if self.map.shown {
                self.viewports.summary.set(Viewport::default());
                map::render(self, right, buf);
            } else {
                self.viewports.map.set(Viewport::default());
                summary::render(self, right, buf);
            }
        } else if self.show_explain {
            self.viewports.summary.set(Viewport::default());
            self.viewports.map.set(Viewport::default());
            self.render_explaining(right, buf);
        } else {
            self.viewports.summary.set(Viewport::default());
            self.viewports.map.set(Viewport::default());
            self.render_browsing(right, buf);
        }
        if self.mode == Mode::Help {
            help::render(self, area, buf);
        }
    }
}

impl App {
    /// Source, bytecode, and the detail (or output) below.
    fn render_browsing(&self, right: Rect, buf: &mut Buffer) {
        self.viewports.explain.set(Viewport::default());
        let detail_height = if right.height >= 34 { 11 } else { 7 };
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
    }

    /// The explanation takes the detail pane's place, and on a short
    /// terminal the source pane's too, so that it has room to be read.
    fn render_explaining(&self, right: Rect, buf: &mut Buffer) {
        let (bytecode, bottom) = if right.height >= 34 {
            let [source, bytecode, bottom] = Layout::vertical([
                Constraint::Percentage(28),
                Constraint::Fill(1),
                Constraint::Percentage(46),
            ])
            .areas(right);
            source::render(self, source, buf);
            (bytecode, bottom)
        } else {
            self.viewports.source.set(Viewport::default());
            let [bytecode, bottom] =
                Layout::vertical([Constraint::Length(9), Constraint::Fill(1)]).areas(right);
            (bytecode, bottom)
        };
        bytecode::render(self, bytecode, buf);
        if self.show_output && bottom.width >= 90 {
            let [e, o] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Fill(1)]).areas(bottom);
            explain::render(self, e, buf);
            output::render(self, o, buf);
        } else {
            self.viewports.output.set(Viewport::default());
            explain::render(self, bottom, buf);
        }
    }

    fn render_status(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = &self.snapshot;
        let mut spans = vec![Span::styled(" specscope ", t.label())];
        // On a timeline the step leads: it is what changes as one steps.
        let step = self.moment_label();
        if let Some(label) = &step {
            spans.push(Span::raw("· "));
            spans.push(Span::styled(label.clone(), t.label()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw(format!("· Python {} · ", s.python.version)));
        spans.push(Span::raw(
            sanitize_line(crate::present::text::shown_path(&s.target.filename)).into_owned(),
        ));
        if step.is_none() {
            spans.push(Span::raw(format!(" · {}", warmup_line(s))));
        }
        if let Some(c) = self.comparison() {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!(
                    "against {} (Python {}): {}",
                    sanitize_line(&c.name),
                    c.python,
                    c.totals
                ),
                t.label(),
            ));
            if c.only_in_a > 0 {
                spans.push(Span::raw(format!(
                    ", {} code objects only in {}",
                    c.only_in_a,
                    sanitize_line(&c.name)
                )));
            }
        }
        for (ending, sentence) in crate::present::words::endings(s) {
            spans.push(Span::raw(" · "));
            let style = match ending {
                Ending::Exit => t.text(),
                Ending::Exception | Ending::CollectionBroken | Ending::Stopped => t.error(),
            };
            spans.push(Span::styled(sentence, style));
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
                    let stepping = |a: Action| matches!(a, Action::PrevStep | Action::NextStep);
                    let hints: Vec<(String, &str)> = KEYS
                        .iter()
                        .filter(|b| !stepping(b.action) || !self.snapshot.timeline.is_empty())
                        .filter_map(|b| Some((b.keys[0].label(), b.hint?)))
                        .collect();
                    // The last hints (help, quit) always show; others as
                    // many as fit before them.
                    let cost = |(k, h): &(String, &str)| display_width(k) + display_width(h) + 3;
                    let kept = 2.min(hints.len());
                    let mut room = usize::from(area.width).saturating_sub(
                        1 + hints[hints.len() - kept..].iter().map(cost).sum::<usize>(),
                    );
                    let mut spans = vec![Span::raw(" ")];
                    for (i, hint) in hints.iter().enumerate() {
                        let last = i >= hints.len() - kept;
                        if !last {
                            if cost(hint) > room {
                                continue;
                            }
                            room -= cost(hint);
                        }
                        spans.push(Span::styled(hint.0.clone(), t.key()));
                        spans.push(Span::styled(format!(" {}  ", hint.1), t.dim()));
                    }
                    Line::from(spans)
                }
            },
        };
        Paragraph::new(line).render(area, buf);
    }
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
/// A pane's frame; the focused pane's is drawn with heavy lines, so that it
/// shows without colour too.
fn pane_block<'a>(app: &App, pane: Pane, title: impl Into<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
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

/// The mark the bytecode pane puts beside an instruction that changed since
/// the step before.
pub(crate) fn change_symbol(transition: Transition) -> &'static str {
    match transition {
        Transition::Quickened => "△",
        Transition::Specialized => "▲",
        Transition::Deoptimized => "▼",
        Transition::Respecialized => "◆",
        Transition::CacheChanged => "•",
    }
}

/// Every transition, in the order help lists them.
pub(crate) const TRANSITIONS: [Transition; 5] = [
    Transition::Specialized,
    Transition::Deoptimized,
    Transition::Respecialized,
    Transition::Quickened,
    Transition::CacheChanged,
];
