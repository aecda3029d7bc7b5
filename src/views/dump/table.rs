//! `--format table`: per code object a header, then one row per instruction
//! with base and live opnames side by side and the inline caches decoded.

use std::fmt::Write;

use crate::analysis::marks::Mark;
use crate::analysis::timeline::{Transition, census, changes};
use crate::model::version::VersionFacts;
use crate::model::{CodeObject, Instruction, Snapshot};
use crate::present::text::clip;
use crate::present::text::{Paint, sanitize_line};
use crate::present::words::{SOURCE_NOT_KEPT, caches_text, samples_words, warmup_line};

pub fn render(snapshot: &Snapshot, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Python {}  ·  {}  ·  {}",
        snapshot.python.version,
        sanitize_line(&snapshot.target.filename),
        warmup_line(snapshot)
    );
    let legend: Vec<String> = crate::analysis::marks::legend_marks(&snapshot.code_objects)
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                paint_mark(paint, *m),
                crate::present::words::mark_words(*m)
            )
        })
        .collect();
    let _ = writeln!(out, "{}", legend.join("   "));
    let facts = snapshot.python.version.facts();
    let sampled = snapshot.sampling.map(|s| s.total);
    for code in &snapshot.code_objects {
        out.push('\n');
        code_object(
            code,
            snapshot.source_of(code).is_some(),
            &facts,
            sampled,
            paint,
            &mut out,
        );
    }
    if !snapshot.timeline.is_empty() {
        out.push('\n');
        timeline(snapshot, paint, &mut out);
    }
    out
}

/// The warm-up step by step: what changed since the step before.
fn timeline(snapshot: &Snapshot, paint: Paint, out: &mut String) {
    let _ = writeln!(out, "{}", paint.wrap("1", "Timeline"));
    let mut previous: Option<&[CodeObject]> = None;
    for (n, step) in snapshot.timeline.iter().enumerate() {
        let (specialized, warming, backing_off) = census(&step.code_objects);
        let expr = if step.phase == crate::model::Phase::Then {
            snapshot.warmup.then.as_deref()
        } else {
            snapshot.warmup.call.as_deref()
        };
        let _ = writeln!(
            out,
            "step {} · {} × {}  ({} specialized, {} warming, {} backing off)",
            n + 1,
            sanitize_line(expr.unwrap_or("?")),
            step.calls,
            specialized,
            warming,
            backing_off
        );
        let Some(before) = previous else {
            previous = Some(&step.code_objects);
            continue;
        };
        let changes = changes(before, &step.code_objects);
        if changes.is_empty() {
            let _ = writeln!(out, "    no change");
        }
        for change in changes {
            let word = format!("{:<14}", change.change.transition.word());
            let style = match change.change.transition {
                Transition::Specialized | Transition::Respecialized => "32",
                Transition::Deoptimized => "31",
                _ => "2",
            };
            let _ = writeln!(
                out,
                "    {} {} @{}  {}",
                paint.wrap(style, &word),
                sanitize_line(&change.qualname),
                change.offset,
                crate::present::words::change_words(&change.change)
            );
        }
        previous = Some(&step.code_objects);
    }
}

fn paint_mark(paint: Paint, mark: Mark) -> String {
    paint.wrap(mark_style(mark), mark.symbol()).into_owned()
}

fn mark_style(mark: Mark) -> &'static str {
    match mark {
        Mark::Specialized => "1;32",
        Mark::Warming => "33",
        Mark::BackingOff => "1;31",
        Mark::GivenUp => "31",
        Mark::NoCache | Mark::AtCreation => "2",
    }
}

/// A code object's header and rows; `sampled`: the run's samples, when
/// it was sampled.
fn code_object(
    code: &CodeObject,
    source_kept: bool,
    facts: &VersionFacts,
    sampled: Option<u64>,
    paint: Paint,
    out: &mut String,
) {
    let (specialized, specializable) = code.specialized_share();
    let ran = match (code.ran, code.ran_known) {
        (true, _) => "",
        (false, true) => "  · never ran",
        (false, false) => "  · no sign it ran",
    };
    let samples = match sampled {
        Some(total) => format!("  · {}", samples_words(code.samples, total)),
        None => String::new(),
    };
    let title = format!("{} ", sanitize_line(&code.qualname));
    let source = if source_kept {
        String::new()
    } else {
        format!(", {SOURCE_NOT_KEPT}")
    };
    let _ = writeln!(
        out,
        "{}({}, {}:{}{source})  specialized {}/{}{}{}",
        paint.wrap("1", &title),
        code.kind.as_str(),
        sanitize_line(&code.filename),
        code.first_line,
        specialized,
        specializable,
        ran,
        samples
    );
    let base_width = width(code, |i| i.base_opname.len()).max(4);
    let live_width = width(code, |i| i.opname.len()).max(4);
    let argrepr_width = width(code, |i| i.argrepr.chars().count().min(30)).max(7);
    let _ = writeln!(
        out,
        "{}",
        paint.wrap(
            "2",
            &format!(
                "  {:>5} {:>6}  {:<base_width$}  {:<live_width$}  {:>5}  {:<argrepr_width$}  caches",
                "line", "offset", "base", "live", "arg", "argrepr"
            )
        )
    );
    let mut last_line = None;
    for ins in &code.instructions {
        let mark = Mark::of(ins);
        let line = match ins.line {
            Some(l) if ins.starts_line || last_line != Some(l) => l.to_string(),
            _ => String::new(),
        };
        last_line = ins.line;
        let live = format!("{:<live_width$}", sanitize_line(&ins.opname));
        let live = if ins.changed() {
            paint.wrap(mark_style(mark), &live).into_owned()
        } else {
            live
        };
        let arg = ins.arg.map(|a| a.to_string()).unwrap_or_default();
        let jump = if ins.is_jump_target { ">>" } else { "  " };
        let argrepr = clip(&sanitize_line(&ins.argrepr), 30);
        let row = format!(
            "{} {:>5}{}{:>6}  {:<base_width$}  {}  {:>5}  {:<argrepr_width$}  {}",
            paint_mark(paint, mark),
            line,
            jump,
            ins.offset,
            sanitize_line(&ins.base_opname),
            live,
            arg,
            argrepr,
            caches_text(ins, facts)
        );
        out.push_str(row.trim_end());
        out.push('\n');
        if let Some(evidence) = &ins.evidence {
            let line = crate::present::why::evidence_line(ins, evidence);
            let _ = writeln!(out, "{:>16}{}", "", paint.wrap("36", &sanitize_line(&line)));
        }
    }
}

fn width(code: &CodeObject, f: impl Fn(&Instruction) -> usize) -> usize {
    code.instructions.iter().map(f).max().unwrap_or(0)
}
