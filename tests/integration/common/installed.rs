//! The command under test: the binary this build made, or an installed
//! `specscope` command named by `SPECSCOPE_COMMAND` (the Python package's
//! console script in a virtualenv, as `.ci/run` installs it). The tests
//! that collect in-process ([`collect`], [`collect_with_dis`]) then collect
//! through that command's package instead, inside its virtualenv's python,
//! so that they check what the installed command does.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use specscope::collect::python::CollectError;
use specscope::collect::request::{Decoder, Request, Target};
use specscope::model::Snapshot;

/// `SPECSCOPE_COMMAND`, when set: an installed `specscope` command.
pub fn installed() -> Option<PathBuf> {
    std::env::var_os("SPECSCOPE_COMMAND")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The command to run: the installed one, or the binary of this build.
pub fn program() -> PathBuf {
    installed().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_specscope")))
}

/// The python of the installed command's virtualenv (beside it in `bin/`).
fn installed_python() -> Option<PathBuf> {
    let command = installed()?;
    let python = command.parent()?.join("python");
    assert!(
        python.is_file(),
        "SPECSCOPE_COMMAND names a command with no python beside it: {}",
        command.display()
    );
    Some(python)
}

/// The command-line arguments that ask for `request`.
pub fn arguments(request: &Request) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    match &request.target {
        Target::Demo => {}
        Target::Code(code) => args.extend(["-c".into(), code.clone()]),
        Target::Script(path) => args.push(path.to_string_lossy().into_owned()),
        Target::Module(module) => args.extend(["-m".into(), module.clone()]),
        Target::Example(example) => args.extend(["--example".into(), example.name.into()]),
    }
    if let Some(call) = &request.call {
        args.extend(["--call".into(), call.clone()]);
        args.extend(["-n".into(), request.calls.to_string()]);
    }
    if let Some(then) = &request.then {
        args.extend(["--then".into(), then.clone()]);
        args.extend(["--then-calls".into(), request.then_calls.to_string()]);
    }
    if !request.steps.is_empty() {
        let steps: Vec<String> = request.steps.iter().map(u64::to_string).collect();
        args.extend(["--steps".into(), steps.join(",")]);
    }
    for pattern in &request.patterns {
        args.extend(["-f".into(), pattern.clone()]);
    }
    if let Some(timeout) = request.timeout {
        args.extend(["--timeout".into(), timeout.to_string()]);
    }
    if let Some(stdin) = &request.stdin {
        args.extend(["--stdin".into(), stdin.to_string_lossy().into_owned()]);
    }
    args.extend([
        "--sample-interval".into(),
        request.sample_interval_ms.to_string(),
    ]);
    if !request.args.is_empty() {
        args.push("--".into());
        args.extend(request.args.iter().cloned());
    }
    args
}

/// What `dis` printed of the last collection through the installed
/// command: with cache fields read from their own units, and as is.
static LAST_DIS: Mutex<Option<(Vec<String>, Vec<String>)>> = Mutex::new(None);

/// Runs `specscope dump --format json` for `request` through the installed
/// package's `specscope.main`, in its virtualenv's python, then has that
/// same interpreter print `dis` of what was collected.
const DRIVER: &str = r#"
import json, os, sys
import specscope
argv, out = json.loads(sys.argv[1]), sys.argv[2]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
saved = os.dup(1)
os.dup2(fd, 1)
os.close(fd)
try:
    code = specscope.main(argv)
finally:
    os.dup2(saved, 1)
    os.close(saved)
collector = sys.modules.get("_specscope_collector")
dis = [collector.reference_dis(fix) if collector else [] for fix in (True, False)]
sys.stdout.write(json.dumps({"code": code, "fixed": dis[0], "raw": dis[1]}))
"#;

/// Held by each collection the tests make, and by a collection and its
/// `dis` together ([`collect_with_dis`]): `dis` reads the last collection,
/// which no test running beside it may replace in between.
static COLLECTING: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    COLLECTING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Collects `request` in this process, with the binary's library.
pub fn collect_here(request: &Request) -> Result<Snapshot, CollectError> {
    let _one = one_at_a_time();
    specscope::collect::python::collect(request)
}

/// Collects `request`: in this process (the binary's library), or through
/// the installed command's package. A request for `dis`'s decoder, which
/// only the library offers, is collected in this process.
pub fn collect(request: &Request) -> Result<Snapshot, CollectError> {
    let _one = one_at_a_time();
    collect_unheld(request)
}

/// Collects `request` as [`collect`] does, with `dis` of each of its code
/// objects by the interpreter that collected it (see
/// [`specscope::collect::python::reference_dis`]).
pub fn collect_with_dis(
    request: &Request,
    fix_cache_values: bool,
) -> Result<(Snapshot, Vec<String>), CollectError> {
    let _one = one_at_a_time();
    let snapshot = collect_unheld(request)?;
    Ok((snapshot, reference_dis(fix_cache_values)?))
}

fn collect_unheld(request: &Request) -> Result<Snapshot, CollectError> {
    let Some(python) = installed_python().filter(|_| request.decoder == Decoder::Auto) else {
        return specscope::collect::python::collect(request);
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let json = dir.path().join("dump.json");
    let mut argv = vec!["dump".to_string(), "--format".into(), "json".into()];
    argv.extend(arguments(request));
    let out = Command::new(&python)
        .arg("-c")
        .arg(DRIVER)
        .arg(serde_json::to_string(&argv).unwrap())
        .arg(&json)
        .env_remove("VIRTUAL_ENV")
        .env_remove("NO_COLOR")
        .output()
        .expect("the installed python runs");
    let failed = || {
        CollectError::Internal(format!(
            "{} {argv:?}: {}\n{}",
            python.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    };
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|_| failed())?;
    let text = std::fs::read_to_string(&json).map_err(|_| failed())?;
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|_| failed())?;
    let lines = |key: &str| -> Vec<String> {
        serde_json::from_value(reply[key].clone()).expect("dis's text of each code object")
    };
    *LAST_DIS.lock().unwrap_or_else(|e| e.into_inner()) = Some((lines("fixed"), lines("raw")));
    Ok(snapshot)
}

/// `dis` of each code object of the last collection, by the interpreter
/// that collected it.
fn reference_dis(fix_cache_values: bool) -> Result<Vec<String>, CollectError> {
    if installed().is_none() {
        return specscope::collect::python::reference_dis(fix_cache_values);
    }
    let last = LAST_DIS.lock().unwrap_or_else(|e| e.into_inner());
    let (fixed, raw) = last
        .as_ref()
        .ok_or_else(|| CollectError::Internal("nothing was collected yet".into()))?;
    Ok(if fix_cache_values { fixed } else { raw }.clone())
}
