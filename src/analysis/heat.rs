//! The program as a heat map: per source file, the stretches of source that
//! specializable instructions cover, each with the state those instructions
//! ended in, and the totals per code object and per file. Every view that
//! draws a map of the program (the handout, the explorer) reads it from here.
//!
//! Positions are CPython's `co_positions`: lines from 1, columns as UTF-8
//! byte offsets into the line, the end exclusive. Instructions nest (the
//! `CALL` of `f(a + b)` covers the `BINARY_OP` of `a + b`), so the map cuts
//! the source at every start and end and gives each piece all the sites
//! that cover it.

use std::collections::{BTreeMap, BTreeSet};

use super::summary::{Site, SiteState, StateCounts, code_counts};
use crate::model::{CodeObject, Positions, Snapshot};

/// A place in a source file: line from 1, column as a UTF-8 byte offset
/// from 0 (as `co_positions` gives them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Point {
    pub line: u32,
    pub col: u32,
}

/// A stretch of source covered by the same specializable sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: Point,
    /// Exclusive. `col` may be `u32::MAX` when CPython gave no end column:
    /// to the end of the line.
    pub end: Point,
    /// The most telling state of `sites` (see [`SiteState::telling`]).
    pub state: SiteState,
    /// The sites that cover the span, innermost first; never empty.
    pub sites: Vec<Site>,
}

/// A code object's place in the map: its index in
/// [`Snapshot::code_objects`] and the states of its sites (as
/// [`code_counts`] gives them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeHeat {
    pub code: usize,
    pub counts: StateCounts,
}

/// One source file's map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeat {
    pub filename: String,
    /// Whether the snapshot holds this code's source: code made at run
    /// time under a file's name (a dataclass's `__init__` under
    /// `<string>`) is a file of its own, without source.
    pub source_kept: bool,
    /// In source order, never overlapping.
    pub spans: Vec<Span>,
    /// The file's code objects, in snapshot order.
    pub codes: Vec<CodeHeat>,
    /// The sum of `codes`' counts.
    pub totals: StateCounts,
    /// Lines of code that never ran: instructions of a code object that
    /// shows no sign of having run cover them, and no instruction of code
    /// that ran starts on them (the enclosing code's instructions for a
    /// `def` cover the whole function). "No sign" is [`CodeObject::ran`]:
    /// on 3.12 it includes code that could not be watched and whose
    /// counters never moved, whose sites [`SiteState`] counts by their
    /// counters.
    pub never_ran: BTreeSet<u32>,
}

/// The map of a whole snapshot, files in the order their first code object
/// comes in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeatMap {
    pub files: Vec<FileHeat>,
}

impl SiteState {
    /// How much a state tells about the source it covers, for a stretch
    /// that several sites cover: a failure (backing off, then given up)
    /// outweighs warming, which outweighs specialized, which outweighs code
    /// that never ran. A reader looking for trouble must not have it hidden
    /// by a specialized instruction around it.
    pub fn telling(self) -> u8 {
        match self {
            SiteState::BackingOff => 4,
            SiteState::GivenUp => 3,
            SiteState::Warming => 2,
            SiteState::Specialized => 1,
            SiteState::NeverRan => 0,
        }
    }
}

impl HeatMap {
    /// The map of every code object of `snapshot`.
    pub fn of(snapshot: &Snapshot) -> HeatMap {
        HeatMap::of_codes(&snapshot.code_objects)
    }

    /// The map of `codes` (indices in [`Site`] and [`CodeHeat`] are into
    /// this slice).
    pub fn of_codes(codes: &[CodeObject]) -> HeatMap {
        let mut order: Vec<(&str, bool)> = Vec::new();
        let mut by_file: BTreeMap<(&str, bool), Vec<usize>> = BTreeMap::new();
        for (i, code) in codes.iter().enumerate() {
            let key = (code.filename.as_str(), code.source_kept);
            let list = by_file.entry(key).or_insert_with(|| {
                order.push(key);
                Vec::new()
            });
            list.push(i);
        }
        let files = order
            .into_iter()
            .map(|key| {
                let mut heat = file_heat(key.0, codes, &by_file[&key]);
                heat.source_kept = key.1;
                heat
            })
            .collect();
        HeatMap { files }
    }

    /// The map of a file whose source the snapshot holds.
    pub fn file(&self, filename: &str) -> Option<&FileHeat> {
        self.files
            .iter()
            .find(|f| f.filename == filename && f.source_kept)
    }
}

impl FileHeat {
    /// The spans that touch line `line`, in order.
    pub fn spans_on(&self, line: u32) -> &[Span] {
        let from = self.spans.partition_point(|s| s.end.line < line);
        let to = from + self.spans[from..].partition_point(|s| s.start.line <= line);
        &self.spans[from..to]
    }
}

/// Where an instruction's positions start and end, when they make a
/// stretch of source: a known line from 1, a column, the end after the
/// start.
pub fn extent(p: &Positions) -> Option<(Point, Point)> {
    let line = p.line.filter(|&l| l > 0)?;
    let start = Point { line, col: p.col? };
    let end = Point {
        line: p.end_line.unwrap_or(line),
        col: p.end_col.unwrap_or(u32::MAX),
    };
    (end > start).then_some((start, end))
}

fn file_heat(filename: &str, codes: &[CodeObject], members: &[usize]) -> FileHeat {
    let mut covers: Vec<(Point, Point, Site)> = Vec::new();
    // Lines that idle code covers, and lines where code that ran starts an
    // instruction. Not every line code that ran covers: a `def` statement's
    // instructions in the enclosing code cover the whole function.
    let mut idle_lines: BTreeSet<u32> = BTreeSet::new();
    let mut ran_starts: BTreeSet<u32> = BTreeSet::new();
    let mut heat_codes = Vec::with_capacity(members.len());
    let mut totals = StateCounts::default();
    // Where each code object's instructions start and end.
    let mut bounds: Vec<(Point, Point, usize)> = Vec::new();
    for &c in members {
        let code = &codes[c];
        let counts = code_counts(code);
        totals.merge(&counts);
        heat_codes.push(CodeHeat { code: c, counts });
        let mut bound: Option<(Point, Point)> = None;
        for (i, ins) in code.instructions.iter().enumerate() {
            let Some((start, end)) = ins.positions.as_ref().and_then(extent) else {
                continue;
            };
            bound = Some(bound.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
            if code.ran {
                ran_starts.insert(start.line);
            } else {
                idle_lines.extend(start.line..=end.line.min(start.line.saturating_add(10_000)));
            }
            if let Some(state) = SiteState::of(code, ins) {
                let site = Site {
                    code: c,
                    instruction: i,
                    state,
                    samples: ins.samples,
                };
                covers.push((start, end, site));
            }
        }
        if let Some((start, end)) = bound {
            bounds.push((start, end, c));
        }
    }
    FileHeat {
        source_kept: true,
        filename: filename.to_string(),
        spans: flatten(without_nested_code(covers, bounds)),
        codes: heat_codes,
        totals,
        never_ran: idle_lines.difference(&ran_starts).copied().collect(),
    }
}

/// Leaves out of each stretch the source of every other code object inside
/// it. A decorator's call or a class statement covers the whole function
/// or class body, and a call the lambda or generator expression among its
/// arguments: what ran there is told by the nested code's own instructions,
/// not by the statement that made it.
fn without_nested_code(
    covers: Vec<(Point, Point, Site)>,
    mut bounds: Vec<(Point, Point, usize)>,
) -> Vec<(Point, Point, Site)> {
    bounds.sort_unstable();
    let mut out = Vec::with_capacity(covers.len());
    for (start, end, site) in covers {
        let from = bounds.partition_point(|b| b.0 < start);
        let mut at = start;
        for &(inner_start, inner_end, code) in &bounds[from..] {
            if inner_start >= end {
                break;
            }
            if code == site.code || inner_end > end {
                continue;
            }
            if inner_start > at {
                out.push((at, inner_start, site));
            }
            at = at.max(inner_end);
        }
        if at < end {
            out.push((at, end, site));
        }
    }
    out
}

/// Cuts possibly nested or overlapping stretches into pieces that do not
/// overlap, each with every stretch that covers it.
fn flatten(mut covers: Vec<(Point, Point, Site)>) -> Vec<Span> {
    covers.sort_by_key(|(start, end, _)| (*start, std::cmp::Reverse(*end)));
    let mut points: Vec<Point> = covers.iter().flat_map(|(s, e, _)| [*s, *e]).collect();
    points.sort_unstable();
    points.dedup();
    let mut spans: Vec<Span> = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    let mut next = 0;
    for window in points.windows(2) {
        let (at, until) = (window[0], window[1]);
        active.retain(|&k| covers[k].1 > at);
        while next < covers.len() && covers[next].0 <= at {
            active.push(next);
            next += 1;
        }
        if active.is_empty() {
            continue;
        }
        // Innermost first: the latest start, then the earliest end.
        active.sort_by_key(|&k| (std::cmp::Reverse(covers[k].0), covers[k].1));
        let sites: Vec<Site> = active.iter().map(|&k| covers[k].2).collect();
        match spans.last_mut() {
            Some(last) if last.end == at && last.sites == sites => last.end = until,
            _ => spans.push(Span {
                start: at,
                end: until,
                state: most_telling(&sites),
                sites,
            }),
        }
    }
    spans
}

fn most_telling(sites: &[Site]) -> SiteState {
    sites
        .iter()
        .map(|s| s.state)
        .max_by_key(|s| s.telling())
        .unwrap_or(SiteState::NeverRan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CacheEntry, CodeKind, Counter, CounterState, Instruction, Status};

    fn ins(opname: &str, status: Status, at: (u32, u32, u32, u32)) -> Instruction {
        let counter = (status != Status::NoCache).then(|| Counter {
            raw: 0,
            value: 0,
            backoff: Some(0),
            state: match (status, opname) {
                (Status::Specialized, _) => CounterState::Misses,
                (_, "BACK") => CounterState::BackingOff,
                _ => CounterState::Warming,
            },
            meaning: String::new(),
            misses_left: None,
        });
        Instruction {
            offset: 0,
            line: Some(at.0),
            starts_line: false,
            positions: Some(Positions {
                line: Some(at.0),
                end_line: Some(at.1),
                col: Some(at.2),
                end_col: Some(at.3),
            }),
            opname: opname.into(),
            base_opname: opname.into(),
            arg: None,
            argrepr: String::new(),
            is_jump_target: false,
            label: None,
            jump_target: None,
            status,
            caches: counter
                .is_some()
                .then(|| CacheEntry {
                    name: "counter".into(),
                    size: 1,
                    offset: 2,
                    value: 0,
                    meaning: None,
                })
                .into_iter()
                .collect(),
            counter,
            samples: 0,
            evidence: None,
        }
    }

    fn code(filename: &str, ran: bool, instructions: Vec<Instruction>) -> CodeObject {
        CodeObject {
            qualname: "f".into(),
            name: "f".into(),
            filename: filename.into(),
            first_line: 1,
            repr: String::new(),
            kind: CodeKind::Function,
            parent: None,
            ran,
            ran_known: true,
            exception_table: Vec::new(),
            instructions,
            samples: 0,
            source_kept: true,
        }
    }

    fn pt(line: u32, col: u32) -> Point {
        Point { line, col }
    }

    /// `print(a + b)` on line 3: the call specialized, the addition
    /// backing off inside it, the load of `print` plain.
    fn nested() -> CodeObject {
        code(
            "m.py",
            true,
            vec![
                ins("LOAD_NAME", Status::NoCache, (3, 3, 0, 5)),
                ins("BACK", Status::Adaptive, (3, 3, 6, 11)),
                ins("CALL_BUILTIN_O", Status::Specialized, (3, 3, 0, 12)),
            ],
        )
    }

    #[test]
    fn nested_sites_cut_the_source_into_pieces_each_with_its_covers() {
        let map = HeatMap::of_codes(&[nested()]);
        let file = &map.files[0];
        let pieces: Vec<(Point, Point, SiteState, Vec<usize>)> = file
            .spans
            .iter()
            .map(|s| {
                let sites = s.sites.iter().map(|x| x.instruction).collect();
                (s.start, s.end, s.state, sites)
            })
            .collect();
        assert_eq!(
            pieces,
            [
                (pt(3, 0), pt(3, 6), SiteState::Specialized, vec![2]),
                (pt(3, 6), pt(3, 11), SiteState::BackingOff, vec![1, 2]),
                (pt(3, 11), pt(3, 12), SiteState::Specialized, vec![2]),
            ],
            "the failing addition shows through the specialized call, innermost first"
        );
    }

    #[test]
    fn the_most_telling_state_wins_whatever_the_nesting() {
        let outer_failing = code(
            "m.py",
            true,
            vec![
                ins("LOAD_ATTR_SLOT", Status::Specialized, (1, 1, 4, 8)),
                ins("BACK", Status::Adaptive, (1, 1, 0, 10)),
                ins("WARM", Status::Adaptive, (1, 1, 4, 8)),
            ],
        );
        let map = HeatMap::of_codes(&[outer_failing]);
        let states: Vec<SiteState> = map.files[0].spans.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                SiteState::BackingOff,
                SiteState::BackingOff,
                SiteState::BackingOff
            ]
        );
        assert_eq!(map.files[0].spans[1].sites.len(), 3);
        let ranks: Vec<u8> = SiteState::ALL.iter().map(|s| s.telling()).collect();
        assert_eq!(ranks, [1, 4, 3, 2, 0], "failing > warming > specialized");
    }

    #[test]
    fn spans_over_several_lines_are_found_on_each_of_them() {
        let call = code(
            "m.py",
            true,
            vec![
                ins("CALL_PY_EXACT_ARGS", Status::Specialized, (2, 4, 4, 1)),
                ins("WARM", Status::Adaptive, (3, 3, 8, 9)),
                ins("LOAD_GLOBAL_MODULE", Status::Specialized, (6, 6, 0, 3)),
            ],
        );
        let map = HeatMap::of_codes(&[call]);
        let file = &map.files[0];
        assert_eq!(file.spans.len(), 4);
        assert_eq!(file.spans_on(1).len(), 0);
        assert_eq!(file.spans_on(2).len(), 1);
        assert_eq!(
            file.spans_on(3).len(),
            3,
            "before, on and after the warming site"
        );
        assert_eq!(file.spans_on(4).len(), 1);
        assert_eq!(file.spans_on(5).len(), 0);
        assert_eq!(file.spans_on(6)[0].start, pt(6, 0));
    }

    #[test]
    fn totals_are_the_code_objects_counts_per_file() {
        let idle = code(
            "m.py",
            false,
            vec![ins("WARM", Status::Adaptive, (9, 9, 4, 9))],
        );
        let other = code(
            "other.py",
            true,
            vec![ins("WARM", Status::Adaptive, (1, 1, 0, 1))],
        );
        let codes = [nested(), other, idle];
        let map = HeatMap::of_codes(&codes);
        let names: Vec<&str> = map.files.iter().map(|f| f.filename.as_str()).collect();
        assert_eq!(names, ["m.py", "other.py"], "in the order they first come");
        let m = &map.files[0];
        assert_eq!(m.codes.iter().map(|c| c.code).collect::<Vec<_>>(), [0, 2]);
        for c in &m.codes {
            assert_eq!(c.counts, code_counts(&codes[c.code]));
        }
        assert_eq!(m.totals.get(SiteState::Specialized), 1);
        assert_eq!(m.totals.get(SiteState::BackingOff), 1);
        assert_eq!(m.totals.get(SiteState::NeverRan), 1);
        assert_eq!(m.totals.total(), 3);
        assert_eq!(m.spans.last().unwrap().state, SiteState::NeverRan);
        assert_eq!(
            m.never_ran.iter().copied().collect::<Vec<_>>(),
            [9],
            "the line of code that never ran, not the lines that ran"
        );
    }

    #[test]
    fn a_function_that_never_ran_is_dimmed_though_its_def_ran() {
        let module = code(
            "m.py",
            true,
            vec![ins("STORE_NAME", Status::NoCache, (1, 3, 0, 20))],
        );
        let function = code(
            "m.py",
            false,
            vec![
                ins("WARM", Status::Adaptive, (2, 2, 4, 9)),
                ins("WARM", Status::Adaptive, (3, 3, 4, 9)),
            ],
        );
        let map = HeatMap::of_codes(&[module, function]);
        assert_eq!(
            map.files[0].never_ran.iter().copied().collect::<Vec<_>>(),
            [2, 3],
            "the body, not the def line"
        );
    }

    #[test]
    fn a_statement_does_not_colour_the_code_it_makes() {
        // `@cache` on line 1 over `def f():` on line 2 and a body on lines
        // 3-4: the call of the decorator covers all four lines.
        let module = code(
            "m.py",
            true,
            vec![ins("WARM", Status::Adaptive, (1, 4, 0, 12))],
        );
        let function = code(
            "m.py",
            true,
            vec![
                ins("LOAD_ATTR_SLOT", Status::Specialized, (3, 3, 4, 10)),
                ins("BACK", Status::Adaptive, (4, 4, 4, 12)),
            ],
        );
        let map = HeatMap::of_codes(&[module, function]);
        let pieces: Vec<(Point, Point, usize)> = map.files[0]
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.sites[0].code))
            .collect();
        assert_eq!(
            pieces,
            [
                (pt(1, 0), pt(3, 4), 0),
                (pt(3, 4), pt(3, 10), 1),
                (pt(4, 4), pt(4, 12), 1),
            ],
            "the decorator and the def line are the module's; the body is the function's"
        );
        assert!(map.files[0].spans.iter().all(|s| s.sites.len() == 1));
    }

    #[test]
    fn code_with_no_sign_it_ran_is_dimmed_but_counted_by_its_counters() {
        // 3.12 could not watch it, and no counter moved.
        let mut unwatched = code(
            "m.py",
            false,
            vec![ins("WARM", Status::Adaptive, (7, 8, 4, 2))],
        );
        unwatched.ran_known = false;
        let map = HeatMap::of_codes(&[unwatched]);
        let file = &map.files[0];
        assert_eq!(
            file.spans[0].state,
            SiteState::Warming,
            "as summary counts it"
        );
        assert_eq!(
            file.never_ran.iter().copied().collect::<Vec<_>>(),
            [7, 8],
            "every line its instructions cover"
        );
    }

    #[test]
    fn positions_that_make_no_stretch_are_left_out() {
        let odd = code(
            "m.py",
            true,
            vec![
                // The module's RESUME: line 0.
                ins("WARM", Status::Adaptive, (0, 1, 0, 0)),
                // Empty.
                ins("WARM", Status::Adaptive, (4, 4, 0, 0)),
                // Backwards.
                ins("WARM", Status::Adaptive, (5, 4, 0, 3)),
            ],
        );
        assert!(HeatMap::of_codes(&[odd]).files[0].spans.is_empty());
        let open_end = Positions {
            line: Some(2),
            end_line: None,
            col: Some(3),
            end_col: None,
        };
        assert_eq!(
            extent(&open_end),
            Some((pt(2, 3), pt(2, u32::MAX))),
            "no end: to the end of the line"
        );
    }
}
