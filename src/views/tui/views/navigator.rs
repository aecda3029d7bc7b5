//! The code-object navigator: module → class → function, nested code
//! indented under its parent, each with its specialized share.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{pane_block, scroll_into_view};
use crate::analysis::summary::Only;
use crate::model::CodeKind;
use crate::present::text::sanitize_line;
use crate::present::text::{clip, display_width};
use crate::views::tui::app::{App, Order, Pane};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let (only, order) = app.navigator_view();
    // The pane is narrow: a filter or an order shortens the title.
    let mut parts: Vec<&str> = only.map(only_words).into_iter().collect();
    match order {
        Order::Source => {}
        Order::Hottest => parts.push("hottest"),
        Order::Failing => parts.push("by failures"),
    }
    let title = if parts.is_empty() {
        " Code objects ".to_string()
    } else {
        format!(" Code · {} ", parts.join(" · "))
    };
    let block = pane_block(app, Pane::Navigator, title);
    let inner = block.inner(area);
    block.render(area, buf);
    if app.tree.is_empty() {
        Paragraph::new("nothing passes the filter (f changes it)")
            .style(t.dim())
            .render(inner, buf);
        return;
    }
    let selected = app.navigator_selected();
    let offset = scroll_into_view(
        &app.viewports.navigator,
        inner,
        selected.unwrap_or(0),
        app.tree.len(),
    );
    let width = usize::from(inner.width);
    let lines: Vec<Line> = app
        .tree
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(inner.height))
        .map(|(row, entry)| {
            let code = &app.snapshot.code_objects[entry.code];
            let ran = app.code_at(entry.code).is_some_and(|c| c.ran);
            let (specialized, specializable) = app.share(entry.code);
            let share = format!("{specialized}/{specializable}");
            let name = match code.kind {
                CodeKind::Module => {
                    sanitize_line(crate::present::text::shown_path(&code.filename)).into_owned()
                }
                // Chosen without its parent (`-f 'P.*'`, a dataclass's
                // `__init__`), or in a flat order: the name alone would not
                // say whose it is. Lambdas and comprehensions share their
                // names: the line tells them apart.
                _ => {
                    let name = if entry.depth == 0 {
                        &code.qualname
                    } else {
                        &code.name
                    };
                    if code.name.starts_with('<') {
                        format!("{}:{}", sanitize_line(name), code.first_line)
                    } else {
                        sanitize_line(name).into_owned()
                    }
                }
            };
            let indent = "  ".repeat(entry.depth.min(6));
            let room = width.saturating_sub(indent.len() + share.len() + 1);
            let name = clip(&name, room);
            let pad = width.saturating_sub(indent.len() + display_width(&name) + share.len());
            let base = if ran { t.text() } else { t.never_ran() };
            let share_style = if specialized > 0 {
                t.mark(crate::analysis::marks::Mark::Specialized)
            } else {
                t.dim()
            };
            let mut line = Line::from(vec![
                Span::raw(indent),
                Span::styled(name, base),
                Span::raw(" ".repeat(pad)),
                Span::styled(share, if ran { share_style } else { t.never_ran() }),
            ]);
            if Some(row) == selected {
                line = line.patch_style(t.selection(app.focus == Pane::Navigator));
            }
            line
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

/// The navigator's filter, as its title says it.
fn only_words(only: Only) -> &'static str {
    match only {
        Only::Ran => "ran",
        Only::Failing => "failing",
        Only::Specialized => "specialized",
    }
}
