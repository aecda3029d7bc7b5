//! `--format html`: one self-contained page to hand out or project, the
//! program as a heat map. At the top an index: the files and the code
//! objects with the states of their sites, and the sites to look at first.
//! Then each source file once, every stretch that specializable
//! instructions cover coloured by the state they ended in (a pointer
//! resting on it says which instructions and their counters), lines that
//! never ran dimmed; under it, per code object, the bytecode table with the
//! caches decoded, folded away in a `<details>`. Each form seen is
//! explained once, at the end, and linked to; then the warm-up's timeline.
//!
//! The page has no script and loads nothing. It stays small at scale (the
//! whole of `typing` in well under 1 MB): source once per file, one-letter
//! class names, end tags HTML lets a page leave out left out. It fits a
//! 1280-pixel window: tables have a fixed layout and every cell and source
//! line wraps anywhere rather than scroll.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::ops::Range;

use crate::analysis::heat::{FileHeat, HeatMap, Span};
use crate::analysis::lines::{GUTTER_ONLY, LineState, line_states};
use crate::analysis::marks::{Mark, legend_marks};
use crate::analysis::summary::{Site, SiteState, StateCounts, sites_to_look_at};
use crate::analysis::timeline::changes;
use crate::explain;
use crate::model::{CodeKind, CodeObject, Instruction, Snapshot, Status};
use crate::present::highlight::{HighlightedLine, LazyHighlight, SourceFile, SyntaxClass};
use crate::present::text::{clip, sanitize};
use crate::present::words::{
    counter_short, line_words, mark_words, place, site_state_words, site_words, warmup_line,
};

/// Sites listed under "Look at first"; the rest are counted.
const SHOWN_SITES: usize = 20;

/// Instructions in the whole page up to which code that shows no sign it
/// ran gets its bytecode table too. Past it (a whole module and more) such
/// tables would fill most of the page and say nothing PEP 659 did.
const IDLE_TABLES_UP_TO: usize = 3_000;

/// Lines of source between two excerpts of a file that are shown rather
/// than cut.
const BRIDGED_GAP: u32 = 3;

/// Class names. States (heat spans, marks): one capital letter each;
/// syntax classes: one small letter each.
const STYLE: &str = r#"
:root { --S: #c8efcf; --W: #ffeaa6; --B: #ffc8c4; --G: #f2b8d2; --N: #e3e7eb;
  --spec: #1a7f37; --warm: #9a6700; --back: #cf222e; --gave: #9e1f63; --dim: #6e7781; --line: #d0d7de;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1200px; padding: 20px 24px; overflow-wrap: anywhere; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
h2 small, h3 small, .meta { color: var(--dim); font-weight: normal; font-size: 14px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code, .src, .bc { font-family: var(--mono); font-size: 13px; }
mark { background: none; color: inherit; border-radius: 2px; }
mark.S { background: var(--S); } mark.W { background: var(--W); text-decoration: underline dotted var(--warm); }
mark.B { background: var(--B); text-decoration: underline wavy var(--back); } mark.G { background: var(--G); text-decoration: underline wavy var(--gave); }
mark.N { background: var(--N); }
.legend mark { padding: 1px 6px; margin-right: 10px; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 13px; }
th { text-align: left; color: var(--dim); font-weight: 600; border-bottom: 1px solid var(--line); padding: 3px 6px; }
td { padding: 2px 6px; vertical-align: top; overflow-wrap: anywhere; }
tbody tr { border-bottom: 1px solid #eef1f4; }
.ix th:first-child { width: auto; } .ix th { width: 11ch; text-align: right; overflow-wrap: normal; } .ix th:first-child, .ix th.t { text-align: left; }
.ix th.t { width: 14ch; } .ix td { text-align: right; } .ix td:first-child, .ix td.t { text-align: left; }
.ix td.i1 { padding-left: 3ch; } .ix td.i2 { padding-left: 5ch; } .ix td.i3 { padding-left: 7ch; }
td.S { color: var(--spec); } td.W { color: var(--warm); } td.B { color: var(--back); } td.G { color: var(--gave); }
.ix td:empty::before { content: "·"; color: #c4c9cf; }
ol.look li { margin-bottom: 6px; } ol.look code.l { display: block; white-space: pre-wrap; color: #424a53; }
.why { display: block; color: #0b5e78; white-space: pre-wrap; }
.src { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px 6px 0; margin: 0 0 10px; line-height: 1.45; counter-reset: ln; }
.src p { margin: 0; padding-left: 7ch; text-indent: -7ch; white-space: pre-wrap; overflow-wrap: anywhere; counter-increment: ln; }
.src p::before { content: counter(ln); display: inline-block; width: 5.5ch; margin-right: 1.5ch; text-align: right; color: var(--dim); text-indent: 0; user-select: none; }
.src p { position: relative; }
.src p::after { position: absolute; left: 5.6ch; top: 0; font-weight: 700; text-indent: 0; }
.src p.gs::after { color: var(--spec); } .src p.gw::after, .src p.gm::after { color: var(--warm); } .src p.gb::after { color: var(--back); } .src p.gn::after { color: var(--dim); }
.src p.z { opacity: .45; }
.src p:target { outline: 2px solid #0969da; outline-offset: -1px; }
i { font-style: normal; } .k { color: #a0111f; } .s { color: #0a3069; } .n { color: #0550ae; } .c { color: #6e7781; font-style: italic; }
.d { color: #8250df; } .b { color: #953800; } .o { color: #0550ae; }
details { border-top: 1px solid #eef1f4; padding: 3px 0; }
details[open] { padding-bottom: 12px; }
summary { cursor: pointer; }
summary small { color: var(--dim); }
details p { margin: 6px 0; font-size: 14px; }
.bc { font-size: 12px; }
.bc th:nth-child(1) { width: 8.5ch; } .bc th:nth-child(2) { width: 8.5ch; }
.bc th:nth-child(3) { width: 17%; } .bc th:nth-child(4) { width: 20%; } .bc th:nth-child(5) { width: 6ch; }
.bc th:nth-child(6) { width: 14%; }
.bc td:nth-child(4) { font-weight: 700; }
.bc th:first-child, .bc td:first-child { position: relative; padding-left: calc(6px + 2.5ch); }
.bc td:first-child::before { position: absolute; left: 6px; font-weight: 700; }
tr.S > td:first-child::before { color: var(--spec); } tr.W > td:first-child::before { color: var(--warm); }
tr.B > td:first-child::before { color: var(--back); } tr.G > td:first-child::before { color: var(--gave); }
.explain { columns: 2 400px; column-gap: 28px; }
.explain article { break-inside: avoid; margin-bottom: 14px; }
.explain h3 { font-size: 15px; margin: 0 0 4px; font-family: var(--mono); }
.explain p, .explain ul { margin: 0 0 6px; } .explain ul { padding-left: 20px; }
.timeline li { font-family: var(--mono); font-size: 13px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } }
"#;

/// The gutter's symbols, drawn by the style so that each line carries only
/// a class.
fn gutter_style() -> String {
    let mut css = String::new();
    for state in [
        LineState::Specialized,
        LineState::Warming,
        LineState::BackingOff,
        LineState::Mixed,
        LineState::NeverRan,
    ] {
        if let Some(class) = gutter_class(state) {
            let _ = writeln!(
                css,
                ".src p.{class}::after {{ content: \"{}\"; }}",
                state.symbol()
            );
        }
    }
    css
}

/// The marks of bytecode rows, drawn by the style from the row's class.
fn mark_style() -> String {
    let mut css = String::new();
    for mark in [
        Mark::Specialized,
        Mark::Warming,
        Mark::BackingOff,
        Mark::GivenUp,
        Mark::AtCreation,
    ] {
        if let Some(class) = mark_class(mark) {
            let _ = writeln!(
                css,
                "tr.{class} > td:first-child::before {{ content: \"{}\"; }}",
                mark.symbol()
            );
        }
    }
    css
}

pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let heat = HeatMap::of(snapshot);
    let page = Page::new(snapshot, &heat);
    page.head(&mut out);
    page.index(&mut out);
    for (f, file) in heat.files.iter().enumerate() {
        page.file_section(f, file, &mut out);
    }
    page.forms(&mut out);
    if !snapshot.timeline.is_empty() {
        timeline(snapshot, &mut out);
    }
    out.push_str("</body></html>\n");
    out
}

/// What the parts of the page share: the snapshot, its map, and the
/// anchors every part may link to.
struct Page<'a> {
    snapshot: &'a Snapshot,
    heat: &'a HeatMap,
    /// Per file (index into `heat.files`), the source lines that get an
    /// anchor: where a code object starts, where a site to look at is.
    anchored: Vec<BTreeSet<u32>>,
    /// Index into `heat.files` of each code object's file.
    file_of: Vec<usize>,
    /// Depth of each code object below its top-level ancestor.
    depth: Vec<usize>,
    /// The sites where specialization failed, in the order to look at them.
    sites: Vec<Site>,
    /// Every form the page shows, and the explanation of those that have
    /// one for this version.
    forms: BTreeSet<&'a str>,
    explained: BTreeMap<&'a str, explain::Explanation>,
    /// Whether code that shows no sign it ran gets its bytecode table.
    tables_for_idle_code: bool,
    /// The gutter mark of each line, per file (the explorer's rule).
    gutter: BTreeMap<String, BTreeMap<u32, LineState>>,
}

impl<'a> Page<'a> {
    fn new(snapshot: &'a Snapshot, heat: &'a HeatMap) -> Page<'a> {
        let codes = &snapshot.code_objects;
        let mut file_of = vec![0; codes.len()];
        let mut anchored = vec![BTreeSet::new(); heat.files.len()];
        for (f, file) in heat.files.iter().enumerate() {
            for c in &file.codes {
                file_of[c.code] = f;
                anchored[f].insert(first_line(&codes[c.code]));
            }
        }
        let sites = sites_to_look_at(snapshot);
        for site in sites.iter().take(SHOWN_SITES) {
            if let Some(line) = site_line(&codes[site.code].instructions[site.instruction]) {
                anchored[file_of[site.code]].insert(line);
            }
        }
        let depth = codes
            .iter()
            .map(|c| {
                let mut depth = 0;
                let mut at = c.parent;
                while let Some(p) = at.filter(|_| depth < codes.len()) {
                    depth += 1;
                    at = codes.get(p).and_then(|c| c.parent);
                }
                depth
            })
            .collect();
        let forms: BTreeSet<&str> = codes
            .iter()
            .flat_map(|c| &c.instructions)
            .filter(|i| shows_form(i))
            .map(|i| i.opname.as_str())
            .collect();
        let explained = forms
            .iter()
            .filter_map(|name| Some((*name, explanation(snapshot, name)?)))
            .collect();
        let instructions: usize = codes.iter().map(|c| c.instructions.len()).sum();
        Page {
            snapshot,
            heat,
            tables_for_idle_code: instructions <= IDLE_TABLES_UP_TO,
            gutter: line_states(codes.iter()),
            anchored,
            file_of,
            depth,
            sites,
            forms,
            explained,
        }
    }

    fn head(&self, out: &mut String) {
        let snapshot = self.snapshot;
        let title = format!(
            "specscope · {} · Python {}",
            snapshot.target.filename, snapshot.python.version
        );
        out.push_str(
            "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\
             <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>",
        );
        esc_into(out, &title);
        let _ = write!(
            out,
            "</title><style>{STYLE}{}{}</style></head><body>\n<h1>",
            gutter_style(),
            mark_style()
        );
        esc_into(out, &title);
        out.push_str("</h1>\n<p class=meta>");
        esc_into(out, &warmup_line(snapshot));
        let mut all = StateCounts::default();
        for file in &self.heat.files {
            all.merge(&file.totals);
        }
        let _ = writeln!(
            out,
            " · {} code objects · {} specializable sites</p>",
            snapshot.code_objects.len(),
            all.total()
        );
        out.push_str("<p class=legend>");
        for state in SiteState::ALL {
            if state == SiteState::GivenUp && all.get(state) == 0 {
                continue;
            }
            let _ = write!(
                out,
                "<mark class={}>{}</mark>",
                state_class(state),
                site_state_words(state)
            );
        }
        out.push_str(
            "<span class=meta>A stretch several instructions cover takes the most \
             telling state (failing, then warming, then specialized); lines of code \
             that never ran are dimmed. Beside the line numbers: ",
        );
        for (k, state) in [
            LineState::Specialized,
            LineState::Warming,
            LineState::BackingOff,
        ]
        .into_iter()
        .chain(GUTTER_ONLY)
        .enumerate()
        {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{} {}", state.symbol(), line_words(state));
        }
        out.push_str(".</span></p>\n");
    }

    fn index(&self, out: &mut String) {
        let codes = &self.snapshot.code_objects;
        out.push_str(
            "<nav>\n<h2>Files</h2>\n<table class=ix><thead><tr><th>file<th class=t>code objects",
        );
        state_heads(out);
        out.push_str("</thead><tbody>\n");
        for (f, file) in self.heat.files.iter().enumerate() {
            let _ = write!(out, "<tr><td><a href=#f{f}>");
            esc_into(out, &file.filename);
            let _ = write!(out, "</a><td class=t>{}", file.codes.len());
            state_cells(&file.totals, out);
            out.push('\n');
        }
        out.push_str("</tbody></table>\n");
        self.look_at_first(out);
        out.push_str("<h2>Code objects</h2>\n<table class=ix><thead><tr><th>code object<th class=t>kind<th class=t>line");
        state_heads(out);
        out.push_str("</thead><tbody>\n");
        for (f, file) in self.heat.files.iter().enumerate() {
            for c in &file.codes {
                let code = &codes[c.code];
                let _ = write!(out, "<tr><td");
                if let Some(indent) = [None, Some("i1"), Some("i2")]
                    .get(self.depth[c.code])
                    .copied()
                    .unwrap_or(Some("i3"))
                {
                    let _ = write!(out, " class={indent}");
                }
                // Code without a table is linked at its source.
                if self.has_table(code) {
                    let _ = write!(out, "><a href=#c{}>", c.code);
                } else {
                    let _ = write!(out, "><a href=#f{f}-{}>", first_line(code));
                }
                esc_into(out, &code.qualname);
                let _ = write!(
                    out,
                    "</a><td class=t>{}<td class=t><a href=#f{f}-{line}>{line}</a>",
                    code.kind.as_str(),
                    line = first_line(code)
                );
                state_cells(&c.counts, out);
                out.push('\n');
            }
        }
        out.push_str("</tbody></table>\n</nav>\n");
    }

    fn look_at_first(&self, out: &mut String) {
        let snapshot = self.snapshot;
        let sites = &self.sites;
        out.push_str("<h2>Look at first</h2>\n");
        if sites.is_empty() {
            out.push_str("<p>Nothing: no site is backing off or given up.</p>\n");
            return;
        }
        let _ = writeln!(
            out,
            "<p class=meta>{} {} where specialization failed, {}</p>\n<ol class=look>",
            sites.len(),
            if sites.len() == 1 { "site" } else { "sites" },
            if snapshot.sampling.is_some() {
                "hottest first"
            } else {
                "in source order (no samples)"
            }
        );
        for site in sites.iter().take(SHOWN_SITES) {
            let code = &snapshot.code_objects[site.code];
            let ins = &code.instructions[site.instruction];
            let f = self.file_of[site.code];
            let line = site_line(ins).unwrap_or(0);
            let _ = write!(out, "<li><a href=#f{f}-{line}>");
            esc_into(out, &place(code, ins));
            out.push_str("</a> <code>");
            esc_into(out, &ins.opname);
            let _ = write!(
                out,
                "</code> <span class={}>{}</span>",
                state_class(site.state),
                match &ins.counter {
                    Some(counter) => esc(&counter_short(counter)),
                    None => site_state_words(site.state).to_string(),
                }
            );
            if self.has_table(code) {
                let _ = write!(out, " in <a href=#c{}>", site.code);
            } else {
                let _ = write!(out, " in <a href=#f{f}-{}>", first_line(code));
            }
            esc_into(out, &code.qualname);
            out.push_str("</a>");
            if let Some(text) = snapshot
                .source_of(code)
                .and_then(|s| s.lines().nth(line.saturating_sub(1) as usize))
            {
                out.push_str("<code class=l>");
                esc_into(out, &clip(text.trim(), 120));
                out.push_str("</code>");
            }
            if let Some(evidence) = &ins.evidence {
                out.push_str("<span class=why>");
                esc_into(out, &crate::present::why::evidence_line(ins, evidence));
                out.push_str("</span>");
            }
            out.push('\n');
        }
        out.push_str("</ol>\n");
        if sites.len() > SHOWN_SITES {
            let _ = writeln!(
                out,
                "<p class=meta>and {} more, marked in the source below</p>",
                sites.len() - SHOWN_SITES
            );
        }
    }

    fn file_section(&self, f: usize, file: &FileHeat, out: &mut String) {
        let snapshot = self.snapshot;
        let codes = &snapshot.code_objects;
        let _ = write!(out, "<section id=f{f}><h2>");
        esc_into(out, &file.filename);
        let _ = writeln!(out, " <small>{}</small></h2>", counts_words(&file.totals));
        match snapshot
            .files
            .get(&file.filename)
            .filter(|_| file.source_kept)
        {
            None if !file.source_kept => {
                let _ = writeln!(
                    out,
                    "<p class=meta>({})</p>",
                    crate::present::words::SOURCE_NOT_KEPT
                );
            }
            Some(text) if !text.is_empty() => {
                let lines = LazyHighlight::new();
                let source = SourceFile {
                    text,
                    lines: &lines,
                };
                let count = source.line_count() as u32;
                let members = file.codes.iter().map(|c| &codes[c.code]);
                for range in excerpts(members, count) {
                    self.excerpt(f, file, source, range, out);
                }
            }
            _ => out.push_str("<p class=meta>(no source text)</p>\n"),
        }
        out.push_str(
            "<h3>Bytecode <small>per code object: each instruction's base form, \
             its live form where it changed, and its caches; ",
        );
        for (k, mark) in legend_marks(&snapshot.code_objects).into_iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{} {}", mark.symbol(), mark_words(mark));
        }
        out.push_str("</small></h3>\n");
        if !self.tables_for_idle_code && file.codes.iter().any(|c| !codes[c.code].ran) {
            out.push_str(
                "<p class=meta>In a page this large, code that shows no sign it ran \
                 has no table (the index links it to its source): its bytecode is \
                 as compiled, and <code>specscope dump --format table</code> prints it.</p>\n",
            );
        }
        for c in &file.codes {
            self.code_details(f, c.code, &c.counts, out);
        }
        out.push_str("</section>\n");
    }

    /// Lines `range` (from 1, inclusive) of a file, heat-mapped.
    fn excerpt(
        &self,
        f: usize,
        file: &FileHeat,
        source: SourceFile,
        range: Range<u32>,
        out: &mut String,
    ) {
        let _ = write!(out, "<div class=src");
        if range.start > 1 {
            let _ = write!(out, " style=\"counter-reset:ln {}\"", range.start - 1);
        }
        out.push('>');
        let lines = source.highlighted(range.start as usize - 1..range.end as usize);
        for (n, line) in (range.start..).zip(&lines) {
            out.push_str("<p");
            if self.anchored[f].contains(&n) {
                let _ = write!(out, " id=f{f}-{n}");
            }
            let gutter = self
                .gutter
                .get(&file.filename)
                .and_then(|lines| lines.get(&n))
                .and_then(|state| gutter_class(*state));
            match (gutter, file.never_ran.contains(&n)) {
                (Some(g), true) => {
                    let _ = write!(out, " class=\"{g} z\"");
                }
                (Some(g), false) => {
                    let _ = write!(out, " class={g}");
                }
                (None, true) => out.push_str(" class=z"),
                (None, false) => {}
            }
            out.push('>');
            self.heat_line(file, n, line, out);
            out.push('\n');
        }
        out.push_str("</div>\n");
    }

    /// One source line: its heat spans, and the syntax classes inside them.
    /// The spans are written as the instructions nest, a `<mark>` per
    /// instruction with its own title, inside the marks of the instructions
    /// around it: the page stays small, and each stretch is still coloured
    /// by the most telling state that covers it.
    fn heat_line(&self, file: &FileHeat, n: u32, line: &HighlightedLine, out: &mut String) {
        let mut tokens = Tokens::new(line);
        // Open marks, outermost first, with the class each was given.
        let mut open: Vec<(Site, SiteState)> = Vec::new();
        let mut at = 0;
        for span in file.spans_on(n) {
            let Some(range) = span_on_line(span, n, &line.text) else {
                continue;
            };
            if range.start < at {
                continue;
            }
            if range.start > at {
                close_marks(&mut open, 0, out);
                tokens.emit(at..range.start, out);
            }
            let needed = span.sites.iter().rev();
            let kept = open
                .iter()
                .zip(needed.clone())
                .take_while(|((open, _), site)| open == *site)
                .count();
            close_marks(&mut open, kept, out);
            for site in needed.skip(kept) {
                let class = match open.last() {
                    Some((_, around)) if around.telling() > site.state.telling() => *around,
                    _ => site.state,
                };
                let ins = &self.snapshot.code_objects[site.code].instructions[site.instruction];
                let _ = write!(out, "<mark class={} title=\"", state_class(class));
                esc_into(out, &site_words(ins, site.state));
                if let Some(evidence) = &ins.evidence {
                    out.push_str(" — why: ");
                    esc_into(out, &evidence.reason);
                }
                out.push_str("\">");
                open.push((*site, class));
            }
            tokens.emit(range.clone(), out);
            at = range.end;
        }
        close_marks(&mut open, 0, out);
        tokens.emit(at..line.text.len(), out);
    }

    /// Whether a code object gets its bytecode table in the page.
    fn has_table(&self, code: &CodeObject) -> bool {
        code.ran || self.tables_for_idle_code
    }

    fn code_details(&self, f: usize, c: usize, counts: &StateCounts, out: &mut String) {
        let code = &self.snapshot.code_objects[c];
        if !self.has_table(code) {
            return;
        }
        let _ = write!(out, "<details id=c{c}><summary><b>");
        esc_into(out, &code.qualname);
        let _ = write!(
            out,
            "</b> <small>{} · <a href=#f{f}-{line}>line {line}</a>{} · {}</small></summary>",
            code.kind.as_str(),
            match (code.ran, code.ran_known) {
                (true, _) => "",
                (false, true) => " · never ran",
                (false, false) => " · no sign it ran",
            },
            counts_words(counts),
            line = first_line(code),
        );
        let forms: BTreeSet<&str> = code
            .instructions
            .iter()
            .filter(|i| shows_form(i))
            .map(|i| i.opname.as_str())
            .filter(|name| self.explained.contains_key(name))
            .collect();
        if !forms.is_empty() {
            out.push_str("<p>Forms here: ");
            for (k, name) in forms.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str("<a href=#x-");
                esc_into(out, name);
                out.push('>');
                esc_into(out, name);
                out.push_str("</a>");
            }
            out.push_str("</p>");
        }
        bytecode_table(code, out);
        out.push_str("</details>\n");
    }

    /// What each specialized or adaptive form seen in the page means, once.
    fn forms(&self, out: &mut String) {
        if self.explained.is_empty() {
            return;
        }
        out.push_str(
            "<section id=forms><h2>The forms seen <small>what each specialized or \
             adaptive instruction of this page does, for this Python version</small></h2>\
             <div class=explain>\n",
        );
        for (name, e) in &self.explained {
            out.push_str("<article id=x-");
            esc_into(out, name);
            out.push_str("><h3>");
            esc_into(out, name);
            out.push_str("</h3>");
            for p in e.paragraphs.iter().chain(&e.counter) {
                paragraph_html(p, out);
            }
            out.push_str("</article>\n");
        }
        let missing = self.forms.len() - self.explained.len();
        if missing > 0 {
            let _ = write!(
                out,
                "<p class=meta>{missing} more {} without a text for this version.</p>",
                if missing == 1 { "form" } else { "forms" }
            );
        }
        out.push_str("</div></section>\n");
    }
}

/// A paragraph of an explanation; its lines that start with `- ` are a
/// list.
fn paragraph_html(paragraph: &str, out: &mut String) {
    let mut list = false;
    let mut text = false;
    for line in paragraph.lines() {
        match line.strip_prefix("- ") {
            Some(item) => {
                if !list {
                    out.push_str("<ul>");
                    list = true;
                }
                out.push_str("<li>");
                esc_into(out, item);
            }
            None => {
                if list {
                    out.push_str("</ul>");
                    list = false;
                    text = false;
                }
                out.push_str(if text { " " } else { "<p>" });
                text = true;
                esc_into(out, line);
            }
        }
    }
    if list {
        out.push_str("</ul>");
    }
}

/// Closes the open marks above the first `keep`.
fn close_marks(open: &mut Vec<(Site, SiteState)>, keep: usize, out: &mut String) {
    while open.len() > keep {
        open.pop();
        out.push_str("</mark>");
    }
}

/// Whether an instruction's live form gets an explanation: it changed, or
/// it counts (adaptive forms).
fn shows_form(ins: &Instruction) -> bool {
    ins.changed() || ins.counter.is_some()
}

fn explanation(snapshot: &Snapshot, name: &str) -> Option<explain::Explanation> {
    explain::written_for(name, snapshot.python.version).filter(|e| e.written)
}

/// The line a code object is linked at: where it starts, or its first
/// instruction's line when that comes first (a module's line 1).
fn first_line(code: &CodeObject) -> u32 {
    let lines = code.instructions.iter().filter_map(site_line);
    lines
        .min()
        .unwrap_or(code.first_line)
        .min(code.first_line.max(1))
        .max(1)
}

fn site_line(ins: &Instruction) -> Option<u32> {
    ins.positions
        .and_then(|p| p.line)
        .or(ins.line)
        .filter(|&l| l > 0)
}

/// The stretches of a file's lines (from 1, end exclusive) that its code
/// objects cover: the whole file for a module, a function's lines for a
/// function; near stretches joined.
fn excerpts<'c>(codes: impl Iterator<Item = &'c CodeObject>, count: u32) -> Vec<Range<u32>> {
    let mut ranges: Vec<Range<u32>> = codes
        .map(|code| {
            if code.kind == CodeKind::Module {
                return 1..count + 1;
            }
            let mut lo = first_line(code);
            let mut hi = lo;
            for p in code.instructions.iter().filter_map(|i| i.positions) {
                if let Some(line) = p.line.filter(|&l| l > 0) {
                    lo = lo.min(line);
                    hi = hi.max(p.end_line.unwrap_or(line).max(line));
                }
            }
            lo.min(count.max(1))..hi.min(count) + 1
        })
        .filter(|r| r.start < r.end)
        .collect();
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<u32>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end + BRIDGED_GAP => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The byte range of `text` (line `n`) that a span covers. Columns are
/// UTF-8 byte offsets; on a line inside a span over several lines, the
/// indentation is left out.
fn span_on_line(span: &Span, n: u32, text: &str) -> Option<Range<usize>> {
    let indent = text.len() - text.trim_start().len();
    let start = if span.start.line == n {
        span.start.col as usize
    } else {
        indent
    };
    let end = if span.end.line == n {
        span.end.col as usize
    } else {
        text.len()
    };
    let start = floor_char_boundary(text, start.min(text.len()));
    let end = floor_char_boundary(text, end.min(text.len()));
    (end > start).then_some(start..end)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A line's syntax classes, written out piece by piece.
struct Tokens<'l> {
    line: &'l HighlightedLine,
    next: usize,
}

impl<'l> Tokens<'l> {
    fn new(line: &'l HighlightedLine) -> Tokens<'l> {
        Tokens { line, next: 0 }
    }

    /// The text of `range` (ascending from one call to the next), each
    /// token in it cut to the range.
    fn emit(&mut self, range: Range<usize>, out: &mut String) {
        let text = &self.line.text;
        let mut at = range.start;
        while at < range.end {
            let token = self.line.tokens[self.next.min(self.line.tokens.len())..]
                .iter()
                .find(|(r, _)| r.end > at);
            match token {
                Some((r, class)) if r.start <= at => {
                    let end = r.end.min(range.end);
                    match class_name(*class) {
                        Some(c) => {
                            let _ = write!(out, "<i class={c}>");
                            esc_into(out, &text[at..end]);
                            out.push_str("</i>");
                        }
                        None => esc_into(out, &text[at..end]),
                    }
                    at = end;
                }
                Some((r, _)) => {
                    let end = r.start.min(range.end);
                    esc_into(out, &text[at..end]);
                    at = end;
                }
                None => {
                    esc_into(out, &text[at..range.end]);
                    at = range.end;
                }
            }
            while self
                .line
                .tokens
                .get(self.next)
                .is_some_and(|(r, _)| r.end <= at)
            {
                self.next += 1;
            }
        }
    }
}

fn bytecode_table(code: &CodeObject, out: &mut String) {
    out.push_str(
        "<table class=bc><thead><tr><th>line<th>offset<th>base<th>live, if changed\
         <th>arg<th>argrepr<th>caches</thead><tbody>\n",
    );
    // Cells at the end of a row that would be empty are left out.
    for ins in &code.instructions {
        let mark = Mark::of(ins);
        // The row's class draws its mark (`mark_style`).
        match mark_class(mark) {
            Some(class) => {
                let _ = write!(out, "<tr class={class}>");
            }
            None => out.push_str("<tr>"),
        }
        out.push_str("<td>");
        if ins.starts_line
            && let Some(line) = ins.line
        {
            let _ = write!(out, "{line}");
        }
        out.push_str("<td>");
        if ins.is_jump_target {
            out.push_str("» ");
        }
        let _ = write!(out, "{}<td>", ins.offset);
        esc_into(out, &ins.base_opname);
        let rest = [
            ins.changed(),
            ins.arg.is_some(),
            !ins.argrepr.is_empty(),
            !ins.caches.is_empty(),
        ];
        let cells = rest.iter().rposition(|&c| c).map_or(0, |last| last + 1);
        if cells > 0 {
            out.push_str("<td>");
            if ins.changed() {
                esc_into(out, &ins.opname);
            }
        }
        if cells > 1 {
            out.push_str("<td>");
            if let Some(arg) = ins.arg {
                let _ = write!(out, "{arg}");
            }
        }
        if cells > 2 {
            out.push_str("<td>");
            esc_into(out, &clip(&ins.argrepr, 60));
        }
        if cells > 3 {
            out.push_str("<td>");
            caches_html(ins, out);
        }
        out.push('\n');
        if let Some(evidence) = &ins.evidence {
            out.push_str("<tr><td><td><td colspan=5 class=why>");
            esc_into(out, &crate::present::why::evidence_line(ins, evidence));
            out.push('\n');
        }
    }
    out.push_str("</tbody></table>");
}

/// The cache entries, one a line: the counter in words; for a specialized
/// form every entry and what it refers to; for a generic form only the
/// entries that are not zero (the others hold nothing yet).
fn caches_html(ins: &Instruction, out: &mut String) {
    let mut first = true;
    for (i, cache) in ins.caches.iter().enumerate() {
        let counter = ins.counter.as_ref().filter(|_| i == 0);
        if counter.is_none() && ins.status != Status::Specialized && cache.value == 0 {
            continue;
        }
        if !first {
            out.push_str("<br>");
        }
        first = false;
        esc_into(out, &cache.name);
        let _ = write!(out, "={}", cache.value);
        let said = match counter {
            Some(counter) => Some(counter_short(counter)),
            None => cache.meaning.clone(),
        };
        if let Some(said) = said {
            out.push_str(" (");
            esc_into(out, &said);
            out.push(')');
        }
    }
}

fn timeline(snapshot: &Snapshot, out: &mut String) {
    out.push_str("<section class=timeline id=timeline><h2>Timeline <small>what changed at each step of the warm-up</small></h2><ol>");
    let mut previous: Option<&[CodeObject]> = None;
    for step in &snapshot.timeline {
        let expr = if step.phase == crate::model::Phase::Then {
            &snapshot.warmup.then
        } else {
            &snapshot.warmup.call
        };
        out.push_str("<li><b>");
        esc_into(out, expr.as_deref().unwrap_or("?"));
        let _ = write!(out, " × {}</b>", step.calls);
        if let Some(before) = previous {
            let list = changes(before, &step.code_objects);
            out.push_str("<ul>");
            if list.is_empty() {
                out.push_str("<li>no change</li>");
            }
            for c in list {
                let _ = write!(out, "<li>{} <code>", c.change.transition.word());
                esc_into(out, &c.qualname);
                let _ = write!(out, "</code> @{}: ", c.offset);
                esc_into(out, &crate::present::words::change_words(&c.change));
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>");
        previous = Some(&step.code_objects);
    }
    out.push_str("</ol></section>");
}

fn state_heads(out: &mut String) {
    for state in SiteState::ALL {
        let _ = write!(out, "<th>{}", site_state_words(state));
    }
}

fn state_cells(counts: &StateCounts, out: &mut String) {
    for state in SiteState::ALL {
        match counts.get(state) {
            0 => out.push_str("<td>"),
            n => {
                let _ = write!(out, "<td class={}>{n}", state_class(state));
            }
        }
    }
}

/// `3 specialized · 1 backing off`, the states with sites only.
fn counts_words(counts: &StateCounts) -> String {
    let said: Vec<String> = SiteState::ALL
        .iter()
        .filter(|s| counts.get(**s) > 0)
        .map(|s| format!("{} {}", counts.get(*s), site_state_words(*s)))
        .collect();
    if said.is_empty() {
        "no specializable site".to_string()
    } else {
        said.join(" · ")
    }
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

fn state_class(state: SiteState) -> &'static str {
    match state {
        SiteState::Specialized => "S",
        SiteState::Warming => "W",
        SiteState::BackingOff => "B",
        SiteState::GivenUp => "G",
        SiteState::NeverRan => "N",
    }
}

/// A line's gutter mark, as a class whose `::after` draws the symbol
/// (`GUTTER_SYMBOLS` in the style).
fn gutter_class(state: LineState) -> Option<&'static str> {
    match state {
        LineState::Specialized => Some("gs"),
        LineState::Warming => Some("gw"),
        LineState::BackingOff => Some("gb"),
        LineState::Mixed => Some("gm"),
        LineState::NeverRan => Some("gn"),
        LineState::Plain => None,
    }
}

fn mark_class(mark: Mark) -> Option<&'static str> {
    match mark {
        Mark::Specialized => Some("S"),
        Mark::Warming => Some("W"),
        Mark::BackingOff => Some("B"),
        Mark::GivenUp => Some("G"),
        Mark::AtCreation => Some("A"),
        Mark::NoCache => None,
    }
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    esc_into(&mut out, text);
    out
}

/// `text` HTML-escaped onto `out`, control characters made visible.
fn esc_into(out: &mut String, text: &str) {
    let text = sanitize(text);
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
}
