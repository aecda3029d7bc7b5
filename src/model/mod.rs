//! The plain data a collection produces: no pyo3, no ratatui, serde-serializable.
//!
//! A [`Snapshot`] is what the adaptive interpreter had done to the selected code
//! objects at one moment; the views (text, JSON, TUI) only ever read it.

pub mod load;
pub mod version;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
/// A CPython version: what the snapshot was taken with.
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
    pub micro: u8,
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
    }
}

impl std::str::FromStr for PythonVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split('.').map(|p| p.parse::<u8>());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor)), micro) => Ok(PythonVersion {
                major,
                minor,
                micro: micro.and_then(Result::ok).unwrap_or(0),
            }),
            _ => Err(format!("not a Python version: {s}")),
        }
    }
}

/// Version of the JSON document `dump --format json` writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub schema: u32,
    pub python: PythonInfo,
    pub target: TargetInfo,
    pub warmup: Warmup,
    /// Source text of every file a selected code object comes from.
    pub files: BTreeMap<String, String>,
    pub code_objects: Vec<CodeObject>,
    pub run: RunReport,
    /// Snapshots taken during the warm-up (`--steps`, `--then`), oldest first.
    pub timeline: Vec<Step>,
    /// How the run was sampled to find where it spent its time; `None`
    /// when sampling was off.
    #[serde(default)]
    pub sampling: Option<Sampling>,
    /// How `--why` observed the program again; `None` without `--why`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<WhyRun>,
}

/// `--why`'s observation pass: after the snapshot was taken, the warm-up
/// ran again (the `--call`, or the program itself) with the sites that had
/// not specialized watched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WhyRun {
    /// The sites that get evidence: `failing` (backing off or given up) or
    /// `all` (every specializable site, `--why-all`).
    pub scope: WhyScope,
    /// What ran again: `call` (`--call`, and `--then`) or `program`.
    pub again: String,
    /// Executions observed per site, at most.
    pub per_site: u64,
    /// Wall time of the second run, observed.
    pub seconds: f64,
    /// How the second run ended: `completed`, `stopped: timeout`, `raised
    /// ValueError`, ...
    pub ended: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WhyScope {
    Failing,
    All,
}

/// What reached one site while `--why` observed it, and the reason it did
/// not specialize (or keeps failing) that this implies in the linked
/// version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// Executions of the site observed.
    pub seen: u64,
    /// What reached it, most frequent first.
    pub observed: Vec<Observed>,
    /// The reason in words; empty until [`crate::analysis`] has read the
    /// evidence.
    #[serde(default)]
    pub reason: String,
    /// The `SPEC_FAIL_*` kind `Python/specialize.c` of this version records
    /// for that reason (None: it records none, or the reason is not a
    /// failure to specialize, or it is unknown).
    #[serde(default)]
    pub fail_kind: Option<String>,
}

/// One kind of what reached a site, and how often.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Observed {
    /// As shown: the operands' types (`["int", "float"]`), or the
    /// receiver's class and what the lookup found (`["Proxy", "missing"]`),
    /// or what was called and the arguments' shape.
    pub kinds: Vec<String>,
    /// The facts the reason is read from (`"dict subclass"`,
    /// `"__getattr__"`, `"complex parameters"`, ...).
    #[serde(default)]
    pub facts: Vec<String>,
    pub count: u64,
}

/// The sampling of a run: every `interval_ms` the instruction running on
/// the program's main thread is counted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Sampling {
    /// The mean time between samples as they were taken (the interval
    /// asked for, `--sample-interval`, when fewer than two were).
    pub interval_ms: f64,
    /// Samples taken in all, in selected code or not.
    pub total: u64,
}

/// The selected code objects after `calls` evaluations of a phase's expression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// `call` (the `--call` expression) or `then` (the `--then` expression).
    pub phase: Phase,
    /// Evaluations of this phase's expression so far.
    pub calls: u64,
    pub code_objects: Vec<CodeObject>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PythonInfo {
    pub version: PythonVersion,
    pub full_version: String,
    /// Specializable families of this version: base opname → specialized forms.
    pub families: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    /// `demo`, `script`, `module` or `code`.
    pub kind: TargetKind,
    pub filename: String,
    pub argv: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Warmup {
    pub call: Option<String>,
    pub calls_requested: u64,
    pub calls_done: u64,
    pub then: Option<String>,
    pub then_calls_requested: u64,
    pub then_calls_done: u64,
    pub program_seconds: f64,
    /// Time spent evaluating `--call` and `--then`.
    pub call_seconds: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
    Generator,
    Coroutine,
    AsyncGenerator,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Module => "module",
            CodeKind::Class => "class",
            CodeKind::Function => "function",
            CodeKind::Lambda => "lambda",
            CodeKind::Comprehension => "comprehension",
            CodeKind::Generator => "generator",
            CodeKind::Coroutine => "coroutine",
            CodeKind::AsyncGenerator => "async generator",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CodeObject {
    pub qualname: String,
    pub name: String,
    pub filename: String,
    /// Whether [`Snapshot::files`] holds this code object's source under
    /// `filename`. Not for code made at run time from a string nobody kept
    /// (a dataclass's `__init__`: its file name, `<string>`, may even be a
    /// `-c` program's, whose text is not its source), a file above the
    /// source limit or one that cannot be read.
    #[serde(default = "known")]
    pub source_kept: bool,
    pub first_line: u32,
    /// `repr(code)` in the interpreter that ran it, as `dis` prints it.
    pub repr: String,
    pub kind: CodeKind,
    /// Index of the enclosing code object in [`Snapshot::code_objects`].
    pub parent: Option<usize>,
    /// Whether the interpreter's state shows this code ran (see `version`).
    pub ran: bool,
    /// Whether `ran: false` is known rather than only unseen: 3.12 cannot
    /// watch code objects that hold a superinstruction without undoing it,
    /// so for those only the counters can show that the code ran.
    #[serde(default = "known")]
    pub ran_known: bool,
    pub exception_table: Vec<ExceptionEntry>,
    pub instructions: Vec<Instruction>,
    /// Samples taken while this code object was running (its own
    /// instructions, not the code it called).
    #[serde(default)]
    pub samples: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExceptionEntry {
    pub start: u32,
    /// Exclusive end offset.
    pub end: u32,
    pub target: u32,
    pub depth: u32,
    pub lasti: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Positions {
    pub line: Option<u32>,
    pub end_line: Option<u32>,
    pub col: Option<u32>,
    pub end_col: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The live opname is a specialized (or quickened) form of the base opname.
    Specialized,
    /// A specializable instruction still in its generic form: warming up, or
    /// backing off after failed attempts.
    Adaptive,
    /// Nothing to specialize: the instruction has no inline cache of a family.
    NoCache,
    /// Replaced by an `INSTRUMENTED_*` opcode while `sys.monitoring` (or
    /// `sys.settrace`) watches the code (3.12+).
    Instrumented,
    /// A superinstruction 3.12 wrote when it created the code object: not a
    /// sign that the code ran, and not counted among the specializations.
    Superinstruction,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Instruction {
    pub offset: u32,
    /// Line of this instruction (carried forward from the last line start).
    pub line: Option<u32>,
    pub starts_line: bool,
    pub positions: Option<Positions>,
    /// The live, possibly specialized, opname.
    pub opname: String,
    pub base_opname: String,
    pub arg: Option<i64>,
    pub argrepr: String,
    pub is_jump_target: bool,
    /// `dis` label number (3.13+).
    pub label: Option<u32>,
    /// Offset this instruction jumps to, for jumps.
    pub jump_target: Option<u32>,
    pub status: Status,
    pub caches: Vec<CacheEntry>,
    pub counter: Option<Counter>,
    /// Samples taken while this instruction was the one running (see
    /// [`Snapshot::sampling`]); 0 without sampling.
    #[serde(default)]
    pub samples: u64,
    /// What reached this site while `--why` observed it, and why it did not
    /// specialize; `None` without `--why` or for a site not observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CacheEntry {
    pub name: String,
    /// Size in 16-bit code units.
    pub size: u32,
    /// Offset of the entry's first code unit.
    pub offset: u32,
    /// The entry read as one little-endian integer, as `dis` prints it.
    pub value: u64,
    /// What the value refers to (a class, a function, a global, a dict), or
    /// for the counter what it means; `None` where there is nothing to say.
    pub meaning: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CounterState {
    /// Code not quickened yet (3.11): caches hold zeros.
    NotQuickened,
    /// Generic form counting down to its first specialization attempt.
    Warming,
    /// Generic form after failed attempts, waiting longer before the next.
    BackingOff,
    /// 3.11 backoff 5: five failed attempts, or a restart after a
    /// de-optimization; the counter alone cannot tell which.
    BackoffOrRestart,
    /// 3.11 put the plain generic opcode back for good (BINARY_OP other
    /// than + - *, COMPARE_OP not followed by a conditional jump).
    Unspecializable,
    /// Specialized form counting guard misses (3.11: until de-optimization;
    /// 3.12+: until it re-specializes).
    Misses,
    /// 3.13 JUMP_BACKWARD: warm-up of the tier-2 trace optimizer.
    TraceWarmup,
    /// 3.13 POP_JUMP_IF_*: recent branch directions, one bit each.
    BranchHistory,
    /// The instruction is instrumented (3.12+): the counter belongs to the
    /// instruction underneath and does not move while monitoring is on.
    Instrumented,
    /// A Python version whose counter layout this build does not know.
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Counter {
    pub raw: u16,
    pub value: u16,
    pub backoff: Option<u8>,
    pub state: CounterState,
    pub meaning: String,
    /// For specialized forms: the guard miss from now (1 = the next one)
    /// that de-optimizes (3.11) or re-specializes (3.12+) the instruction.
    #[serde(default)]
    pub misses_left: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RunReport {
    /// What the program wrote, in order, per stream (`stdout`, `stderr`, `fd`).
    pub output: Vec<OutputChunk>,
    pub output_dropped_bytes: u64,
    pub exception: Option<ProgramException>,
    pub exit: Option<ProgramExit>,
    pub stopped: Option<Stopped>,
    /// What went wrong while collecting, when the program broke something
    /// the collector needs (closed its file descriptors, an audit hook that
    /// raises): what could be collected is still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputChunk {
    pub stream: Stream,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProgramException {
    /// `program` or `call`.
    pub phase: Phase,
    #[serde(rename = "type")]
    pub type_name: String,
    pub message: String,
    pub traceback: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProgramExit {
    pub phase: Phase,
    /// `sys.exit`, `os._exit` or an `os.exec*` function.
    pub how: ExitHow,
    /// The exit status python would end with.
    pub status: i64,
    /// The argument as the program gave it (its repr), where that is not
    /// the status itself: `sys.exit("msg")`, `sys.exit(True)`, `sys.exit(2**64)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stopped {
    pub phase: Phase,
    /// `timeout` or `interrupt`.
    pub reason: StopReason,
}

/// A part of a run (JSON: `program`, `call`, `then`, `threads`, `atexit`,
/// `collection`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The program itself (for `-m`, its packages' imports too).
    Program,
    /// The `--call` expression.
    Call,
    /// The `--then` expression.
    Then,
    /// Waiting for the program's threads as python does when it ends
    /// (`threading._shutdown()`), before its atexit handlers.
    Threads,
    /// The program's atexit handlers, run at the end of the warm-up.
    Atexit,
    /// Choosing and describing the code objects, after the program.
    Collection,
}

/// What the target is (JSON: `demo`, `script`, `module`, `code`, `example`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Demo,
    Script,
    Module,
    Code,
    Example,
}

/// Where a piece of the program's output went (JSON: `stdout`, `stderr`,
/// `fd`: written to a file descriptor directly, by the program or a child).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    Fd,
}

/// How the program asked to end (JSON: `sys.exit`, `os._exit`, `os.exec`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum ExitHow {
    #[serde(rename = "sys.exit")]
    SysExit,
    #[serde(rename = "os._exit")]
    OsExit,
    /// `os.execv`, `os.execve` or one of the `os.exec*` functions that call
    /// them: the process would become another program. `code` holds the
    /// call, `status` is 0.
    #[serde(rename = "os.exec")]
    OsExec,
}

impl ExitHow {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitHow::SysExit => "sys.exit",
            ExitHow::OsExit => "os._exit",
            ExitHow::OsExec => "os.exec",
        }
    }
}

/// What stopped the warm-up (JSON: `timeout`, `interrupt`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `--timeout`.
    Timeout,
    /// Ctrl-C.
    Interrupt,
}

impl StopReason {
    /// The name JSON and the collector use.
    pub fn key(self) -> &'static str {
        match self {
            StopReason::Timeout => "timeout",
            StopReason::Interrupt => "interrupt",
        }
    }
}

fn known() -> bool {
    true
}

impl Snapshot {
    /// The text of the file `code` comes from, when its source was kept.
    pub fn source_of(&self, code: &CodeObject) -> Option<&str> {
        code.source_kept
            .then(|| self.files.get(&code.filename))
            .flatten()
            .map(String::as_str)
    }
}

impl CodeObject {
    /// (specialized, specializable) instruction counts, e.g. `12/40`.
    pub fn specialized_share(&self) -> (usize, usize) {
        let specialized = self
            .instructions
            .iter()
            .filter(|i| i.status == Status::Specialized)
            .count();
        let specializable = self
            .instructions
            .iter()
            .filter(|i| matches!(i.status, Status::Specialized | Status::Adaptive))
            .count();
        (specialized, specializable)
    }
}

impl Instruction {
    pub fn changed(&self) -> bool {
        self.opname != self.base_opname
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: T, json: &str)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        assert_eq!(serde_json::to_string(&value).unwrap(), json);
        assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
    }

    /// Schema 1 carries these closed sets as strings: the enums must keep
    /// them byte for byte.
    #[test]
    fn closed_sets_keep_their_schema_1_strings() {
        for (phase, json) in [
            (Phase::Program, "\"program\""),
            (Phase::Call, "\"call\""),
            (Phase::Then, "\"then\""),
            (Phase::Threads, "\"threads\""),
            (Phase::Atexit, "\"atexit\""),
            (Phase::Collection, "\"collection\""),
        ] {
            round_trip(phase, json);
        }
        for (kind, json) in [
            (TargetKind::Demo, "\"demo\""),
            (TargetKind::Script, "\"script\""),
            (TargetKind::Module, "\"module\""),
            (TargetKind::Code, "\"code\""),
            (TargetKind::Example, "\"example\""),
        ] {
            round_trip(kind, json);
        }
        for (stream, json) in [
            (Stream::Stdout, "\"stdout\""),
            (Stream::Stderr, "\"stderr\""),
            (Stream::Fd, "\"fd\""),
        ] {
            round_trip(stream, json);
        }
        round_trip(ExitHow::SysExit, "\"sys.exit\"");
        round_trip(ExitHow::OsExit, "\"os._exit\"");
        round_trip(ExitHow::OsExec, "\"os.exec\"");
        round_trip(StopReason::Timeout, "\"timeout\"");
        round_trip(StopReason::Interrupt, "\"interrupt\"");
    }
}
