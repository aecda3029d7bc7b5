//! Decodes a code object's bytecode the way the linked version's `dis` does,
//! from the bytes and tables the collector hands over: offsets, arguments
//! (with EXTENDED_ARG), argument descriptions, jump targets, labels, lines and
//! positions, and the inline-cache units of each instruction.
//!
//! The tables (opcode names, de-specialization map, cache sizes, which
//! description applies to which opcode) come from the interpreter's own `dis`
//! and `opcode` modules; what differs in how `dis` words things per version
//! is in [`VersionFacts`]. `tests/sweep.rs` compares the result with `dis`
//! over the whole standard library.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde::Deserialize;

use crate::model::ExceptionEntry;
use crate::model::version::{DisStyle, VersionFacts};

/// One instruction as the decoder here, or the collector's `dis` path,
/// describes it: the fields `dis.Instruction` has, plus the cache units.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RawInstruction {
    pub offset: u32,
    /// The live opname.
    pub opname: String,
    pub base_opname: String,
    pub arg: Option<i64>,
    pub argrepr: String,
    pub starts_line: bool,
    pub line: Option<u32>,
    /// line, end line, column, end column.
    pub positions: Option<[Option<u32>; 4]>,
    pub is_jump_target: bool,
    pub label: Option<u32>,
    pub jump_target: Option<u32>,
    pub caches: Vec<RawCache>,
}

/// One inline-cache field: its code units, and what the collector found it
/// refers to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RawCache {
    pub name: String,
    pub size: u32,
    pub units: Vec<u16>,
    pub meaning: Option<String>,
}

/// The opcode tables of the Python this binary links, made by the build
/// script with that interpreter's `dis`.
static BUILTIN_TABLE: LazyLock<Option<OpTable>> =
    LazyLock::new(|| serde_json::from_str(crate::collect::built::OPTABLE_JSON).ok());

/// Whether the build's opcode tables could be read.
pub fn has_builtin_table() -> bool {
    BUILTIN_TABLE.is_some()
}

/// The build-time tables, with the cache layouts this version really uses
/// where `opcode._cache_format` says otherwise.
pub fn builtin_table(facts: &VersionFacts) -> Option<OpTable> {
    let mut table = BUILTIN_TABLE.as_ref()?.clone();
    for (base, layout, _) in facts.cache_layout_fixes() {
        table.cache_format.insert(
            base.to_string(),
            layout.iter().map(|(n, s)| (n.to_string(), *s)).collect(),
        );
    }
    table.layouts = table
        .names
        .iter()
        .map(|name| table.cache_format.get(name).cloned().unwrap_or_default())
        .collect();
    Some(table)
}

/// The linked version's opcode facts, as its `dis` module holds them.
#[derive(Debug, Clone, Deserialize)]
pub struct OpTable {
    names: Vec<String>,
    deop: Vec<u8>,
    caches: Vec<u32>,
    hasarg: Vec<bool>,
    kind: Vec<String>,
    backward: Vec<bool>,
    extended_arg: u8,
    cmp_op: Vec<String>,
    nb_ops: Vec<String>,
    intrinsic1: Vec<String>,
    intrinsic2: Vec<String>,
    function_flags: Vec<String>,
    format_value: Vec<String>,
    /// Whether this version's `dis.findlinestarts` keeps starts of code
    /// with no line (3.13+).
    keep_none_lines: bool,
    /// Base opname → cache fields (name, size in code units), in memory order.
    cache_format: BTreeMap<String, Vec<(String, u32)>>,
    /// The same by opcode (empty where there is none), made once by
    /// [`builtin_table`] rather than looked up by name per instruction.
    #[serde(skip)]
    layouts: Vec<Vec<(String, u32)>>,
}

/// One code object as bytes and tables.
#[derive(Debug, Clone, Deserialize)]
pub struct RawBytes {
    /// `co_code` (no specialization, no instrumentation) as hex.
    code: String,
    /// `_co_code_adaptive` as hex.
    live: String,
    consts: Vec<String>,
    names: Vec<String>,
    /// Local, cell and free variable names by oparg.
    locals: Vec<String>,
    /// `co_linetable` as hex (see [`positions`]).
    linetable: String,
    /// `co_firstlineno`, where the location table's line deltas start.
    first_line: i64,
    /// Offset → cache field → what its value refers to.
    meanings: BTreeMap<String, BTreeMap<String, String>>,
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(format!("not hex: {}", c as char)),
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Ok(digit(*hi)? << 4 | digit(*lo)?),
            _ => Err("odd hex length".to_string()),
        })
        .collect()
}

/// `(offset, op, arg)` as `dis._unpack_opargs` yields them.
fn unpack(code: &[u8], table: &OpTable) -> Vec<(u32, u8, Option<i64>)> {
    const INT_OVERFLOW: i64 = 1 << 31;
    let mut out = Vec::with_capacity(code.len() / 2);
    let mut extended: i64 = 0;
    let mut skip = 0u32;
    for (i, pair) in code.chunks_exact(2).enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let op = pair[0];
        let deop = table.deop[op as usize];
        skip = table.caches[deop as usize];
        let arg = if table.hasarg[deop as usize] {
            let arg = pair[1] as i64 | extended;
            extended = if deop == table.extended_arg {
                arg << 8
            } else {
                0
            };
            if extended >= INT_OVERFLOW {
                extended -= 2 * INT_OVERFLOW;
            }
            Some(arg)
        } else {
            extended = 0;
            None
        };
        out.push((2 * i as u32, op, arg));
    }
    out
}

/// `co_positions()` from `co_linetable`: (line, end line, column, end
/// column) per code unit, in the 3.11+ location-table format (CPython's
/// InternalDocs/locations.md). Columns stored as value + 1 in the long form
/// read 0 for "unknown".
pub fn positions(table: &[u8], first_line: i64) -> Vec<[Option<u32>; 4]> {
    struct Reader<'a> {
        table: &'a [u8],
        at: usize,
    }
    impl Reader<'_> {
        fn byte(&mut self) -> Option<u8> {
            let b = self.table.get(self.at).copied();
            self.at += 1;
            b
        }
        fn varint(&mut self) -> Option<i64> {
            let mut read = self.byte()?;
            let mut value = (read & 63) as i64;
            let mut shift = 0;
            while read & 64 != 0 && shift < 56 {
                read = self.byte()?;
                shift += 6;
                value |= ((read & 63) as i64) << shift;
            }
            Some(value)
        }
        fn svarint(&mut self) -> Option<i64> {
            let v = self.varint()?;
            Some(if v & 1 != 0 { -(v >> 1) } else { v >> 1 })
        }
    }
    let known = |v: i64| u32::try_from(v).ok();
    let mut r = Reader { table, at: 0 };
    let mut out = Vec::with_capacity(table.len() * 2);
    let mut line = first_line;
    while let Some(first) = r.byte() {
        if first & 0x80 == 0 {
            break;
        }
        let code = (first >> 3) & 15;
        let length = (first & 7) as usize + 1;
        let mut entry = || -> Option<[Option<u32>; 4]> {
            Some(match code {
                15 => [None; 4],
                14 => {
                    line += r.svarint()?;
                    let end = line + r.varint()?;
                    let col = r.varint()? - 1;
                    let end_col = r.varint()? - 1;
                    [known(line), known(end), known(col), known(end_col)]
                }
                13 => {
                    line += r.svarint()?;
                    [known(line), known(line), None, None]
                }
                10..=12 => {
                    line += (code - 10) as i64;
                    let col = r.byte()? as u32;
                    let end_col = r.byte()? as u32;
                    [known(line), known(line), Some(col), Some(end_col)]
                }
                _ => {
                    let second = r.byte()?;
                    let col = code as u32 * 8 + ((second >> 4) & 7) as u32;
                    [
                        known(line),
                        known(line),
                        Some(col),
                        Some(col + (second & 15) as u32),
                    ]
                }
            })
        };
        let Some(entry) = entry() else { break };
        out.extend(std::iter::repeat_n(entry, length));
    }
    out
}

/// `dis.findlinestarts`: offset → line, where the line changes from one
/// code unit to the next, read off the positions (`co_lines()` and
/// `co_positions()` decode the same location table). Code with no line
/// starts nothing unless `keep_none` (3.13's `dis` keeps it).
fn linestarts(locations: &[[Option<u32>; 4]], keep_none: bool) -> BTreeMap<u32, Option<u32>> {
    let mut starts = BTreeMap::new();
    let mut last = None;
    for (unit, [line, ..]) in locations.iter().enumerate() {
        if line.is_none() && !keep_none {
            continue;
        }
        if last != Some(*line) {
            last = Some(*line);
            starts.insert(2 * unit as u32, *line);
        }
    }
    starts
}

/// Where a jump goes, as `dis` computes it for this version.
fn jump_target(
    table: &OpTable,
    facts: &VersionFacts,
    op: u8,
    arg: i64,
    offset: u32,
) -> Option<u32> {
    let deop = table.deop[op as usize] as usize;
    let target = match table.kind[deop].as_str() {
        "jabs" => arg * 2,
        "jrel" => {
            let signed = if table.backward[deop] { -arg } else { arg };
            let caches = if facts.dis == DisStyle::Py311 {
                0
            } else {
                table.caches[deop] as i64
            };
            offset as i64 + 2 + signed * 2 + 2 * caches
        }
        _ => return None,
    };
    u32::try_from(target).ok()
}

/// Decodes every instruction of one code object.
pub fn instructions(
    raw: &RawBytes,
    table: &OpTable,
    facts: &VersionFacts,
    exception_table: &[ExceptionEntry],
) -> Result<Vec<RawInstruction>, String> {
    let code = unhex(&raw.code)?;
    let live = unhex(&raw.live)?;
    if code.len() != live.len() || table.names.len() < 256 {
        return Err("code and live code differ in length".into());
    }
    let ops = unpack(&code, table);
    let locations = positions(&unhex(&raw.linetable)?, raw.first_line);
    let targets: Vec<Option<u32>> = ops
        .iter()
        .map(|&(offset, op, arg)| arg.and_then(|a| jump_target(table, facts, op, a, offset)))
        .collect();
    let labelled = facts.dis == DisStyle::Py313;
    let mut labels: BTreeSet<u32> = targets.iter().flatten().copied().collect();
    for &ExceptionEntry {
        start, end, target, ..
    } in exception_table
    {
        if labelled {
            labels.extend([start, end, target]);
        } else {
            labels.insert(target);
        }
    }
    let label_numbers: BTreeMap<u32, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i as u32 + 1))
        .collect();
    let linestarts = linestarts(&locations, table.keep_none_lines);
    // The collector keys meanings by `str(offset)`; most code objects have
    // none, and those that do have a few.
    let meanings: BTreeMap<u32, &BTreeMap<String, String>> = raw
        .meanings
        .iter()
        .filter_map(|(offset, m)| Some((offset.parse().ok()?, m)))
        .collect();

    let name = |names: &[String], i: i64| -> String {
        usize::try_from(i)
            .ok()
            .and_then(|i| names.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let mut out = Vec::with_capacity(ops.len());
    let mut line: Option<u32> = None;
    for (index, &(offset, op, arg)) in ops.iter().enumerate() {
        let deop = table.deop[op as usize] as usize;
        let base = &table.names[deop];
        let live_op = live[offset as usize] as usize;
        let opname = table.names[live_op].clone();

        let starts_line = linestarts.contains_key(&offset);
        if let Some(l) = linestarts.get(&offset) {
            line = *l;
        }
        let (starts_line, shown_line) = if labelled {
            (starts_line, line)
        } else {
            // 3.11/3.12: a start with no line number is no start at all.
            let starts = starts_line && linestarts.get(&offset).copied().flatten().is_some();
            (starts, line)
        };

        let argrepr = match arg {
            None => String::new(),
            Some(arg) => describe_arg(
                table,
                facts,
                raw,
                deop,
                arg,
                targets[index],
                &label_numbers,
                &name,
            ),
        };

        let positions = locations.get((offset / 2) as usize).copied();
        let meanings = meanings.get(&offset);
        let mut caches = Vec::new();
        let mut at = offset as usize + 2;
        if let Some(layout) = table.layouts.get(deop).filter(|l| !l.is_empty()) {
            caches.reserve_exact(layout.len());
            for (field, size) in layout {
                let units: Vec<u16> = (0..*size as usize)
                    .map(|u| {
                        let i = at + 2 * u;
                        live.get(i).copied().unwrap_or(0) as u16
                            | (live.get(i + 1).copied().unwrap_or(0) as u16) << 8
                    })
                    .collect();
                at += 2 * *size as usize;
                let meaning = meanings.and_then(|m| m.get(field)).cloned();
                caches.push(RawCache {
                    name: field.clone(),
                    size: *size,
                    units,
                    meaning,
                });
            }
        }
        let is_target = labels.contains(&offset);
        out.push(RawInstruction {
            offset,
            opname,
            base_opname: base.clone(),
            arg,
            argrepr,
            starts_line,
            line: shown_line,
            positions,
            is_jump_target: is_target,
            label: labelled
                .then(|| label_numbers.get(&offset).copied())
                .flatten(),
            jump_target: targets[index],
            caches,
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn describe_arg(
    table: &OpTable,
    facts: &VersionFacts,
    raw: &RawBytes,
    deop: usize,
    arg: i64,
    target: Option<u32>,
    labels: &BTreeMap<u32, u32>,
    name: &dyn Fn(&[String], i64) -> String,
) -> String {
    let suffixed = facts.dis == DisStyle::Py313;
    let with = |text: String, flag: bool, what: &str| {
        if !flag || text.is_empty() {
            text
        } else if suffixed {
            format!("{text} + {what}")
        } else {
            format!("{what} + {text}")
        }
    };
    let flags = |names: &[String]| {
        names
            .iter()
            .enumerate()
            .filter(|(i, _)| arg & (1 << i) != 0)
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pick = |list: &[String], i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| list.get(i))
            .cloned()
            .unwrap_or_default()
    };
    match table.kind[deop].as_str() {
        "const" => pick(&raw.consts, arg),
        "global" => with(name(&raw.names, arg >> 1), arg & 1 != 0, "NULL"),
        "attr" => with(name(&raw.names, arg >> 1), arg & 1 != 0, "NULL|self"),
        "super_attr" => with(name(&raw.names, arg >> 2), arg & 1 != 0, "NULL|self"),
        "name" => name(&raw.names, arg),
        "jabs" | "jrel" => match (target, suffixed) {
            (Some(t), true) => format!("to L{}", labels.get(&t).copied().unwrap_or(0)),
            (Some(t), false) => format!("to {t}"),
            (None, _) => String::new(),
        },
        "local_pair" => format!(
            "{}, {}",
            name(&raw.locals, arg >> 4),
            name(&raw.locals, arg & 15)
        ),
        "local" => name(&raw.locals, arg),
        "compare" => match facts.dis {
            DisStyle::Py311 => pick(&table.cmp_op, arg),
            DisStyle::Py312 => pick(&table.cmp_op, arg >> 4),
            DisStyle::Py313 => {
                let op = pick(&table.cmp_op, arg >> 5);
                if arg & 16 != 0 {
                    format!("bool({op})")
                } else {
                    op
                }
            }
        },
        "format_value" => {
            let mut text = pick(&table.format_value, arg & 3);
            if arg & 4 != 0 {
                if !text.is_empty() {
                    text.push_str(", ");
                }
                text.push_str("with format");
            }
            text
        }
        "make_function" | "set_function_attribute" => flags(&table.function_flags),
        "convert_value" => ["", "str", "repr", "ascii"]
            .get(arg as usize)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        "binary_op" => pick(&table.nb_ops, arg),
        "intrinsic1" => pick(&table.intrinsic1, arg),
        "intrinsic2" => pick(&table.intrinsic2, arg),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::linestarts;

    #[test]
    fn a_line_starts_where_it_changes_and_code_with_no_line_starts_nothing_before_3_13() {
        let at = |line: Option<u32>| [line, line, None, None];
        let units = [at(Some(1)), at(Some(1)), at(None), at(Some(1)), at(Some(2))];
        let starts = |keep_none| {
            linestarts(&units, keep_none)
                .into_iter()
                .collect::<Vec<_>>()
        };
        // 3.11 and 3.12 skip the unit with no line: line 1 goes on after it.
        assert_eq!(starts(false), [(0, Some(1)), (8, Some(2))]);
        // 3.13 keeps it, and line 1 starts again.
        assert_eq!(
            starts(true),
            [(0, Some(1)), (4, None), (6, Some(1)), (8, Some(2))]
        );
    }
}
