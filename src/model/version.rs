//! Everything that differs between CPython versions, in one place.
//!
//! Facts come from the installed headers: `internal/pycore_code.h` (3.11,
//! 3.12) and `internal/pycore_backoff.h` (3.13), and from each version's
//! `Lib/dis.py` for the text layout of `dis`.

pub use crate::model::PythonVersion;
use crate::model::{Counter, CounterState, Instruction, Status};

/// How the 16-bit counter in the first cache entry is laid out and used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterLayout {
    /// 3.11: adaptive forms (`*_ADAPTIVE`) hold `value << 4 | backoff`;
    /// specialized forms hold a plain miss counter that starts at 53.
    Split311,
    /// 3.12 and 3.13: always a 12-bit value and a 4-bit backoff exponent;
    /// warm-up (1, 1), cooldown after specializing (52, 0).
    Backoff12,
    /// A version this build does not know: raw values only.
    Unknown,
}

/// How `dis` lays out its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisStyle {
    /// 3.11: `>>` jump marks, offsets shown; CACHE values only on quickened instructions.
    Py311,
    /// 3.12: as 3.11, but CACHE values on every instruction.
    Py312,
    /// 3.13: `L1:` labels, no offsets, `--` for instructions without a line.
    Py313,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionFacts {
    pub counter: CounterLayout,
    pub dis: DisStyle,
    /// CPython 3.13.0's `dis` reads every cache field from the first cache unit.
    pub dis_cache_info_bug: bool,
    /// Number of calls (or loop iterations) before 3.11 quickens a code object.
    pub quickening_delay: Option<u32>,
    /// 3.11's `dis.findlabels` looks at live opcodes, so the target of a
    /// quickened jump (JUMP_BACKWARD_QUICK) loses its `>>` mark in
    /// `dis.dis(adaptive=True)`; later versions de-optimize first.
    pub dis_labels_from_live_jumps: bool,
    /// Whether `decode` knows how this version's `dis` words arguments;
    /// otherwise the collector builds instructions with `dis` itself.
    pub rust_decoder: bool,
    /// 3.12 writes superinstructions when it creates a code object.
    pub superinstructions_at_creation: bool,
    /// 3.13 rewrites RESUME to RESUME_CHECK at the first execution, so the
    /// live bytecode alone tells whether a code object ran.
    pub resume_marks_execution: bool,
}

/// A cache layout: (field name, size in code units), in memory order.
pub type CacheLayout = &'static [(&'static str, u32)];

/// 3.13's `_PyLoadGlobalCache` puts both keys versions before `index`, while
/// `opcode._cache_format` (and so `dis`) lists `index` first.
const LOAD_GLOBAL_313_STRUCT: CacheLayout = &[
    ("counter", 1),
    ("module_keys_version", 1),
    ("builtin_keys_version", 1),
    ("index", 1),
];
const LOAD_GLOBAL_313_DIS: CacheLayout = &[
    ("counter", 1),
    ("index", 1),
    ("module_keys_version", 1),
    ("builtin_keys_version", 1),
];

/// The family a site belongs to when sites of two versions are compared:
/// 3.11's LOAD_METHOD is 3.12's LOAD_ATTR with the method bit of its
/// argument set, so `obj.method()` is one site in both.
pub fn comparable_family(base: &str) -> &str {
    match base {
        "LOAD_METHOD" => "LOAD_ATTR",
        other => other,
    }
}

pub const MISS_COUNTER_START_311: u16 = 53;
/// The largest backoff exponent: 12 bits of value (`MAX_BACKOFF_VALUE` in
/// 3.11's and 3.12's `pycore_code.h`, `restart_backoff_counter` in 3.13's
/// `pycore_backoff.h`).
pub const MAX_BACKOFF: u8 = 12;
pub const ADAPTIVE_START_311: (u16, u8) = (31, 5);
pub const WARMUP: (u16, u8) = (1, 1);
pub const COOLDOWN: (u16, u8) = (52, 0);

/// What `Python/specialize.c` of a version does in the cases `--why`
/// explains, where versions differ: the `SPEC_FAIL_*` kind it records, or
/// that it specializes after all. (Kinds that all three versions share are
/// in `analysis::why` itself.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecializeRules {
    /// `(major, minor)`, to name the source the reasons come from.
    pub version: (u8, u8),
    /// A call of a Python function with `*args`, `**kwargs` or
    /// keyword-only parameters (`function_kind`); None: it specializes
    /// (3.13's CALL_PY_GENERAL).
    pub complex_parameters: Option<&'static str>,
    /// A call with the wrong number of arguments for a Python function;
    /// None: it specializes (CALL_PY_GENERAL).
    pub wrong_number_of_arguments: Option<&'static str>,
    /// 3.13 specializes a call of any other callable to
    /// CALL_NON_PY_GENERAL.
    pub general_calls: bool,
    /// Keyword arguments to a Python function (`kwnames`); None: such a
    /// call is CALL_KW, which has no inline cache (3.13).
    pub keyword_arguments: Option<&'static str>,
    /// Globals or builtins that are not exactly a dict; None: LOAD_GLOBAL
    /// fails without recording a kind (3.11's `goto fail`).
    pub non_dict_globals: Option<&'static str>,
    /// A class with its own `__getattr__` or `__getattribute__` fails
    /// LOAD_ATTR at once (3.11: `tp_getattro` is not the generic one);
    /// 3.12+ looks further when only `__getattr__` is defined.
    pub getattr_fails_at_once: bool,
    /// LOAD_ATTR of a property specializes (LOAD_ATTR_PROPERTY, 3.12+);
    /// 3.11 records SPEC_FAIL_ATTR_PROPERTY.
    pub property_specializes: bool,
    /// `str[int]` specializes (BINARY_SUBSCR_STR_INT, 3.13).
    pub str_subscript_specializes: bool,
    /// List and tuple (3.13: and str) subscription specializes only for an
    /// index from 0 to 2**30 - 1, and records SPEC_FAIL_OUT_OF_RANGE
    /// otherwise (3.12+); 3.11 specializes for any int, and the
    /// specialized form's guard misses on such an index.
    pub subscript_index_checked: bool,
    /// COMPARE_OP specializes only before a conditional jump (3.11).
    pub compare_needs_jump: bool,
    /// A plain value on the class read through an instance (LOAD_ATTR's
    /// NON_DESCRIPTOR) fails with this kind when the class keeps a managed
    /// dict (3.12); None: 3.13 specializes it
    /// (LOAD_ATTR_NONDESCRIPTOR_*), and 3.11 looks in the instance's
    /// dictionary, where it is not.
    pub class_attribute_through_instance: Option<&'static str>,
    /// 3.13 specializes that read (LOAD_ATTR_NONDESCRIPTOR_*).
    pub class_value_specializes: bool,
    /// LOAD_ATTR's low argument bit asks for a method to call (3.12+;
    /// 3.11 has LOAD_METHOD).
    pub method_bit_in_load_attr: bool,
    /// 3.11 splits a call in two: PRECALL specializes C callables, classes
    /// and bound methods, CALL only Python functions. The family that
    /// takes the others: `Some("PRECALL")`.
    pub precall_split: Option<&'static str>,
}

/// What a C callable is, for [`SpecializeRules::c_call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CCallee {
    /// A `builtin_function_or_method` (`len`, or a C method bound to its
    /// object): `specialize_c_call`.
    Builtin,
    /// A method descriptor of a C type, called with its object as the
    /// first argument (`str.startswith`, and `s.startswith(x)` on 3.12+):
    /// `specialize_method_descriptor`.
    MethodDescriptor,
}

/// What `specialize.c` does with a call of a C callable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CCall {
    /// A form takes it.
    Specializes,
    /// It fails, recording this kind.
    Fails(&'static str),
}

impl SpecializeRules {
    /// A call (without keywords, and with a number of arguments a form
    /// takes: see the callers) of a C callable whose `METH_*` flags are
    /// `flags`, as `specialize_c_call` and `specialize_method_descriptor`
    /// judge it (3.11's PRECALL, 3.12's and 3.13's CALL). Flags with no
    /// form of their own fail with `builtin_call_fail_kind` (3.11, both
    /// callees; 3.12, builtins) or `meth_descr_call_fail_kind` (3.12); 3.13
    /// specializes them as CALL_NON_PY_GENERAL.
    pub fn c_call(&self, callee: CCallee, flags: &str) -> CCall {
        let has_form = matches!(
            (callee, flags),
            (
                _,
                "METH_O" | "METH_FASTCALL" | "METH_FASTCALL|METH_KEYWORDS"
            ) | (CCallee::MethodDescriptor, "METH_NOARGS")
        );
        if has_form || self.general_calls {
            return CCall::Specializes;
        }
        let kind = match (self.version, callee, flags) {
            ((3, 11), _, "METH_VARARGS") => "SPEC_FAIL_CALL_PYCFUNCTION",
            ((3, 11), _, "METH_VARARGS|METH_KEYWORDS") => {
                "SPEC_FAIL_CALL_PYCFUNCTION_WITH_KEYWORDS"
            }
            ((3, 11), _, "METH_NOARGS") => "SPEC_FAIL_CALL_PYCFUNCTION_NOARGS",
            (_, CCallee::Builtin, "METH_VARARGS") => "SPEC_FAIL_CALL_CFUNC_VARARGS",
            (_, CCallee::Builtin, "METH_VARARGS|METH_KEYWORDS") => {
                "SPEC_FAIL_CALL_CFUNC_VARARGS_KEYWORDS"
            }
            (_, CCallee::Builtin, "METH_NOARGS") => "SPEC_FAIL_CALL_CFUNC_NOARGS",
            (_, CCallee::Builtin, "METH_METHOD|METH_FASTCALL|METH_KEYWORDS") => {
                "SPEC_FAIL_CALL_CFUNC_METHOD_FASTCALL_KEYWORDS"
            }
            ((3, 12), CCallee::MethodDescriptor, "METH_VARARGS") => {
                "SPEC_FAIL_CALL_METH_DESCR_VARARGS"
            }
            ((3, 12), CCallee::MethodDescriptor, "METH_VARARGS|METH_KEYWORDS") => {
                "SPEC_FAIL_CALL_METH_DESCR_VARARGS_KEYWORDS"
            }
            ((3, 12), CCallee::MethodDescriptor, "METH_METHOD|METH_FASTCALL|METH_KEYWORDS") => {
                "SPEC_FAIL_CALL_METH_DESCR_METHOD_FASTCALL_KEYWORDS"
            }
            _ => "SPEC_FAIL_CALL_BAD_CALL_FLAGS",
        };
        CCall::Fails(kind)
    }

    /// 3.11's CALL, reached when PRECALL did not take the call: the kind
    /// `call_fail_kind` records for a C callable.
    pub fn call_after_precall(&self, callee: CCallee) -> &'static str {
        match callee {
            CCallee::Builtin => "SPEC_FAIL_CALL_PYCFUNCTION",
            CCallee::MethodDescriptor => "SPEC_FAIL_CALL_METHOD_DESCRIPTOR",
        }
    }
}

impl PythonVersion {
    /// The rules of `specialize.c` for this version; None for a version
    /// whose rules specscope does not know.
    pub fn specialize_rules(&self) -> Option<SpecializeRules> {
        let v = (self.major, self.minor);
        let (old, v313) = (v <= (3, 12), v == (3, 13));
        if !(v == (3, 11) || v == (3, 12) || v313) {
            return None;
        }
        Some(SpecializeRules {
            version: v,
            complex_parameters: match v {
                (3, 11) => Some("SPEC_FAIL_CALL_COMPLEX_PARAMETERS"),
                (3, 12) => Some("SPEC_FAIL_CODE_COMPLEX_PARAMETERS"),
                _ => None,
            },
            wrong_number_of_arguments: old.then_some("SPEC_FAIL_WRONG_NUMBER_ARGUMENTS"),
            general_calls: v313,
            keyword_arguments: old.then_some("SPEC_FAIL_CALL_KWNAMES"),
            non_dict_globals: (v != (3, 11)).then_some("SPEC_FAIL_LOAD_GLOBAL_NON_DICT"),
            getattr_fails_at_once: v == (3, 11),
            property_specializes: v != (3, 11),
            str_subscript_specializes: v313,
            subscript_index_checked: v != (3, 11),
            compare_needs_jump: v == (3, 11),
            precall_split: (v == (3, 11)).then_some("PRECALL"),
            class_attribute_through_instance: (v == (3, 12))
                .then_some("SPEC_FAIL_ATTR_CLASS_ATTR_SIMPLE"),
            class_value_specializes: v313,
            method_bit_in_load_attr: v != (3, 11),
        })
    }

    pub fn facts(&self) -> VersionFacts {
        let (counter, dis) = match (self.major, self.minor) {
            (3, 11) => (CounterLayout::Split311, DisStyle::Py311),
            (3, 12) => (CounterLayout::Backoff12, DisStyle::Py312),
            (3, 13) => (CounterLayout::Backoff12, DisStyle::Py313),
            _ => (CounterLayout::Unknown, DisStyle::Py313),
        };
        VersionFacts {
            counter,
            dis,
            dis_cache_info_bug: (self.major, self.minor, self.micro) == (3, 13, 0),
            quickening_delay: (counter == CounterLayout::Split311).then_some(8),
            dis_labels_from_live_jumps: counter == CounterLayout::Split311,
            rust_decoder: counter != CounterLayout::Unknown,
            superinstructions_at_creation: (self.major, self.minor) == (3, 12),
            resume_marks_execution: (self.major, self.minor) == (3, 13),
        }
    }

    pub fn short(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

/// What the collector knows about the instruction whose counter is decoded.
#[derive(Debug, Clone, Copy)]
pub struct CounterSite<'a> {
    pub opname: &'a str,
    pub base_opname: &'a str,
    /// Whether the base opname is a specializable family in this version.
    pub family: bool,
    /// Whether the code object holding it was quickened (3.11: after
    /// `quickening_delay` executions; later versions at creation).
    pub quickened: bool,
}

impl VersionFacts {
    /// Opcodes whose real cache layout (the C struct in `pycore_code.h`)
    /// differs from `opcode._cache_format`: base opname → (struct layout,
    /// the layout `dis` prints).
    pub fn cache_layout_fixes(&self) -> &'static [(&'static str, CacheLayout, CacheLayout)] {
        match self.dis {
            DisStyle::Py313 if self.counter == CounterLayout::Backoff12 => {
                &[("LOAD_GLOBAL", LOAD_GLOBAL_313_STRUCT, LOAD_GLOBAL_313_DIS)]
            }
            _ => &[],
        }
    }

    /// The layout `dis` prints for `base`, where it differs from the real one.
    pub fn dis_cache_layout(&self, base: &str) -> Option<CacheLayout> {
        self.cache_layout_fixes()
            .iter()
            .find(|(name, _, _)| *name == base)
            .map(|(_, _, dis)| *dis)
    }

    /// 3.11 keeps a separate opcode for a family's generic, counting form.
    pub fn is_adaptive_form(&self, opname: &str) -> bool {
        self.counter == CounterLayout::Split311 && opname.ends_with("_ADAPTIVE")
    }

    /// 3.12+ swap in `INSTRUMENTED_*` opcodes while `sys.monitoring` (or
    /// `sys.settrace`, which uses it) watches the code; they are not
    /// specializations.
    pub fn is_instrumented(&self, opname: &str) -> bool {
        opname.starts_with("INSTRUMENTED_")
    }

    /// Whether `opname` is a specialized (or quickened) form of `base`.
    pub fn is_specialized(&self, opname: &str, base: &str) -> bool {
        opname != base && !self.is_adaptive_form(opname) && !self.is_instrumented(opname)
    }

    /// 3.12 combines pairs of instructions (`LOAD_FAST__LOAD_FAST`, ...)
    /// when it creates a code object: they say nothing about execution.
    /// (3.11 writes them when it quickens, after the code ran; 3.13's
    /// compiler emits its own pairs as ordinary opcodes.)
    pub fn is_superinstruction_at_creation(&self, opname: &str) -> bool {
        self.superinstructions_at_creation && opname.contains("__")
    }

    /// Why 3.11 put the plain generic opcode back for good, for the two
    /// families where `specialize.c` does that; `None` elsewhere.
    pub fn given_up_reason(&self, base: &str) -> Option<&'static str> {
        if self.counter != CounterLayout::Split311 {
            return None;
        }
        match base {
            "BINARY_OP" => Some(
                "3.11 specializes only +, - and * (and +=, -=, *=); for any other operator it puts the plain BINARY_OP back at the first attempt and never tries again",
            ),
            "COMPARE_OP" => Some(
                "3.11 specializes a comparison only when a conditional jump follows it; otherwise it puts the plain COMPARE_OP back at the first attempt and never tries again",
            ),
            _ => None,
        }
    }

    /// Whether the live bytecode shows that the code ran at least once.
    ///
    /// 3.11 quickens a code object only after `quickening_delay` calls or loop
    /// iterations, so code that ran fewer times looks exactly like code that
    /// never ran. 3.12+ quickens at creation with warm-up counters (1, 1) that
    /// the first execution of a specializable instruction moves; 3.13 also
    /// rewrites RESUME to RESUME_CHECK on the first call.
    pub fn shows_execution(&self, instructions: &[Instruction]) -> bool {
        instructions.iter().any(|i| {
            (self.is_specialized(&i.opname, &i.base_opname)
                && !self.is_superinstruction_at_creation(&i.opname))
                || (self.counter == CounterLayout::Backoff12
                    && i.status == Status::Adaptive
                    && i.counter
                        .as_ref()
                        .is_some_and(|c| (c.value, c.backoff) != (WARMUP.0, Some(WARMUP.1))))
        })
    }

    /// Decodes the first cache entry of an instruction as this version uses it.
    ///
    /// "Misses left N" means the same on every version: the Nth guard miss
    /// from now is the one that changes the instruction (3.11: de-optimizes
    /// it; 3.12+: re-specializes it). 3.11 counts down to 0 and acts when it
    /// gets there, so N is the value; 3.12+ act on the miss that finds the
    /// value already at 0, so N is the value plus one.
    pub fn decode_counter(&self, site: CounterSite<'_>, raw: u16) -> Counter {
        let specialized = self.is_specialized(site.opname, site.base_opname);
        let split = |raw: u16| (raw >> 4, (raw & 0xF) as u8);
        let counter = |value, backoff, state, meaning| Counter {
            raw,
            value,
            backoff,
            state,
            meaning,
            misses_left: None,
        };
        match self.counter {
            CounterLayout::Unknown => counter(
                raw,
                None,
                CounterState::Unknown,
                "unknown layout for this Python version".into(),
            ),
            CounterLayout::Split311 if specialized => Counter {
                misses_left: Some(raw),
                ..counter(
                    raw,
                    None,
                    CounterState::Misses,
                    format!(
                        "{raw} guard misses left: the {} miss from now de-optimizes it (starts at {MISS_COUNTER_START_311})",
                        ordinal(raw)
                    ),
                )
            },
            CounterLayout::Split311 if !self.is_adaptive_form(site.opname) => {
                match self.given_up_reason(site.base_opname) {
                    Some(why) if site.quickened && site.family => counter(
                        raw,
                        None,
                        CounterState::Unspecializable,
                        format!("given up: {why}"),
                    ),
                    _ => counter(
                        raw,
                        None,
                        CounterState::NotQuickened,
                        format!(
                            "not quickened yet: 3.11 quickens a code object after {} calls or loop iterations",
                            self.quickening_delay.unwrap_or(8)
                        ),
                    ),
                }
            }
            CounterLayout::Split311 => {
                let (value, backoff) = split(raw);
                if backoff == ADAPTIVE_START_311.1 && value <= ADAPTIVE_START_311.0 {
                    let when = attempt_when(value);
                    return counter(
                        value,
                        Some(backoff),
                        CounterState::BackoffOrRestart,
                        format!(
                            "backoff 5: either five attempts to specialize failed, or the site was de-optimized after 53 misses and restarted at (31, 5); both look the same; {when}"
                        ),
                    );
                }
                // Quickening leaves the counter at 0, so the first execution
                // already tries: any backoff means failed attempts.
                adaptive(raw, value, backoff, backoff >= 1)
            }
            CounterLayout::Backoff12 if self.is_instrumented(site.opname) => {
                let (value, backoff) = split(raw);
                counter(
                    value,
                    Some(backoff),
                    CounterState::Instrumented,
                    format!(
                        "instrumented by sys.monitoring or sys.settrace: ({value}, {backoff}) is kept for the {} underneath",
                        site.base_opname
                    ),
                )
            }
            CounterLayout::Backoff12 => {
                let (value, backoff) = split(raw);
                if site.base_opname == "JUMP_BACKWARD" && !site.family {
                    return counter(
                        value,
                        Some(backoff),
                        CounterState::TraceWarmup,
                        format!(
                            "tier-2 trace counter ({value}, backoff {backoff}); it only counts in builds with the experimental JIT or tier 2"
                        ),
                    );
                }
                if site.base_opname.starts_with("POP_JUMP_IF_") {
                    let meaning = if raw == BRANCH_SEED {
                        format!(
                            "branch history {raw:016b}: the seed 0x5555 written when the code object was created; no execution is recorded in it yet"
                        )
                    } else {
                        format!(
                            "branch history {raw:016b}: one bit per recent execution, newest on the right, 1 = jumped (the register starts from the seed 0x5555)"
                        )
                    };
                    return counter(raw, None, CounterState::BranchHistory, meaning);
                }
                if specialized {
                    let left = value + 1;
                    let meaning = if (value, backoff) == COOLDOWN {
                        format!(
                            "cooldown ({value}, {backoff}): no guard has missed since it specialized; it absorbs {value} misses and the {} re-specializes it",
                            ordinal(left)
                        )
                    } else {
                        format!(
                            "{left} guard misses left: the {} miss from now re-specializes it ({value}, backoff {backoff})",
                            ordinal(left)
                        )
                    };
                    Counter {
                        misses_left: Some(left),
                        ..counter(value, Some(backoff), CounterState::Misses, meaning)
                    }
                } else {
                    adaptive(raw, value, backoff, backoff > WARMUP.1)
                }
            }
        }
    }

    /// The fewest times a failing site must have run for its counter to
    /// read what it reads: what the backoff proves. `None` for a counter
    /// that proves nothing of the kind (warming up, specialized, a layout
    /// this build does not know).
    ///
    /// After each failed attempt to specialize, `specialize.c` sets the
    /// counter to `(2^b - 1, b)` with the backoff exponent `b` one higher
    /// (at most 12), and the instruction runs again at once, counting that
    /// same execution down by one; each later execution counts one down,
    /// and the execution that finds the value at 0 tries again. So a
    /// counter `(v, b)` comes after a known number of attempts, the last
    /// one `2^b - 2 - v` executions ago. What differs is the start:
    ///
    /// - 3.11 quickens a code object after 8 calls or loop iterations and
    ///   leaves every adaptive counter at `(0, 0)`: the first execution
    ///   after that tries, and its failure gives backoff 1. Executions
    ///   before quickening are not counted. A site 3.11 gave up on (the
    ///   plain opcode put back at the first attempt) ran at least once.
    /// - 3.12 and 3.13 start at the warm-up `(1, 1)`: the second execution
    ///   tries, and its failure gives backoff 2.
    ///
    /// The count is exact for a site that never specialized and never sat
    /// at the cap (3.11: counted from quickening); a site that specialized
    /// and was de-optimized, or failed again at backoff 12, ran more. So
    /// the site ran at least this many times.
    pub fn executions_at_least(&self, counter: &Counter) -> Option<u64> {
        let (first_attempt, first_backoff) = match (self.counter, counter.state) {
            (CounterLayout::Split311, CounterState::Unspecializable) => return Some(1),
            (
                CounterLayout::Split311,
                CounterState::BackingOff | CounterState::BackoffOrRestart,
            ) => (1u64, 1u8),
            (CounterLayout::Backoff12, CounterState::BackingOff) => (2, WARMUP.1 + 1),
            _ => return None,
        };
        let backoff = counter
            .backoff
            .filter(|b| (first_backoff..=MAX_BACKOFF).contains(b))?;
        // The execution that made the attempt which left `backoff`.
        let last_attempt =
            (first_backoff..backoff).fold(first_attempt, |at, b| at + (1u64 << b) - 1);
        let counted_down = ((1u64 << backoff) - 2).saturating_sub(u64::from(counter.value));
        Some(last_attempt + counted_down)
    }
}

/// 3.13 seeds the branch history of every conditional jump with this value.
pub const BRANCH_SEED: u16 = 0x5555;

/// `1st`, `2nd`, `3rd`, `53rd`, ...
pub fn ordinal(n: u16) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn attempt_when(value: u16) -> String {
    if value == 0 {
        "it tries to specialize at its next execution".to_string()
    } else {
        format!("it tries to specialize after {value} more executions")
    }
}

fn adaptive(raw: u16, value: u16, backoff: u8, backing_off: bool) -> Counter {
    let when = attempt_when(value);
    let (state, meaning) = if backing_off {
        (
            CounterState::BackingOff,
            format!(
                "backing off after failed attempts: {when}; a failure waits 2^{} - 1 = {} executions",
                backoff.saturating_add(1).min(12),
                (1u32 << backoff.saturating_add(1).min(12)) - 1
            ),
        )
    } else {
        (CounterState::Warming, format!("warming up: {when}"))
    };
    Counter {
        raw,
        value,
        backoff: Some(backoff),
        state,
        meaning,
        misses_left: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PythonVersion {
        s.parse().unwrap()
    }

    fn site<'a>(opname: &'a str, base: &'a str) -> CounterSite<'a> {
        CounterSite {
            opname,
            base_opname: base,
            family: true,
            quickened: true,
        }
    }

    #[test]
    fn cooldown_after_specializing_on_312_and_313() {
        for version in ["3.12.1", "3.13.0"] {
            let c = v(version)
                .facts()
                .decode_counter(site("BINARY_OP_ADD_INT", "BINARY_OP"), 832);
            assert_eq!(
                (c.value, c.backoff, c.state),
                (52, Some(0), CounterState::Misses)
            );
        }
    }

    #[test]
    fn miss_counter_on_311() {
        let c = v("3.11.7")
            .facts()
            .decode_counter(site("BINARY_OP_ADD_INT", "BINARY_OP"), 53);
        assert_eq!(
            (c.value, c.backoff, c.state),
            (53, None, CounterState::Misses)
        );
    }

    #[test]
    fn adaptive_311_uses_value_and_backoff() {
        let c = v("3.11.7")
            .facts()
            .decode_counter(site("BINARY_OP_ADAPTIVE", "BINARY_OP"), (31 << 4) | 5);
        assert_eq!(
            (c.value, c.backoff, c.state),
            (31, Some(5), CounterState::BackoffOrRestart)
        );
        // Quickening leaves (0, 0): one failed attempt gives backoff 1.
        let c = v("3.11.7")
            .facts()
            .decode_counter(site("BINARY_OP_ADAPTIVE", "BINARY_OP"), (1 << 4) | 1);
        assert_eq!(c.state, CounterState::BackingOff);
        let c = v("3.11.7")
            .facts()
            .decode_counter(site("BINARY_OP_ADAPTIVE", "BINARY_OP"), 0);
        assert_eq!(c.state, CounterState::Warming);
        let c = v("3.11.7")
            .facts()
            .decode_counter(site("BINARY_OP_ADAPTIVE", "BINARY_OP"), (63 << 4) | 6);
        assert_eq!(c.state, CounterState::BackingOff);
    }

    #[test]
    fn warmup_and_backoff_on_312() {
        let f = v("3.12.1").facts();
        let c = f.decode_counter(site("LOAD_ATTR", "LOAD_ATTR"), 17);
        assert_eq!(
            (c.value, c.backoff, c.state),
            (1, Some(1), CounterState::Warming)
        );
        let c = f.decode_counter(site("LOAD_ATTR", "LOAD_ATTR"), (7 << 4) | 3);
        assert_eq!(
            (c.value, c.backoff, c.state),
            (7, Some(3), CounterState::BackingOff)
        );
    }

    #[test]
    fn unknown_version_does_not_guess() {
        let c = v("3.15.0")
            .facts()
            .decode_counter(site("BINARY_OP_ADD_INT", "BINARY_OP"), 832);
        assert_eq!(c.state, CounterState::Unknown);
        assert!(c.meaning.contains("unknown layout"));
    }

    /// A failing site's counter `(value, backoff)` after one more
    /// execution, as `specialize.c` moves it when every attempt fails.
    /// Applied `n` times to the counter at the first execution (3.11: just
    /// quickened; 3.12+: warm-up), it gives the counter after `n` executions.
    fn failing_site(mut value: u16, mut backoff: u8) -> (u16, u8) {
        if value == 0 {
            backoff = (backoff + 1).min(MAX_BACKOFF);
            value = (1 << backoff) - 1;
        }
        (value - 1, backoff)
    }

    #[test]
    fn the_backoff_proves_how_often_a_failing_site_ran() {
        for (version, start, adaptive) in [
            ("3.11.7", (0, 0), "BINARY_OP_ADAPTIVE"),
            ("3.12.1", WARMUP, "BINARY_OP"),
            ("3.13.0", WARMUP, "BINARY_OP"),
        ] {
            let facts = v(version).facts();
            let mut exact = 0;
            let (mut value, mut backoff) = start;
            for n in 1..=20_000u64 {
                (value, backoff) = failing_site(value, backoff);
                let raw = (value << 4) | u16::from(backoff);
                let counter = facts.decode_counter(site(adaptive, "BINARY_OP"), raw);
                let Some(bound) = facts.executions_at_least(&counter) else {
                    // Only a site that has not failed yet proves nothing.
                    assert_eq!(counter.state, CounterState::Warming, "{version} n={n}");
                    continue;
                };
                assert!(
                    bound <= n,
                    "{version}: {bound} > {n} at ({value}, {backoff})"
                );
                if backoff < MAX_BACKOFF {
                    assert_eq!(bound, n, "{version} at ({value}, {backoff})");
                    exact += 1;
                }
            }
            // Backoff 12 comes at the 4,084th execution on every version.
            assert!(exact >= 4082, "{version}: {exact}");
        }
        // 3.12's first failure is at the second execution; 3.11's at the
        // first after quickening.
        let f = v("3.12.1").facts();
        let c = f.decode_counter(site("BINARY_OP", "BINARY_OP"), (2 << 4) | 2);
        assert_eq!(f.executions_at_least(&c), Some(2));
        let f = v("3.11.7").facts();
        let c = f.decode_counter(site("BINARY_OP_ADAPTIVE", "BINARY_OP"), 1);
        assert_eq!(f.executions_at_least(&c), Some(1));
        // Given up at the first attempt (3.11): once.
        let c = f.decode_counter(site("BINARY_OP", "BINARY_OP"), 0);
        assert_eq!(c.state, CounterState::Unspecializable);
        assert_eq!(f.executions_at_least(&c), Some(1));
        // Specialized or warming: nothing proved; unknown layouts: nothing.
        let f = v("3.12.1").facts();
        let c = f.decode_counter(site("BINARY_OP_ADD_INT", "BINARY_OP"), 832);
        assert_eq!(f.executions_at_least(&c), None);
        let f = v("3.15.0").facts();
        let c = f.decode_counter(site("BINARY_OP", "BINARY_OP"), (83 << 4) | 11);
        assert_eq!(f.executions_at_least(&c), None);
    }

    #[test]
    fn only_3_13_0_has_the_cache_info_bug() {
        assert!(v("3.13.0").facts().dis_cache_info_bug);
        assert!(!v("3.13.1").facts().dis_cache_info_bug);
        assert!(!v("3.12.1").facts().dis_cache_info_bug);
    }
}
