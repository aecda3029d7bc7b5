//! `specscope explain OPNAME` on the command line.

use super::render::{WIDTH, wrap};
use super::{Families, Lookup, PythonVersion, linked_families, lookup_in};
use crate::present::text::sanitize_line;

/// `specscope explain OPNAME`: prints the explanation for the linked Python.
pub fn command(opname: &str) -> u8 {
    let version = crate::collect::python::linked_version();
    let families = match linked_families() {
        Ok(families) => families,
        Err(e) => {
            eprintln!("specscope: cannot read opcode._specializations: {e}");
            return crate::exit::INTERNAL;
        }
    };
    match lookup_in(opname, version, &families) {
        Lookup::Found(explanation) => {
            match crate::present::text::write_stdout(&explanation.render(WIDTH)) {
                Ok(()) => crate::exit::OK,
                Err(code) => code,
            }
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
            match crate::present::text::write_stdout(&text) {
                Ok(()) => crate::exit::OK,
                Err(code) => code,
            }
        }
        Lookup::Unknown {
            opname,
            suggestions,
        } => unknown(&opname, version, &suggestions),
    }
}

fn unknown(opname: &str, version: PythonVersion, suggestions: &[String]) -> u8 {
    eprintln!(
        "specscope: {} is not an opname known to Python {}{}",
        sanitize_line(opname),
        version.short(),
        crate::present::suggest::did_you_mean(suggestions)
    );
    crate::exit::USAGE
}

/// The error for `explain NAME --demo` when NAME is no specialized form.
pub fn not_a_form(opname: &str, version: PythonVersion, families: &Families) -> u8 {
    let forms = families.values().flatten().map(String::as_str);
    let suggestions = crate::present::suggest::suggest(opname, forms);
    eprintln!(
        "specscope: {} is not a specialized form of Python {}, so it has no experiment{}",
        sanitize_line(opname),
        version.short(),
        crate::present::suggest::did_you_mean(&suggestions)
    );
    crate::exit::USAGE
}
