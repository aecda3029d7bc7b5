//! `specscope explain OPNAME` on the command line.

use super::render::{WIDTH, wrap};
use super::{Families, Lookup, PythonVersion, linked_families, lookup_in};
use crate::error::Error;
use crate::present::text::{sanitize_line, write_stdout};

/// `specscope explain OPNAME`: prints the explanation for the linked Python.
pub fn command(opname: &str) -> Result<(), Error> {
    let version = crate::collect::python::linked_version();
    let families = linked_families()
        .map_err(|e| Error::Internal(format!("cannot read opcode._specializations: {e}")))?;
    match lookup_in(opname, version, &families) {
        Lookup::Found(explanation) => {
            write_stdout(&explanation.render(WIDTH)).map_err(Error::Output)
        }
        Lookup::OtherVersions {
            versions,
            explanation,
        } => {
            let note = format!(
                "{} is not an opname of the linked Python {}; it exists in {}. \
                 This is its explanation for {}.",
                explanation.opname,
                version.short(),
                versions.join(", "),
                explanation.version.short(),
            );
            let text = format!(
                "{}\n\n{}",
                wrap(&note, WIDTH, "", "").join("\n"),
                explanation.render(WIDTH)
            );
            write_stdout(&text).map_err(Error::Output)
        }
        Lookup::Unknown {
            opname,
            suggestions,
        } => Err(unknown(&opname, version, &suggestions)),
    }
}

fn unknown(opname: &str, version: PythonVersion, suggestions: &[String]) -> Error {
    Error::Usage(format!(
        "{} is not an opname known to Python {}{}",
        sanitize_line(opname),
        version.short(),
        crate::present::suggest::did_you_mean(suggestions)
    ))
}

/// The error for `explain NAME --demo` when NAME is no specialized form.
pub fn not_a_form(opname: &str, version: PythonVersion, families: &Families) -> Error {
    let forms = families.values().flatten().map(String::as_str);
    let suggestions = crate::present::suggest::suggest(opname, forms);
    Error::Usage(format!(
        "{} is not a specialized form of Python {}, so it has no experiment{}",
        sanitize_line(opname),
        version.short(),
        crate::present::suggest::did_you_mean(&suggestions)
    ))
}
