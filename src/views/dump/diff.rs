//! `specscope diff A.json B.json`: what changed between two snapshots, as
//! a table (one block per code object), as JSON, or as an HTML page with
//! A and B side by side.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::analysis::diff::{Change, Diff, FunctionDiff, Side, SiteDiff};
use crate::analysis::summary::SiteState;
use crate::model::{CodeObject, Snapshot};
use crate::present::diff::{
    Tone, change_key, change_symbol, change_tone, change_words, side_words, site_place,
    snapshot_line, totals_words,
};
use crate::present::text::{Paint, clip, display_width, sanitize, sanitize_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DiffFormat {
    /// One block per code object, its changed sites A beside B, then totals
    #[default]
    Table,
    /// A document for scripts (`"schema": 1`, see the README)
    Json,
    /// A self-contained page, A and B side by side
    Html,
}

/// The two snapshots compared, with the names they were read from.
pub struct Compared<'a> {
    pub a: &'a Snapshot,
    pub a_name: &'a str,
    pub b: &'a Snapshot,
    pub b_name: &'a str,
    pub diff: &'a Diff,
    /// Every code object and site, or only those where something changed.
    pub all: bool,
}

impl Compared<'_> {
    fn code_a(&self, f: &FunctionDiff) -> Option<&CodeObject> {
        f.a.map(|i| &self.a.code_objects[i])
    }

    fn code_b(&self, f: &FunctionDiff) -> Option<&CodeObject> {
        f.b.map(|i| &self.b.code_objects[i])
    }

    /// The code object that names `f`: B's, or A's when B has none.
    fn named(&self, f: &FunctionDiff) -> &CodeObject {
        self.code_b(f)
            .or_else(|| self.code_a(f))
            .expect("a compared code object is in A or B")
    }

    fn functions(&self) -> impl Iterator<Item = &FunctionDiff> {
        let all = self.all;
        self.diff
            .functions
            .iter()
            .filter(move |f| all || f.changed())
    }

    fn sites<'f>(&self, f: &'f FunctionDiff) -> impl Iterator<Item = &'f SiteDiff> {
        let all = self.all;
        f.sites.iter().filter(move |s| all || s.changed())
    }
}

pub fn render(compared: &Compared, format: DiffFormat, color: bool) -> String {
    match format {
        DiffFormat::Table => table(compared, Paint { on: color }),
        DiffFormat::Json => json(compared),
        DiffFormat::Html => html(compared),
    }
}

fn tone_style(tone: Tone) -> &'static str {
    match tone {
        Tone::Worse => "1;31",
        Tone::Better => "1;32",
        Tone::Neutral => "33",
    }
}

fn table(c: &Compared, paint: Paint) -> String {
    let mut out = String::new();
    let names = [sanitize_line(c.a_name), sanitize_line(c.b_name)];
    let width = names.iter().map(|n| display_width(n)).max().unwrap_or(0);
    for ((label, snapshot), name) in [("A", c.a), ("B", c.b)].into_iter().zip(&names) {
        let _ = writeln!(
            out,
            "{}  {}  {}",
            paint.wrap("1", label),
            pad(name, width),
            snapshot_line(snapshot)
        );
    }
    let mut shown = 0;
    for f in c.functions() {
        shown += 1;
        out.push('\n');
        function_block(c, f, paint, &mut out);
    }
    if shown == 0 {
        let _ = writeln!(
            out,
            "\nNo site changed in the {} code objects both snapshots have.",
            c.diff.totals.matched
        );
    }
    out.push('\n');
    let _ = writeln!(out, "{}", paint.wrap("1", &totals_line(c.diff)));
    out
}

/// `Totals: 4 code objects in both, 1 only in A; sites: 1 lost, 2 specialized`.
pub fn totals_line(diff: &Diff) -> String {
    let t = &diff.totals;
    let mut objects = format!("{} code objects in both", t.matched);
    if t.only_a > 0 {
        objects.push_str(&format!(", {} only in A", t.only_a));
    }
    if t.only_b > 0 {
        objects.push_str(&format!(", {} only in B", t.only_b));
    }
    format!(
        "Totals: {objects}; sites: {}",
        totals_words(|change| t.get(change))
    )
}

fn function_block(c: &Compared, f: &FunctionDiff, paint: Paint, out: &mut String) {
    let code = c.named(f);
    let place = |code: Option<&CodeObject>| {
        code.map(|code| {
            format!(
                "{}:{}",
                sanitize_line(short_file(&code.filename)),
                code.first_line
            )
        })
    };
    let (pa, pb) = (place(c.code_a(f)), place(c.code_b(f)));
    let whereabouts = match (&pa, &pb) {
        (Some(a), Some(b)) if a == b => a.clone(),
        (Some(a), Some(b)) => format!("{a} → {b}"),
        (Some(a), None) => format!("{a}, only in A"),
        (None, Some(b)) => format!("{b}, only in B"),
        (None, None) => String::new(),
    };
    let counts = totals_words(|change| f.count(change));
    let _ = writeln!(
        out,
        "{} ({}, {whereabouts})  {counts}",
        paint.wrap("1", &sanitize_line(&code.qualname)),
        code.kind.as_str()
    );
    let rows: Vec<(String, String, String, Change)> = c
        .sites(f)
        .map(|s| {
            let a = side_cell(c.code_a(f), s.a.as_ref());
            let b = side_cell(c.code_b(f), s.b.as_ref());
            let at = match (s.b.as_ref(), s.a.as_ref()) {
                (Some(side), _) => site_place(c.code_b(f).expect("B side"), side),
                (None, Some(side)) => {
                    format!("A {}", site_place(c.code_a(f).expect("A side"), side))
                }
                (None, None) => String::new(),
            };
            (at, a, b, s.change)
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let at_w = rows
        .iter()
        .map(|r| display_width(&r.0))
        .max()
        .unwrap_or(0)
        .max(4);
    let a_w = rows
        .iter()
        .map(|r| display_width(&r.1))
        .max()
        .unwrap_or(0)
        .clamp(1, 48);
    let b_w = rows
        .iter()
        .map(|r| display_width(&r.2))
        .max()
        .unwrap_or(0)
        .clamp(1, 48);
    let head = format!("  {:<at_w$}  {:<a_w$}  {:<b_w$}  change", "line", "A", "B");
    let _ = writeln!(out, "{}", paint.wrap("2", &head));
    for (at, a, b, change) in rows {
        let style = if change == Change::Unchanged {
            "2"
        } else {
            tone_style(change_tone(change))
        };
        let word = paint.wrap(style, change_words(change));
        let row = format!(
            "{} {:<at_w$}  {}  {}  {word}",
            paint.wrap(style, change_symbol(change)),
            at,
            pad(&clip(&a, a_w), a_w),
            pad(&clip(&b, b_w), b_w),
        );
        let _ = writeln!(out, "{}", row.trim_end());
    }
}

fn pad(text: &str, width: usize) -> String {
    let w = display_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn side_cell(code: Option<&CodeObject>, side: Option<&Side>) -> String {
    match (code, side) {
        (Some(code), Some(side)) => side_words(code, side),
        _ => "·".into(),
    }
}

/// The last part of a path: tables name files briefly, the JSON in full.
fn short_file(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn state_key(state: SiteState) -> &'static str {
    match state {
        SiteState::Specialized => "specialized",
        SiteState::BackingOff => "backing_off",
        SiteState::GivenUp => "given_up",
        SiteState::Warming => "warming",
        SiteState::NeverRan => "never_ran",
    }
}

fn side_json(code: Option<&CodeObject>, side: Option<&Side>) -> Value {
    let (Some(code), Some(side)) = (code, side) else {
        return Value::Null;
    };
    let ins = &code.instructions[side.instruction];
    json!({
        "offset": ins.offset,
        "line": ins.positions.and_then(|p| p.line).or(ins.line),
        "positions": ins.positions,
        "opname": ins.opname,
        "base_opname": ins.base_opname,
        "state": state_key(side.state),
        "counter": ins.counter.as_ref().map(|c| json!({"raw": c.raw, "state": c.state})),
    })
}

fn counts_json(count: impl Fn(Change) -> usize) -> Value {
    let map: serde_json::Map<String, Value> = Change::ALL
        .iter()
        .map(|c| (change_key(*c).to_string(), json!(count(*c))))
        .collect();
    Value::Object(map)
}

fn snapshot_json(name: &str, s: &Snapshot) -> Value {
    json!({
        "file": name,
        "python": s.python.version.to_string(),
        "target": s.target.filename,
        "call": s.warmup.call,
        "calls_done": s.warmup.calls_done,
    })
}

fn json(c: &Compared) -> String {
    let functions: Vec<Value> = c
        .functions()
        .map(|f| {
            let (ca, cb) = (c.code_a(f), c.code_b(f));
            let code = c.named(f);
            let sites: Vec<Value> = c
                .sites(f)
                .map(|s| {
                    let family = s
                        .b
                        .map(|side| &cb.expect("B side").instructions[side.instruction])
                        .or_else(|| s.a.map(|side| &ca.expect("A side").instructions[side.instruction]))
                        .map(|i| crate::model::version::comparable_family(&i.base_opname));
                    json!({
                        "change": change_key(s.change),
                        "family": family,
                        "a": side_json(ca, s.a.as_ref()),
                        "b": side_json(cb, s.b.as_ref()),
                    })
                })
                .collect();
            json!({
                "qualname": code.qualname,
                "kind": code.kind,
                "filename": {"a": ca.map(|c| &c.filename), "b": cb.map(|c| &c.filename)},
                "first_line": {"a": ca.map(|c| c.first_line), "b": cb.map(|c| c.first_line)},
                "in": match (ca, cb) { (Some(_), Some(_)) => "both", (Some(_), None) => "a", _ => "b" },
                "counts": counts_json(|change| f.count(change)),
                "sites": sites,
            })
        })
        .collect();
    let t = &c.diff.totals;
    let document = json!({
        "schema": 1,
        "kind": "diff",
        "a": snapshot_json(c.a_name, c.a),
        "b": snapshot_json(c.b_name, c.b),
        "only": if c.all { "all" } else { "changed" },
        "functions": functions,
        "totals": {
            "code_objects": {"both": t.matched, "only_a": t.only_a, "only_b": t.only_b},
            "sites": counts_json(|change| t.get(change)),
        },
    });
    let mut text = serde_json::to_string_pretty(&document).expect("a diff always serializes");
    text.push('\n');
    text
}

const STYLE: &str = r#"
:root { --worse: #cf222e; --better: #1a7f37; --neutral: #9a6700; --dim: #6e7781; --line: #d0d7de;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1280px; padding: 20px 24px; overflow-wrap: anywhere; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h2 small, .meta { color: var(--dim); font-weight: normal; font-size: 14px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 13px; }
th { text-align: left; color: var(--dim); font-weight: 600; border-bottom: 1px solid var(--line); padding: 3px 6px; }
td { padding: 2px 6px; vertical-align: top; overflow-wrap: anywhere; font-family: var(--mono); }
tbody tr { border-bottom: 1px solid #eef1f4; }
th:nth-child(1) { width: 7ch; } th:nth-child(2) { width: 28%; } th:nth-child(5) { width: 16ch; }
td.worse { color: var(--worse); font-weight: 700; } td.better { color: var(--better); font-weight: 700; }
td.neutral { color: var(--neutral); } td.same { color: var(--dim); }
tr.worse td:nth-child(4) { background: #ffebe9; } tr.better td:nth-child(4) { background: #dafbe1; }
tr.neutral td:nth-child(4) { background: #fff8c5; }
td.src { white-space: pre-wrap; color: #424a53; }
dl.who { display: grid; grid-template-columns: 2ch 1fr; gap: 2px 8px; margin: 0; } dl.who dt { font-weight: 700; }
"#;

fn tone_class(change: Change) -> &'static str {
    if change == Change::Unchanged {
        return "same";
    }
    match change_tone(change) {
        Tone::Worse => "worse",
        Tone::Better => "better",
        Tone::Neutral => "neutral",
    }
}

fn html(c: &Compared) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>specscope diff: {} → {}</title>",
        esc(c.a_name),
        esc(c.b_name)
    );
    let _ = writeln!(out, "<style>{STYLE}</style></head><body>");
    out.push_str("<h1>specscope diff</h1>\n<dl class=\"who\">");
    for (label, name, snapshot) in [("A", c.a_name, c.a), ("B", c.b_name, c.b)] {
        let _ = write!(
            out,
            "<dt>{label}</dt><dd><code>{}</code> · {}</dd>",
            esc(name),
            esc(&snapshot_line(snapshot))
        );
    }
    out.push_str("</dl>\n");
    let _ = writeln!(out, "<p><strong>{}</strong></p>", esc(&totals_line(c.diff)));
    for f in c.functions() {
        let code = c.named(f);
        let (ca, cb) = (c.code_a(f), c.code_b(f));
        let presence = match (ca, cb) {
            (Some(_), Some(_)) => "",
            (Some(_), None) => ", only in A",
            _ => ", only in B",
        };
        let _ = writeln!(
            out,
            "<h2><code>{}</code> <small>({}, {}:{}{presence}) · {}</small></h2>",
            esc(&code.qualname),
            code.kind.as_str(),
            esc(&code.filename),
            code.first_line,
            esc(&totals_words(|change| f.count(change)))
        );
        let rows: Vec<&SiteDiff> = c.sites(f).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(
            "<table><thead><tr><th>line</th><th>source</th><th>A</th><th>B</th><th>change</th></tr></thead><tbody>\n",
        );
        for s in rows {
            let (snapshot, code, side) = match (s.b.as_ref(), s.a.as_ref()) {
                (Some(side), _) => (c.b, cb.expect("B side"), side),
                (_, Some(side)) => (c.a, ca.expect("A side"), side),
                _ => continue,
            };
            let ins = &code.instructions[side.instruction];
            let source = ins
                .positions
                .and_then(|p| p.line)
                .or(ins.line)
                .and_then(|line| {
                    snapshot
                        .source_of(code)?
                        .lines()
                        .nth(line.checked_sub(1)? as usize)
                })
                .unwrap_or("")
                .trim();
            let class = tone_class(s.change);
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td>{}{}</td><td class=\"src\">{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
                if s.b.is_none() { "A " } else { "" },
                esc(&site_place(code, side)),
                esc(source),
                esc(&side_cell(ca, s.a.as_ref())),
                esc(&side_cell(cb, s.b.as_ref())),
                change_words(s.change)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in sanitize(text).chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("    "),
            _ => out.push(ch),
        }
    }
    out
}
