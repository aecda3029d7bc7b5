//! The program at a glance: per family the sites in each state, then the
//! sites where specialization failed, hottest first, each with its place,
//! live opname, counter in words, function and source line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{pane_block, scroll_into_view};
use crate::analysis::summary::{SiteState, StateCounts};
use crate::present::text::{clip, sanitize_line};
use crate::present::words::{
    counter_short, executions_words, grouped, place, site_state_short, site_state_words,
};
use crate::views::tui::app::{App, Pane, Viewport};
use crate::views::tui::theme::Theme;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme;
    let families = app.summary_families();
    let mut all = StateCounts::default();
    for counts in families.values() {
        all.merge(counts);
    }
    let title = format!(
        " Summary · {} code objects · {} specializable sites ",
        app.snapshot().code_objects.len(),
        all.total()
    );
    let block = pane_block(app, Pane::Summary, title);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);

    // The family table, as much of it as leaves room for some sites.
    let name_width = families
        .keys()
        .map(|f| f.len())
        .max()
        .unwrap_or(0)
        .clamp(6, 24)
        + 1;
    // Full column heads when they fit, short ones when not.
    let cell = if name_width + 5 * 12 <= width { 12 } else { 8 };
    let row =
        |name: &str, counts: Option<&StateCounts>| family_row(t, name, counts, name_width, cell);
    let mut lines = vec![row("family", None)];
    for (family, counts) in families {
        lines.push(row(&sanitize_line(family), Some(counts)));
    }
    if !families.is_empty() {
        lines.push(row("all", Some(&all)));
    }
    let table_room = usize::from(inner.height).saturating_sub(6).max(2);
    if lines.len() > table_room {
        let hidden = lines.len() - table_room + 1;
        lines.truncate(table_room - 1);
        lines.push(Line::styled(
            format!("… {hidden} more families (dump --format summary lists all)"),
            t.dim(),
        ));
    }
    lines.push(Line::raw(""));
    let sites = app.summary_sites();
    let heading = if sites.is_empty() {
        "Look at first: nothing; no site is backing off or given up".to_string()
    } else {
        format!(
            "Look at first: {} failing, {} (Enter opens)",
            sites.len(),
            if app.snapshot().sampling.is_some() {
                "hottest first"
            } else {
                "most executions proved first"
            }
        )
    };
    lines.push(Line::styled(heading, t.label()));
    let top = lines.len();
    let room = usize::from(inner.height).saturating_sub(top);
    Paragraph::new(lines).render(inner, buf);

    // The sites, two rows each, scrolled to keep the selection in view.
    let area = Rect {
        y: inner.y + top as u16,
        height: room as u16,
        ..inner
    };
    let selected = app.summary.selected.min(sites.len().saturating_sub(1));
    let offset = scroll_into_view(&app.viewports.summary, area, selected * 2, sites.len() * 2);
    app.viewports.summary.set(Viewport {
        area: inner,
        offset: 0,
    });
    app.viewports
        .summary_sites_top
        .set(top.saturating_sub(offset));
    let focused = app.focus() == Pane::Summary;
    let mut rows = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let code = &app.snapshot().code_objects[site.code];
        let ins = &code.instructions[site.instruction];
        let facts = app.snapshot().python.version.facts();
        let counter = match &ins.counter {
            Some(counter) => match facts.executions_at_least(counter) {
                Some(n) => format!("{}; {}", counter_short(counter), executions_words(n)),
                None => counter_short(counter),
            },
            None => site_state_words(site.state).to_string(),
        };
        let heat = if app.snapshot().sampling.is_some() {
            format!("  {} samples", grouped(site.samples))
        } else {
            String::new()
        };
        let mut first = Line::from(vec![
            Span::raw(format!("{}  ", sanitize_line(&place(code, ins)))),
            Span::styled(
                sanitize_line(&ins.opname).into_owned(),
                t.mark(mark(site.state)),
            ),
            Span::raw(format!(
                "  {counter}  in {}{heat}",
                sanitize_line(&code.qualname)
            )),
        ]);
        let line = ins.positions.and_then(|p| p.line).or(ins.line);
        let text = line
            .and_then(|n| {
                app.snapshot()
                    .files
                    .get(&code.filename)?
                    .lines()
                    .nth(n.checked_sub(1)? as usize)
            })
            .map(|l| sanitize_line(l.trim()).into_owned())
            .unwrap_or_else(|| "(source not kept)".into());
        // With --why, the reason follows the source (the detail pane, after
        // Enter, has it whole).
        let text = match &ins.evidence {
            Some(evidence) => format!("{text}  · why: {}", sanitize_line(&evidence.reason)),
            None => text,
        };
        let text = clip(&text, width.saturating_sub(4));
        let mut second = Line::styled(format!("    {text}"), t.dim());
        if i == selected {
            first = first.patch_style(t.selection(focused));
            second = second.patch_style(t.selection(focused));
        }
        rows.push(first);
        rows.push(second);
    }
    let shown: Vec<Line> = rows.into_iter().skip(offset).take(room).collect();
    Paragraph::new(shown).render(area, buf);
}

/// A row of the family table, the name `width` and each count `cell`
/// columns wide; `None` counts make the heading.
fn family_row(
    t: Theme,
    name: &str,
    counts: Option<&StateCounts>,
    width: usize,
    cell: usize,
) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{:<width$}", clip(name, width - 1)),
        if counts.is_none() {
            t.label()
        } else {
            t.text()
        },
    )];
    for state in SiteState::ALL {
        let span = match counts {
            None if cell >= 12 => {
                Span::styled(format!("{:>cell$}", site_state_words(state)), t.label())
            }
            None => Span::styled(format!("{:>cell$}", site_state_short(state)), t.label()),
            Some(c) if c.get(state) == 0 => Span::styled(format!("{:>cell$}", "·"), t.dim()),
            Some(c) => Span::styled(format!("{:>cell$}", c.get(state)), t.mark(mark(state))),
        };
        spans.push(span);
    }
    Line::from(spans)
}

/// The instruction mark whose style a state borrows.
fn mark(state: SiteState) -> crate::analysis::marks::Mark {
    use crate::analysis::marks::Mark;
    match state {
        SiteState::Specialized => Mark::Specialized,
        SiteState::BackingOff => Mark::BackingOff,
        SiteState::GivenUp => Mark::GivenUp,
        SiteState::Warming => Mark::Warming,
        SiteState::NeverRan => Mark::NoCache,
    }
}
