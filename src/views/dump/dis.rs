//! `--format dis`: the text of `dis.dis(code, adaptive=True, show_caches=True)`
//! for each code object, in the layout of the Python version that ran it, but
//! with every cache value read from its own code units.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::model::version::{DisStyle, VersionFacts};
use crate::model::{CodeObject, Instruction, Snapshot};
use crate::present::text::sanitize;

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;

pub fn render(snapshot: &Snapshot) -> String {
    let facts = snapshot.python.version.facts();
    let mut out = String::new();
    for (i, code) in snapshot.code_objects.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "Disassembly of {}:", sanitize(&code.repr));
        disassemble(code, &facts, &mut out);
    }
    out
}

/// One code object, exactly as that version's `dis.disassemble` lays it out.
pub fn disassemble(code: &CodeObject, facts: &VersionFacts, out: &mut String) {
    match facts.dis {
        DisStyle::Py311 | DisStyle::Py312 => classic(code, facts, out),
        DisStyle::Py313 => labelled(code, facts, out),
    }
}

/// The cache entries in the order and with the names `dis` prints: where
/// `dis` disagrees with the interpreter's layout, its names go with the
/// values at its positions.
fn dis_caches<'a>(ins: &'a Instruction, facts: &VersionFacts) -> Vec<(&'a str, u32, u32, u64)> {
    let own = || {
        ins.caches
            .iter()
            .map(|c| (c.name.as_str(), c.size, c.offset, c.value))
            .collect()
    };
    let Some(layout) = facts.dis_cache_layout(&ins.base_opname) else {
        return own();
    };
    let mut offset = ins.offset.saturating_add(2);
    let mut out = Vec::with_capacity(layout.len());
    for (name, size) in layout {
        match ins
            .caches
            .iter()
            .find(|c| c.offset == offset && c.size == *size)
        {
            Some(c) => out.push((*name, *size, offset, c.value)),
            None => return own(),
        }
        offset = offset.saturating_add(size.saturating_mul(2));
    }
    out
}

/// One line of `dis` output, written straight into the text: Python's
/// `' '.join(fields).rstrip()`, a field at a time (a dump of every code
/// object of a module writes tens of thousands of them).
struct Line<'a> {
    out: &'a mut String,
    start: usize,
}

impl<'a> Line<'a> {
    fn new(out: &'a mut String) -> Line<'a> {
        let start = out.len();
        Line { out, start }
    }

    fn separate(&mut self) {
        if self.out.len() > self.start {
            self.out.push(' ');
        }
    }

    fn text(&mut self, field: &str) -> &mut Self {
        self.separate();
        self.out.push_str(field);
        self
    }

    fn format(&mut self, field: std::fmt::Arguments<'_>) -> &mut Self {
        self.separate();
        let _ = self.out.write_fmt(field);
        self
    }

    fn end(&mut self) {
        let trimmed = self.out[self.start..].trim_end().len();
        self.out.truncate(self.start + trimmed);
        self.out.push('\n');
    }
}

fn code_len(code: &CodeObject) -> u32 {
    code.instructions
        .last()
        .map(|i| {
            let units: u32 = i.caches.iter().fold(0u32, |n, c| n.saturating_add(c.size));
            i.offset
                .saturating_add(2)
                .saturating_add(units.saturating_mul(2))
        })
        .unwrap_or(0)
}

fn classic(code: &CodeObject, facts: &VersionFacts, out: &mut String) {
    let style = facts.dis;
    let max_line = code
        .instructions
        .iter()
        .filter(|i| i.starts_line)
        .filter_map(|i| i.line)
        .max();
    let lineno_width = match max_line {
        None => 0,
        Some(l) if l >= 1000 => l.to_string().len(),
        Some(_) => 3,
    };
    let max_offset = code_len(code).saturating_sub(2);
    let offset_width = if max_offset >= 10000 {
        max_offset.to_string().len()
    } else {
        4
    };
    let blank_line = " ".repeat(lineno_width);
    let quickened_targets: BTreeSet<u32> = if facts.dis_labels_from_live_jumps {
        code.instructions
            .iter()
            .filter(|i| i.opname != i.base_opname)
            .filter_map(|i| i.jump_target)
            .collect()
    } else {
        BTreeSet::new()
    };
    let marked = |ins: &Instruction| {
        ins.is_jump_target
            && (!quickened_targets.contains(&ins.offset)
                || code.exception_table.iter().any(|e| e.target == ins.offset)
                || code
                    .instructions
                    .iter()
                    .any(|j| j.jump_target == Some(ins.offset) && j.opname == j.base_opname))
    };
    for ins in &code.instructions {
        let starts = ins.starts_line && ins.line.is_some();
        if lineno_width > 0 && starts && ins.offset > 0 {
            out.push('\n');
        }
        let mut line = Line::new(out);
        if lineno_width > 0 {
            match (starts, ins.line) {
                (true, Some(l)) => line.format(format_args!("{l:>lineno_width$}")),
                _ => line.text(&blank_line),
            };
        }
        line.text("   ")
            .text(if marked(ins) { ">>" } else { "  " })
            .format(format_args!("{:>offset_width$}", ins.offset))
            .format(format_args!("{:<OPNAME_WIDTH$}", sanitize(&ins.opname)));
        if let Some(a) = ins.arg {
            line.format(format_args!("{a:>OPARG_WIDTH$}"));
            if !ins.argrepr.is_empty() {
                line.format(format_args!("({})", sanitize(&ins.argrepr)));
            }
        }
        line.end();
        // 3.11 shows cache values only once the instruction was quickened.
        let show_values = style == DisStyle::Py312 || ins.opname != ins.base_opname;
        for (name, size, cache_offset, cache_value) in dis_caches(ins, facts) {
            for unit in 0..size {
                let mut line = Line::new(out);
                if lineno_width > 0 {
                    line.text(&blank_line);
                }
                line.text("   ")
                    .text("  ")
                    .format(format_args!(
                        "{:>offset_width$}",
                        cache_offset.saturating_add(2 * unit)
                    ))
                    .text("CACHE               ")
                    .text("    0");
                if unit == 0 && show_values {
                    line.format(format_args!("({}: {cache_value})", sanitize(name)));
                }
                line.end();
            }
        }
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &code.exception_table {
            let lasti = if e.lasti { " lasti" } else { "" };
            let _ = writeln!(
                out,
                "  {} to {} -> {} [{}]{lasti}",
                e.start,
                e.end.saturating_sub(2),
                e.target,
                e.depth
            );
        }
    }
}

const NO_LINENO: &str = "  --";

fn labelled(code: &CodeObject, facts: &VersionFacts, out: &mut String) {
    let starts = code.instructions.iter().filter(|i| i.starts_line);
    let max_line = starts
        .clone()
        .filter_map(|i| i.line)
        .filter(|&l| l != 0)
        .max();
    let mut lineno_width = match max_line {
        None => 0,
        Some(l) => l.to_string().len().max(3),
    };
    if lineno_width > 0
        && lineno_width < NO_LINENO.len()
        && starts.clone().any(|i| i.line.is_none())
    {
        lineno_width = NO_LINENO.len();
    }
    let mut labels: BTreeSet<u32> = code
        .instructions
        .iter()
        .filter_map(|i| i.jump_target)
        .collect();
    for e in &code.exception_table {
        labels.extend([e.start, e.end, e.target]);
    }
    let labels: Vec<u32> = labels.into_iter().collect();
    let label_of = |offset: u32| labels.binary_search(&offset).ok().map(|i| i + 1);
    let label_width = 4 + labels.len().to_string().len();
    let blank_line = " ".repeat(lineno_width);
    let blank_label = " ".repeat(label_width);
    for ins in &code.instructions {
        if lineno_width > 0 && ins.starts_line && ins.offset > 0 {
            out.push('\n');
        }
        let mut line = Line::new(out);
        if lineno_width > 0 {
            match (ins.starts_line, ins.line) {
                (true, Some(l)) => line.format(format_args!("{l:>lineno_width$}")),
                (true, None) => line.format(format_args!("{NO_LINENO:>lineno_width$}")),
                _ => line.text(&blank_line),
            };
        }
        match label_of(ins.offset) {
            Some(n) => line.format(format_args!("{:>label_width$}", format!("L{n}:"))),
            None => line.text(&blank_label),
        };
        let opname_text = sanitize(&ins.opname);
        line.text("   ")
            .format(format_args!("{:<OPNAME_WIDTH$}", opname_text));
        if let Some(a) = ins.arg {
            // Long opnames spill into the argument column (3.13's dis).
            let excess = opname_text.chars().count().saturating_sub(OPNAME_WIDTH);
            let width = OPARG_WIDTH.saturating_sub(excess);
            line.format(format_args!("{a:>width$}"));
            if !ins.argrepr.is_empty() {
                line.format(format_args!("({})", sanitize(&ins.argrepr)));
            }
        }
        line.end();
        for (name, size, _, cache_value) in dis_caches(ins, facts) {
            for unit in 0..size {
                let mut line = Line::new(out);
                if lineno_width > 0 {
                    line.text(&blank_line);
                }
                line.text(&blank_label)
                    .text("   ")
                    .text("CACHE               ")
                    .text("    0");
                if unit == 0 {
                    line.format(format_args!("({}: {cache_value})", sanitize(name)));
                }
                line.end();
            }
        }
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &code.exception_table {
            let lasti = if e.lasti { " lasti" } else { "" };
            let l = |o| label_of(o).unwrap_or(0);
            let _ = writeln!(
                out,
                "  L{} to L{} -> L{} [{}]{lasti}",
                l(e.start),
                l(e.end),
                l(e.target),
                e.depth
            );
        }
    }
}
