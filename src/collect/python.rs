//! The Python boundary: the only module that touches pyo3.
//!
//! It starts the embedded interpreter, loads the collector shipped in
//! `assets/collector.py`, hands it a [`Request`] and turns the reply into a
//! plain [`Snapshot`]. Nothing pyo3-typed leaves this module.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyFunction, PyModule, PyType};

pub use crate::collect::capture::Salvage;
use crate::collect::raw::{PatternMiss, RawReply, RawTargetError};
use crate::collect::request::Request;
use crate::model::Snapshot;
use crate::model::version::PythonVersion;

mod frames;
mod objects;
mod progress;
mod resolve;
mod sampler;
mod watchdog;

use crate::collect::built::{
    COLLECTOR_CODE, COLLECTOR_DIS_CODE, COLLECTOR_WHY_CODE, OPTABLE_MARSHAL,
};

/// One collection at a time: the collector swaps `sys.stdout`, `__main__`
/// and file descriptors while a program runs.
static LOCK: Mutex<()> = Mutex::new(());

/// Starts the embedded interpreter (once) the way `python` starts, before
/// pyo3 would start it with defaults: `sys.executable` is the linked
/// interpreter, or the active virtualenv's python when its version matches,
/// so that the interpreter's own path configuration and `site` give the
/// program the `sys.prefix` and `sys.path` that python would. Every entry
/// point of this module calls it first. Inside an interpreter that is
/// already running (the Python package, see [`host`]) it does nothing: that
/// interpreter's own configuration is the program's.
fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        // SAFETY: `Py_IsInitialized` may be called at any time.
        if unsafe { pyo3::ffi::Py_IsInitialized() } != 0 {
            return;
        }
        let venv = active_venv().filter(|v| v.matches(linked_before_start()));
        let venv_python = venv.as_ref().and_then(Venv::python);
        let executable = venv_python.clone().or_else(linked_executable);
        // SAFETY: the interpreter is not running (checked above) and only
        // this closure starts it; pyo3 sees it running and leaves it be.
        let given = unsafe { initialize(executable.as_deref()) };
        // A virtualenv without a python of its own is entered by hand.
        if !given || (venv.is_some() && venv_python.is_none()) {
            Python::attach(|py| set_executable(py, venv.as_ref(), given));
        }
    });
}

/// Set when specscope runs inside an interpreter that was already running
/// (the Python package's extension module): nothing is started, and the
/// interpreter's world (its `sys.executable`, `sys.prefix`, `sys.path`,
/// virtualenv) is the program's as it is.
static HOSTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says that specscope runs inside the interpreter that loaded it, which is
/// running (see [`HOSTED`]). Called by the extension module's entry.
pub fn host() {
    // SAFETY: `Py_IsInitialized` may be called at any time.
    assert!(
        unsafe { pyo3::ffi::Py_IsInitialized() } != 0,
        "specscope is hosted only by a running interpreter"
    );
    HOSTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether the process ends once specscope is done with the command line
/// (the binary, the package's command), rather than going on after it (the
/// package's `main()` in a Python session, or a caller of this library).
static ENDS_PROCESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says whether the process ends once specscope is done (see
/// [`ENDS_PROCESS`]): then the program's run ends as `python SCRIPT` ends,
/// waiting for its threads, and an `os._exit` or `os.exec*` in it ends the
/// run on the spot; otherwise those raise in the program, and its threads
/// are left running, as for any code a session runs.
pub fn process_ends_after(ends: bool) {
    ENDS_PROCESS.store(ends, std::sync::atomic::Ordering::SeqCst);
}

pub(crate) fn process_ends() -> bool {
    ENDS_PROCESS.load(std::sync::atomic::Ordering::SeqCst)
}

/// For the collector: whether the process ends once specscope is done
/// (see [`process_ends_after`]).
#[pyfunction]
fn ends_process() -> bool {
    process_ends()
}

/// Whether specscope runs inside an interpreter that loaded it.
pub fn hosted() -> bool {
    HOSTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// The hosting interpreter's `sys.executable`, when it has one.
pub fn host_executable() -> Option<String> {
    attach(|py| {
        py.import("sys")
            .and_then(|sys| sys.getattr("executable"))
            .and_then(|e| e.extract::<String>())
            .ok()
            .filter(|e| !e.is_empty())
    })
}

/// `Python::attach`, after [`start`].
fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    start();
    Python::attach(f)
}

/// `Py_InitializeFromConfig` with the configuration `python` itself uses
/// (PYTHONUTF8 and the like honoured), minus what belongs to the host
/// process: no signal handlers, no argument parsing, C stdio left alone.
/// Returns whether `executable` was given to the interpreter; when this
/// pyo3-ffi's `PyConfig` does not look like the linked one, nothing is
/// started here (pyo3 starts the interpreter with its defaults) and false
/// is returned.
///
/// # Safety
/// Must be called once, before the interpreter was started.
unsafe fn initialize(executable: Option<&Path>) -> bool {
    use pyo3::ffi;
    use std::os::unix::ffi::OsStrExt;
    // Room past the end, in case the linked struct has fields this
    // pyo3-ffi does not know (a statistics build, say).
    #[repr(C)]
    struct Padded {
        config: ffi::PyConfig,
        _room: [u64; 256],
    }
    let mut padded = Box::<Padded>::new_uninit();
    // SAFETY: `PyConfig_InitPythonConfig` fills the whole struct; the
    // fields read afterwards are only trusted when they hold the values
    // CPython documents for the Python configuration; the interpreter copies
    // the configuration, which is cleared before it is dropped.
    unsafe {
        let config = &raw mut (*padded.as_mut_ptr()).config;
        ffi::PyConfig_InitPythonConfig(config);
        let c = &mut *config;
        let layout_known = c._config_init == 2
            && c.parse_argv == 1
            && c.configure_c_stdio == 1
            && c.install_signal_handlers == 1
            && c.site_import == 1
            && c._install_importlib == 1
            && c._init_main == 1
            && c.executable.is_null()
            && c.base_executable.is_null();
        if !layout_known {
            ffi::PyConfig_Clear(config);
            return false;
        }
        c.parse_argv = 0;
        c.install_signal_handlers = 0;
        c.configure_c_stdio = 0;
        let mut given = false;
        if let Some(path) = executable
            && let Ok(path) = CString::new(path.as_os_str().as_bytes())
        {
            let status = ffi::PyConfig_SetBytesString(config, &raw mut c.executable, path.as_ptr());
            given = ffi::PyStatus_Exception(status) == 0;
        }
        // Of what python's own signal set-up does, SIGPIPE is ignored
        // already (Rust's start-up ignores it); SIGXFSZ is ignored here, so
        // that a write past the file-size limit fails with an error rather
        // than ending the process. (Before the `signal` module reads the
        // dispositions it starts from.)
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let status = ffi::Py_InitializeFromConfig(config);
        ffi::PyConfig_Clear(config);
        if ffi::PyStatus_Exception(status) != 0 {
            // What `Py_InitializeEx` (pyo3's way) does on failure.
            ffi::Py_ExitStatusException(status);
        }
        // pyo3 attaches with PyGILState_Ensure: give the GIL back.
        ffi::PyEval_SaveThread();
        given
    }
}

/// The major and minor version of the linked libpython, read before the
/// interpreter starts (`Py_GetVersion` is a static string).
fn linked_before_start() -> (u8, u8) {
    // SAFETY: `Py_GetVersion` returns a static NUL-terminated string and may
    // be called before initialization.
    let text = unsafe { std::ffi::CStr::from_ptr(pyo3::ffi::Py_GetVersion()) };
    let text = text.to_string_lossy();
    let mut parts = text
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The linked libpython's version, as `sys.version` begins (`3.12.1`),
/// read without starting the interpreter.
pub fn linked_version_text() -> String {
    // SAFETY: `Py_GetVersion` returns a static NUL-terminated string and may
    // be called before initialization.
    let text = unsafe { std::ffi::CStr::from_ptr(pyo3::ffi::Py_GetVersion()) };
    let text = text.to_string_lossy();
    text.split_whitespace().next().unwrap_or("").to_string()
}

/// The interpreter the binary was built against (recorded by build.rs),
/// if it is still there.
fn linked_executable() -> Option<PathBuf> {
    Some(PathBuf::from(crate::collect::built::LINKED_PYTHON))
        .filter(|p| p.is_absolute() && p.is_file())
}

/// After the interpreter was started without being told its executable
/// (`given` false): a `sys.executable` that starts the linked interpreter,
/// its `bin/python3.X` under `sys.base_prefix` checked to exist, or the
/// matching virtualenv's python. And a virtualenv the interpreter did not
/// enter itself gets the `sys.prefix` and `sys.path` that `site` gives one.
fn set_executable(py: Python<'_>, venv: Option<&Venv>, given: bool) {
    let code = c"def enter(venv, python, system_site, given):
    import os, site, sys
    base = os.path.join(sys.base_prefix, 'bin', 'python%d.%d' % sys.version_info[:2])
    if not given and os.path.isfile(base) and os.access(base, os.X_OK):
        sys.executable = sys._base_executable = base
    if venv is None:
        return
    if python is not None:
        sys.executable = python
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    base_sites = set(site.getsitepackages()) | {site.getusersitepackages()}
    if not system_site:
        sys.path[:] = [p for p in sys.path if p not in base_sites]
    at = next((i for i, p in enumerate(sys.path) if p in base_sites), len(sys.path))
    before = list(sys.path)
    sys.prefix = sys.exec_prefix = venv
    site.addsitedir(os.path.join(venv, 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages'))
    added = sys.path[len(before):]
    sys.path[:] = before[:at] + added + before[at:]
";
    let globals = pyo3::types::PyDict::new(py);
    let _ = py.run(code, Some(&globals), None).and_then(|_| {
        let enter = py.eval(c"enter", Some(&globals), None)?;
        match venv {
            Some(v) => enter.call1((
                v.dir.to_string_lossy().into_owned(),
                v.python().map(|p| p.to_string_lossy().into_owned()),
                v.system_site_packages,
                given,
            )),
            None => enter.call1((py.None(), py.None(), false, given)),
        }
    });
}

#[derive(Debug)]
pub enum CollectError {
    /// The target cannot be run: missing, unreadable, not Python, syntax error.
    Target(Box<RawTargetError>),
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
        /// The virtualenv's interpreter, to build specscope against: a
        /// full path when one was found, else `python3.X`.
        build_with: String,
    },
    /// A failure inside specscope's own Python code (a bug), with traceback.
    Internal(String),
}

/// `compile(source, filename, mode, dont_inherit=True)` of a program's
/// text, by the call builtin `compile()` makes for a `str` source
/// (`Py_CompileStringObject`, with the flags it passes then): the same code
/// object. What it leaves out is `compile()`'s check whether the source is
/// an AST, which on 3.12 and 3.13 makes the `_ast` module's classes at its
/// first call in a process, about 1 ms that `python SCRIPT` never spends.
/// What `compile()` treats apart goes to `compile()` itself, for its
/// errors: NUL characters, lone surrogates, a mode other than "exec" or
/// "eval", a source or filename that is not a `str`.
#[pyfunction]
fn compile_source<'py>(
    source: &Bound<'py, PyAny>,
    filename: &Bound<'py, PyAny>,
    mode: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = source.py();
    let start = match mode {
        "exec" => pyo3::ffi::Py_file_input,
        "eval" => pyo3::ffi::Py_eval_input,
        _ => 0,
    };
    let text = source
        .cast::<pyo3::types::PyString>()
        .ok()
        .and_then(|text| text.to_str().ok())
        .and_then(|text| CString::new(text).ok());
    let (Some(text), true, true) = (
        text,
        start != 0,
        filename.is_instance_of::<pyo3::types::PyString>(),
    ) else {
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("dont_inherit", true)?;
        return py
            .import("builtins")?
            .getattr("compile")?
            .call((source, filename, mode), Some(&kwargs));
    };
    // CPython's compile.h: PyCF_SOURCE_IS_UTF8, which `compile()` always
    // sets, and PyCF_IGNORE_COOKIE, which it adds for a `str` (the text is
    // decoded already: a coding cookie in it must not decode it again).
    const PYCF_SOURCE_IS_UTF8: std::ffi::c_int = 0x0100;
    const PYCF_IGNORE_COOKIE: std::ffi::c_int = 0x0800;
    let mut flags = pyo3::ffi::PyCompilerFlags {
        cf_flags: PYCF_SOURCE_IS_UTF8 | PYCF_IGNORE_COOKIE,
        cf_feature_version: std::ffi::c_int::from(py.version_info().minor),
    };
    // SAFETY: attached (`py`); `text` is NUL-terminated and outlives the
    // call, `filename` is a live str, `flags` a valid PyCompilerFlags; the
    // result is a new reference or NULL with an exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::Py_CompileStringObject(
                text.as_ptr(),
                filename.as_ptr(),
                start,
                &mut flags,
                -1,
            ),
        )
    }
}

/// specscope's threads that [`before_fork`] stopped, for [`restart`] to
/// start again.
#[derive(Default)]
struct Halted {
    /// Forks under way (another thread of the program may fork while one
    /// does): the threads start again when the last one is done.
    forks: usize,
    reader: bool,
    sampler: Option<std::time::Duration>,
    watchdog: bool,
    progress: bool,
}

static HALTED: Mutex<Halted> = Mutex::new(Halted {
    forks: 0,
    reader: false,
    sampler: None,
    watchdog: false,
    progress: false,
});

fn halted() -> std::sync::MutexGuard<'static, Halted> {
    HALTED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The threads of this process, as the kernel counts them (the 20th field
/// of `/proc/self/stat`, which CPython reads before it warns a program that
/// forks); None where that cannot be read.
fn thread_count() -> Option<usize> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The name, in parentheses, may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(17)?.parse().ok()
}

/// `os.register_at_fork(before=...)`: before the program forks, the
/// threads specscope runs beside it (the output reader, the sampler, the
/// watchdog, `--why`'s progress line) end, so that the program forks from
/// a process whose only threads are its own, as under python: CPython 3.12
/// and later warn a program that forks with other threads running, and a
/// thread that holds a lock at the fork leaves it held in the child. What
/// they were doing waits: the pipe holds the output, the deadline stays.
#[pyfunction]
fn before_fork(py: Python<'_>) {
    let mut state = halted();
    state.forks += 1;
    if state.forks > 1 {
        return;
    }
    drop(state);
    // Detached: the sampler attaches to end.
    let stopped = py.detach(|| {
        let before = thread_count();
        let stopped = Halted {
            forks: 1,
            reader: crate::collect::capture::halt_reader(),
            sampler: sampler::halt(),
            watchdog: watchdog::halt(),
            progress: progress::halt(),
        };
        let ended = usize::from(stopped.reader)
            + usize::from(stopped.sampler.is_some())
            + usize::from(stopped.watchdog)
            + usize::from(stopped.progress);
        // A joined thread is gone from the kernel's count a moment after
        // the join returns.
        if let Some(before) = before.filter(|_| ended > 0) {
            let until = std::time::Instant::now() + std::time::Duration::from_millis(50);
            while thread_count().is_some_and(|n| n + ended > before)
                && std::time::Instant::now() < until
            {
                std::thread::yield_now();
            }
        }
        stopped
    });
    // Added to what an earlier fork stopped, if its threads have not
    // started again yet (see `after_fork_in_parent`).
    let mut state = halted();
    state.reader |= stopped.reader;
    state.sampler = state.sampler.or(stopped.sampler);
    state.watchdog |= stopped.watchdog;
    state.progress |= stopped.progress;
}

/// `os.register_at_fork(after_in_parent=...)`: the threads
/// [`before_fork`] stopped start again, once the fork is done. CPython 3.13
/// counts the threads for its warning after this hook has run, not before
/// as 3.12 does: when the program forked from the main thread, they start
/// in a pending call, which that thread makes as soon as `os.fork`
/// returns, at the end of the call instruction. A fork from another thread
/// restarts them at once: that program has two threads of its own, and
/// python warns it too.
#[pyfunction]
fn after_fork_in_parent() {
    let mut state = halted();
    state.forks = state.forks.saturating_sub(1);
    if state.forks > 0 {
        return;
    }
    drop(state);
    // SAFETY: getpid and gettid have no preconditions; Py_AddPendingCall
    // may be called from any thread, with a plain function and no argument.
    let main_thread = unsafe { libc::gettid() == libc::getpid() };
    if main_thread
        && unsafe { pyo3::ffi::Py_AddPendingCall(Some(restart_pending), std::ptr::null_mut()) } == 0
    {
        return;
    }
    restart();
}

extern "C" fn restart_pending(_: *mut std::ffi::c_void) -> std::ffi::c_int {
    let _ = std::panic::catch_unwind(restart);
    0
}

/// Starts again the threads [`before_fork`] stopped.
fn restart() {
    let mut state = halted();
    if state.forks > 0 {
        // Another fork began meanwhile: its own end starts them.
        return;
    }
    let stopped = std::mem::take(&mut *state);
    drop(state);
    if stopped.reader {
        crate::collect::capture::resume_reader();
    }
    if let Some(interval) = stopped.sampler {
        sampler::resume(interval);
    }
    if stopped.watchdog {
        watchdog::resume();
    }
    if stopped.progress {
        progress::resume();
    }
}

/// The collector module (`assets/collector.py`), loaded once: its code, and
/// its dis half's for it to load when it needs `dis`, as the build script
/// compiled them with this interpreter (the build fails when it cannot),
/// and the native functions it calls.
fn load_collector(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    if let Ok(module) = py.import("_specscope_collector") {
        return Ok(module);
    }
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
    module.setattr(
        "_DIS_PATH_CODE",
        pyo3::types::PyBytes::new(py, COLLECTOR_DIS_CODE),
    )?;
    module.setattr(
        "_OPTABLE_CODE",
        pyo3::types::PyBytes::new(py, OPTABLE_MARSHAL),
    )?;
    module.setattr(
        "_WHY_CODE",
        pyo3::types::PyBytes::new(py, COLLECTOR_WHY_CODE),
    )?;
    module.add_function(wrap_pyfunction!(type_version, &module)?)?;
    module.add_function(wrap_pyfunction!(function_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(resolve::held_function_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(resolve::subclass_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(resolve::module_positions, &module)?)?;
    module.add_function(wrap_pyfunction!(function_code, &module)?)?;
    module.add_function(wrap_pyfunction!(compile_source, &module)?)?;
    module.add_function(wrap_pyfunction!(ends_process, &module)?)?;
    module.add_function(wrap_pyfunction!(before_fork, &module)?)?;
    module.add_function(wrap_pyfunction!(after_fork_in_parent, &module)?)?;
    module.add_function(wrap_pyfunction!(type_versions, &module)?)?;
    module.add_function(wrap_pyfunction!(code_warmup, &module)?)?;
    module.add_function(wrap_pyfunction!(with_hooks, &module)?)?;
    module.add_function(wrap_pyfunction!(without_hooks, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::watch, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::stop_now, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::exit_now, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::park, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::sigint_watch, &module)?)?;
    module.add_function(wrap_pyfunction!(watchdog::sigint_origin, &module)?)?;
    module.add_function(wrap_pyfunction!(capture_start, &module)?)?;
    module.add_function(wrap_pyfunction!(high_dup, &module)?)?;
    module.add_function(wrap_pyfunction!(capture_write, &module)?)?;
    module.add_function(wrap_pyfunction!(capture_finish, &module)?)?;
    module.add_function(wrap_pyfunction!(sampler::sample_start, &module)?)?;
    module.add_function(wrap_pyfunction!(sampler::sample_stop, &module)?)?;
    module.add_function(wrap_pyfunction!(sampler::sample_pause, &module)?)?;
    module.add_function(wrap_pyfunction!(sampler::sample_counts, &module)?)?;
    module.add_function(wrap_pyfunction!(sampler::sample_clear, &module)?)?;
    module.add_function(wrap_pyfunction!(salvage, &module)?)?;
    module.add_function(wrap_pyfunction!(call_flags, &module)?)?;
    module.add_function(wrap_pyfunction!(generic_attribute_access, &module)?)?;
    module.add_function(wrap_pyfunction!(progress::progress_start, &module)?)?;
    module.add_function(wrap_pyfunction!(progress::progress_stop, &module)?)?;
    Ok(module)
}

thread_local! {
    /// Whether [`HooksOff`] holds this thread's hooks off.
    static HOOKS_OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Holds the program's trace and profile functions and its `sys.monitoring`
/// events off while specscope's own Python code runs, from before the
/// program starts until the collection ends (CPython's
/// `PyThreadState_EnterTracing`, as debuggers use it): they would run on the
/// collector's frames, and one that raises would break the collection. Only
/// [`with_hooks`] lets them act, around the program's own code.
struct HooksOff(*mut pyo3::ffi::PyThreadState, bool);

impl HooksOff {
    fn new(_py: Python<'_>) -> HooksOff {
        // SAFETY: attached to the interpreter (`_py`), so this thread has a
        // thread state; the count it raises is lowered again on drop.
        unsafe {
            let state = pyo3::ffi::PyThreadState_Get();
            pyo3::ffi::PyThreadState_EnterTracing(state);
            HooksOff(state, HOOKS_OFF.with(|off| off.replace(true)))
        }
    }
}

impl Drop for HooksOff {
    fn drop(&mut self) {
        HOOKS_OFF.with(|off| off.set(self.1));
        // SAFETY: the same thread state, still attached (the guard lives
        // inside `Python::attach`), whose count `new` raised.
        unsafe { pyo3::ffi::PyThreadState_LeaveTracing(self.0) };
    }
}

/// Calls `function(*args)`, the program's own code, with the program's
/// hooks in effect, and holds them off again before the collector goes on,
/// whether the call returned or raised (see [`HooksOff`]); its frames start
/// a stack of their own, as under python (see [`frames`]).
#[pyfunction]
#[pyo3(signature = (function, *args))]
fn with_hooks<'py>(
    function: &Bound<'py, PyAny>,
    args: &Bound<'py, pyo3::types::PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = function.py();
    if !HOOKS_OFF.with(|off| off.get()) {
        return frames::on_a_stack_of_its_own(py, || function.call(args, None));
    }
    // SAFETY: `function` proves this thread is attached; HOOKS_OFF says
    // its tracing count was raised by a live HooksOff, so lowering it here
    // and raising it again after the call keeps it balanced.
    unsafe {
        let state = pyo3::ffi::PyThreadState_Get();
        pyo3::ffi::PyThreadState_LeaveTracing(state);
        HOOKS_OFF.with(|off| off.set(false));
        let result = frames::on_a_stack_of_its_own(py, || function.call(args, None));
        HOOKS_OFF.with(|off| off.set(true));
        pyo3::ffi::PyThreadState_EnterTracing(state);
        result
    }
}

/// Calls `function(*args)`, specscope's own Python code that the program's
/// code calls (the binary layer under its `sys.stdout`), with the program's
/// hooks held off (see [`HooksOff`]): under python, `print` runs no Python
/// code that a trace function or `sys.monitoring` would see.
#[pyfunction]
#[pyo3(signature = (function, *args))]
fn without_hooks<'py>(
    function: &Bound<'py, PyAny>,
    args: &Bound<'py, pyo3::types::PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    if HOOKS_OFF.with(|off| off.get()) {
        return function.call(args, None);
    }
    let _off = HooksOff::new(function.py());
    function.call(args, None)
}

/// A class's `tp_version_tag`: what LOAD_ATTR and friends store in their
/// `version` cache entry. Read from a live type object handed in by Python.
#[pyfunction]
fn type_version(cls: &Bound<'_, PyType>) -> u32 {
    // SAFETY: `cls` is a live type object; pyo3-ffi's PyTypeObject matches
    // the layout of the linked CPython.
    unsafe { (*cls.as_type_ptr()).tp_version_tag }
}

/// The `METH_*` calling convention of a C function
/// (`builtin_function_or_method`) or a method descriptor, the flags
/// `specialize.c` chooses a CALL form by: "METH_O", "METH_FASTCALL|METH_KEYWORDS"
/// and so on, as its switch masks them; None for any other object. Read from
/// the object's `PyMethodDef`, which Python does not show.
#[pyfunction]
fn call_flags(value: &Bound<'_, PyAny>) -> Option<String> {
    use pyo3::ffi;
    let object = value.as_ptr();
    // SAFETY: `object` is live; its type is checked exactly before it is read
    // as that type's struct, whose layout pyo3-ffi gives for the linked
    // CPython.
    let flags = unsafe {
        let kind = ffi::Py_TYPE(object);
        if std::ptr::eq(kind, &raw const ffi::PyMethodDescr_Type) {
            let def = (*object.cast::<ffi::PyMethodDescrObject>()).d_method;
            if def.is_null() {
                return None;
            }
            (*def).ml_flags
        } else if std::ptr::eq(kind, &raw const ffi::PyCFunction_Type) {
            ffi::PyCFunction_GetFlags(object)
        } else {
            return None;
        }
    };
    let named = [
        (ffi::METH_METHOD, "METH_METHOD"),
        (ffi::METH_VARARGS, "METH_VARARGS"),
        (ffi::METH_FASTCALL, "METH_FASTCALL"),
        (ffi::METH_NOARGS, "METH_NOARGS"),
        (ffi::METH_O, "METH_O"),
        (ffi::METH_KEYWORDS, "METH_KEYWORDS"),
    ];
    let names: Vec<&str> = named
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    Some(if names.is_empty() {
        "none".to_string()
    } else {
        names.join("|")
    })
}

/// Whether a class looks attributes up, and sets them, the generic way:
/// `(tp_getattro is PyObject_GenericGetAttr, tp_setattro is
/// PyObject_GenericSetAttr)`, the test `analyze_descriptor` starts with. A
/// C type can list its own `__getattribute__` and still look up the generic
/// way (`str`).
#[pyfunction]
fn generic_attribute_access(cls: &Bound<'_, PyType>) -> (bool, bool) {
    use pyo3::ffi;
    // SAFETY: `cls` is a live type object; pyo3-ffi's PyTypeObject matches
    // the layout of the linked CPython.
    let (get, set) = unsafe {
        let t = cls.as_type_ptr();
        ((*t).tp_getattro, (*t).tp_setattro)
    };
    let generic_get = ffi::PyObject_GenericGetAttr as *const ();
    let generic_set = ffi::PyObject_GenericSetAttr as *const ();
    (
        get.is_some_and(|f| std::ptr::eq(f as *const (), generic_get)),
        set.is_some_and(|f| std::ptr::eq(f as *const (), generic_set)),
    )
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

/// Starts holding the program's output outside the interpreter (see
/// [`crate::collect::capture`]): `pipe` is the read end of the pipe its file
/// descriptors 1 and 2 write to (handed over), `stderr` specscope's own
/// stderr, where a crash report goes.
#[pyfunction]
fn capture_start(pipe: i32, stderr: i32, limit: usize) -> PyResult<()> {
    Ok(crate::collect::capture::start(pipe, stderr, limit)?)
}

/// A copy of `fd` numbered high (see [`crate::collect::capture::high_dup`]).
#[pyfunction]
fn high_dup(fd: i32) -> PyResult<i32> {
    Ok(crate::collect::capture::high_dup(fd)?)
}

/// What the program wrote through `sys.stdout` (`"stdout"`) or `sys.stderr`.
#[pyfunction]
fn capture_write(stream: &str, data: &[u8]) {
    crate::collect::capture::write(crate::collect::capture::Stream::from_name(stream), data);
}

/// Ends the capture: `([[stream, text], ...], kept, dropped, problem)`.
#[pyfunction]
fn capture_finish() -> (Vec<(&'static str, String)>, usize, u64, Option<String>) {
    let captured = crate::collect::capture::finish();
    (
        captured.chunks,
        captured.kept,
        captured.dropped,
        captured.problem,
    )
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

/// A function's code object and globals, read from the function object:
/// `__code__` and `__globals__` raise an audit event, which a program's
/// audit hook may refuse (or note) while the collector looks at its
/// functions.
#[pyfunction]
fn function_code<'py>(func: &Bound<'py, PyFunction>) -> (Bound<'py, PyAny>, Bound<'py, PyAny>) {
    let py = func.py();
    // SAFETY: `func` is a live function object (checked by the extraction);
    // both fields are never NULL in one, and are borrowed, so each gets its
    // own reference here.
    unsafe {
        let code = pyo3::ffi::PyFunction_GetCode(func.as_ptr());
        let globals = pyo3::ffi::PyFunction_GetGlobals(func.as_ptr());
        (
            Bound::from_borrowed_ptr(py, code),
            Bound::from_borrowed_ptr(py, globals),
        )
    }
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

/// Checks, before the interpreter starts, the `PYTHON*` environment
/// variables it would refuse to start with (see [`crate::collect::environment`]).
pub fn check_environment() -> Result<(), crate::collect::environment::Problem> {
    let layout = linked_executable()
        .map(|python| crate::collect::environment::Layout::linked(&python))
        .unwrap_or_default();
    crate::collect::environment::check(linked_before_start(), &layout, &|name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    })
}

/// The version of the linked libpython.
pub fn linked_version() -> PythonVersion {
    attach(linked_in)
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
    snapshot_from(collect_reply(request)?)
}

/// The collector's reply for `request`: all the part of a collection that
/// runs Python. Turning it into a snapshot is Rust's alone.
fn collect_reply(request: &Request) -> Result<serde_json::Value, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    attach(|py| -> Result<serde_json::Value, CollectError> {
        check_virtualenv(py)?;
        let collector = load_collector(py).map_err(|e| internal(py, e))?;
        let _hooks_off = HooksOff::new(py);
        let reply = objects::to_python(py, &request.to_value(&linked_in(py).facts()))
            .and_then(|request| collector.getattr("run")?.call1((request,)))
            .and_then(|reply| objects::from_python(&reply))
            .map_err(|e| internal(py, e));
        crate::collect::capture::clear_salvage();
        sampler::end(py);
        reply
    })
}

/// How a view shows a snapshot whose collection then crashes: see
/// [`salvage_with`].
type Salvager = Box<dyn Fn(Snapshot) -> Option<Salvage> + Send>;

static SALVAGER: Mutex<Option<Salvager>> = Mutex::new(None);

/// What a crash shows when a snapshot was taken before the run that crashed
/// (`--why` runs the warm-up a second time, after the snapshot): the
/// view's text of that snapshot, made by `salvager` before the second run
/// starts (a crash handler cannot make it), for stdout, and a note for
/// stderr. Holds for every later collection of this process.
pub fn salvage_with(salvager: impl Fn(Snapshot) -> Option<Salvage> + Send + 'static) {
    *SALVAGER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(salvager));
}

/// Called by the collector with the snapshot (its plain data) before a run
/// that follows it: the view's salvage is made of it (see [`salvage_with`]).
#[pyfunction]
fn salvage(reply: &Bound<'_, PyAny>) -> PyResult<()> {
    let salvager = SALVAGER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(salvager) = salvager.as_ref() else {
        return Ok(());
    };
    let snapshot = match snapshot_from(objects::from_python(reply)?) {
        Ok(snapshot) => snapshot,
        Err(CollectError::Selection { snapshot, .. }) => *snapshot,
        Err(_) => return Ok(()),
    };
    if let Some(made) = salvager(snapshot) {
        crate::collect::capture::set_salvage(made, watchdog::real_stdout());
    }
    Ok(())
}

/// Runs the request's program and collects, like [`collect`], then hands
/// the outcome to `then` (the dump, the explorer) and returns its exit
/// code. `--timeout` and a second Ctrl-C hold even when the program will
/// not stop: the run is then ended from outside the program, `then` gets
/// what was collected, and the process ends with its exit code without
/// this returning (see [`watchdog`]).
pub fn collect_then(
    request: &Request,
    then: impl FnOnce(Result<Snapshot, CollectError>) -> u8 + Send + 'static,
) -> u8 {
    watchdog::collect_then(request, Box::new(then))
}

/// The snapshot (or the error) a collector reply describes.
pub(crate) fn snapshot_from(reply: serde_json::Value) -> Result<Snapshot, CollectError> {
    let raw = match RawReply::from_value(reply)
        .map_err(|e| CollectError::Internal(format!("unreadable collector reply: {e}")))?
    {
        RawReply::Error(error) => return Err(CollectError::Target(Box::new(error))),
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
    attach(|py| {
        let collector = load_collector(py).map_err(|e| internal(py, e))?;
        collector
            .getattr("reference_dis")
            .and_then(|f| f.call1((fix_cache_values,)))
            .and_then(|r| r.extract())
            .map_err(|e| internal(py, e))
    })
}

/// Evaluates a Python expression in a fresh namespace and returns its repr.
/// For tests that check a fact against the interpreter itself.
pub fn eval_repr(code: &str, expr: &str) -> Result<String, CollectError> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    attach(|py| {
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
    attach(|_| f())
}

/// Gives the explorer the signals a terminal program expects, whatever the
/// user's program did to them: nothing blocked, and SIGTERM, SIGHUP,
/// SIGQUIT and SIGWINCH at their default actions (the explorer installs its
/// own handlers after this).
pub fn reset_signals() {
    if watchdog::taken_over() {
        // The collection's lock may be held by the program's thread, parked
        // or blocked.
        watchdog::reset_signals_here();
        return;
    }
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    attach(|py| {
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
    attach(|py| {
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

/// Stops when the active virtualenv was made for another Python version
/// (a matching one was entered when the interpreter started); never inside
/// a running interpreter.
fn check_virtualenv(py: Python<'_>) -> Result<(), CollectError> {
    if hosted() {
        // The interpreter is the one its virtualenv was made for, or none
        // was entered: either way the program sees what python would.
        return Ok(());
    }
    let linked = linked_in(py);
    match active_venv() {
        Some(venv) if !venv.matches((linked.major, linked.minor)) => {
            Err(CollectError::VersionMismatch {
                build_with: venv.base_python(),
                venv: venv.dir,
                venv_version: venv.version,
                linked,
            })
        }
        _ => Ok(()),
    }
}

/// The virtualenv `VIRTUAL_ENV` names, as its `pyvenv.cfg` describes it.
struct Venv {
    dir: PathBuf,
    /// `version` (or `version_info`) of `pyvenv.cfg`, e.g. `3.12.1`.
    version: String,
    /// `include-system-site-packages = true`.
    system_site_packages: bool,
    /// `home`: the folder of the interpreter it was made from.
    home: Option<PathBuf>,
    /// `executable` (written by Python 3.11+): that interpreter.
    executable: Option<PathBuf>,
}

fn active_venv() -> Option<Venv> {
    let dir = PathBuf::from(std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty())?);
    let cfg = std::fs::read_to_string(dir.join("pyvenv.cfg")).ok()?;
    let value = |wanted: &[&str]| {
        cfg.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            let key = key.trim().to_ascii_lowercase();
            wanted
                .contains(&key.as_str())
                .then(|| value.trim().to_string())
        })
    };
    Some(Venv {
        version: value(&["version", "version_info"])?,
        system_site_packages: value(&["include-system-site-packages"])
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        home: value(&["home"]).map(PathBuf::from),
        executable: value(&["executable", "base-executable"]).map(PathBuf::from),
        dir,
    })
}

impl Venv {
    /// `3.12`, from a `version` such as `3.12.1` or `3.12.1.final.0`.
    fn short(&self) -> String {
        self.version
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join(".")
    }

    fn matches(&self, (major, minor): (u8, u8)) -> bool {
        self.short() == format!("{major}.{minor}")
    }

    /// The virtualenv's own python, as its `bin/` names it.
    fn python(&self) -> Option<PathBuf> {
        let short = self.short();
        [
            "python".to_string(),
            "python3".into(),
            format!("python{short}"),
        ]
        .iter()
        .map(|name| self.dir.join("bin").join(name))
        .find(|p| p.is_file())
    }

    /// The interpreter the virtualenv was made from, as a full path that
    /// exists: from `pyvenv.cfg`, pyenv's folder of that version, or the
    /// virtualenv's own python resolved; `python3.X` when none is found.
    fn base_python(&self) -> String {
        let short = self.short();
        let name = format!("python{short}");
        let pyenv_root = std::env::var_os("PYENV_ROOT")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
        let candidates = [
            self.executable.clone(),
            self.home.as_ref().map(|h| h.join(&name)),
            pyenv_root.map(|r| {
                r.join("versions")
                    .join(&self.version)
                    .join("bin")
                    .join(&name)
            }),
            std::fs::canonicalize(self.dir.join("bin").join(&name)).ok(),
        ];
        candidates
            .into_iter()
            .flatten()
            .find(|p| {
                p.is_absolute()
                    && p.is_file()
                    && p.file_name()
                        .is_some_and(|f| f.to_string_lossy().starts_with("python"))
            })
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or(name)
    }
}

/// `opcode._specializations` of the linked interpreter: each family's base
/// opname and its specialized forms, in the interpreter's own order.
pub fn specializations() -> Result<std::collections::BTreeMap<String, Vec<String>>, CollectError> {
    attach(|py| {
        py.import("opcode")
            .and_then(|opcode| opcode.getattr("_specializations"))
            .and_then(|families| families.extract())
            .map_err(|e| internal(py, e))
    })
}
