//! `--format html`: one self-contained page to hand out or project: the
//! highlighted source of each code object beside its base and live bytecode,
//! the caches decoded, and what each specialization seen there means.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::analysis::lines::{GUTTER_ONLY, LineState, line_states};
use crate::analysis::marks::Mark;
use crate::analysis::timeline::changes;
use crate::explain::{self, Lookup};
use crate::model::{CodeObject, Instruction, Snapshot};
use crate::present::highlight::SyntaxClass;
use crate::present::highlight::{HighlightedLine, LazyHighlight, SourceFile};
use crate::present::text::{clip, sanitize};
use crate::present::words::{counter_short, warmup_line};

const STYLE: &str = r#"
:root { --spec: #1a7f37; --warm: #9a6700; --back: #cf222e; --dim: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1400px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h2 small, .meta { color: var(--dim); font-weight: normal; font-size: 14px; }
code, pre, td.mono { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.legend span { margin-right: 18px; }
.grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 18px; align-items: start; }
pre.source { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 0; margin: 0; overflow-x: auto; }
pre.source .ln { display: inline-block; width: 4ch; text-align: right; color: var(--dim); margin-right: 1ch; user-select: none; }
pre.source .gutter { display: inline-block; width: 2ch; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; color: var(--dim); font-weight: 600; border-bottom: 1px solid var(--line); padding: 3px 6px; }
td { padding: 2px 6px; vertical-align: top; border-bottom: 1px solid #eef1f4; }
td.caches { font-size: 12px; color: #424a53; }
tr.changed td.live { font-weight: 700; }
.m-spec { color: var(--spec); } .m-warm { color: var(--warm); } .m-back { color: var(--back); } .m-none { color: var(--dim); }
.k { color: #cf222e; } .s { color: #0a3069; } .n { color: #0550ae; } .c { color: #6e7781; font-style: italic; }
.d { color: #8250df; } .b { color: #953800; } .o { color: #0550ae; }
.explain { margin-top: 12px; columns: 2 420px; column-gap: 28px; }
.explain article { break-inside: avoid; margin-bottom: 14px; }
.explain h3 { font-size: 15px; margin: 0 0 4px; font-family: ui-monospace, monospace; }
.explain p { margin: 0 0 6px; }
.never { opacity: .6; }
.timeline li { font-family: ui-monospace, monospace; font-size: 13px; }
@media print { body { padding: 0; } h2 { break-after: avoid; } .grid { grid-template-columns: 1fr; } }
"#;

pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!(
        "specscope · {} · Python {}",
        snapshot.target.filename, snapshot.python.version
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · {} code objects</p>",
        esc(&warmup_line(snapshot)),
        snapshot.code_objects.len()
    );
    out.push_str("<p class=\"legend\">");
    for mark in crate::analysis::marks::legend_marks(&snapshot.code_objects) {
        let _ = write!(
            out,
            "<span class=\"{}\">{} {}</span>",
            mark_class(mark),
            mark.symbol(),
            crate::present::words::mark_words(mark)
        );
    }
    for state in GUTTER_ONLY {
        let _ = write!(
            out,
            "<span class=\"{}\">{} {}</span>",
            line_class(state),
            state.symbol(),
            crate::present::words::line_words(state)
        );
    }
    out.push_str("</p>\n");
    let gutter = line_states(snapshot.code_objects.iter());
    // Only the lines the excerpts show are highlighted.
    let highlights: BTreeMap<&str, LazyHighlight> = snapshot
        .files
        .keys()
        .map(|name| (name.as_str(), LazyHighlight::new()))
        .collect();
    for code in &snapshot.code_objects {
        let file = snapshot
            .source_of(code)
            .zip(highlights.get(code.filename.as_str()))
            .map(|(text, lines)| SourceFile { text, lines });
        let lines = gutter.get(&code.filename);
        code_section(snapshot, code, file, lines, &mut out);
    }
    if !snapshot.timeline.is_empty() {
        timeline(snapshot, &mut out);
    }
    out.push_str("</body></html>\n");
    out
}

fn code_section(
    snapshot: &Snapshot,
    code: &CodeObject,
    file: Option<SourceFile>,
    lines: Option<&BTreeMap<u32, LineState>>,
    out: &mut String,
) {
    let (specialized, specializable) = code.specialized_share();
    let _ = writeln!(
        out,
        "<section{}><h2>{} <small>{} · {}:{} · specialized {}/{}{}</small></h2>",
        if code.ran { "" } else { " class=\"never\"" },
        esc(&code.qualname),
        code.kind.as_str(),
        esc(&code.filename),
        code.first_line,
        specialized,
        specializable,
        match (code.ran, code.ran_known) {
            (true, _) => "",
            (false, true) => " · never ran",
            (false, false) => " · no sign it ran",
        }
    );
    out.push_str("<div class=\"grid\">");
    source_excerpt(code, file, lines, out);
    bytecode_table(code, out);
    out.push_str("</div>");
    explanations(snapshot, code, out);
    out.push_str("</section>\n");
}

fn source_excerpt(
    code: &CodeObject,
    file: Option<SourceFile>,
    states: Option<&BTreeMap<u32, LineState>>,
    out: &mut String,
) {
    let count = file.map_or(0, |f| f.line_count());
    let numbered = code
        .instructions
        .iter()
        .filter_map(|i| i.line)
        .filter(|&l| l > 0);
    let mut first = numbered
        .clone()
        .min()
        .unwrap_or(code.first_line)
        .min(code.first_line.max(1));
    let mut last = numbered.max().unwrap_or(first);
    if code.kind == crate::model::CodeKind::Module {
        (first, last) = (1, count as u32);
    }
    out.push_str("<pre class=\"source\">");
    if let Some(file) = file.filter(|_| count > 0) {
        let first = first.max(1);
        let last = last.min(first.saturating_add(400));
        let lines = file.highlighted(first as usize - 1..last as usize);
        for (n, line) in (first..).zip(&lines) {
            let text = line_html(line);
            let state = states
                .and_then(|s| s.get(&n).copied())
                .unwrap_or(LineState::Plain);
            let _ = writeln!(
                out,
                "<span class=\"ln\">{n}</span><span class=\"gutter {}\">{}</span>{text}",
                line_class(state),
                state.symbol()
            );
        }
    } else {
        let _ = writeln!(
            out,
            "<span class=\"c\">  ({})</span>",
            if file.is_some() {
                "no source text"
            } else {
                crate::present::words::SOURCE_NOT_KEPT
            }
        );
    }
    out.push_str("</pre>");
}

fn bytecode_table(code: &CodeObject, out: &mut String) {
    out.push_str(
        "<table><thead><tr><th></th><th>line</th><th>offset</th><th>base</th><th>live</th>\
         <th>arg</th><th>argrepr</th><th>caches</th></tr></thead><tbody>\n",
    );
    for ins in &code.instructions {
        let mark = Mark::of(ins);
        let _ = writeln!(
            out,
            "<tr{}><td class=\"{}\">{}</td><td>{}</td><td class=\"mono\">{}{}</td>\
             <td class=\"mono\">{}</td><td class=\"mono live {}\">{}</td><td>{}</td>\
             <td class=\"mono\">{}</td><td class=\"caches\">{}</td></tr>",
            if ins.changed() {
                " class=\"changed\""
            } else {
                ""
            },
            mark_class(mark),
            if mark == Mark::NoCache {
                ""
            } else {
                mark.symbol()
            },
            if ins.starts_line {
                ins.line.map(|l| l.to_string()).unwrap_or_default()
            } else {
                String::new()
            },
            if ins.is_jump_target { "» " } else { "" },
            ins.offset,
            esc(&ins.base_opname),
            if ins.changed() { mark_class(mark) } else { "" },
            esc(&ins.opname),
            ins.arg.map(|a| a.to_string()).unwrap_or_default(),
            esc(&clip(&ins.argrepr, 60)),
            caches_html(ins)
        );
    }
    out.push_str("</tbody></table>");
}

fn caches_html(ins: &Instruction) -> String {
    let mut parts = Vec::new();
    for (i, cache) in ins.caches.iter().enumerate() {
        let shown = match (&ins.counter, i) {
            (Some(counter), 0) => format!(
                "<b>counter</b>={} <span title=\"{}\">({})</span>",
                cache.value,
                esc(&counter.meaning),
                esc(&counter_short(counter))
            ),
            _ => match &cache.meaning {
                Some(meaning) => format!(
                    "<b>{}</b>={} ({})",
                    esc(&cache.name),
                    cache.value,
                    esc(meaning)
                ),
                None => format!("<b>{}</b>={}", esc(&cache.name), cache.value),
            },
        };
        parts.push(shown);
    }
    parts.join("<br>")
}

/// What each specialized or adaptive form seen in this code object means.
fn explanations(snapshot: &Snapshot, code: &CodeObject, out: &mut String) {
    let names: BTreeSet<&str> = code
        .instructions
        .iter()
        .filter(|i| i.changed() || i.counter.is_some())
        .map(|i| i.opname.as_str())
        .collect();
    if names.is_empty() {
        return;
    }
    out.push_str("<div class=\"explain\">");
    for name in names {
        let Lookup::Found(e) = explain::lookup(name, snapshot.python.version) else {
            continue;
        };
        if !e.written {
            continue;
        }
        let _ = write!(out, "<article><h3>{}</h3>", esc(name));
        let mut list = false;
        for p in e.paragraphs.iter().chain(&e.counter) {
            if let Some(item) = p.strip_prefix("- ") {
                if !list {
                    out.push_str("<ul>");
                    list = true;
                }
                let _ = write!(out, "<li>{}</li>", esc(item));
            } else {
                if list {
                    out.push_str("</ul>");
                    list = false;
                }
                let _ = write!(out, "<p>{}</p>", esc(p));
            }
        }
        if list {
            out.push_str("</ul>");
        }
        out.push_str("</article>");
    }
    out.push_str("</div>");
}

fn timeline(snapshot: &Snapshot, out: &mut String) {
    out.push_str("<section class=\"timeline\"><h2>Timeline <small>what changed at each step of the warm-up</small></h2><ol>");
    let mut previous: Option<&[CodeObject]> = None;
    for step in &snapshot.timeline {
        let expr = if step.phase == crate::model::Phase::Then {
            &snapshot.warmup.then
        } else {
            &snapshot.warmup.call
        };
        let _ = write!(
            out,
            "<li><b>{} × {}</b>",
            esc(expr.as_deref().unwrap_or("?")),
            step.calls
        );
        if let Some(before) = previous {
            let list = changes(before, &step.code_objects);
            out.push_str("<ul>");
            if list.is_empty() {
                out.push_str("<li>no change</li>");
            }
            for c in list {
                let _ = write!(
                    out,
                    "<li>{} <code>{}</code> @{}: {}</li>",
                    c.change.transition.word(),
                    esc(&c.qualname),
                    c.offset,
                    esc(&crate::present::words::change_words(&c.change))
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>");
        previous = Some(&step.code_objects);
    }
    out.push_str("</ol></section>");
}

/// A source line as HTML with highlighting spans.
fn line_html(line: &HighlightedLine) -> String {
    let mut html = String::with_capacity(line.text.len() + 32);
    let mut at = 0;
    for (range, class) in &line.tokens {
        if range.start > at {
            html.push_str(&esc(&line.text[at..range.start]));
        }
        let text = esc(&line.text[range.clone()]);
        match class_name(*class) {
            Some(c) => {
                let _ = write!(html, "<span class=\"{c}\">{text}</span>");
            }
            None => html.push_str(&text),
        }
        at = range.end;
    }
    if at < line.text.len() {
        html.push_str(&esc(&line.text[at..]));
    }
    html
}

fn class_name(class: SyntaxClass) -> Option<&'static str> {
    match class {
        SyntaxClass::Plain => None,
        SyntaxClass::Keyword => Some("k"),
        SyntaxClass::String => Some("s"),
        SyntaxClass::Number => Some("n"),
        SyntaxClass::Comment => Some("c"),
        SyntaxClass::Definition => Some("d"),
        SyntaxClass::Builtin => Some("b"),
        SyntaxClass::Constant => Some("o"),
    }
}

/// A gutter state's colour: as its instructions' mark; a line with some
/// specialized and some adaptive as warming, as in the explorer.
fn line_class(state: LineState) -> &'static str {
    match state {
        LineState::Specialized => mark_class(Mark::Specialized),
        LineState::Warming | LineState::Mixed => mark_class(Mark::Warming),
        LineState::BackingOff => mark_class(Mark::BackingOff),
        LineState::NeverRan | LineState::Plain => mark_class(Mark::NoCache),
    }
}

fn mark_class(mark: Mark) -> &'static str {
    match mark {
        Mark::Specialized => "m-spec",
        Mark::Warming => "m-warm",
        Mark::BackingOff | Mark::GivenUp => "m-back",
        Mark::NoCache | Mark::AtCreation => "m-none",
    }
}

/// HTML-escaped, with control characters made visible.
fn esc(text: &str) -> String {
    let text = sanitize(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("    "),
            _ => out.push(c),
        }
    }
    out
}
