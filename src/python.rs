//! The Python boundary: the only module that touches pyo3.
//!
//! It starts the embedded interpreter, loads the collector shipped in
//! `assets/collector.py`, hands it a [`Request`] and turns the reply into a
//! plain [`Snapshot`]. Nothing pyo3-typed leaves this module.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyFunction, PyModule, PyType};

use crate::model::Snapshot;
use crate::raw::{PatternMiss, RawReply, RawTargetError};
use crate::request::Request;
use crate::version::PythonVersion;

const COLLECTOR: &str = include_str!("../assets/collector.py");
/// The collector compiled by the build script with the linked Python's
/// `marshal` (empty when that was not possible).
const COLLECTOR_CODE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/collector.marshal"));

/// One collection at a time: the collector swaps `sys.stdout`, `__main__`
/// and file descriptors while a program runs.
static LOCK: Mutex<()> = Mutex::new(());

#[derive(Debug)]
pub enum CollectError {
    /// The target cannot be run: missing, unreadable, not Python, syntax error.
    Target(RawTargetError),
    /// `-f` patterns that matched nothing; the snapshot of what did match.
    Selection {
        misses: Vec<PatternMiss>,
        snapshot: Box<Snapshot>,
    },
    /// An active virtualenv made for another Python version.
    VersionMismatch {
        venv: PathBuf,
        venv_version: String,
        linked: PythonVersion,
    },
    /// A failure inside specscope's own Python code (a bug), with traceback.
    Internal(String),
}

fn load_collector(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    if let Ok(module) = py.import("_specscope_collector") {
        return Ok(module);
    }
    let module = if COLLECTOR_CODE.is_empty() {
        let code = CString::new(COLLECTOR).expect("the collector has no NUL byte");
        PyModule::from_code(py, &code, c"<specscope collector>", c"_specscope_collector")?
    } else {
        let code = py
            .import("marshal")?
            .call_method1("loads", (pyo3::types::PyBytes::new(py, COLLECTOR_CODE),))?;
        let module = PyModule::new(py, "_specscope_collector")?;
        module.setattr("__file__", "<specscope collector>")?;
        module.setattr("__builtins__", py.import("builtins")?)?;
        py.import("sys")?
            .getattr("modules")?
            .set_item("_specscope_collector", &module)?;
        py.import("builtins")?
            .getattr("exec")?
            .call1((code, module.dict()))?;
        module
    };
    module.add_function(wrap_pyfunction!(type_version, &module)?)?;
    module.add_function(wrap_pyfunction!(function_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(type_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(code_warmup, &module)?)?;
    Ok(module)
}

/// A class's `tp_version_tag`: what LOAD_ATTR and friends store in their
/// `version` cache entry. Read from a live type object handed in by Python.
#[pyfunction]
fn type_version(cls: &Bound<'_, PyType>) -> u32 {
    // SAFETY: `cls` is a live type object; pyo3-ffi's PyTypeObject matches
    // the layout of the linked CPython.
    unsafe { (*cls.as_type_ptr()).tp_version_tag }
}

/// A function's `func_version`: what CALL stores in its `func_version` entry.
#[pyfunction]
fn function_version(func: &Bound<'_, PyFunction>) -> u32 {
    // SAFETY: `func` is a live function object (checked by the extraction);
    // pyo3-ffi's PyFunctionObject matches the layout of the linked CPython.
    unsafe { (*(func.as_ptr() as *mut pyo3::ffi::PyFunctionObject)).func_version }
}

/// 3.11's `co_warmup` of a code object: -8 when it never ran, counting up on
/// each call or loop iteration, 0 once quickened (`pycore_code.h`,
/// `QUICKENING_WARMUP_DELAY`). The field is a `short` right after `co_flags`,
/// which follows three object pointers; the read is only trusted when the
/// `int` there equals the `co_flags` the caller read from Python, and only
/// on 3.11. `None` otherwise.
#[pyfunction]
fn code_warmup(code: &Bound<'_, PyAny>, co_flags: i32) -> Option<i16> {
    let v = code.py().version_info();
    // SAFETY: the object is a live code object (checked first); both reads
    // stay inside its fixed-size header, which starts with the variable-size
    // object head, three pointers, `int co_flags` and `short co_warmup`.
    unsafe {
        if (v.major, v.minor) != (3, 11) || pyo3::ffi::PyCode_Check(code.as_ptr()) == 0 {
            return None;
        }
        let base = code.as_ptr() as *const u8;
        let at = std::mem::size_of::<pyo3::ffi::PyVarObject>()
            + 3 * std::mem::size_of::<*mut pyo3::ffi::PyObject>();
        let flags = std::ptr::read_unaligned(base.add(at) as *const i32);
        if flags != co_flags {
            return None;
        }
        Some(std::ptr::read_unaligned(base.add(at + 4) as *const i16))
    }
}

/// `tp_version_tag` of each class, in one call.
#[pyfunction]
fn type_versions(classes: Vec<Bound<'_, PyType>>) -> Vec<u32> {
    classes.iter().map(type_version).collect()
}

/// `func_version` of each object that is a function (0 for the others), in
/// one call: the collector asks about thousands of candidates at a time.
#[pyfunction]
fn function_versions(candidates: Vec<Bound<'_, PyAny>>) -> Vec<u32> {
    candidates
        .iter()
        .map(|c| match c.cast::<PyFunction>() {
            Ok(f) => function_version(f),
            Err(_) => 0,
        })
        .collect()
}

fn internal(py: Python<'_>, err: PyErr) -> CollectError {
    let text = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (err.value(py),)))
        .and_then(|lines| lines.extract::<Vec<String>>())
        .map(|lines| lines.concat())
        .unwrap_or_else(|_| err.to_string());
    CollectError::Internal(text)
}

/// The version of the linked libpython.
pub fn linked_version() -> PythonVersion {
    Python::attach(linked_in)
}

fn linked_in(py: Python<'_>) -> PythonVersion {
    let v = py.version_info();
    PythonVersion {
        major: v.major,
        minor: v.minor,
        micro: v.patch,
    }
}

/// Runs the request's program and collects the selected code objects.
pub fn collect(request: &Request) -> Result<Snapshot, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let reply = Python::attach(|py| -> Result<String, CollectError> {
        activate_virtualenv(py)?;
        let collector = load_collector(py).map_err(|e| internal(py, e))?;
        collector
            .getattr("run")
            .and_then(|run| run.call1((request.to_json(&linked_in(py).facts()),)))
            .and_then(|reply| reply.extract::<String>())
            .map_err(|e| internal(py, e))
    })?;
    let raw = match RawReply::parse(&reply)
        .map_err(|e| CollectError::Internal(format!("unreadable collector reply: {e}")))?
    {
        RawReply::Error(error) => return Err(CollectError::Target(error)),
        RawReply::Snapshot(raw) => raw,
    };
    let misses = raw.misses.clone();
    let snapshot = raw.into_snapshot().map_err(CollectError::Internal)?;
    if !misses.is_empty() {
        return Err(CollectError::Selection {
            misses,
            snapshot: Box::new(snapshot),
        });
    }
    Ok(snapshot)
}

/// `dis.dis(code, adaptive=True, show_caches=True)` of each code object of
/// the last collection, printed by the same interpreter. With
/// `fix_cache_values`, cache fields are read from their own units (3.13.0's
/// `dis` reads all of them from the first). For conformance tests.
pub fn reference_dis(fix_cache_values: bool) -> Result<Vec<String>, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Python::attach(|py| {
        let collector = load_collector(py).map_err(|e| internal(py, e))?;
        let text: String = collector
            .getattr("reference_dis")
            .and_then(|f| f.call1((fix_cache_values,)))
            .and_then(|r| r.extract())
            .map_err(|e| internal(py, e))?;
        serde_json::from_str(&text).map_err(|e| CollectError::Internal(e.to_string()))
    })
}

/// Evaluates a Python expression in a fresh namespace and returns its repr.
/// For tests that check a fact against the interpreter itself.
pub fn eval_repr(code: &str, expr: &str) -> Result<String, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Python::attach(|py| {
        let run = || -> PyResult<String> {
            let globals = pyo3::types::PyDict::new(py);
            let code = CString::new(code)?;
            py.run(&code, Some(&globals), None)?;
            let expr = CString::new(expr)?;
            py.eval(&expr, Some(&globals), None)?.repr()?.extract()
        };
        run().map_err(|e| internal(py, e))
    })
}

/// Runs `f` while holding the interpreter: threads the program left running
/// cannot run Python code meanwhile, so they can neither print over the
/// explorer nor end the process under it.
pub fn with_program_paused<T>(f: impl FnOnce() -> T) -> T {
    Python::attach(|_| f())
}

/// Gives the explorer the signals a terminal program expects, whatever the
/// user's program did to them: nothing blocked, and SIGTERM, SIGHUP,
/// SIGQUIT and SIGWINCH at their default actions (the explorer installs its
/// own handlers after this).
pub fn reset_signals() {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Python::attach(|py| {
        let reset = c"import signal as s, threading as t
if t.current_thread() is t.main_thread():
    s.pthread_sigmask(s.SIG_SETMASK, [])
    for n in (s.SIGTERM, s.SIGHUP, s.SIGQUIT, s.SIGWINCH):
        s.signal(n, s.SIG_DFL)
";
        let _ = py.run(reset, None, None);
    });
}

/// Calls `function` of the experiments runner (`assets/experiments/runner.py`,
/// handed in as `runner`) with JSON arguments and returns its JSON result.
pub fn call_runner(runner: &str, function: &str, arguments: &str) -> Result<String, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Python::attach(|py| {
        let run = || -> PyResult<String> {
            let module = match py.import("_specscope_experiments") {
                Ok(module) => module,
                Err(_) => {
                    let code = CString::new(runner)?;
                    PyModule::from_code(
                        py,
                        &code,
                        c"<specscope experiments>",
                        c"_specscope_experiments",
                    )?
                }
            };
            module
                .getattr("call_json")?
                .call1((function, arguments))?
                .extract()
        };
        run().map_err(|e| internal(py, e))
    })
}

/// Makes an active virtualenv's packages importable, if its Python matches.
fn activate_virtualenv(py: Python<'_>) -> Result<(), CollectError> {
    let Some(venv) = std::env::var_os("VIRTUAL_ENV").map(PathBuf::from) else {
        return Ok(());
    };
    let linked = linked_in(py);
    let Some(venv_version) = venv_python_version(&venv) else {
        return Ok(());
    };
    let short = linked.short();
    if venv_version != short && !venv_version.starts_with(&format!("{short}.")) {
        return Err(CollectError::VersionMismatch {
            venv,
            venv_version,
            linked,
        });
    }
    let site = venv
        .join("lib")
        .join(format!("python{short}"))
        .join("site-packages");
    if site.is_dir() {
        py.import("site")
            .and_then(|s| s.call_method1("addsitedir", (site.to_string_lossy().into_owned(),)))
            .map_err(|e| internal(py, e))?;
    }
    Ok(())
}

fn venv_python_version(venv: &Path) -> Option<String> {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_string())
    })
}

/// `opcode._specializations` of the linked interpreter: each family's base
/// opname and its specialized forms, in the interpreter's own order.
pub fn specializations() -> Result<std::collections::BTreeMap<String, Vec<String>>, CollectError> {
    Python::attach(|py| {
        py.import("opcode")
            .and_then(|opcode| opcode.getattr("_specializations"))
            .and_then(|families| families.extract())
            .map_err(|e| internal(py, e))
    })
}
