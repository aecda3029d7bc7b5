//! The explanation of the selected instruction for the Python version on
//! screen: what the form assumes, its inline cache, what its counter counts,
//! and its family with the live form marked. Scrolls when focused.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::pane_block;
use crate::analysis::marks::Mark;
use crate::explain::{Explanation, Lookup, Role};
use crate::model::Instruction;
use crate::present::text::display_width;
use crate::present::text::sanitize_line;
use crate::views::tui::app::{App, Pane, Viewport};
use crate::views::tui::theme::Theme;

/// Marks the live form among its family's members.
pub const LIVE: &str = "▸ ";

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let width = usize::from(area.width.saturating_sub(2)).max(20);
    let lines = match app.selected_instruction() {
        Some(ins) => lines_for(app, ins, width),
        None => vec![Line::styled("no instruction selected", t.dim())],
    };
    let height = usize::from(area.height.saturating_sub(2));
    let max = lines.len().saturating_sub(height);
    let offset = app.explain_scroll.min(max);
    let mut title = String::from(" Explain ");
    if lines.len() > height {
        let last = (offset + height).min(lines.len());
        title.push_str(&format!(
            "· lines {}–{last} of {} ",
            offset + 1,
            lines.len()
        ));
    }
    let block = pane_block(app, Pane::Explain, title);
    let inner = block.inner(area);
    block.render(area, buf);
    app.viewports.explain_lines.set(lines.len());
    app.viewports.explain.set(Viewport {
        area: inner,
        offset,
    });
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    Paragraph::new(shown).render(inner, buf);
}

/// The explanation as lines wrapped to `width` columns.
pub fn lines_for(app: &App, ins: &Instruction, width: usize) -> Vec<Line<'static>> {
    let t = app.theme;
    let version = app.snapshot.python.version;
    let families = &app.snapshot.python.families;
    // The linked interpreter's own families when the snapshot has them, as
    // `specscope explain` uses.
    let lookup = if families.is_empty() {
        crate::explain::lookup(&ins.opname, version)
    } else {
        crate::explain::lookup_in(&ins.opname, version, families)
    };
    let mut out = Vec::new();
    match lookup {
        Lookup::Found(explanation) => explanation_lines(t, ins, &explanation, width, &mut out),
        Lookup::OtherVersions {
            versions,
            explanation,
        } => {
            let note = format!(
                "{} is not an opname of Python {}; it exists in {}. This is its explanation for {}.",
                sanitize_line(&ins.opname),
                version.short(),
                versions.join(", "),
                explanation.version.short()
            );
            push_wrapped(&mut out, &note, width, "", t.error());
            out.push(Line::raw(""));
            explanation_lines(t, ins, &explanation, width, &mut out);
        }
        Lookup::Unknown { suggestions, .. } => {
            let mut note = format!(
                "No explanation is written for {} in Python {}.",
                sanitize_line(&ins.opname),
                version.short()
            );
            if !suggestions.is_empty() {
                note.push_str(&format!(" Close names: {}.", suggestions.join(", ")));
            }
            push_wrapped(&mut out, &note, width, "", t.dim());
        }
    }
    out
}

fn explanation_lines(
    t: Theme,
    ins: &Instruction,
    e: &Explanation,
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
    let mark = Mark::of(ins);
    let what = match (e.role, &e.family) {
        (Role::Family, _) => "the generic form of its family".to_string(),
        (Role::Adaptive, Some(f)) => format!("the adaptive form of {}", f.base),
        (Role::Specialized, Some(f)) => format!("a specialized form of {}", f.base),
        _ => "outside the specializing families".to_string(),
    };
    let what = format!("{what} · Python {}", e.version.short());
    let name = Span::styled(e.opname.clone(), t.opcode(mark, ins.changed()));
    if display_width(&e.opname) + 2 + display_width(&what) <= width {
        out.push(Line::from(vec![
            name,
            Span::styled(format!("  {what}"), t.dim()),
        ]));
    } else {
        out.push(Line::from(name));
        push_wrapped(out, &what, width, "", t.dim());
    }
    if let Some(family) = &e.family {
        out.push(Line::styled(
            format!(
                "Family {} · {} specialized form{}",
                family.base,
                family.members.len(),
                if family.members.len() == 1 { "" } else { "s" }
            ),
            t.label(),
        ));
        let names = std::iter::once(&family.base).chain(&family.members);
        let items: Vec<(String, bool)> = names
            .map(|name| {
                let live = *name == family.asked;
                let text = format!("{}{name}", if live { LIVE } else { "  " });
                (text, live)
            })
            .collect();
        flow(out, &items, width, t.opcode(mark, true), t.dim());
    }
    if !e.written {
        push_wrapped(
            out,
            &format!(
                "No text is written for {} in Python {}.",
                e.opname,
                e.version.short()
            ),
            width,
            "",
            t.dim(),
        );
    }
    for paragraph in &e.paragraphs {
        out.push(Line::raw(""));
        push_paragraph(out, paragraph, width, "", t.text());
    }
    out.push(Line::raw(""));
    if e.cache.is_empty() {
        out.push(Line::from(vec![
            Span::styled("Inline cache ", t.label()),
            Span::styled("none: no cache entries follow it", t.dim()),
        ]));
    } else {
        let units: u32 = e.cache.iter().map(|f| u32::from(f.units)).sum();
        out.push(Line::from(vec![
            Span::styled("Inline cache ", t.label()),
            Span::styled(
                format!(
                    "{units} code unit{} after the instruction",
                    if units == 1 { "" } else { "s" }
                ),
                t.dim(),
            ),
        ]));
        let wide = e.cache.iter().map(|f| f.name.len()).max().unwrap_or(0);
        for field in &e.cache {
            let live = ins
                .caches
                .iter()
                .find(|c| c.name == field.name)
                .map(|c| format!("  = {}", c.value))
                .unwrap_or_default();
            out.push(Line::raw(format!(
                "  {:wide$}  {} unit{}{live}",
                field.name,
                field.units,
                if field.units == 1 { " " } else { "s" }
            )));
        }
        for note in &e.cache_notes {
            push_paragraph(out, note, width, "  ", t.text());
        }
    }
    if !e.counter.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("Counter", t.label()));
        for paragraph in &e.counter {
            push_paragraph(out, paragraph, width, "  ", t.text());
        }
    }
}

/// Lays out `items` left to right, as many to a line as fit.
fn flow(
    out: &mut Vec<Line<'static>>,
    items: &[(String, bool)],
    width: usize,
    live: Style,
    other: Style,
) {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (text, is_live) in items {
        let w = display_width(text);
        if used > 0 && used + 1 + w > width {
            out.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::raw(" "));
            used += 1;
        }
        spans.push(Span::styled(
            text.clone(),
            if *is_live { live } else { other },
        ));
        used += w;
    }
    if !spans.is_empty() {
        out.push(Line::from(spans));
    }
}

/// A paragraph of the texts: its lines are list items (`- `) or prose.
fn push_paragraph(
    out: &mut Vec<Line<'static>>,
    paragraph: &str,
    width: usize,
    indent: &str,
    style: Style,
) {
    for line in paragraph.lines() {
        match line.strip_prefix("- ") {
            Some(item) => wrap_into(
                out,
                item,
                width,
                &format!("{indent}- "),
                &format!("{indent}  "),
                style,
            ),
            None => wrap_into(out, line, width, indent, indent, style),
        }
    }
}

fn push_wrapped(
    out: &mut Vec<Line<'static>>,
    text: &str,
    width: usize,
    indent: &str,
    style: Style,
) {
    wrap_into(out, text, width, indent, indent, style);
}

/// Greedy word wrap by display width; a word longer than a line is cut.
fn wrap_into(
    out: &mut Vec<Line<'static>>,
    text: &str,
    width: usize,
    first: &str,
    rest: &str,
    style: Style,
) {
    let text = sanitize_line(text);
    let mut line = first.to_string();
    let mut used = display_width(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        let w = display_width(word);
        if !empty && used + 1 + w > width {
            out.push(Line::styled(std::mem::take(&mut line), style));
            line = rest.to_string();
            used = display_width(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += w;
        empty = false;
    }
    if !empty {
        out.push(Line::styled(line, style));
    }
}
