//! Turns the collector's raw reply into the [`Snapshot`] model, decoding cache
//! values and counters with the facts of the Python version that produced it.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::collect::decode::{RawCache, RawInstruction};
use crate::model::version::{CounterSite, PythonVersion, VersionFacts};
use crate::model::*;

/// The collector's reply: a snapshot, or `{"error": …}` when the target
/// could not run.
pub enum RawReply {
    Error(RawTargetError),
    Snapshot(Box<RawSnapshot>),
}

impl RawReply {
    /// The reply the collector's plain data (`collect::python::objects`)
    /// reads as.
    pub fn from_value(mut value: serde_json::Value) -> Result<RawReply, serde_json::Error> {
        match value.get_mut("error").map(serde_json::Value::take) {
            Some(error) => Ok(RawReply::Error(serde_json::from_value(error)?)),
            None => Ok(RawReply::Snapshot(Box::new(serde_json::from_value(value)?))),
        }
    }
}

/// Why the target could not be run, as the collector names it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TargetProblem {
    /// No such file.
    Missing,
    /// A folder.
    Directory,
    /// Not a regular file (a named pipe, a device).
    Special,
    /// Cannot be read.
    Unreadable,
    /// Larger than the source limit (64 MiB).
    TooLarge,
    /// Not valid source text.
    Encoding,
    /// Does not compile.
    Syntax,
    /// `-m`: no such module.
    Module,
    /// `--stdin` cannot be opened.
    Stdin,
    /// A request the collector does not understand (a bug).
    Request,
}

/// The target could not be run at all.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RawTargetError {
    pub kind: TargetProblem,
    pub message: String,
    pub path: Option<String>,
    #[serde(default, deserialize_with = "position")]
    pub line: Option<u32>,
    #[serde(default, deserialize_with = "position")]
    pub col: Option<u32>,
    #[serde(default, deserialize_with = "position")]
    pub end_col: Option<u32>,
    pub text: Option<String>,
    /// What the program printed before the target turned out not to run
    /// (`-m`: the packages around the module are imported first).
    #[serde(default)]
    pub output: Vec<(Stream, String)>,
}

/// A line or column counted from 1; anything else (CPython gives -1 or 0
/// for some, a huge number is no position either) is none.
fn position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0))
}

#[derive(Deserialize)]
pub struct RawSnapshot {
    python: RawPython,
    target: TargetInfo,
    call: Option<String>,
    calls: u64,
    then: Option<String>,
    then_calls: u64,
    steps: Vec<RawStep>,
    files: BTreeMap<String, String>,
    code_objects: Vec<RawCode>,
    run: RawRun,
    pub misses: Vec<PatternMiss>,
    #[serde(default)]
    sampling: Option<Sampling>,
    /// `--why`'s observation pass, when there was one.
    #[serde(default)]
    why: Option<RawWhy>,
}

#[derive(Deserialize)]
struct RawWhy {
    scope: WhyScope,
    again: String,
    per_site: u64,
    seconds: f64,
    ended: String,
    /// Per code object (in `code_objects` order), its observed sites.
    sites: Vec<Vec<RawSite>>,
}

#[derive(Deserialize)]
struct RawSite {
    offset: u32,
    seen: u64,
    observed: Vec<Observed>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PatternMiss {
    pub pattern: String,
    /// What the pattern found none of.
    #[serde(default)]
    pub missing: Missing,
    /// What it might have meant: every qualname it was tried against
    /// (`MODULE:` or `PATH:` before each when it had one), or, when its
    /// scope named nothing, each module, file or name it could have named,
    /// written as a pattern.
    #[serde(default)]
    pub candidates: Vec<String>,
}

/// What a `-f` pattern found none of.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Its qualname glob matched no code object where it looked.
    #[default]
    Code,
    /// Its module name or glob matched no module the program imported.
    Module,
    /// Its path (or name in angle brackets) matched no file the run's code
    /// came from.
    File,
}

#[derive(Deserialize)]
struct RawPython {
    version: String,
    full_version: String,
    families: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct RawStep {
    phase: Phase,
    calls: u64,
    code_objects: Vec<RawCode>,
}

#[derive(Deserialize)]
struct RawRun {
    calls_done: u64,
    then_calls_done: u64,
    program_seconds: f64,
    warmup_seconds: f64,
    output: Vec<(Stream, String)>,
    output_dropped_bytes: u64,
    exception: Option<ProgramException>,
    exit: Option<ProgramExit>,
    stopped: Option<Stopped>,
    #[serde(default)]
    collection_error: Option<String>,
}

#[derive(Deserialize)]
struct RawCode {
    qualname: String,
    name: String,
    filename: String,
    /// False when no source of this code object is in `files` (see
    /// [`CodeObject::source_kept`]).
    #[serde(default = "kept")]
    source_kept: bool,
    first_line: u32,
    repr: String,
    kind: CodeKind,
    parent: Option<usize>,
    executed: bool,
    /// What the collector saw of the code starting: `None` when this
    /// version or this code object cannot be watched.
    #[serde(default)]
    ran_seen: Option<bool>,
    exception_table: Vec<ExceptionEntry>,
    /// From `dis` (the collector's fallback path) ...
    #[serde(default)]
    instructions: Vec<RawInstruction>,
    /// ... or as bytes and tables, decoded here.
    bytes: Option<crate::collect::decode::RawBytes>,
    /// Samples that found this code object running: `(offset, samples)`,
    /// the offset of the instruction the interpreter was at, in bytes.
    #[serde(default)]
    samples: Vec<(u32, u64)>,
}

impl RawSnapshot {
    pub fn into_snapshot(self) -> Result<Snapshot, String> {
        let version: PythonVersion = self.python.version.parse()?;
        let facts = version.facts();
        let families = self.python.families;
        let optable = crate::collect::decode::builtin_table(&facts);
        let convert = |codes: Vec<RawCode>| -> Result<Vec<CodeObject>, String> {
            codes
                .into_iter()
                .map(|mut code| {
                    if let (Some(bytes), Some(table)) = (code.bytes.take(), optable.as_ref()) {
                        code.instructions = crate::collect::decode::instructions(
                            &bytes,
                            table,
                            &facts,
                            &code.exception_table,
                        )
                        .map_err(|e| format!("{}: {e}", code.qualname))?;
                    }
                    Ok(convert_code(code, &facts, &families))
                })
                .collect()
        };
        let mut code_objects = convert(self.code_objects)?;
        let mut timeline = self
            .steps
            .into_iter()
            .map(|step| {
                Ok(Step {
                    phase: step.phase,
                    calls: step.calls,
                    code_objects: convert(step.code_objects)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        settle_backoff_5(&mut timeline, &mut code_objects);
        let why = self.why.map(|why| {
            for (code, sites) in code_objects.iter_mut().zip(why.sites) {
                for site in sites {
                    if let Some(ins) = code
                        .instructions
                        .iter_mut()
                        .find(|i| i.offset == site.offset)
                    {
                        ins.evidence = Some(Evidence {
                            seen: site.seen,
                            observed: site.observed,
                            reason: String::new(),
                            fail_kind: None,
                        });
                    }
                }
            }
            WhyRun {
                scope: why.scope,
                again: why.again,
                per_site: why.per_site,
                seconds: why.seconds,
                ended: why.ended,
            }
        });
        Ok(Snapshot {
            schema: SCHEMA_VERSION,
            python: PythonInfo {
                version,
                full_version: self.python.full_version,
                families,
            },
            target: self.target,
            warmup: Warmup {
                call: self.call,
                calls_requested: self.calls,
                calls_done: self.run.calls_done,
                then: self.then,
                then_calls_requested: self.then_calls,
                then_calls_done: self.run.then_calls_done,
                program_seconds: self.run.program_seconds,
                call_seconds: self.run.warmup_seconds,
            },
            files: self.files,
            code_objects,
            timeline,
            sampling: self.sampling,
            why,
            run: RunReport {
                output: self
                    .run
                    .output
                    .into_iter()
                    .map(|(stream, text)| OutputChunk { stream, text })
                    .collect(),
                output_dropped_bytes: self.run.output_dropped_bytes,
                exception: self.run.exception,
                exit: self.run.exit,
                stopped: self.run.stopped,
                collection_error: self.run.collection_error,
            },
        })
    }
}

fn convert_code(
    code: RawCode,
    facts: &VersionFacts,
    families: &BTreeMap<String, Vec<String>>,
) -> CodeObject {
    // 3.11 quickens a whole code object at once (RESUME becomes
    // RESUME_QUICK, every family its adaptive form); later versions at creation.
    let quickened = facts.quickening_delay.is_none()
        || code
            .instructions
            .iter()
            .any(|raw| raw.opname != raw.base_opname);
    let mut instructions: Vec<Instruction> = code
        .instructions
        .into_iter()
        .map(|raw| {
            let RawInstruction {
                offset,
                opname,
                base_opname,
                arg,
                argrepr,
                starts_line,
                line,
                positions,
                is_jump_target,
                label,
                jump_target,
                caches,
            } = raw;
            let mut unit = offset + 2;
            let caches: Vec<CacheEntry> = caches
                .into_iter()
                .map(
                    |RawCache {
                         name,
                         size,
                         units,
                         meaning,
                     }| {
                        let entry = CacheEntry {
                            name,
                            size,
                            offset: unit,
                            value: cache_value(&units),
                            meaning,
                        };
                        unit += 2 * size;
                        entry
                    },
                )
                .collect();
            let family = families.contains_key(&base_opname);
            let status = if facts.is_instrumented(&opname) {
                Status::Instrumented
            } else if facts.is_superinstruction_at_creation(&opname) {
                Status::Superinstruction
            } else if facts.is_specialized(&opname, &base_opname) {
                Status::Specialized
            } else if family && !caches.is_empty() {
                Status::Adaptive
            } else {
                Status::NoCache
            };
            let mut caches = caches;
            let counter = caches.first().filter(|c| c.name == "counter").map(|c| {
                facts.decode_counter(
                    CounterSite {
                        opname: &opname,
                        base_opname: &base_opname,
                        family,
                        quickened,
                    },
                    c.value as u16,
                )
            });
            if let (Some(counter), Some(first)) = (&counter, caches.first_mut()) {
                first.meaning = Some(counter.meaning.clone());
            }
            Instruction {
                offset,
                line,
                starts_line,
                positions: positions.map(|[line, end_line, col, end_col]| Positions {
                    line,
                    end_line,
                    col,
                    end_col,
                }),
                opname,
                base_opname,
                arg,
                argrepr,
                is_jump_target,
                label,
                jump_target,
                status,
                caches,
                counter,
                samples: 0,
                evidence: None,
            }
        })
        .collect();
    let samples = place_samples(&code.samples, &mut instructions);
    let ran = code.executed || code.ran_seen == Some(true) || facts.shows_execution(&instructions);
    let ran_known = ran || code.ran_seen.is_some() || facts.resume_marks_execution;
    CodeObject {
        qualname: code.qualname,
        name: code.name,
        filename: code.filename,
        source_kept: code.source_kept,
        first_line: code.first_line,
        repr: code.repr,
        kind: code.kind,
        parent: code.parent,
        ran,
        ran_known,
        exception_table: code.exception_table,
        instructions,
        samples,
    }
}

fn kept() -> bool {
    true
}

/// Adds each sample to the instruction it landed in, the last one that
/// starts at or before its offset: a frame can stand on a cache entry of
/// its instruction (3.11 and 3.12 leave a call's caller there) or on the
/// second half of a superinstruction. Returns the code object's samples.
fn place_samples(samples: &[(u32, u64)], instructions: &mut [Instruction]) -> u64 {
    for &(offset, count) in samples {
        let after = instructions.partition_point(|i| i.offset <= offset);
        if let Some(ins) = instructions.get_mut(after.saturating_sub(1)) {
            ins.samples += count;
        }
    }
    samples.iter().map(|(_, count)| count).sum()
}

/// 3.11's backoff 5 alone cannot tell five failed attempts from a restart
/// after de-optimization; an earlier step of the timeline can. A site that
/// was specialized before restarted; a site seen at backoff 4 before failed
/// a fifth time.
fn settle_backoff_5(timeline: &mut [Step], last: &mut [CodeObject]) {
    use std::collections::HashMap;
    #[derive(Default, Clone, Copy)]
    struct Seen {
        specialized: bool,
        backoff_4: bool,
    }
    // Only 3.11 counters read BackoffOrRestart: elsewhere there is nothing
    // to settle, and no reason to key every instruction by its qualname.
    let unsettled = |codes: &[CodeObject]| {
        codes.iter().any(|code| {
            code.instructions.iter().any(|ins| {
                ins.counter
                    .as_ref()
                    .is_some_and(|c| c.state == CounterState::BackoffOrRestart)
            })
        })
    };
    if !unsettled(last) && !timeline.iter().any(|step| unsettled(&step.code_objects)) {
        return;
    }
    let mut seen: HashMap<(&str, u32, u32), Seen> = HashMap::new();
    let moments = timeline
        .iter_mut()
        .map(|step| &mut step.code_objects[..])
        .chain(std::iter::once(last));
    for codes in moments {
        for code in codes.iter_mut() {
            let CodeObject {
                qualname,
                first_line,
                instructions,
                ..
            } = code;
            let qualname: &String = qualname;
            for ins in instructions {
                let key = (qualname.as_str(), *first_line, ins.offset);
                let before = seen.get(&key).copied().unwrap_or_default();
                if let Some(c) = ins
                    .counter
                    .as_mut()
                    .filter(|c| c.state == CounterState::BackoffOrRestart)
                {
                    if before.specialized {
                        c.state = CounterState::Warming;
                        c.meaning = format!(
                            "restarted at (31, 5) after de-optimization (an earlier step shows it specialized): it tries to specialize after {} more executions",
                            c.value
                        );
                    } else if before.backoff_4 {
                        c.state = CounterState::BackingOff;
                        c.meaning = format!(
                            "five failed attempts (an earlier step shows backoff 4): it tries to specialize after {} more executions",
                            c.value
                        );
                    }
                    if let Some(first) = ins.caches.first_mut() {
                        first.meaning = Some(c.meaning.clone());
                    }
                }
                let entry = seen.entry(key).or_default();
                entry.specialized |= ins.status == Status::Specialized;
                entry.backoff_4 |= ins.status == Status::Adaptive
                    && ins.counter.as_ref().is_some_and(|c| c.backoff == Some(4));
            }
        }
    }
}

/// A cache entry's code units read as one little-endian integer. Entries wider
/// than 64 bits (none in 3.11–3.13) keep their low 64 bits.
pub fn cache_value(units: &[u16]) -> u64 {
    units
        .iter()
        .take(4)
        .enumerate()
        .fold(0u64, |acc, (i, &u)| acc | (u as u64) << (16 * i))
}

#[cfg(test)]
mod tests {
    use super::{cache_value, place_samples};
    use crate::model::{Instruction, Status};

    fn at(offset: u32, opname: &str) -> Instruction {
        Instruction {
            offset,
            line: None,
            starts_line: false,
            positions: None,
            opname: opname.into(),
            base_opname: opname.into(),
            arg: None,
            argrepr: String::new(),
            is_jump_target: false,
            label: None,
            jump_target: None,
            status: Status::NoCache,
            caches: Vec::new(),
            counter: None,
            samples: 0,
            evidence: None,
        }
    }

    #[test]
    fn samples_land_on_the_instruction_they_are_in() {
        // RESUME 0, LOAD_FAST__LOAD_FAST 2 (dis lists its second half, at
        // 4, as an instruction of its own), BINARY_OP 6 with its cache at 8,
        // RETURN_VALUE 10. A frame stands on a cache entry of a call in 3.11
        // and 3.12; the sample is its instruction's.
        let mut code = vec![
            at(0, "RESUME"),
            at(2, "LOAD_FAST__LOAD_FAST"),
            at(4, "LOAD_FAST"),
            at(6, "BINARY_OP"),
            at(10, "RETURN_VALUE"),
        ];
        let total = place_samples(&[(0, 1), (4, 2), (6, 4), (8, 8), (10, 16)], &mut code);
        assert_eq!(total, 31);
        let placed: Vec<u64> = code.iter().map(|i| i.samples).collect();
        assert_eq!(placed, [1, 0, 2, 12, 16]);
    }

    #[test]
    fn cache_units_are_little_endian() {
        assert_eq!(cache_value(&[0x0055, 0x0002]), 0x0002_0055);
        assert_eq!(cache_value(&[832]), 832);
        assert_eq!(cache_value(&[]), 0);
        assert_eq!(cache_value(&[1, 2, 3, 4, 5]), 0x0004_0003_0002_0001);
    }
}
