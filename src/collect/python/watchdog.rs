//! The watchdog: `--timeout` and a second Ctrl-C end the run whatever the
//! program does.
//!
//! The collector's `_Guard` stops a program the polite way first: SIGALRM
//! raises an exception into it, and so does Ctrl-C. A program can defeat
//! both: it ignores SIGALRM, cancels the timer, or catches `BaseException`
//! (and `KeyboardInterrupt`) in a loop. The watchdog does not depend on the
//! program. [`collect_then`] runs a collection and hands the outcome to a
//! continuation (the CLI's dump or explorer). With `--timeout`, the
//! collector arms the watchdog ([`watch`]) as the program starts: a thread
//! that waits beside the run (only then: with another thread in the
//! process, CPython 3.12 warns a program that forks). When the collection
//! outlives the timeout by a fifth, or at a second Ctrl-C ([`stop_now`]),
//! the run is taken over:
//!
//! 1. The thread the program runs on is asked to end the run itself, from
//!    wherever it is, with a pending call (`Py_AddPendingCall`): the
//!    interpreter makes it at the next step of its loop, and no Python code
//!    can refuse or catch it. Holding the interpreter from another thread
//!    would not do: a thread that waits for it makes the holder hand it
//!    back every switch interval (5 ms) as soon as the holder runs Python
//!    code, so the program would go on in slices while its run is ended.
//! 2. When that thread does not come back to the loop within a short grace
//!    (it is blocked in a system call: a long `time.sleep`, a read, a lock),
//!    the watchdog thread attaches and ends the run itself; the program's
//!    thread is parked for good the next time it runs Python code
//!    ([`park_there`]).
//! 3. When neither happens (C code that holds the interpreter and never
//!    returns to its loop), a last-resort thread says so and ends the
//!    process with the run's exit code.
//!
//! Ending the run (`take_over` in the collector, then [`take_over`] here)
//! puts back the file descriptors and streams the capture changed, marks
//! the run stopped, builds the same reply `run` builds at its end, gives
//! the snapshot to the continuation and ends the process with the exit code
//! the continuation returns, never returning to the program.

use std::os::fd::RawFd;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI32};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use libc::c_int;
use pyo3::prelude::*;
use pyo3::types::PyModule;

use super::{CollectError, HooksOff};
use crate::collect::request::Request;
use crate::model::{Snapshot, StopReason};

/// What the CLI does with a collection's outcome (prints the dump, opens
/// the explorer); returns the process's exit code.
pub type Then = Box<dyn FnOnce(Result<Snapshot, CollectError>) -> u8 + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// No collection under watch.
    Idle,
    /// The collection runs.
    Running,
    /// The timeout passed: the program's thread was asked to end the run.
    Requested,
    /// One thread ends the run; nothing else may.
    TakingOver,
    /// The collection returned in time.
    Done,
}

struct Watch {
    /// Counts collections: a pending call or a timer of an earlier one
    /// changes nothing in a later one.
    generation: u64,
    stage: Stage,
    /// When the run is taken over (armed by [`watch`]).
    deadline: Option<Instant>,
    /// `--timeout`, in seconds.
    timeout: f64,
    then: Option<Then>,
    /// The collector module, for its `take_over`.
    collector: Option<Py<PyModule>>,
    /// The thread the collection runs on.
    thread: libc::pthread_t,
    /// The thread that ends the run, once one claimed it.
    taker: libc::pthread_t,
    /// The watchdog thread, once armed.
    watchdog: Option<std::thread::JoinHandle<()>>,
    /// The process that collects: a child the program forked ends its own
    /// way, without a dump.
    pid: libc::pid_t,
    /// The watchdog thread is to end for a moment (the program forks, see
    /// [`halt`]).
    halted: bool,
}

static WATCH: Mutex<Watch> = Mutex::new(Watch {
    generation: 0,
    stage: Stage::Idle,
    deadline: None,
    timeout: 0.0,
    then: None,
    collector: None,
    thread: 0,
    taker: 0,
    watchdog: None,
    pid: 0,
    halted: false,
});
static WAKE: Condvar = Condvar::new();

/// The run was taken over: the continuation runs on a thread that may
/// already hold the collection's lock, or is not the main thread.
static TAKEN_OVER: AtomicBool = AtomicBool::new(false);
/// The takeover built its snapshot: the last resort stands down.
static BUILT: AtomicBool = AtomicBool::new(false);
/// Copies of specscope's own stdin, stdout and stderr, taken before the
/// collection redirects them (-1: none).
static REAL_FDS: [AtomicI32; 3] = [AtomicI32::new(-1), AtomicI32::new(-1), AtomicI32::new(-1)];

/// specscope's own stderr while a collection runs (its copy taken before
/// the program's output was redirected), or -1.
pub(super) fn real_stderr() -> RawFd {
    REAL_FDS[2].load(SeqCst)
}

/// specscope's own stdout while a collection runs, like [`real_stderr`].
pub(super) fn real_stdout() -> RawFd {
    REAL_FDS[1].load(SeqCst)
}

fn lock() -> MutexGuard<'static, Watch> {
    WATCH.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits for a change of the watch, at most `timeout` (None: no limit).
fn wait(
    watch: MutexGuard<'static, Watch>,
    timeout: Option<Duration>,
) -> MutexGuard<'static, Watch> {
    match timeout {
        Some(timeout) => match WAKE.wait_timeout(watch, timeout) {
            Ok((watch, _)) => watch,
            Err(e) => e.into_inner().0,
        },
        None => WAKE.wait(watch).unwrap_or_else(|e| e.into_inner()),
    }
}

/// Whether the current run was taken over (see [`TAKEN_OVER`]).
pub(super) fn taken_over() -> bool {
    TAKEN_OVER.load(SeqCst)
}

/// Runs the request's program and collects, then hands the outcome to
/// `then` and returns its exit code. If the run is taken over, `then` gets
/// the snapshot on whichever thread ended the run, and the process ends
/// with its exit code there: this function then never returns.
pub fn collect_then(request: &Request, then: Then) -> u8 {
    begin(then);
    // Only the part that runs Python is watched: once it returned, the run
    // is over, and nothing may park this thread while it turns the reply
    // into a snapshot (it may hold locks the takeover would need).
    let reply = super::collect_reply(request);
    let (then, watchdog) = end();
    if let Some(watchdog) = watchdog {
        let _ = watchdog.join();
    }
    then(reply.and_then(super::snapshot_from))
}

fn begin(then: Then) {
    for (fd, copy) in REAL_FDS.iter().enumerate() {
        copy.store(high_copy(fd as RawFd), SeqCst);
    }
    let mut watch = lock();
    watch.generation += 1;
    watch.stage = Stage::Running;
    watch.deadline = None;
    watch.halted = false;
    watch.then = Some(then);
    // SAFETY: pthread_self and getpid have no preconditions.
    watch.thread = unsafe { libc::pthread_self() };
    watch.pid = unsafe { libc::getpid() };
    BUILT.store(false, SeqCst);
}

/// The collection returned: the continuation and the watchdog thread to
/// join, unless another thread is ending the run (then this thread waits
/// for the process to end).
fn end() -> (Then, Option<std::thread::JoinHandle<()>>) {
    let mut watch = lock();
    if watch.stage == Stage::TakingOver {
        drop(watch);
        loop {
            std::thread::park();
        }
    }
    watch.stage = Stage::Done;
    let then = watch.then.take();
    let watchdog = watch.watchdog.take();
    drop(watch);
    WAKE.notify_all();
    for copy in &REAL_FDS {
        let fd = copy.swap(-1, SeqCst);
        if fd >= 0 {
            // SAFETY: a descriptor `begin` opened and nothing else owns.
            unsafe { libc::close(fd) };
        }
    }
    let then = then.expect("the continuation is taken only here or by the takeover");
    (then, watchdog)
}

/// How long the program's thread has to take the pending call before the
/// watchdog ends the run from its own thread (and between attempts).
fn grace(timeout: f64) -> Duration {
    Duration::from_secs_f64((timeout / 10.0).clamp(0.05, 0.25))
}

/// The watchdog thread: waits for the deadline, then has the run ended.
fn watch_over(generation: u64) {
    let mut watch = lock();
    loop {
        if watch.generation != generation || watch.stage != Stage::Running || watch.halted {
            return;
        }
        let now = Instant::now();
        watch = match watch.deadline {
            Some(at) if now >= at => break,
            Some(at) => wait(watch, Some(at - now)),
            None => wait(watch, None),
        };
    }
    watch.stage = Stage::Requested;
    let timeout = watch.timeout;
    drop(watch);
    let hard = Duration::from_secs_f64((timeout * 0.4).max(0.2));
    last_resort(
        generation,
        StopReason::Timeout,
        Instant::now() + hard,
        timeout,
    );
    // 1. The program's thread ends the run at its next step. (Asking for
    // the interpreter makes that thread look at its pending calls: CPython
    // 3.11 and 3.12 do not tell it about a call added from another thread.
    // It makes them before it hands the interpreter over, and hands it
    // over once it runs the collector's code.)
    ask(generation);
    Python::attach(|_| ());
    // 2. Unless it is blocked outside the interpreter's loop: then this
    // thread ends the run, once it holds the interpreter (never, when the
    // program's thread holds it in C code: the last resort ends that).
    let mut watch = lock();
    let until = Instant::now() + grace(timeout);
    while watch.generation == generation && watch.stage == Stage::Requested {
        let now = Instant::now();
        if now >= until {
            drop(watch);
            Python::attach(|py| {
                take_over_here(py, Some(generation), StopReason::Timeout.key(), None)
            });
            return;
        }
        watch = wait(watch, Some(until - now));
    }
}

/// Queues the pending call that ends the run on the program's thread.
fn ask(generation: u64) {
    for _ in 0..100 {
        // SAFETY: Py_AddPendingCall may be called from any thread, attached
        // or not; the argument is a plain number, not a pointer.
        let queued = unsafe {
            pyo3::ffi::Py_AddPendingCall(Some(pending), generation as usize as *mut libc::c_void)
        };
        if queued == 0 {
            return;
        }
        // The queue is full: it empties as the interpreter makes the calls.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The pending call: runs on the interpreter's main thread, attached, at
/// the next step of its loop.
extern "C" fn pending(generation: *mut libc::c_void) -> c_int {
    // SAFETY: the interpreter makes pending calls on an attached thread.
    let py = unsafe { Python::assume_attached() };
    let generation = generation as usize as u64;
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        take_over_here(py, Some(generation), StopReason::Timeout.key(), None);
    }));
    park_if_taken_elsewhere(py);
    0
}

/// Parks this thread when another thread ends the run (see
/// [`park_there`]); returns otherwise: no run is being ended, or this
/// thread is ending it (and made the pending call on its way).
fn park_if_taken_elsewhere(py: Python<'_>) {
    let elsewhere = {
        let watch = lock();
        // SAFETY: pthread_self and pthread_equal have no preconditions.
        watch.stage == Stage::TakingOver
            && unsafe { libc::pthread_equal(watch.taker, libc::pthread_self()) } == 0
    };
    if elsewhere {
        park_here(py);
    }
}

/// What ending the run needs, taken by the thread that is to end it: the
/// continuation, the collector module and the thread the program runs
/// on. None when no run of this process (of `generation`, when given) is
/// under way, or another thread is ending it.
fn claim(generation: Option<u64>) -> Option<(Option<Then>, Option<Py<PyModule>>, libc::pthread_t)> {
    let mut watch = lock();
    // SAFETY: getpid has no preconditions.
    if generation.is_some_and(|g| g != watch.generation)
        || !matches!(watch.stage, Stage::Running | Stage::Requested)
        || watch.pid != unsafe { libc::getpid() }
    {
        return None;
    }
    watch.stage = Stage::TakingOver;
    // SAFETY: pthread_self has no preconditions.
    watch.taker = unsafe { libc::pthread_self() };
    let claimed = (watch.then.take(), watch.collector.take(), watch.thread);
    drop(watch);
    WAKE.notify_all();
    Some(claimed)
}

/// Ends the run from this thread, attached, if it is still under way
/// (then never returns).
fn take_over_here(
    py: Python<'_>,
    generation: Option<u64>,
    reason: &'static str,
    collector: Option<Py<PyModule>>,
) {
    if let Some((then, armed, thread)) = claim(generation) {
        let collector = collector.or(armed);
        park_there(py, thread, collector.as_ref());
        take_over(py, reason, then, collector)
    }
}

/// `os._exit` or an `os.exec` function called by the program (the
/// collector's `_end_here`, which recorded the exit). Under python the
/// process ends, or becomes another program, at once: no `finally` block
/// or exit handler runs, whatever its threads do. Here the run ends at
/// once, from the thread that called, as a takeover ends it, with the exit
/// as its end. Called on another thread than the program's, the program's
/// thread is parked (see [`park_there`]). Returns only when no run of this process is
/// under watch, or when specscope returns to its caller when done (the
/// package's `main()`; ending the run here would end the process).
#[pyfunction]
#[pyo3(pass_module)]
pub(super) fn exit_now(module: &Bound<'_, PyModule>) {
    if super::process_ends() {
        take_over_here(module.py(), None, "exit", Some(module.clone().unbind()));
    }
}

/// The collector arms the watchdog as the program starts: the run is
/// taken over `seconds` × 1.2 from now (`_Guard` stops a program that
/// lets it at `seconds`; the fifth leaves the collection time to finish).
#[pyfunction]
#[pyo3(pass_module)]
pub(super) fn watch(module: &Bound<'_, PyModule>, seconds: f64) {
    let mut watch = lock();
    if watch.stage != Stage::Running || !seconds.is_finite() || seconds <= 0.0 {
        return;
    }
    watch.collector = Some(module.clone().unbind());
    watch.timeout = seconds;
    watch.deadline = Instant::now().checked_add(Duration::from_secs_f64(seconds * 1.2));
    if watch.watchdog.is_none() {
        spawn(&mut watch);
    }
    drop(watch);
    WAKE.notify_all();
}

fn spawn(watch: &mut Watch) {
    let generation = watch.generation;
    watch.watchdog = std::thread::Builder::new()
        .name("specscope-watchdog".into())
        // The explorer or the dump may run on this thread.
        .stack_size(8 << 20)
        .spawn(move || watch_over(generation))
        .ok();
}

/// Stops the watchdog thread before the program forks, as
/// [`crate::collect::capture::halt_reader`] stops the reader, while it only
/// waits for the deadline (once the run is being ended, it goes on). True
/// when there was one to stop; [`resume`] starts it again.
pub(super) fn halt() -> bool {
    let mut watch = lock();
    // SAFETY: getpid has no preconditions.
    if watch.stage != Stage::Running || watch.pid != unsafe { libc::getpid() } {
        return false;
    }
    let Some(thread) = watch.watchdog.take() else {
        return false;
    };
    watch.halted = true;
    drop(watch);
    WAKE.notify_all();
    let _ = thread.join();
    true
}

/// Starts the watchdog [`halt`] stopped again, unless the run is over.
pub(super) fn resume() {
    let mut watch = lock();
    watch.halted = false;
    if watch.stage == Stage::Running && watch.watchdog.is_none() {
        spawn(&mut watch);
    }
}

// ----------------------------------------------------------- SIGINT's origin

/// Where the last SIGINT came from, as [`on_sigint`] saw it: 0 none seen,
/// 1 from outside the process (the terminal's Ctrl-C, `kill` from another
/// process), 2 from the process itself (`signal.raise_signal`, `os.kill`
/// of its own pid).
static SIGINT_ORIGIN: AtomicI32 = AtomicI32::new(0);
/// The disposition [`sigint_watch`] put [`on_sigint`] in front of: the
/// interpreter's own handler, which it hands every SIGINT on to.
struct PreviousSigint(std::cell::UnsafeCell<std::mem::MaybeUninit<libc::sigaction>>);
// SAFETY: written by `sigint_watch` before the handler that reads it is
// installed, and not written again while that handler is installed (only
// when it is not).
unsafe impl Sync for PreviousSigint {}
static PREVIOUS_SIGINT: PreviousSigint =
    PreviousSigint(std::cell::UnsafeCell::new(std::mem::MaybeUninit::zeroed()));

/// Puts [`on_sigint`] in front of the interpreter's SIGINT handler, which
/// the collector has just made call its Python-level handler: that handler
/// asks [`sigint_origin`] whether Ctrl-C was pressed or the program sent
/// the signal to itself. The interpreter's `signal.signal` replaces it
/// (the program set a handler of its own, or the collector put the
/// program's back).
#[pyfunction]
pub(super) fn sigint_watch() {
    SIGINT_ORIGIN.store(0, SeqCst);
    // SAFETY: sigaction with valid pointers; the previous disposition is
    // written before the handler that reads it is installed, and never
    // while it is (the one installed is checked first).
    unsafe {
        let previous = (*PREVIOUS_SIGINT.0.get()).as_mut_ptr();
        let mut current: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) != 0
            || current.sa_sigaction == on_sigint_address()
            || current.sa_sigaction == libc::SIG_DFL
            || current.sa_sigaction == libc::SIG_IGN
        {
            return;
        }
        *previous = current;
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint_address();
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        action.sa_mask = current.sa_mask;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Where the SIGINT the collector's handler is handling came from:
/// "self" when the process sent it to itself, or when no signal arrived
/// while [`on_sigint`] stood in front of the interpreter's handler (the
/// program called `_thread.interrupt_main`, which sends none); "outside"
/// when it came from elsewhere, or [`on_sigint`] was not there to see it.
#[pyfunction]
pub(super) fn sigint_origin() -> &'static str {
    match SIGINT_ORIGIN.swap(0, SeqCst) {
        2 => "self",
        1 => "outside",
        _ => {
            // SAFETY: sigaction with a null new action only reads.
            let watching = unsafe {
                let mut current: libc::sigaction = std::mem::zeroed();
                libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) == 0
                    && current.sa_sigaction == on_sigint_address()
            };
            if watching { "self" } else { "outside" }
        }
    }
}

fn on_sigint_address() -> libc::sighandler_t {
    on_sigint as extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) as libc::sighandler_t
}

/// Notes where the signal came from, then hands it to the interpreter's
/// handler. Async-signal-safe.
extern "C" fn on_sigint(signal: c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo for this signal (or null); getpid is
    // async-signal-safe.
    let own = !info.is_null()
        && unsafe {
            matches!((*info).si_code, libc::SI_USER | libc::SI_TKILL)
                && (*info).si_pid() == libc::getpid()
        };
    SIGINT_ORIGIN.store(if own { 2 } else { 1 }, SeqCst);
    // SAFETY: written by `sigint_watch` before this handler was installed.
    unsafe {
        let previous = &*(*PREVIOUS_SIGINT.0.get()).as_ptr();
        let handler = previous.sa_sigaction;
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let call: extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(handler);
            call(signal, info, context);
        } else {
            let call: extern "C" fn(c_int) = std::mem::transmute(handler);
            call(signal);
        }
    }
}

/// A second Ctrl-C (`_on_sigint` in the collector): the run ends from
/// here at once. Returns only when no run is under watch.
#[pyfunction]
#[pyo3(pass_module)]
pub(super) fn stop_now(module: &Bound<'_, PyModule>, reason: &str) {
    let reason = if reason == StopReason::Timeout.key() {
        StopReason::Timeout
    } else {
        StopReason::Interrupt
    };
    let generation = {
        let watch = lock();
        // SAFETY: getpid has no preconditions.
        if !matches!(watch.stage, Stage::Running | Stage::Requested)
            || watch.pid != unsafe { libc::getpid() }
        {
            return;
        }
        watch.generation
    };
    last_resort(
        generation,
        reason,
        Instant::now() + Duration::from_secs(2),
        2.0,
    );
    take_over_here(
        module.py(),
        Some(generation),
        reason.key(),
        Some(module.clone().unbind()),
    );
}

/// Ends the run from this thread: the collector's `take_over` puts back
/// what the capture changed and builds the reply; the continuation shows
/// it; the process ends with the continuation's exit code. `reason`: the
/// key of a [`StopReason`], or "exit" (see [`exit_now`]).
fn take_over(
    py: Python<'_>,
    reason: &'static str,
    then: Option<Then>,
    collector: Option<Py<PyModule>>,
) -> ! {
    TAKEN_OVER.store(true, SeqCst);
    let code = std::panic::catch_unwind(AssertUnwindSafe(|| {
        // The program's trace, profile and monitoring hooks stay off for
        // the collector's code (the run never goes back to the program).
        std::mem::forget(HooksOff::new(py));
        // Room for the collector's frames, however deep the program was.
        // SAFETY: attached (`py`).
        unsafe {
            let limit = pyo3::ffi::Py_GetRecursionLimit();
            pyo3::ffi::Py_SetRecursionLimit(limit.saturating_add(1000));
        }
        let reply = match &collector {
            Some(collector) => collector
                .bind(py)
                .getattr("take_over")
                .and_then(|f| f.call1((reason,)))
                .and_then(|r| match r.is_none() {
                    true => Ok(None),
                    false => super::objects::from_python(&r).map(Some),
                })
                .map_err(|e| super::internal(py, e)),
            None => Ok(None),
        };
        restore_real_fds();
        BUILT.store(true, SeqCst);
        let collected = match reply {
            Ok(Some(reply)) => {
                crate::collect::capture::clear_salvage();
                super::snapshot_from(reply)
            }
            Ok(None) => Err(CollectError::Internal(
                "the run was stopped before the program started".into(),
            )),
            Err(e) => Err(e),
        };
        match then {
            Some(then) => then(collected),
            None => crate::exit::INTERNAL,
        }
    }))
    .unwrap_or(crate::exit::INTERNAL);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit ends the process at once: no exit handler runs on this
    // thread while the program's threads stand blocked or parked (they may
    // hold locks that exit handlers take).
    unsafe { libc::_exit(c_int::from(code)) }
}

/// Puts specscope's own stdin, stdout and stderr back on 0, 1 and 2,
/// whatever the collector managed to put back.
fn restore_real_fds() {
    for (fd, copy) in REAL_FDS.iter().enumerate() {
        let copy = copy.load(SeqCst);
        if copy >= 0 {
            // SAFETY: dup2 between descriptors; a failure changes nothing.
            unsafe { libc::dup2(copy, fd as RawFd) };
        }
    }
}

/// When the run could not be ended in time (the program's thread holds
/// the interpreter in C code that never returns to its loop, or ending
/// the run hangs): says so on specscope's own stderr and ends the process
/// with the run's exit code. `at`: when to give up if the takeover has not
/// started; a takeover under way gets `patience` seconds more (at least 5).
fn last_resort(generation: u64, reason: StopReason, at: Instant, patience: f64) {
    let _ = std::thread::Builder::new()
        .name("specscope-last-resort".into())
        .spawn(move || {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            let over = || {
                let watch = lock();
                BUILT.load(SeqCst) || watch.generation != generation || watch.stage == Stage::Done
            };
            if over() {
                return;
            }
            if lock().stage == Stage::TakingOver {
                std::thread::sleep(Duration::from_secs_f64(patience.max(5.0)));
                if over() {
                    return;
                }
            }
            let (what, code) = if reason == StopReason::Timeout {
                ("--timeout", crate::exit::TIMEOUT)
            } else {
                ("Ctrl-C", crate::exit::INTERRUPTED)
            };
            let message = format!(
                "specscope: {what} could not stop the program: it stays in C code that holds the \
                 interpreter and never returns to it, so nothing it ran or printed can be shown\n"
            );
            let stderr = REAL_FDS[2].load(SeqCst);
            let fd = if stderr >= 0 { stderr } else { 2 };
            // SAFETY: write from a valid buffer; _exit ends the process.
            unsafe {
                libc::write(fd, message.as_ptr().cast(), message.len());
                libc::_exit(c_int::from(code));
            }
        });
}

/// A copy of `fd` (close-on-exec) numbered above what a program closes
/// when it closes the descriptors it did not open (`os.closerange(3,
/// 1024)`): at the soft limit on open files, raised for a moment to make
/// it (as the collector's `_high_dup` does); -1 when `fd` is not open.
fn high_copy(fd: RawFd) -> RawFd {
    // SAFETY: getrlimit/setrlimit on valid structs, fcntl on a descriptor
    // number (failing harmlessly when it is not open).
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
            && limit.rlim_cur < (1 << 16)
            && limit.rlim_max > limit.rlim_cur + 8
        {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_cur + 8,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                let copy = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, limit.rlim_cur as c_int);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                if copy >= 0 {
                    return copy;
                }
            }
        }
        libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3)
    }
}

// ---------------------------------------------------------------- parking

/// Stops the program's thread for good when another thread ends the run
/// (`thread`, which the run was claimed for, is not this one), the next
/// time it runs Python code, before any of the program's: a pending call
/// parks it (see [`park_here`]), and an asynchronous exception makes it
/// look at its pending calls (CPython 3.11 and 3.12 do not tell a thread
/// about a call another thread added). The interpreter makes pending calls
/// before it raises that exception, so the exception is never raised
/// there. On a thread that is not the main one, which the interpreter makes
/// no pending call on, the exception does the parking: the collector's
/// `_Parked` parks the thread as it is made (on 3.11 that can be after the
/// frames without a handler are left). A thread blocked outside the
/// interpreter stays blocked until then; one that waits for the interpreter
/// gets it as CPython hands it over, and gives it back at its next step.
/// (Stopping it with a signal where it is would leave it inside CPython's
/// hand-over of the interpreter when it waits there, and the next hand-over
/// would wait for it for ever.)
fn park_there(py: Python<'_>, thread: libc::pthread_t, collector: Option<&Py<PyModule>>) {
    // SAFETY: pthread_self and pthread_equal have no preconditions.
    if unsafe { libc::pthread_equal(thread, libc::pthread_self()) } != 0 {
        return;
    }
    // SAFETY: Py_AddPendingCall may be called from any thread; the
    // argument is unused.
    unsafe { pyo3::ffi::Py_AddPendingCall(Some(park_pending), std::ptr::null_mut()) };
    let Some(parked) = collector.and_then(|c| c.bind(py).getattr("_Parked").ok()) else {
        return;
    };
    // SAFETY: attached (`py`); the thread id is the one
    // `threading.get_ident` gives (pthread_self), and the exception class is
    // a live object the call takes its own reference to.
    unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(thread as libc::c_long, parked.as_ptr()) };
}

/// The pending call of [`park_there`].
extern "C" fn park_pending(_: *mut libc::c_void) -> c_int {
    // SAFETY: the interpreter makes pending calls on an attached thread.
    park_if_taken_elsewhere(unsafe { Python::assume_attached() });
    0
}

/// Parks the calling thread for good, without the interpreter: the run is
/// being ended on another thread, and the process ends there.
fn park_here(_py: Python<'_>) -> ! {
    // SAFETY: attached (`_py`); this thread never runs Python code again, so
    // its thread state is never restored.
    unsafe { pyo3::ffi::PyEval_SaveThread() };
    loop {
        // SAFETY: pause has no preconditions.
        unsafe { libc::pause() };
    }
}

/// What the collector's `_Parked` calls when it is made: see [`park_there`].
#[pyfunction]
pub(super) fn park(py: Python<'_>) {
    park_if_taken_elsewhere(py)
}

/// The explorer's signals after a takeover, set at the system level (the
/// program's handlers at the Python level may be on a parked thread, or
/// this may not be the main thread): nothing blocked on this thread, and
/// SIGTERM, SIGHUP, SIGQUIT and SIGWINCH at their default actions.
pub(super) fn reset_signals_here() {
    // SAFETY: signal-mask and disposition changes with valid arguments.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGWINCH] {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}
