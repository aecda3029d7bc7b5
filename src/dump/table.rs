//! `--format table`: per code object a header, then one row per instruction
//! with base and live opnames side by side and the inline caches decoded.

use std::fmt::Write;

use super::Mark;
use crate::model::{CacheEntry, CodeObject, Counter, Instruction, Snapshot};
use crate::text::{Paint, sanitize_line};
use crate::timeline::{Transition, census, changes};

pub fn render(snapshot: &Snapshot, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Python {}  ·  {}  ·  {}",
        snapshot.python.version,
        sanitize_line(&snapshot.target.filename),
        warmup_line(snapshot)
    );
    let legend: Vec<String> = super::legend_marks(&snapshot.code_objects)
        .iter()
        .map(|m| format!("{} {}", paint_mark(paint, *m), m.describe()))
        .collect();
    let _ = writeln!(out, "{}", legend.join("   "));
    for code in &snapshot.code_objects {
        out.push('\n');
        code_object(code, paint, &mut out);
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
        let expr = if step.phase == "then" {
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
            let word = format!("{:<14}", change.transition.word());
            let style = match change.transition {
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
                sanitize_line(&change.text)
            );
        }
        previous = Some(&step.code_objects);
    }
}

pub fn warmup_line(snapshot: &Snapshot) -> String {
    let w = &snapshot.warmup;
    match &w.call {
        Some(call) => {
            let then = match &w.then {
                Some(then) => format!(", then {} × {}", sanitize_line(then), w.then_calls_done),
                None => String::new(),
            };
            format!(
                "{} × {}{} in {:.1} ms",
                sanitize_line(call),
                w.calls_done,
                then,
                w.call_seconds * 1000.0
            )
        }
        None => format!(
            "program ran in {:.1} ms",
            snapshot.warmup.program_seconds * 1000.0
        ),
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

fn code_object(code: &CodeObject, paint: Paint, out: &mut String) {
    let (specialized, specializable) = code.specialized_share();
    let ran = match (code.ran, code.ran_known) {
        (true, _) => "",
        (false, true) => "  · never ran",
        (false, false) => "  · no sign it ran",
    };
    let title = format!("{} ", sanitize_line(&code.qualname));
    let _ = writeln!(
        out,
        "{}({}, {}:{})  specialized {}/{}{}",
        paint.wrap("1", &title),
        code.kind.as_str(),
        sanitize_line(&code.filename),
        code.first_line,
        specialized,
        specializable,
        ran
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
            caches_text(ins)
        );
        out.push_str(row.trim_end());
        out.push('\n');
    }
}

fn width(code: &CodeObject, f: impl Fn(&Instruction) -> usize) -> usize {
    code.instructions.iter().map(f).max().unwrap_or(0)
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// `counter=832 (cooldown 52/0) version=131157 index=3`
pub fn caches_text(ins: &Instruction) -> String {
    let mut parts = Vec::with_capacity(ins.caches.len());
    for (i, cache) in ins.caches.iter().enumerate() {
        match (&ins.counter, i) {
            (Some(counter), 0) => parts.push(format!(
                "counter={} ({})",
                cache.value,
                counter_short(counter)
            )),
            _ => parts.push(cache_text(cache)),
        }
    }
    parts.join(" ")
}

fn cache_text(cache: &CacheEntry) -> String {
    match &cache.meaning {
        Some(meaning) => format!(
            "{}={} ({})",
            sanitize_line(&cache.name),
            cache.value,
            sanitize_line(meaning)
        ),
        None => format!("{}={}", sanitize_line(&cache.name), cache.value),
    }
}

/// A few words: `misses left 53 (52/0)`, `warming 1/1`, `misses left 53`.
pub fn counter_short(counter: &Counter) -> String {
    use crate::model::CounterState::*;
    let pair = match counter.backoff {
        Some(b) => format!("{}/{}", counter.value, b),
        None => counter.value.to_string(),
    };
    let word = match counter.state {
        NotQuickened => return "not quickened".into(),
        Warming => "warming",
        BackingOff => "backing off",
        BackoffOrRestart => "backing off or restarted",
        Unspecializable => return "given up".into(),
        Misses => {
            let left = counter.misses_left.unwrap_or(counter.value);
            return match counter.backoff {
                Some(_) => format!("misses left {left} ({pair})"),
                None => format!("misses left {left}"),
            };
        }
        TraceWarmup => "trace counter",
        Instrumented => "instrumented",
        BranchHistory => return format!("branches {:016b}", counter.raw),
        Unknown => "unknown layout",
    };
    format!("{word} {pair}")
}
