//! The program's captured output and traceback.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::pane_block;
use crate::views::tui::app::{App, Pane, Viewport};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let title = if app.snapshot.run.exception.is_some() {
        " Program output · traceback "
    } else {
        " Program output "
    };
    let block = pane_block(app, Pane::Output, title);
    let inner = block.inner(area);
    block.render(area, buf);
    let max = app
        .output_lines
        .len()
        .saturating_sub(usize::from(inner.height));
    let offset = app.output_scroll.min(max);
    app.viewports.output.set(Viewport {
        area: inner,
        offset,
    });
    let in_traceback = |l: &str| l.starts_with("Traceback") || l.starts_with("  ");
    let lines: Vec<Line> = app
        .output_lines
        .iter()
        .skip(offset)
        .take(usize::from(inner.height))
        .map(|l| {
            let style = if app.snapshot.run.exception.is_some() && in_traceback(l) {
                t.dim()
            } else {
                t.text()
            };
            Line::styled(l.as_str(), style)
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
