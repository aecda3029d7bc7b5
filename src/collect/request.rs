//! What the user asked for, as plain data handed to the Python boundary.

use std::path::PathBuf;

use serde::Serialize;

/// The built-in demo program, shipped inside the binary.
pub const DEMO_SOURCE: &str = include_str!("../../assets/demo.py");
pub const DEMO_FILENAME: &str = "demo.py";

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Demo,
    /// A lesson of the gallery (`assets/examples/`).
    Example(crate::examples::Example),
    Script(PathBuf),
    Module(String),
    Code(String),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub target: Target,
    pub args: Vec<String>,
    pub call: Option<String>,
    pub calls: u64,
    /// A second phase after `call`, e.g. with new argument types.
    pub then: Option<String>,
    pub then_calls: u64,
    /// Record a snapshot after each of these cumulative call counts.
    pub steps: Vec<u64>,
    /// Qualname globs; `MODULES:PAT`, `PATH:PAT` and `<NAME>:PAT` look in
    /// imported modules, files and code compiled from strings (README,
    /// "Choosing code objects").
    pub patterns: Vec<String>,
    pub timeout: Option<f64>,
    /// Bytes of program output kept; the rest is counted.
    pub output_limit: u64,
    /// A file the program reads as its stdin (None: end-of-file).
    pub stdin: Option<PathBuf>,
    /// How instructions are read: decoded in Rust from the bytes (the
    /// default where this build knows the version) or built by `dis`.
    pub decoder: Decoder,
    /// Milliseconds between samples of where the program runs; 0: none.
    pub sample_interval_ms: f64,
    /// `--why` (the failing sites) or `--why-all`: observe the warm-up again.
    pub why: Option<crate::model::WhyScope>,
    /// How much the view will show of what ran.
    pub detail: Detail,
}

/// `--sample-interval` when none is given, in milliseconds.
pub const DEFAULT_SAMPLE_INTERVAL_MS: f64 = 1.0;

/// How much a collection gathers besides the bytecode itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything a view can show: what each cache entry refers to, the
    /// source files, where the program spent its time.
    #[default]
    Full,
    /// Only what `dis` prints: the instructions, their raw cache entries
    /// and line numbers. No cache meanings, no file texts, no sampling.
    Bytecode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoder {
    #[default]
    Auto,
    Dis,
}

impl Request {
    pub fn new(target: Target) -> Request {
        Request {
            target,
            args: Vec::new(),
            call: None,
            calls: 1000,
            then: None,
            then_calls: 1000,
            steps: Vec::new(),
            patterns: Vec::new(),
            timeout: None,
            output_limit: 1 << 20,
            stdin: None,
            decoder: Decoder::Auto,
            sample_interval_ms: DEFAULT_SAMPLE_INTERVAL_MS,
            why: None,
            detail: Detail::Full,
        }
    }

    /// The file name and text the target's code will have, where they are
    /// known before it runs (not for `-m`, which Python resolves); of a
    /// script, its first 64 KiB at most (the explorer warms its highlighter
    /// with it while the program runs).
    pub fn source_hint(&self) -> Option<(String, String)> {
        match &self.target {
            Target::Demo => Some((DEMO_FILENAME.into(), DEMO_SOURCE.into())),
            Target::Example(e) => Some((e.filename(), e.source.into())),
            Target::Code(c) => Some(("<string>".into(), c.clone())),
            Target::Script(p) => {
                // Not a FIFO or a device: reading one could wait, or never end.
                if !std::fs::metadata(p).ok()?.is_file() {
                    return None;
                }
                let mut head = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(std::fs::File::open(p).ok()?, 64 << 10),
                    &mut head,
                )
                .ok()?;
                let source = String::from_utf8_lossy(&head).into_owned();
                Some((p.to_string_lossy().into_owned(), source))
            }
            Target::Module(_) => None,
        }
    }

    /// The request as the collector reads it, for an interpreter whose
    /// version facts are `facts`.
    pub fn to_value(&self, facts: &crate::model::version::VersionFacts) -> serde_json::Value {
        #[derive(Serialize)]
        struct Wire<'a> {
            target: serde_json::Value,
            args: &'a [String],
            call: Option<&'a str>,
            calls: u64,
            then: Option<&'a str>,
            then_calls: u64,
            steps: &'a [u64],
            patterns: &'a [String],
            timeout: Option<f64>,
            output_limit: u64,
            stdin: Option<&'a std::path::Path>,
            cache_layouts: serde_json::Map<String, serde_json::Value>,
            decoder: &'a str,
            sample_interval_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            why: Option<crate::model::WhyScope>,
            /// Present (true) when only the bytecode is wanted.
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            bytecode_only: bool,
        }
        let target = match &self.target {
            Target::Demo => serde_json::json!({
                "kind": "demo", "source": DEMO_SOURCE, "filename": DEMO_FILENAME,
            }),
            Target::Example(e) => serde_json::json!({
                "kind": "example", "source": e.source, "filename": e.filename(),
            }),
            Target::Script(p) => match p.to_str() {
                Some(path) => serde_json::json!({"kind": "script", "path": path}),
                // A path that is not UTF-8 goes as bytes; Python names it
                // with surrogateescape, as python itself does.
                None => serde_json::json!({
                    "kind": "script",
                    "path": p.to_string_lossy(),
                    "path_bytes": std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()),
                }),
            },
            Target::Module(m) => serde_json::json!({"kind": "module", "module": m}),
            Target::Code(c) => serde_json::json!({"kind": "code", "code": c}),
        };
        serde_json::to_value(Wire {
            target,
            args: &self.args,
            call: self.call.as_deref(),
            calls: if self.call.is_some() { self.calls } else { 0 },
            then: self.then.as_deref(),
            then_calls: self.then_calls,
            steps: &self.steps,
            patterns: &self.patterns,
            timeout: self.timeout,
            output_limit: self.output_limit,
            stdin: self.stdin.as_deref(),
            // The collector then reads the build's opcode tables
            // (`built::OPTABLE_MARSHAL`), the decoder here their JSON.
            decoder: if self.decoder == Decoder::Auto
                && facts.rust_decoder
                && crate::collect::decode::has_builtin_table()
            {
                "rust"
            } else {
                "dis"
            },
            cache_layouts: facts
                .cache_layout_fixes()
                .iter()
                .map(|(base, layout, _)| (base.to_string(), serde_json::json!(layout)))
                .collect(),
            sample_interval_ms: match self.detail {
                Detail::Full => self.sample_interval_ms,
                Detail::Bytecode => 0.0,
            },
            why: self.why,
            bytecode_only: self.detail == Detail::Bytecode,
        })
        .expect("a request always serializes")
    }
}
