//! The words every view uses for the same thing: a counter in a few words,
//! the cache entries of an instruction, how long the warm-up took, how the
//! program's run ended, a byte count.

use crate::analysis::lines::LineState;
use crate::analysis::marks::Mark;
use crate::model::version::VersionFacts;
use crate::model::{CacheEntry, Counter, Instruction, Phase, Snapshot, StopReason};
use crate::present::text::sanitize_line;

/// What every view says where a code object's source would be and is not:
/// code made at run time from a string nobody kept (a dataclass's
/// `__init__`), a file above the source limit or one that cannot be read.
pub const SOURCE_NOT_KEPT: &str = "source not kept";

/// `program ran in 3.2 ms`, or `work() × 1000 in 12.0 ms`.
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

/// `counter=832 (cooldown 52/0) version=131157 index=3`; a failing
/// site's counter also says how often the backoff proves it ran:
/// `counter=1339 (backing off 83/11; ran at least 4,010 times)`.
pub fn caches_text(ins: &Instruction, facts: &VersionFacts) -> String {
    let mut parts = Vec::with_capacity(ins.caches.len());
    for (i, cache) in ins.caches.iter().enumerate() {
        match (&ins.counter, i) {
            (Some(counter), 0) => parts.push(match facts.executions_at_least(counter) {
                Some(n) => format!(
                    "counter={} ({}; {})",
                    cache.value,
                    counter_short(counter),
                    executions_words(n)
                ),
                None => format!("counter={} ({})", cache.value, counter_short(counter)),
            }),
            _ => parts.push(cache_text(cache)),
        }
    }
    parts.join(" ")
}

pub fn cache_text(cache: &CacheEntry) -> String {
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

/// What a failing site's backoff proves ([`VersionFacts::executions_at_least`]):
/// `ran at least once`, `ran at least 4,010 times`.
pub fn executions_words(n: u64) -> String {
    match n {
        1 => "ran at least once".into(),
        n => format!("ran at least {} times", grouped(n)),
    }
}

/// Samples that found a code object running, among all the run's:
/// `212 of 263 samples`.
pub fn samples_words(samples: u64, total: u64) -> String {
    format!("{} of {} samples", grouped(samples), grouped(total))
}

/// `4,010`: thousands set apart with commas.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count in binary units, rounded down, as the output limit is
/// given (1 MiB): `5 MiB`, `12 KiB`, `300 bytes`.
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    if n >= MIB {
        format!("{} MiB", n / MIB)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// What a run phase is called in a sentence.
pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Program => "program",
        Phase::Call => "--call expression",
        Phase::Then => "--then expression",
        Phase::Threads => "program's threads at its end",
        Phase::Atexit => "program's atexit handlers",
        // The program ended; collecting what it ran outlived --timeout.
        Phase::Collection => "collection of what ran",
    }
}

/// What stopped a run, as the user asked for it.
pub fn stopper(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Timeout => "--timeout",
        StopReason::Interrupt => "Ctrl-C",
    }
}

/// How a run ended, when it did not simply finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exception,
    Exit,
    CollectionBroken,
    Stopped,
}

/// How the program's run ended, one sentence for each thing that happened,
/// the same in every view: `the --call expression raised ValueError`,
/// `the program called sys.exit(3)`, `--timeout stopped the program after
/// 12 calls`.
pub fn endings(snapshot: &Snapshot) -> Vec<(Ending, String)> {
    let run = &snapshot.run;
    let mut said = Vec::new();
    if let Some(exc) = &run.exception {
        said.push((
            Ending::Exception,
            format!(
                "the {} raised {}",
                phase_name(exc.phase),
                sanitize_line(&exc.type_name)
            ),
        ));
    }
    if let Some(exit) = &run.exit {
        let call = match &exit.code {
            Some(code) if exit.how == crate::model::ExitHow::OsExec => format!(
                "{}, which would make the process another program: the run ends there",
                sanitize_line(code)
            ),
            Some(code) => format!(
                "{}({}) (exit status {})",
                exit.how.as_str(),
                sanitize_line(code),
                exit.status
            ),
            None => format!("{}({})", exit.how.as_str(), exit.status),
        };
        said.push((
            Ending::Exit,
            format!("the {} called {call}", phase_name(exit.phase)),
        ));
    }
    if let Some(problem) = &run.collection_error {
        said.push((
            Ending::CollectionBroken,
            format!(
                "the program broke part of the collection ({})",
                sanitize_line(problem)
            ),
        ));
    }
    if let Some(stopped) = &run.stopped {
        said.push((
            Ending::Stopped,
            format!(
                "{} stopped the {} after {} calls",
                stopper(stopped.reason),
                phase_name(stopped.phase),
                snapshot.warmup.calls_done
            ),
        ));
    }
    said
}

/// One line: `BINARY_OP → BINARY_OP_ADD_INT; counter warming 0/1 → misses
/// left 53 (52/0); func_version 0 → 12`.
pub fn change_words(change: &crate::analysis::timeline::InstructionChange) -> String {
    let mut parts = Vec::new();
    if let Some((before, after)) = &change.opnames {
        parts.push(format!("{before} → {after}"));
    }
    if let Some((before, after)) = &change.counter {
        parts.push(format!(
            "counter {} → {}",
            counter_short(before),
            counter_short(after)
        ));
    }
    for cache in &change.caches {
        parts.push(format!(
            "{} {} → {}",
            sanitize_line(&cache.name),
            cache.before,
            cache.after
        ));
    }
    parts.join("; ")
}

/// What a mark says, for legends and the detail pane.
pub fn mark_words(mark: Mark) -> &'static str {
    match mark {
        Mark::Specialized => "specialized",
        Mark::Warming => "adaptive, warming up",
        Mark::BackingOff => "adaptive, backing off after failed attempts",
        Mark::GivenUp => "given up: generic for good",
        Mark::AtCreation => "superinstruction written at creation",
        Mark::NoCache => "no inline cache",
    }
}

/// What a line's gutter mark says.
pub fn line_words(state: LineState) -> &'static str {
    match state {
        LineState::Specialized => "every specializable instruction specialized",
        LineState::Warming => "adaptive, warming up",
        LineState::BackingOff => "adaptive, backing off",
        LineState::Mixed => "some specialized, some adaptive",
        LineState::NeverRan => "code that never ran",
        LineState::Plain => "no inline cache",
    }
}

/// What a site's state is called in summaries (column heads too).
pub fn site_state_words(state: crate::analysis::summary::SiteState) -> &'static str {
    use crate::analysis::summary::SiteState;
    match state {
        SiteState::Specialized => "specialized",
        SiteState::BackingOff => "backing off",
        SiteState::GivenUp => "given up",
        SiteState::Warming => "warming",
        SiteState::NeverRan => "never ran",
    }
}

/// A site state in at most seven characters, for narrow column heads.
pub fn site_state_short(state: crate::analysis::summary::SiteState) -> &'static str {
    use crate::analysis::summary::SiteState;
    match state {
        SiteState::Specialized => "special",
        SiteState::BackingOff => "backoff",
        SiteState::GivenUp => "gave up",
        SiteState::Warming => "warming",
        SiteState::NeverRan => "no run",
    }
}

/// A site in a few words, for a pointer resting on the source: its live
/// opname, its state and its counter, e.g. `BINARY_OP_ADD_INT: specialized ·
/// misses left 53 (52/0)`, `BINARY_OP: backing off 97/7`, `LOAD_ATTR: never
/// ran`.
pub fn site_words(ins: &Instruction, state: crate::analysis::summary::SiteState) -> String {
    use crate::analysis::summary::SiteState;
    let name = sanitize_line(&ins.opname);
    let said = site_state_words(state);
    match (&ins.counter, state) {
        (Some(counter), SiteState::Specialized | SiteState::BackingOff | SiteState::Warming) => {
            let short = counter_short(counter);
            if short.starts_with(said) {
                format!("{name}: {short}")
            } else {
                format!("{name}: {said} · {short}")
            }
        }
        _ => format!("{name}: {said}"),
    }
}

/// `app.py:14:12` for an instruction of `code` (1-based column, as editors
/// count); the line alone when the column is unknown.
pub fn place(code: &crate::model::CodeObject, ins: &Instruction) -> String {
    let line = ins.positions.and_then(|p| p.line).or(ins.line);
    let col = ins.positions.and_then(|p| p.col);
    match (line, col) {
        (Some(line), Some(col)) => format!("{}:{line}:{}", code.filename, col + 1),
        (Some(line), None) => format!("{}:{line}", code.filename),
        (None, _) => code.filename.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executions_and_samples_read_with_grouped_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(4010), "4,010");
        assert_eq!(grouped(12_345_678), "12,345,678");
        assert_eq!(executions_words(1), "ran at least once");
        assert_eq!(executions_words(8178), "ran at least 8,178 times");
        assert_eq!(samples_words(212, 1263), "212 of 1,263 samples");
    }
}
