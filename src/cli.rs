//! The command line: parsing (clap), building a [`Request`], and dispatching
//! to a view. Error messages and exit codes are decided here.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::analysis::summary::{Only, keep_only};
use crate::collect::python::{self, CollectError};
use crate::collect::raw::{RawTargetError, TargetProblem};
use crate::collect::request::{Request, Target};
use crate::error::Error;
use crate::exit;
use crate::model::Snapshot;
use crate::present::text::{ColorChoice, Paint, sanitize_line, write_stdout};
use crate::views::dump::diff::{Compared, DiffFormat};
use crate::views::dump::{self, Format};

#[derive(Debug, Parser)]
#[command(
    name = "specscope",
    version,
    disable_version_flag = true,
    about = "See what CPython's specializing adaptive interpreter (PEP 659) did to your code",
    args_conflicts_with_subcommands = true,
    after_help = "Without a subcommand, specscope opens the interactive explorer.\n\
                  Without a target, it runs the built-in demo.\n\n\
                  Examples:\n  \
                  specscope                                  the explorer on the built-in demo\n  \
                  specscope app.py --call 'main()' -n 500    your program, warmed by main() x 500\n  \
                  specscope --example deoptimization         a lesson, step by step with [ and ]"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print specscope's version, the Python it runs and how
    #[arg(short = 'V', long = "version", action = clap::ArgAction::SetTrue)]
    pub version: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Colour theme of the explorer (NO_COLOR gives a monochrome view)
    #[arg(long, value_enum, default_value_t = crate::views::tui::ThemeName::Dark)]
    pub theme: crate::views::tui::ThemeName,
}

// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the collected bytecode to stdout (table, summary, dis, json or html)
    #[command(after_help = "Examples:\n  \
        specscope dump app.py --call 'main()' -n 500 -f 'Point.*'\n  \
        specscope dump app.py --format summary          where specialization failed\n  \
        specscope dump app.py --call 'main()' --why     and why, site by site\n  \
        specscope dump -m mypkg.cli -f 'mypkg.**:*' --only failing\n  \
        specscope dump --example deoptimization --format html > handout.html")]
    Dump(DumpArgs),
    /// Compare two snapshots (`dump --format json`): sites that became
    /// specialized, lost it, changed form, appeared or disappeared
    #[command(after_help = "Examples:\n  \
        specscope diff before.json after.json                  the explorer, on a terminal\n  \
        specscope diff before.json after.json --format table   the table, printed\n  \
        specscope diff py311.json py312.json --only all --format html > diff.html\n  \
        specscope diff main.json branch.json --fail-on lost -f 'Point.*'")]
    Diff(DiffArgs),
    /// List the lessons of the gallery (open one with --example NAME)
    #[command(after_help = "Examples:\n  \
        specscope examples\n  \
        specscope --example polymorphism")]
    Examples,
    /// Explain an opname (a family or a specialized form) for the linked Python
    #[command(after_help = "Examples:\n  \
        specscope explain LOAD_ATTR_INSTANCE_VALUE\n  \
        specscope explain BINARY_OP_ADD_INT --demo\n  \
        specscope explain --check")]
    Explain {
        /// e.g. BINARY_OP or LOAD_ATTR_INSTANCE_VALUE
        #[arg(required_unless_present = "check")]
        opname: Option<String>,
        /// Run the experiment behind the text on the linked Python and show
        /// the site's timeline: warm-up, specialized, a hit, repeated misses
        #[arg(long, conflicts_with = "check")]
        demo: bool,
        /// With --demo: which miss cause to repeat (an id the text shows)
        #[arg(long, value_name = "ID", requires = "demo")]
        cause: Option<String>,
        /// Run the experiments behind every text (or OPNAME's family or
        /// form) and report which stated causes the interpreter confirmed
        #[arg(long)]
        check: bool,
    },
    /// Print a completion script for a shell
    #[command(after_help = "Examples:\n  \
        specscope completions bash > ~/.local/share/bash-completion/completions/specscope\n  \
        specscope completions zsh > ~/.zfunc/_specscope\n  \
        specscope completions fish > ~/.config/fish/completions/specscope.fish")]
    Completions {
        /// bash, zsh, fish, elvish or powershell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    #[command(after_help = "Examples:\n  \
        specscope man > specscope.1 && man ./specscope.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Colour: auto means when stdout is a terminal and NO_COLOR is not set
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The snapshot to compare from (written by `dump --format json`)
    #[arg(value_name = "A.json")]
    pub a: PathBuf,
    /// The snapshot to compare with it
    #[arg(value_name = "B.json")]
    pub b: PathBuf,
    /// Print the comparison in this format instead of opening the explorer
    /// (the table is what is printed when stdout is not a terminal)
    #[arg(long, value_enum, conflicts_with = "explore")]
    pub format: Option<DiffFormat>,
    /// Show only what changed, or every code object and site
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = DiffOnly::Changed)]
    pub only: DiffOnly,
    /// Exit with code 15 when a site specialized in A is not specialized
    /// in B (in the code objects -f selects)
    #[arg(
        long = "fail-on",
        value_enum,
        value_name = "WHAT",
        conflicts_with = "explore"
    )]
    pub fail_on: Option<FailOn>,
    /// Compare only the code objects whose qualname matches this glob
    /// (repeatable); FILE:PAT also matches the file's name or path end
    #[arg(short = 'f', long = "function", value_name = "PAT")]
    pub patterns: Vec<String>,
    /// Open the explorer on B, with A's opname beside B's and changed rows
    /// marked (what happens without --format or --fail-on on a terminal);
    /// exit 7 when there is no terminal
    #[arg(long)]
    pub explore: bool,
    /// Colour: auto means when stdout is a terminal and NO_COLOR is not set
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Colour theme of the explorer
    #[arg(long, value_enum, default_value_t = crate::views::tui::ThemeName::Dark)]
    pub theme: crate::views::tui::ThemeName,
}

/// `diff --only`: what the comparison shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffOnly {
    /// Code objects and sites where something changed
    Changed,
    /// Every code object and site
    All,
}

/// `diff --fail-on`: what makes the comparison fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// A site specialized in A and not in B
    Lost,
}

/// `--only`: which code objects every view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnlyArg {
    /// Code objects that ran
    Ran,
    /// Code objects with a site backing off or given up
    Failing,
    /// Code objects with a specialized instruction
    Specialized,
}

impl From<OnlyArg> for Only {
    fn from(arg: OnlyArg) -> Only {
        match arg {
            OnlyArg::Ran => Only::Ran,
            OnlyArg::Failing => Only::Failing,
            OnlyArg::Specialized => Only::Specialized,
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Show a snapshot `dump --format json` wrote, running nothing
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = [
            "script", "example", "module", "code", "call", "calls", "steps", "then",
            "patterns", "timeout", "stdin", "sample_interval", "why", "why_all", "args"
        ]
    )]
    pub load: Option<PathBuf>,
    /// Python script to run as __main__ (nothing: the built-in demo)
    #[arg(value_name = "SCRIPT", conflicts_with_all = ["module", "code", "example"])]
    pub script: Option<PathBuf>,
    /// Run a lesson of the gallery (see `specscope examples`) with its warm-up
    #[arg(long, value_name = "NAME", conflicts_with_all = ["module", "code"])]
    pub example: Option<String>,
    /// Run a module as __main__, like python -m
    #[arg(short = 'm', value_name = "MODULE", conflicts_with = "code")]
    pub module: Option<String>,
    /// Run a string of Python code
    #[arg(short = 'c', value_name = "CODE")]
    pub code: Option<String>,
    /// Evaluate EXPR in the program's globals after it ran ...
    #[arg(long, value_name = "EXPR")]
    pub call: Option<String>,
    /// ... this many times (default 1000, or the last of --steps)
    #[arg(short = 'n', long = "calls", value_name = "N")]
    pub calls: Option<u64>,
    /// Record a snapshot after each of these cumulative call counts, e.g. 0,1,2,8,53,1000
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub steps: Vec<u64>,
    /// A second phase after --call, e.g. the same function with new argument types
    #[arg(long, value_name = "EXPR", requires = "call")]
    pub then: Option<String>,
    /// Evaluations of --then
    #[arg(
        long = "then-calls",
        value_name = "N",
        default_value_t = 1000,
        requires = "then"
    )]
    pub then_calls: u64,
    /// Select code objects by qualname glob (repeatable); MODULES:PAT
    /// (pkg.*, pkg.**), PATH:PAT (src/app/models.py) and <NAME>:PAT
    /// (<string>) look in imported modules, files and code made from strings
    #[arg(short = 'f', long = "function", value_name = "PAT")]
    pub patterns: Vec<String>,
    /// Show only the code objects that ran, that have a site where
    /// specialization failed, or that have a specialized instruction
    #[arg(long, value_enum, value_name = "WHICH")]
    pub only: Option<OnlyArg>,
    /// Stop the warm-up after SECS seconds and show what ran (from 0.001
    /// to 1000000; fractions allowed)
    #[arg(
        long,
        value_name = "SECS",
        value_parser = parse_timeout,
        allow_negative_numbers = true
    )]
    pub timeout: Option<f64>,
    /// Feed FILE to the program as its stdin (default: end-of-file)
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Note which instruction runs about every MS milliseconds while the
    /// program and its warm-up run (0: no sampling; from 0.1 to 60000)
    #[arg(
        long = "sample-interval",
        value_name = "MS",
        value_parser = parse_sample_interval,
        allow_negative_numbers = true,
        default_value_t = crate::collect::request::DEFAULT_SAMPLE_INTERVAL_MS
    )]
    pub sample_interval: f64,
    /// Say why sites did not specialize: run the warm-up again (the
    /// program, without --call) watching the failing sites, and show what
    /// reached each and the reason
    #[arg(long)]
    pub why: bool,
    /// As --why, for every specializable site, specialized or not
    #[arg(long = "why-all")]
    pub why_all: bool,
    /// Arguments for the program (its sys.argv[1:])
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

impl TargetArgs {
    /// The request these arguments ask for; a lesson's `Try:` options fill
    /// in the warm-up when none was given.
    pub fn request(&self) -> Result<Request, String> {
        if let Some(name) = &self.example {
            let example = crate::examples::find(name).map_err(|close| {
                let mut msg = format!("no lesson called '{}'", sanitize_line(name));
                if !close.is_empty() {
                    msg.push_str(&format!("; did you mean {}?", close.join(", ")));
                }
                msg + " (`specscope examples` lists them)"
            })?;
            let mut args = self.clone();
            args.example = None;
            if self.call.is_none() {
                let words = std::iter::once("specscope".to_string()).chain(example.try_args());
                if let Ok(cli) = Cli::try_parse_from(words) {
                    let lesson = cli.target;
                    args.call = lesson.call;
                    args.calls = self.calls.or(lesson.calls);
                    args.steps = if self.steps.is_empty() {
                        lesson.steps
                    } else {
                        self.steps.clone()
                    };
                    args.then = lesson.then;
                    args.then_calls = lesson.then_calls;
                    args.why = self.why || lesson.why;
                }
            }
            let mut request = args.request()?;
            request.target = Target::Example(example);
            return Ok(request);
        }
        if !self.steps.is_empty() && self.call.is_none() {
            return Err(
                "--steps counts evaluations of --call: give --call EXPR (or a lesson with --example)"
                    .into(),
            );
        }
        let target = if let Some(path) = &self.script {
            Target::Script(path.clone())
        } else if let Some(module) = &self.module {
            Target::Module(module.clone())
        } else if let Some(code) = &self.code {
            Target::Code(code.clone())
        } else {
            Target::Demo
        };
        let mut request = Request::new(target);
        request.args = self.args.clone();
        request.call = self.call.clone();
        request.calls = self
            .calls
            .or_else(|| self.steps.iter().max().copied())
            .unwrap_or(1000);
        request.then = self.then.clone();
        request.then_calls = self.then_calls;
        request.steps = self.steps.clone();
        request.patterns = self.patterns.clone();
        request.timeout = self.timeout.filter(|t| *t > 0.0);
        request.stdin = self.stdin.as_deref().map(stdin_file).transpose()?;
        request.sample_interval_ms = self.sample_interval;
        request.why = if self.why_all {
            Some(crate::model::WhyScope::All)
        } else if self.why {
            Some(crate::model::WhyScope::Failing)
        } else {
            None
        };
        Ok(request)
    }
}

/// The longest `--timeout`: about 11.5 days, far below what the timers
/// underneath can hold.
pub const MAX_TIMEOUT: f64 = 1_000_000.0;

/// `--timeout SECS`: a number of seconds from 1 ms to [`MAX_TIMEOUT`].
/// Zero, negative, NaN, infinite or huge values are a usage error rather
/// than "no timeout" or a failure deep inside.
fn parse_timeout(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| "a number of seconds is needed, e.g. 2 or 0.5".to_string())?;
    if !secs.is_finite() {
        return Err("a finite number of seconds is needed, e.g. 2 or 0.5".into());
    }
    if secs < 0.001 {
        return Err(
            "the timeout must be at least 0.001 seconds (1 ms); leave --timeout out for none"
                .into(),
        );
    }
    if secs > MAX_TIMEOUT {
        return Err(format!("the timeout can be at most {MAX_TIMEOUT} seconds"));
    }
    Ok(secs)
}

/// The slowest sampling `--sample-interval` takes, in milliseconds.
pub const MAX_SAMPLE_INTERVAL_MS: f64 = 60_000.0;
/// The fastest: below it the program would spend more time handing the
/// interpreter to the sampler than running.
pub const MIN_SAMPLE_INTERVAL_MS: f64 = 0.1;

/// `--sample-interval MS`: 0 (no sampling) or milliseconds from
/// [`MIN_SAMPLE_INTERVAL_MS`] to [`MAX_SAMPLE_INTERVAL_MS`].
fn parse_sample_interval(text: &str) -> Result<f64, String> {
    let ms: f64 = text
        .trim()
        .parse()
        .map_err(|_| "a number of milliseconds is needed, e.g. 1 or 0.5 (0: no sampling)")?;
    if ms == 0.0 {
        return Ok(0.0);
    }
    if !ms.is_finite() || !(MIN_SAMPLE_INTERVAL_MS..=MAX_SAMPLE_INTERVAL_MS).contains(&ms) {
        return Err(format!(
            "the interval must be 0 (no sampling) or from {MIN_SAMPLE_INTERVAL_MS} to {MAX_SAMPLE_INTERVAL_MS} milliseconds"
        ));
    }
    Ok(ms)
}

/// The file `--stdin` names, checked to be one the program can read.
fn stdin_file(path: &std::path::Path) -> Result<PathBuf, String> {
    let lossy = path.to_string_lossy();
    let shown = sanitize_line(&lossy);
    if path.to_str().is_none() {
        return Err(format!("--stdin {shown}: the path is not valid UTF-8"));
    }
    let cannot = |e: std::io::Error| format!("--stdin {shown}: cannot read it ({e})");
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(format!("--stdin {shown} is a folder, not a file"));
    }
    // A pipe is opened once, by the program's run: opening it here would
    // wait for its writer.
    if meta.is_file() {
        std::fs::File::open(path).map_err(cannot)?;
    }
    Ok(path.to_path_buf())
}

/// The command line `args` (the first is the program's name) run; its
/// exit code.
pub fn main_from(args: Vec<std::ffi::OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                let _ = e.print();
                return exit::USAGE;
            }
            // --help and --version, to stdout (styled on a terminal).
            if std::io::stdout().is_terminal() {
                let _ = e.print();
                return exit::OK;
            }
            return finish(
                write_stdout(&e.render().to_string())
                    .map(|()| exit::OK)
                    .map_err(Error::Output),
                stderr_paint(true),
            );
        }
    };
    let paint = stderr_paint(
        !matches!(&cli.command, Some(Command::Dump(args)) if args.color == ColorChoice::Never),
    );
    finish(run(cli), paint)
}

/// Whether messages on stderr may be coloured: a terminal, `NO_COLOR`
/// unset, and not turned off by the command line.
fn stderr_paint(allowed: bool) -> Paint {
    Paint {
        on: allowed && !crate::present::text::no_color() && std::io::stderr().is_terminal(),
    }
}

/// The exit code of a command's result; an error is said on stderr first.
fn finish(result: Result<u8, Error>, paint: Paint) -> u8 {
    match result {
        Ok(code) => code,
        Err(error) => match report_error(&error, paint) {
            Ok(()) => error.code(),
            Err(_) => exit::OUTPUT,
        },
    }
}

/// Runs the command; `Ok` holds the exit code that says how it ended.
fn run(cli: Cli) -> Result<u8, Error> {
    if cli.version {
        return write_stdout(&version_text())
            .map(|()| exit::OK)
            .map_err(Error::Output);
    }
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "specscope", &mut out);
            return write_stdout(&String::from_utf8_lossy(&out))
                .map(|()| exit::OK)
                .map_err(Error::Output);
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(Error::Output)?;
            return write_stdout(&String::from_utf8_lossy(&out))
                .map(|()| exit::OK)
                .map_err(Error::Output);
        }
        _ => {}
    }
    if let Some(Command::Diff(args)) = &cli.command {
        return run_diff(args);
    }
    if let Some(path) = cli.target.load.as_deref() {
        let snapshot = Snapshot::load(path).map_err(Error::Load)?;
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            return Err(Error::NoTerminal);
        }
        let only = cli.target.only.map(Only::from);
        return crate::views::tui::explore_snapshot(snapshot, None, cli.theme, only)
            .map(|()| exit::OK)
            .map_err(Error::Terminal);
    }
    // (Inside a running interpreter there is nothing left to start.)
    if !matches!(cli.command, Some(Command::Examples)) && !python::hosted() {
        python::check_environment().map_err(|problem| Error::Environment(problem.to_string()))?;
    }
    match cli.command {
        Some(Command::Dump(args)) => run_dump(&args),
        Some(Command::Explain {
            opname,
            demo,
            cause,
            check,
        }) => match (opname, check, demo) {
            (only, true, _) => Ok(if crate::explain::claims::check_command(only.as_deref())? {
                exit::OK
            } else {
                exit::CLAIMS
            }),
            (Some(opname), _, true) => {
                crate::explain::claims::demo_command(&opname, cause.as_deref()).map(|()| exit::OK)
            }
            (Some(opname), _, false) => crate::explain::command(&opname).map(|()| exit::OK),
            (None, false, _) => unreachable!("clap requires OPNAME without --check"),
        },
        Some(Command::Completions { .. } | Command::Man | Command::Diff(_)) => {
            unreachable!("answered above")
        }
        Some(Command::Examples) => write_stdout(&crate::examples::listing())
            .map(|()| exit::OK)
            .map_err(Error::Output),
        None => {
            // A misspelt command reads as a script name: say so before
            // anything else.
            if let Some(path) = cli.target.script.as_ref().filter(|p| !p.exists()) {
                let missing = RawTargetError {
                    kind: TargetProblem::Missing,
                    message: format!("no such file: {}", path.display()),
                    path: Some(path.display().to_string()),
                    line: None,
                    col: None,
                    end_col: None,
                    text: None,
                    output: Vec::new(),
                };
                return Err(with_hint(CollectError::Target(Box::new(missing))));
            }
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                return Err(Error::NoTerminal);
            }
            let request = cli.target.request().map_err(Error::Usage)?;
            Ok(explore(
                &request,
                cli.theme,
                cli.target.only.map(Only::from),
            ))
        }
    }
}

fn run_dump(args: &DumpArgs) -> Result<u8, Error> {
    if let Some(path) = args.target.load.as_deref() {
        let snapshot = load(path, args.target.only)?;
        let text = dump::render(&snapshot, args.format, args.color.enabled());
        write_stdout(&text).map_err(Error::Output)?;
        return Ok(exit::OK);
    }
    let mut request = args.target.request().map_err(Error::Usage)?;
    if args.format == Format::Dis {
        request.detail = crate::collect::request::Detail::Bytecode;
    }
    let err_paint = stderr_paint(args.color != ColorChoice::Never);
    let (format, color, only) = (args.format, args.color, args.target.only);
    let shown = move |snapshot: Snapshot| {
        let snapshot = crate::present::why::explained(snapshot);
        match only {
            Some(only) => keep_only(snapshot, only.into()),
            None => snapshot,
        }
    };
    if request.why.is_some() {
        // Should --why's second run crash the interpreter, the dump of the
        // snapshot taken before it is still printed.
        python::salvage_with(move |snapshot| {
            let snapshot = shown(snapshot);
            let mut note =
                format!("{SECOND_RUN_CRASHED}; what follows is {BEFORE_IT}.\n").into_bytes();
            dump::report_program(&snapshot, &mut note, err_paint);
            let output = dump::render(&snapshot, format, color.enabled()).into_bytes();
            Some(python::Salvage { note, output })
        });
    }
    // (When the program will not stop, the collection is ended from
    // outside it and this runs there.)
    Ok(python::collect_then(&request, move |collected| {
        finish(
            show_dump(collected.map(shown), format, color, err_paint),
            err_paint,
        )
    }))
}

/// What a crash in `--why`'s second run adds to its report, and what is
/// shown of the snapshot taken ahead of that run.
const SECOND_RUN_CRASHED: &str =
    "specscope: --why ran the warm-up a second time, and that run crashed";
const BEFORE_IT: &str = "the snapshot taken before it, without why's evidence";

/// The snapshot in the file at `path`, with only the code objects `only`
/// keeps.
fn load(path: &std::path::Path, only: Option<OnlyArg>) -> Result<Snapshot, Error> {
    let snapshot = Snapshot::load(path).map_err(Error::Load)?;
    Ok(match only {
        Some(only) => keep_only(snapshot, only.into()),
        None => snapshot,
    })
}

/// `specscope diff A B`: the comparison printed (or explored), then the
/// `--fail-on` gate.
fn run_diff(args: &DiffArgs) -> Result<u8, Error> {
    let a = Snapshot::load(&args.a).map_err(Error::Load)?;
    let b = Snapshot::load(&args.b).map_err(Error::Load)?;
    let mut diff = crate::analysis::diff::compare(&a, &b);
    let (a_name, b_name) = (args.a.display().to_string(), args.b.display().to_string());
    if diff.in_common() == 0 {
        return Err(Error::NothingInCommon(format!(
            "{a_name} ({}) and {b_name} ({}) have no code object in common: nothing to compare",
            a.target.filename, b.target.filename
        )));
    }
    let misses = diff.select(&a, &b, &args.patterns);
    if !misses.is_empty() {
        let said: Vec<String> = misses.iter().map(|p| format!("-f '{p}'")).collect();
        return Err(Error::NoMatch(format!(
            "{} matched no code object of either snapshot",
            said.join(", ")
        )));
    }
    let all = args.only == DiffOnly::All;
    let on_terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if args.explore || (args.format.is_none() && args.fail_on.is_none() && on_terminal) {
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            return Err(Error::NoTerminal);
        }
        let against = crate::views::tui::Against {
            snapshot: a,
            name: a_name,
            diff,
            all,
        };
        return crate::views::tui::explore_comparison(b, against, args.theme)
            .map(|()| exit::OK)
            .map_err(Error::Terminal);
    }
    let compared = Compared {
        a: &a,
        a_name: &a_name,
        b: &b,
        b_name: &b_name,
        diff: &diff,
        all,
    };
    let format = args.format.unwrap_or(DiffFormat::Table);
    let text = crate::views::dump::diff::render(&compared, format, args.color.enabled());
    write_stdout(&text).map_err(Error::Output)?;
    let lost = diff.totals.get(crate::analysis::diff::Change::Lost);
    if args.fail_on == Some(FailOn::Lost) && lost > 0 {
        let sites = if lost == 1 {
            "site specialized in A lost its"
        } else {
            "sites specialized in A lost their"
        };
        let paint = stderr_paint(args.color != ColorChoice::Never);
        writeln!(
            std::io::stderr(),
            "specscope: {}",
            paint.wrap(
                "1;31",
                &format!("{lost} {sites} specialization in B (--fail-on lost)")
            )
        )
        .map_err(Error::Output)?;
        return Ok(exit::LOST);
    }
    Ok(exit::OK)
}

/// Prints what a collection gave: the program's output and how it ended
/// to stderr, the dump to stdout. Returns the exit code.
fn show_dump(
    collected: Result<Snapshot, CollectError>,
    format: Format,
    color: ColorChoice,
    err_paint: Paint,
) -> Result<u8, Error> {
    let snapshot = collected.map_err(with_hint)?;
    dump::report_program(&snapshot, &mut std::io::stderr(), err_paint);
    let text = dump::render(&snapshot, format, color.enabled());
    // A closed pipe (`specscope dump | head`) is not an error.
    write_stdout(&text).map_err(Error::Output)?;
    let code = outcome_code(&snapshot);
    // The process ends once this returns: freeing a module's snapshot, tens
    // of thousands of small allocations, would only delay that.
    std::mem::forget(text);
    std::mem::forget(snapshot);
    Ok(code)
}

/// Collects, then explores until the user quits; the exit code says how the
/// program's run ended. (When the program will not stop, the collection is
/// ended from outside it and the explorer opens there.)
fn explore(request: &Request, theme: crate::views::tui::ThemeName, only: Option<Only>) -> u8 {
    let ahead = crate::views::tui::warm_up(request);
    // Should --why's second run crash the interpreter, the snapshot taken
    // before it is left in a file for `--load`.
    let kept = request.why.map(|_| {
        std::env::temp_dir().join(format!("specscope-{}-before-why.json", std::process::id()))
    });
    if let Some(path) = kept.clone() {
        python::salvage_with(move |snapshot| {
            let json = dump::render(&snapshot, Format::Json, false);
            std::fs::write(&path, json).ok()?;
            let shown = path.display().to_string();
            let note = format!(
                "{SECOND_RUN_CRASHED}; {BEFORE_IT}, is in {shown}: open it with \
                 `specscope --load {shown}`.\n"
            );
            Some(python::Salvage {
                note: note.into_bytes(),
                output: Vec::new(),
            })
        });
    }
    python::collect_then(request, move |collected| {
        if let Some(path) = &kept {
            let _ = std::fs::remove_file(path);
        }
        let explored = collected
            .map(crate::present::why::explained)
            .map_err(with_hint)
            .and_then(|snapshot| {
                let code = outcome_code(&snapshot);
                crate::views::tui::explore_snapshot(snapshot, ahead, theme, only)
                    .map(|()| code)
                    .map_err(Error::Terminal)
            });
        finish(explored, stderr_paint(true))
    })
}

/// The exit code that says how the program's run ended.
pub fn outcome_code(snapshot: &Snapshot) -> u8 {
    let run = &snapshot.run;
    if run.collection_error.is_some() {
        return exit::COLLECTION_BROKEN;
    }
    // os._exit ends the process there and then, whatever came before: in
    // the program's sys.excepthook or an exit handler, after an uncaught
    // exception, its status is python's.
    let abrupt = run
        .exit
        .as_ref()
        .is_some_and(|e| e.how == crate::model::ExitHow::OsExit);
    if run.exception.is_some() && !abrupt {
        return exit::PROGRAM_EXCEPTION;
    }
    if let Some(stopped) = &run.stopped {
        return if stopped.reason == crate::model::StopReason::Timeout {
            exit::TIMEOUT
        } else {
            exit::INTERRUPTED
        };
    }
    match &run.exit {
        Some(e) if e.status != 0 => exit::PROGRAM_EXIT,
        _ => exit::OK,
    }
}

/// A collection error as the command line says it: a missing script named
/// like a misspelt subcommand (`specscope exmaples`) gets a hint.
fn with_hint(error: CollectError) -> Error {
    match error {
        CollectError::Target(mut t) => {
            t.message.push_str(&subcommand_hint(&t));
            Error::Collect(CollectError::Target(t))
        }
        other => Error::Collect(other),
    }
}

fn subcommand_hint(t: &RawTargetError) -> String {
    let Some(word) = t
        .path
        .as_deref()
        .filter(|p| t.kind == TargetProblem::Missing && !p.contains(['/', '.']))
    else {
        return String::new();
    };
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let close = crate::present::suggest::suggest(word, names.iter().map(String::as_str));
    match close.as_slice() {
        [] => String::new(),
        names => format!(
            "; did you mean the command {}?",
            names
                .iter()
                .map(|n| format!("`specscope {n}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

/// Says an error on stderr: what the program printed before it (when it
/// ran), then one short paragraph. Fails when stderr cannot be written.
pub fn report_error(error: &Error, paint: Paint) -> std::io::Result<()> {
    let mut err = std::io::stderr();
    match error {
        Error::Collect(CollectError::Target(t)) => {
            let text: String = t.output.iter().map(|(_, text)| text.as_str()).collect();
            dump::report_output(&text, 0, &mut err, paint);
        }
        Error::Collect(CollectError::Selection { snapshot, .. }) => {
            dump::report_program(snapshot, &mut err, paint);
        }
        _ => {}
    }
    writeln!(err, "specscope: {error}")
}

/// `specscope --version`: specscope's version, the Python it runs (its
/// version and path) and how it runs it.
fn version_text() -> String {
    let python = python::linked_version_text();
    if python::hosted() {
        return format!(
            "specscope {}\nPython {python} ({}), inside that interpreter: \
             the specscope package's extension module\n",
            env!("CARGO_PKG_VERSION"),
            python::host_executable().unwrap_or_else(|| "path unknown".into())
        );
    }
    let path = crate::collect::built::LINKED_PYTHON;
    let path = if path.is_empty() {
        "path unknown".to_string()
    } else {
        path.to_string()
    };
    format!(
        "specscope {}\nPython {python} ({path}), embedded: linked into this binary\n",
        env!("CARGO_PKG_VERSION")
    )
}
