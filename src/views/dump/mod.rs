//! The printed views of a [`Snapshot`]: `table`, `summary`, `dis`, `json`
//! and `html`; and of two compared ([`diff`]).

pub mod diff;
pub mod dis;
pub mod html;
pub mod json;
pub mod summary;
pub mod table;

use std::io::Write;

use crate::model::Snapshot;
use crate::present::text::{Paint, sanitize};
use crate::present::words::{Ending, endings, human_bytes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    /// The whole program at a glance: per family, and the sites to look at
    /// first.
    Summary,
    Dis,
    Json,
    /// A self-contained page to hand out or project.
    Html,
}

pub fn render(snapshot: &Snapshot, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(snapshot, Paint { on: color }),
        Format::Summary => summary::render(snapshot, Paint { on: color }),
        Format::Dis => dis::render(snapshot),
        Format::Json => json::render(snapshot),
        Format::Html => html::render(snapshot),
    }
}

/// Writes what the program printed, and how it ended, to `err`, marked as the
/// program's own.
pub fn report_program(snapshot: &Snapshot, err: &mut dyn Write, paint: Paint) {
    let run = &snapshot.run;
    let text: String = run.output.iter().map(|c| c.text.as_str()).collect();
    report_output(&text, run.output_dropped_bytes, err, paint);
    if let Some(exc) = &run.exception {
        let _ = write!(err, "{}", sanitize(&exc.traceback));
    }
    for (ending, sentence) in endings(snapshot) {
        let then = match ending {
            Ending::Exception => "showing what was collected",
            Ending::Exit => "collection went on",
            Ending::CollectionBroken => "showing what could be collected",
            Ending::Stopped => "showing what ran",
        };
        let _ = writeln!(err, "specscope: {sentence}; {then}");
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
