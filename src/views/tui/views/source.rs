//! The source file of the current code object: highlighted, numbered, a
//! gutter mark per line, and the selected instruction's co_positions span.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{pane_block, scroll_with_margin};
use crate::analysis::lines::LineState;
use crate::model::Positions;
use crate::present::highlight::{HighlightedLine, SourceFile};
use crate::present::text::{display_width, sanitize};
use crate::views::tui::app::{App, Pane};
use crate::views::tui::theme::{SyntaxClass, Theme};

/// Python's tokenizer puts tab stops every 8 columns.
const TAB_WIDTH: usize = 8;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let Some(code) = app.code_object() else {
        pane_block(app, Pane::Source, " Source ").render(area, buf);
        return;
    };
    let mut title = format!(
        " Source · {} ",
        crate::present::text::sanitize_line(crate::present::text::shown_path(&code.filename))
    );
    let Some(file) = app.source_file(code) else {
        let block = pane_block(app, Pane::Source, title);
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(format!("({})", crate::present::words::SOURCE_NOT_KEPT))
            .style(t.dim())
            .render(inner, buf);
        return;
    };
    let count = file.line_count();
    let digits = count.max(1).to_string().len();
    let positions = app.selected_instruction().and_then(|i| i.positions);
    let text_width = usize::from(area.width.saturating_sub(2)).saturating_sub(digits + 2);
    let shift = positions.map_or(0, |p| columns_to_skip(&p, file, text_width));
    if shift > 0 {
        title.push_str(&format!("· from column {} ", shift + 1));
    }
    let block = pane_block(app, Pane::Source, title);
    let inner = block.inner(area);
    block.render(area, buf);
    let cursor = (app.source_line as usize).saturating_sub(1);
    let offset = scroll_with_margin(&app.viewports.source, inner, cursor, count, 3);
    let focused = app.focus == Pane::Source;
    // Only the lines in view are highlighted.
    let rendered: Vec<Line> = file
        .highlighted(offset..offset + usize::from(inner.height))
        .iter()
        .zip(offset..)
        .map(|(hl, index)| {
            let number = index as u32 + 1;
            let state = app.line_state(&code.filename, number);
            let current = index == cursor;
            let mut spans = vec![
                Span::styled(format!("{number:>digits$}"), t.line_number(current)),
                gutter_mark(t, state),
            ];
            let span = positions.and_then(|p| span_on_line(&p, number, &hl.text));
            // Cells are at least a byte wide but a character can take four
            // (tabs take more cells, not fewer): the rest of a long line is
            // not laid out.
            let upto =
                floor_char_boundary(&hl.text, (4 * (shift + text_width) + 64).min(hl.text.len()));
            spans.extend(skip_columns(source_spans(hl, upto, t, span), shift));
            let line = Line::from(spans);
            if current {
                line.patch_style(t.selection(focused))
            } else {
                line
            }
        })
        .collect();
    Paragraph::new(rendered).render(inner, buf);
}

fn gutter_mark(t: Theme, state: Option<LineState>) -> Span<'static> {
    let state = state.unwrap_or(LineState::Plain);
    let style = match state {
        LineState::Specialized => t.mark(crate::analysis::marks::Mark::Specialized),
        LineState::Warming => t.mark(crate::analysis::marks::Mark::Warming),
        LineState::BackingOff => t.mark(crate::analysis::marks::Mark::BackingOff),
        LineState::Mixed => t.mark(crate::analysis::marks::Mark::Warming),
        LineState::NeverRan | LineState::Plain => t.never_ran(),
    };
    Span::styled(format!("{} ", state.symbol()), style)
}

/// The byte range of `text` (line `line`) that a co_positions span covers.
/// Columns are UTF-8 byte offsets; a span over several lines covers the
/// first line from its column, whole middle lines (from the indentation),
/// and the last line up to its end column.
pub fn span_on_line(p: &Positions, line: u32, text: &str) -> Option<Range<usize>> {
    let first = p.line?;
    let last = p.end_line.unwrap_or(first);
    if line < first || line > last {
        return None;
    }
    let indent = text.len() - text.trim_start().len();
    let start = if line == first {
        p.col.map_or(indent, |c| c as usize)
    } else {
        indent
    };
    let end = if line == last {
        p.end_col.map_or(text.len(), |c| c as usize)
    } else {
        text.len()
    };
    let start = floor_char_boundary(text, start.min(text.len()));
    let mut end = floor_char_boundary(text, end.min(text.len()));
    if end <= start {
        // An empty span still marks where it is: one character.
        end = text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
    }
    (end > start).then_some(start..end)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The line's text up to byte `upto`, cut at token and span boundaries,
/// each piece styled, control characters made visible and tabs expanded to
/// display columns.
fn source_spans(
    hl: &HighlightedLine,
    upto: usize,
    t: Theme,
    span: Option<Range<usize>>,
) -> Vec<Span<'static>> {
    let text = &hl.text[..upto];
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (range, _) in &hl.tokens {
        cuts.push(range.start);
        cuts.push(range.end);
    }
    if let Some(r) = &span {
        cuts.push(r.start);
        cuts.push(r.end);
    }
    cuts.retain(|&c| c <= text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    let mut column = 0usize;
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let class = hl
            .tokens
            .iter()
            .find(|(r, _)| r.start <= a && b <= r.end)
            .map_or(SyntaxClass::Plain, |(_, c)| *c);
        let mut style: Style = t.syntax(class);
        if span.as_ref().is_some_and(|r| r.start <= a && b <= r.end) {
            style = style.patch(t.span());
        }
        let piece = expand_tabs(&sanitize(&text[a..b]), &mut column);
        out.push(Span::styled(piece, style));
    }
    out
}

/// How many display columns to scroll right so that the selected span,
/// far out on a long line, is on screen; 0 when it already is.
fn columns_to_skip(p: &Positions, file: SourceFile, width: usize) -> usize {
    let Some(first) = p.line.filter(|l| *l > 0) else {
        return 0;
    };
    let Some(text) = file.line(first as usize - 1) else {
        return 0;
    };
    let Some(span) = span_on_line(p, first, text) else {
        return 0;
    };
    // Display columns of the span, as drawn: tabs expanded, control
    // characters made visible.
    let mut column = 0;
    let start = expand_tabs(&sanitize(&text[..span.start]), &mut column);
    let start = display_width(&start);
    let mut end = column;
    expand_tabs(&sanitize(&text[span.clone()]), &mut end);
    if end <= width {
        return 0;
    }
    // Show the whole span if it fits, else from its start.
    (end - width).min(start)
}

/// Drops the first `n` display columns of a line; a wide character cut in
/// half leaves a space so that what follows stays in its column.
fn skip_columns(spans: Vec<Span<'static>>, n: usize) -> Vec<Span<'static>> {
    if n == 0 {
        return spans;
    }
    let mut skipped = 0;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        if skipped >= n {
            out.push(span);
            continue;
        }
        let mut kept = String::new();
        for c in span.content.chars() {
            let w = display_width(c.encode_utf8(&mut [0; 4]));
            if skipped < n || (w == 0 && kept.is_empty() && skipped == n && out.is_empty()) {
                skipped += w;
                if skipped > n {
                    kept.extend(std::iter::repeat_n(' ', skipped - n));
                    skipped = n;
                }
                continue;
            }
            kept.push(c);
        }
        if !kept.is_empty() {
            out.push(Span::styled(kept, span.style));
        }
    }
    out
}

fn expand_tabs(text: &str, column: &mut usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('\t').enumerate() {
        if i > 0 {
            let n = TAB_WIDTH - *column % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', n));
            *column += n;
        }
        out.push_str(part);
        *column += Span::raw(part).width();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, end_line: u32, col: u32, end_col: u32) -> Positions {
        Positions {
            line: Some(line),
            end_line: Some(end_line),
            col: Some(col),
            end_col: Some(end_col),
        }
    }

    #[test]
    fn span_columns_are_bytes_not_chars() {
        // `é` is two bytes: co_positions counts `x` at byte 8, not char 7.
        let text = "s = 'é'; x + 1";
        let r = span_on_line(&pos(1, 1, 10, 15), 1, text).unwrap();
        assert_eq!(&text[r], "x + 1");
    }

    #[test]
    fn multi_line_span_covers_middle_lines_from_indent() {
        let p = pos(1, 3, 4, 7);
        assert_eq!(span_on_line(&p, 1, "x = (a +"), Some(4..8));
        assert_eq!(span_on_line(&p, 2, "     b +"), Some(5..8));
        assert_eq!(span_on_line(&p, 3, "     c)"), Some(5..7));
        assert_eq!(span_on_line(&p, 4, "y"), None);
    }

    #[test]
    fn tabs_expand_to_tab_stops_and_wide_chars_count_double() {
        let mut column = 0;
        assert_eq!(expand_tabs("a\tb", &mut column), "a       b");
        assert_eq!(column, 9);
        let mut column = 0;
        assert_eq!(expand_tabs("表\tx", &mut column), "表      x");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let hl = HighlightedLine {
            text: "x = '\x1b[31m'".into(),
            tokens: vec![],
        };
        let text: String = source_spans(&hl, hl.text.len(), Theme::mono(), None)
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(!text.contains('\x1b'));
        assert!(text.contains("^["));
    }
}
