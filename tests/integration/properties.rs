//! Property tests for everything that decodes or writes: counters and cache
//! values over arbitrary bits and every version, and the text, dis, HTML and
//! JSON writers over arbitrary model values.

use std::collections::BTreeMap;

use proptest::prelude::*;
use specscope::collect::raw::cache_value;
use specscope::model::version::{CounterSite, PythonVersion};
use specscope::model::*;
use specscope::views::dump::{self, Format};

const VERSIONS: &[(u8, u8, u8)] = &[
    (3, 11, 7),
    (3, 12, 1),
    (3, 13, 0),
    (3, 13, 1),
    (3, 14, 0),
    (3, 15, 0),
    (2, 7, 18),
];
const OPNAMES: &[(&str, &str)] = &[
    ("BINARY_OP", "BINARY_OP"),
    ("BINARY_OP_ADAPTIVE", "BINARY_OP"),
    ("BINARY_OP_ADD_INT", "BINARY_OP"),
    ("JUMP_BACKWARD", "JUMP_BACKWARD"),
    ("POP_JUMP_IF_TRUE", "POP_JUMP_IF_TRUE"),
    ("INSTRUMENTED_CALL", "CALL"),
    ("LOAD_ATTR_INSTANCE_VALUE", "LOAD_ATTR"),
];

fn version(i: usize) -> PythonVersion {
    let (major, minor, micro) = VERSIONS[i % VERSIONS.len()];
    PythonVersion {
        major,
        minor,
        micro,
    }
}

proptest! {
    #[test]
    fn counters_decode_any_bits_in_every_version(raw in any::<u16>(), v in 0usize..16, op in 0usize..16, family in any::<bool>(), quickened in any::<bool>()) {
        let facts = version(v).facts();
        let (opname, base_opname) = OPNAMES[op % OPNAMES.len()];
        let c = facts.decode_counter(CounterSite { opname, base_opname, family, quickened }, raw);
        prop_assert_eq!(c.raw, raw);
        prop_assert!(!c.meaning.is_empty());
        if let Some(backoff) = c.backoff {
            prop_assert_eq!(c.value, raw >> 4);
            prop_assert_eq!(backoff, (raw & 0xF) as u8);
        }
        if c.state == CounterState::Misses && c.backoff.is_none() {
            prop_assert_eq!(c.value, raw);
        }
        // "Misses left N" names the miss that changes the instruction, the
        // same way on every version: 3.11 acts when the count reaches 0,
        // 3.12+ on the miss that finds it already at 0.
        if c.state == CounterState::Misses {
            let expected = if c.backoff.is_none() { c.value } else { c.value + 1 };
            prop_assert_eq!(c.misses_left, Some(expected));
        } else {
            prop_assert_eq!(c.misses_left, None);
        }
    }

    #[test]
    fn cache_values_are_the_units_little_endian(units in proptest::collection::vec(any::<u16>(), 0..6)) {
        let value = cache_value(&units);
        for (i, unit) in units.iter().take(4).enumerate() {
            prop_assert_eq!((value >> (16 * i)) as u16, *unit);
        }
    }

    #[test]
    fn writers_never_panic_and_never_emit_raw_controls(snapshot in snapshots()) {
        for format in [Format::Table, Format::Dis, Format::Html] {
            let text = dump::render(&snapshot, format, false);
            let raw = text.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t');
            prop_assert!(raw.is_none(), "{:?} wrote {:?}", format, raw);
        }
        let colored = dump::render(&snapshot, Format::Table, true);
        prop_assert!(colored.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\x1b')).count() == 0);
        let json = dump::render(&snapshot, Format::Json, false);
        let back: Snapshot = serde_json::from_str(&json).expect("the JSON reads back");
        prop_assert_eq!(back.code_objects.len(), snapshot.code_objects.len());
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Z_]{1,30}",
        Just("\u{1b}[31m\u{7}\r\t\u{9b}\u{202e}".to_string()),
    ]
}

fn instruction() -> impl Strategy<Value = Instruction> {
    (
        (
            any::<u32>(),
            any::<Option<u32>>(),
            any::<bool>(),
            text(),
            text(),
            any::<Option<i64>>(),
            text(),
        ),
        (
            any::<bool>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            0u8..4,
        ),
        proptest::collection::vec(
            (
                text(),
                0u32..6,
                any::<u32>(),
                any::<u64>(),
                proptest::option::of(text()),
            ),
            0..4,
        ),
        proptest::option::of((any::<u16>(), any::<u16>(), any::<Option<u8>>(), text())),
        proptest::option::of((
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
        )),
    )
        .prop_map(
            |(
                (offset, line, starts_line, opname, base_opname, arg, argrepr),
                (is_jump_target, label, jump_target, status),
                caches,
                counter,
                positions,
            )| Instruction {
                offset,
                line,
                starts_line,
                positions: positions.map(|(line, end_line, col, end_col)| Positions {
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
                status: [
                    Status::Specialized,
                    Status::Adaptive,
                    Status::NoCache,
                    Status::Instrumented,
                ][status as usize],
                caches: caches
                    .into_iter()
                    .map(|(name, size, offset, value, meaning)| CacheEntry {
                        name,
                        size,
                        offset,
                        value,
                        meaning,
                    })
                    .collect(),
                counter: counter.map(|(raw, value, backoff, meaning)| Counter {
                    raw,
                    value,
                    backoff,
                    state: CounterState::Warming,
                    meaning,
                    misses_left: None,
                }),
                samples: u64::from(offset % 7),
                evidence: None,
            },
        )
}

fn code_object() -> impl Strategy<Value = CodeObject> {
    (
        (text(), text(), text(), any::<u32>(), text(), any::<bool>()),
        proptest::collection::vec(instruction(), 0..12),
        proptest::collection::vec(
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<bool>(),
            ),
            0..3,
        ),
    )
        .prop_map(
            |((qualname, name, filename, first_line, repr, ran), instructions, table)| CodeObject {
                qualname,
                name,
                filename,
                source_kept: first_line % 2 == 0,
                first_line,
                repr,
                kind: CodeKind::Function,
                parent: None,
                ran,
                ran_known: true,
                exception_table: table
                    .into_iter()
                    .map(|(start, end, target, depth, lasti)| ExceptionEntry {
                        start,
                        end,
                        target,
                        depth,
                        lasti,
                    })
                    .collect(),
                samples: instructions.iter().map(|i| i.samples).sum(),
                instructions,
            },
        )
}

fn snapshots() -> impl Strategy<Value = Snapshot> {
    (
        0usize..16,
        proptest::collection::vec(code_object(), 0..4),
        text(),
        proptest::collection::vec((0usize..3, text()), 0..3),
        any::<Option<String>>(),
    )
        .prop_map(|(v, code_objects, source, output, call)| {
            let mut files = BTreeMap::new();
            for code in &code_objects {
                files.insert(code.filename.clone(), source.clone());
            }
            Snapshot {
                schema: SCHEMA_VERSION,
                python: PythonInfo {
                    version: version(v),
                    full_version: "x".into(),
                    families: BTreeMap::new(),
                },
                target: TargetInfo {
                    kind: specscope::model::TargetKind::Code,
                    filename: "<string>".into(),
                    argv: vec![],
                },
                warmup: Warmup {
                    call: call.clone(),
                    calls_requested: 1,
                    calls_done: 1,
                    then: call,
                    then_calls_requested: 0,
                    then_calls_done: 0,
                    program_seconds: 0.0,
                    call_seconds: 0.0,
                },
                files,
                timeline: vec![
                    Step {
                        phase: specscope::model::Phase::Call,
                        calls: 0,
                        code_objects: code_objects.clone(),
                    },
                    Step {
                        phase: specscope::model::Phase::Then,
                        calls: 1,
                        code_objects: code_objects.clone(),
                    },
                ],
                code_objects,
                sampling: (v % 2 == 0).then_some(specscope::model::Sampling {
                    interval_ms: 1.0,
                    total: v as u64 * 10,
                }),
                why: None,
                run: RunReport {
                    output: output
                        .into_iter()
                        .map(|(stream, text)| OutputChunk {
                            stream: [
                                specscope::model::Stream::Stdout,
                                specscope::model::Stream::Stderr,
                                specscope::model::Stream::Fd,
                            ][stream],
                            text,
                        })
                        .collect(),
                    ..RunReport::default()
                },
            }
        })
}
