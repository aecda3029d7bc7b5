//! The one error type of every command: what went wrong, in words
//! ([`fmt::Display`], without the `specscope: ` every message starts with),
//! and the documented exit code it ends with ([`Error::code`]).
//!
//! Commands return `Result<_, Error>`; only the command line prints an
//! error and turns it into the process's exit code. How a *program* ended
//! (an exception, `sys.exit(3)`, a timeout) is no error: the snapshot says
//! it, and the command line reads its exit code from there.

use std::fmt;

use crate::collect::python::CollectError;
use crate::collect::raw::{Missing, RawTargetError, TargetProblem};
use crate::exit;
use crate::present::text::{sanitize, sanitize_line};

#[derive(Debug)]
pub enum Error {
    /// A command line clap accepted whose values make no sense (`--stdin`
    /// naming a folder), or a name no command knows (`explain NOPE`).
    Usage(String),
    /// The collection did not give a snapshot to show.
    Collect(CollectError),
    /// A `PYTHON*` variable the embedded interpreter cannot start with.
    Environment(String),
    /// The explorer was asked for without a terminal.
    NoTerminal,
    /// The terminal failed under the explorer.
    Terminal(std::io::Error),
    /// What specscope prints could not be written.
    Output(std::io::Error),
    /// A bug in specscope: something it needs from Python was not there.
    Internal(String),
    /// A snapshot file that cannot be read back (`--load`, `diff`).
    Load(crate::model::load::LoadError),
    /// Two snapshots `diff` cannot compare: no code object in common.
    NothingInCommon(String),
    /// A `diff -f` pattern that selects no code object.
    NoMatch(String),
}

impl Error {
    /// The exit code the process ends with (see [`crate::exit`]).
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Collect(CollectError::Target(t)) => match t.kind {
                TargetProblem::Stdin => exit::USAGE,
                TargetProblem::Syntax => exit::SYNTAX,
                _ => exit::TARGET,
            },
            Error::Collect(CollectError::Selection { .. }) => exit::NO_MATCH,
            Error::Collect(CollectError::VersionMismatch { .. }) => exit::VERSION_MISMATCH,
            Error::Collect(CollectError::Internal(_)) | Error::Internal(_) => exit::INTERNAL,
            Error::Environment(_) => exit::ENVIRONMENT,
            Error::NoTerminal => exit::NO_TERMINAL,
            Error::Terminal(_) => exit::INTERNAL,
            Error::Output(_) => exit::OUTPUT,
            Error::Load(_) | Error::NothingInCommon(_) => exit::SNAPSHOT,
            Error::NoMatch(_) => exit::NO_MATCH,
        }
    }
}

impl From<CollectError> for Error {
    fn from(error: CollectError) -> Self {
        Error::Collect(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Environment(message) => {
                f.write_str(&sanitize_line(message))
            }
            Error::Collect(error) => error.fmt(f),
            Error::NoTerminal => f.write_str(
                "the interactive explorer needs a terminal; use `specscope dump` to print instead",
            ),
            Error::Terminal(e) => write!(f, "the terminal failed: {e}"),
            Error::Output(e) => write!(f, "cannot write the output: {e}"),
            Error::Load(e) => f.write_str(&sanitize_line(&e.to_string())),
            Error::NothingInCommon(message) | Error::NoMatch(message) => {
                f.write_str(&sanitize_line(message))
            }
            Error::Internal(message) => {
                write!(
                    f,
                    "internal error (please report it): {}",
                    sanitize(message)
                )
            }
        }
    }
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectError::Target(t) if t.kind == TargetProblem::Syntax => {
                f.write_str(&syntax_message(t))
            }
            CollectError::Target(t) => f.write_str(&sanitize_line(&t.message)),
            CollectError::Selection { misses, .. } => {
                for (i, miss) in misses.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\nspecscope: ")?;
                    }
                    let nothing = match miss.missing {
                        Missing::Code => "no code object",
                        Missing::Module => "no module the program imported",
                        Missing::File => "no file the program's code came from",
                    };
                    write!(f, "-f '{}' matched {nothing}", sanitize_line(&miss.pattern))?;
                    let suggestions = crate::present::suggest::suggest(
                        &miss.pattern,
                        miss.candidates.iter().map(String::as_str),
                    );
                    if !suggestions.is_empty() {
                        let quoted: Vec<String> = suggestions
                            .iter()
                            .map(|s| format!("'{}'", sanitize_line(s)))
                            .collect();
                        write!(f, "; did you mean {}?", quoted.join(", "))?;
                    }
                }
                Ok(())
            }
            CollectError::VersionMismatch {
                venv,
                venv_version,
                linked,
                build_with,
            } => write!(
                f,
                "the active virtualenv {} is for Python {}, but specscope is linked with Python {}.\n\
                 Deactivate it, or build specscope for that version: PYO3_PYTHON={} cargo build --release",
                sanitize_line(&venv.to_string_lossy()),
                sanitize_line(venv_version),
                linked,
                shell_word(&sanitize_line(build_with))
            ),
            CollectError::Internal(trace) => {
                write!(f, "internal error (please report it):\n{}", sanitize(trace))
            }
        }
    }
}

/// `word` as one shell word: quoted when it holds anything but plain path
/// characters.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@%,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// `app.py:3:9: SyntaxError: invalid syntax`, the line, and a caret.
fn syntax_message(t: &RawTargetError) -> String {
    // file:line:col, as far as Python said.
    let place = match (t.line, t.col) {
        (Some(line), Some(col)) => format!(":{line}:{col}"),
        (Some(line), None) => format!(":{line}"),
        (None, _) => String::new(),
    };
    let mut msg = format!(
        "{}{place}: {}",
        sanitize_line(t.path.as_deref().unwrap_or("?")),
        sanitize_line(&t.message)
    );
    if let Some(text) = t.text.as_deref().filter(|s| !s.trim().is_empty()) {
        let shown = sanitize_line(text.trim_end());
        msg.push_str(&format!("\n    {shown}"));
        if let Some(col) = t.col.filter(|c| *c > 0) {
            // As wide as the shown line up to the column: a tab shows as
            // four spaces, a control character as two.
            let lead: String = text
                .chars()
                .take(col as usize - 1)
                .map(|c| " ".repeat(sanitize_line(c.encode_utf8(&mut [0; 4])).chars().count()))
                .collect();
            let span = t
                .end_col
                .filter(|e| *e > col)
                .map(|e| (e - col) as usize)
                .unwrap_or(1);
            msg.push_str(&format!("\n    {lead}{}", "^".repeat(span.min(80))));
        }
    }
    msg
}
