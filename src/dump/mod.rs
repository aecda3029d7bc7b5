//! The text views of a [`Snapshot`]: `table`, `dis` and `json`.

pub mod dis;
pub mod html;
pub mod json;
pub mod table;

use std::io::Write;

use crate::model::{CounterState, Instruction, Snapshot, Status};
use crate::text::{Paint, sanitize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Dis,
    Json,
    /// A self-contained page to hand out or project.
    Html,
}

pub fn render(snapshot: &Snapshot, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(snapshot, Paint { on: color }),
        Format::Dis => dis::render(snapshot),
        Format::Json => json::render(snapshot),
        Format::Html => html::render(snapshot),
    }
}

/// The state of an instruction as one of the legend's four kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Specialized,
    Warming,
    BackingOff,
    /// 3.11 put the plain generic opcode back for good.
    GivenUp,
    /// A superinstruction 3.12 wrote at creation: no sign of execution.
    AtCreation,
    NoCache,
}

impl Mark {
    pub fn of(ins: &Instruction) -> Mark {
        match ins.status {
            Status::Specialized => Mark::Specialized,
            Status::Superinstruction => Mark::AtCreation,
            Status::NoCache | Status::Instrumented => Mark::NoCache,
            Status::Adaptive => match ins.counter.as_ref().map(|c| c.state) {
                Some(CounterState::BackingOff | CounterState::BackoffOrRestart) => Mark::BackingOff,
                Some(CounterState::Unspecializable) => Mark::GivenUp,
                _ => Mark::Warming,
            },
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Specialized => "+",
            Mark::Warming => "~",
            Mark::BackingOff => "!",
            Mark::GivenUp => "x",
            Mark::AtCreation => "=",
            Mark::NoCache => " ",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Mark::Specialized => "specialized",
            Mark::Warming => "adaptive, warming up",
            Mark::BackingOff => "adaptive, backing off after failed attempts",
            Mark::GivenUp => "given up: generic for good",
            Mark::AtCreation => "superinstruction written at creation",
            Mark::NoCache => "no inline cache",
        }
    }
}

/// The marks a legend explains for these code objects: the three every
/// version has, then the version-specific ones that occur.
pub fn legend_marks(codes: &[crate::model::CodeObject]) -> Vec<Mark> {
    let mut marks = vec![Mark::Specialized, Mark::Warming, Mark::BackingOff];
    for extra in [Mark::GivenUp, Mark::AtCreation] {
        if codes
            .iter()
            .flat_map(|c| &c.instructions)
            .any(|i| Mark::of(i) == extra)
        {
            marks.push(extra);
        }
    }
    marks
}

/// Writes what the program printed, and how it ended, to `err`, marked as the
/// program's own.
pub fn report_program(snapshot: &Snapshot, err: &mut dyn Write, paint: Paint) {
    let run = &snapshot.run;
    let text: String = run.output.iter().map(|c| c.text.as_str()).collect();
    report_output(&text, run.output_dropped_bytes, err, paint);
    if let Some(exc) = &run.exception {
        let _ = write!(err, "{}", sanitize(&exc.traceback));
        let _ = writeln!(
            err,
            "specscope: the {} raised {}; showing what was collected",
            phase_name(&exc.phase),
            crate::text::sanitize_line(&exc.type_name)
        );
    }
    if let Some(exit) = &run.exit {
        let call = match &exit.code {
            Some(code) => format!(
                "{}({}) (exit status {})",
                exit.how,
                crate::text::sanitize_line(code),
                exit.status
            ),
            None => format!("{}({})", exit.how, exit.status),
        };
        let _ = writeln!(
            err,
            "specscope: the {} called {call}; collection went on",
            phase_name(&exit.phase),
        );
    }
    if let Some(problem) = &run.collection_error {
        let _ = writeln!(
            err,
            "specscope: the program broke part of the collection ({}); showing what could be collected",
            crate::text::sanitize_line(problem)
        );
    }
    if let Some(stopped) = &run.stopped {
        let why = if stopped.reason == "timeout" {
            "--timeout"
        } else {
            "Ctrl-C"
        };
        let _ = writeln!(
            err,
            "specscope: {why} stopped the {} after {} calls; showing what ran",
            phase_name(&stopped.phase),
            snapshot.warmup.calls_done
        );
    }
}

/// The program's output (all streams, in order) between marks, when there
/// is any.
pub fn report_output(text: &str, dropped: u64, err: &mut dyn Write, paint: Paint) {
    if !text.is_empty() || dropped > 0 {
        let _ = writeln!(err, "{}", paint.wrap("2", "── output of the program ──"));
        let _ = write!(err, "{}", sanitize(text));
        if !text.ends_with('\n') && !text.is_empty() {
            let _ = writeln!(err);
        }
        if dropped > 0 {
            let _ = writeln!(err, "… {} more not kept", human_bytes(dropped));
        }
        let _ = writeln!(err, "{}", paint.wrap("2", "── end of program output ──"));
    }
}

fn phase_name(phase: &str) -> &'static str {
    match phase {
        "call" => "--call expression",
        "atexit" => "program's atexit handlers",
        // The program ended; collecting what it ran outlived --timeout.
        "collection" => "collection of what ran",
        _ => "program",
    }
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
