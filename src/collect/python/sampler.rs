//! The sampler: which instruction the program's thread is running, about
//! every `--sample-interval` milliseconds, without changing what the
//! interpreter specializes.
//!
//! A thread of specscope's (no Python thread: `threading` never hears of
//! it) attaches to the interpreter every interval and reads the program
//! thread's innermost frame through the public C API
//! (`PyThreadState_GetFrame`, `PyFrame_GetCode`, `PyFrame_GetLasti`). No
//! trace, profile or `sys.monitoring` hook is set and no bytecode is
//! written: the program only pauses, at one of the points where the
//! interpreter lets another thread in, which it does anyway whenever a
//! thread waits for it.
//!
//! Those points are where samples land: the program's thread hands the
//! interpreter over at a loop's back edge (`JUMP_BACKWARD`), at a function's
//! `RESUME`, after a call into C, or while it waits in a system call (the
//! sample then names the call). A sample names the first such point after
//! the moment it was asked for: per code object that is where the time
//! went, except that the time of a function with neither loop nor call goes
//! to the point after it, in its caller; within a code object the samples
//! name the loop or the call that was running, not an instruction of a
//! straight line of code.
//!
//! A thread waiting for the interpreter asks its holder to hand it over
//! only after the switch interval (`sys.getswitchinterval()`, 5 ms by
//! default). The collector lowers it to half the sampling interval while
//! it samples (and puts it back afterwards), and the sampler asks for the
//! interpreter that much ahead of each sample as the gaps between the last
//! samples say it takes (see [`sample_loop`]), so that a busy program and
//! an idle one are both sampled about once an interval.
//!
//! Every code object a sample finds is held (a strong reference) in the
//! tally, so that its address names it until the tally is cleared: a
//! selected code object is recognised by address only while both are
//! alive. The tally is touched only while attached, so a program that
//! forks never leaves it locked in the child.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::ffi;
use pyo3::prelude::*;

/// Counts sampling runs: a sampler whose generation is no longer the
/// current one ends.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The current generation samples.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The collector records a step: no sample is taken meanwhile.
static PAUSED: AtomicBool = AtomicBool::new(false);
/// The process that samples: a child the program forked has no sampler.
static OWNER: AtomicI32 = AtomicI32::new(0);

/// What the samples found. Locked only while attached to the interpreter.
static TALLY: Mutex<Option<Tally>> = Mutex::new(None);
/// The sampler thread stops for a moment (the program forks, see [`halt`]).
static HALTED: AtomicBool = AtomicBool::new(false);

/// The sampler thread and its interval, to wake it when sampling stops or
/// resumes, and to stop it while the program forks. Locked only by the
/// program's thread.
static SAMPLER: Mutex<Option<(std::thread::JoinHandle<()>, Duration)>> = Mutex::new(None);

struct Tally {
    /// The thread state of the thread the program runs on (see [`start`]).
    program: usize,
    /// Code objects the samples found, by address.
    codes: HashMap<usize, Seen>,
    /// Samples taken, wherever the program was.
    total: u64,
    /// Time between consecutive samples (pauses left out), to report the
    /// interval achieved.
    gaps: Duration,
    gap_count: u64,
    previous: Option<Instant>,
    asked: Duration,
}

struct Seen {
    /// Held so that its address names it (see the module's comment).
    _code: Py<PyAny>,
    /// Samples by instruction offset, in bytes as `dis` counts.
    at: BTreeMap<u32, u64>,
}

fn tally(_py: Python<'_>) -> MutexGuard<'static, Option<Tally>> {
    TALLY.lock().unwrap_or_else(|e| e.into_inner())
}

fn sampler_thread() -> MutexGuard<'static, Option<(std::thread::JoinHandle<()>, Duration)>> {
    SAMPLER.lock().unwrap_or_else(|e| e.into_inner())
}

fn pid() -> i32 {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() }
}

/// Starts sampling the calling thread (the one the program runs on) every
/// `interval_ms` milliseconds, dropping what an earlier run found.
#[pyfunction]
pub(super) fn sample_start(py: Python<'_>, interval_ms: f64) -> PyResult<()> {
    end(py);
    if !interval_ms.is_finite() || interval_ms <= 0.0 {
        return Ok(());
    }
    let interval = Duration::from_secs_f64(interval_ms / 1000.0);
    // SAFETY: attached (`py`), so this thread has a thread state; it lives
    // as long as this thread stays attached, which it does until the run
    // ends, after `sample_stop`.
    let program = unsafe { ffi::PyThreadState_Get() } as usize;
    *tally(py) = Some(Tally {
        program,
        codes: HashMap::new(),
        total: 0,
        gaps: Duration::ZERO,
        gap_count: 0,
        previous: None,
        asked: interval,
    });
    GENERATION.fetch_add(1, SeqCst);
    PAUSED.store(false, SeqCst);
    HALTED.store(false, SeqCst);
    OWNER.store(pid(), SeqCst);
    ACTIVE.store(true, SeqCst);
    spawn(interval).inspect_err(|_| ACTIVE.store(false, SeqCst))?;
    Ok(())
}

/// Starts the sampler thread of the current generation.
fn spawn(interval: Duration) -> std::io::Result<()> {
    let generation = GENERATION.load(SeqCst);
    let handle = without_signals(|| {
        std::thread::Builder::new()
            .name("specscope-sampler".into())
            .stack_size(256 << 10)
            .spawn(move || sample_loop(generation, interval))
    })?;
    *sampler_thread() = Some((handle, interval));
    Ok(())
}

/// Stops the sampler thread before the program forks, as
/// [`crate::collect::capture::halt_reader`] stops the reader; the caller is
/// detached (the sampler attaches to end). Its interval when there was one
/// to stop.
pub(super) fn halt() -> Option<Duration> {
    if !ACTIVE.load(SeqCst) || OWNER.load(SeqCst) != pid() {
        return None;
    }
    let (handle, interval) = sampler_thread().take()?;
    HALTED.store(true, SeqCst);
    handle.thread().unpark();
    let _ = handle.join();
    Some(interval)
}

/// Starts the sampler thread [`halt`] stopped again, unless sampling has
/// stopped meanwhile.
pub(super) fn resume(interval: Duration) {
    HALTED.store(false, SeqCst);
    if ACTIVE.load(SeqCst) && OWNER.load(SeqCst) == pid() && sampler_thread().is_none() {
        // Without a sampler the run goes on unsampled from here.
        let _ = spawn(interval);
    }
}

/// Stops sampling: `(samples taken, mean milliseconds between them)`; the
/// tally stays for [`sample_counts`] until [`sample_clear`]. Never waits
/// for the sampler thread (it may be waiting for the interpreter this
/// thread holds); it ends the next time it is attached.
#[pyfunction]
pub(super) fn sample_stop(py: Python<'_>) -> (u64, f64) {
    stop_sampler();
    match &*tally(py) {
        Some(t) => {
            let mean = if t.gap_count > 0 {
                t.gaps.as_secs_f64() * 1000.0 / t.gap_count as f64
            } else {
                t.asked.as_secs_f64() * 1000.0
            };
            (t.total, mean)
        }
        None => (0, 0.0),
    }
}

fn stop_sampler() {
    ACTIVE.store(false, SeqCst);
    PAUSED.store(false, SeqCst);
    let thread = sampler_thread().take();
    // In a child the program forked, the sampler thread does not exist.
    if let Some((thread, _)) = thread
        && OWNER.load(SeqCst) == pid()
    {
        thread.thread().unpark();
    }
}

/// Holds sampling off (`true`) while the collector records a step of the
/// warm-up, or lets it go on.
#[pyfunction]
pub(super) fn sample_pause(py: Python<'_>, paused: bool) {
    PAUSED.store(paused, SeqCst);
    if let Some(t) = &mut *tally(py) {
        t.previous = None;
    }
    if !paused
        && let Some((thread, _)) = &*sampler_thread()
        && OWNER.load(SeqCst) == pid()
    {
        thread.thread().unpark();
    }
}

/// The samples found in each of `codes`: a list of `[offset, samples]`
/// pairs per code object, offsets in bytes as `dis` counts them.
#[pyfunction]
pub(super) fn sample_counts(codes: Vec<Bound<'_, PyAny>>) -> Vec<Vec<(u32, u64)>> {
    let Some(py) = codes.first().map(Bound::py) else {
        return Vec::new();
    };
    let tally = tally(py);
    codes
        .iter()
        .map(|code| {
            tally
                .as_ref()
                .and_then(|t| t.codes.get(&(code.as_ptr() as usize)))
                .map(|seen| seen.at.iter().map(|(&at, &n)| (at, n)).collect())
                .unwrap_or_default()
        })
        .collect()
}

/// Lets go of the code objects the samples found.
#[pyfunction]
pub(super) fn sample_clear(py: Python<'_>) {
    let dropped = tally(py).take();
    // Dropped here, attached, after the lock is released: releasing a
    // code object may run a weakref callback that calls back in here.
    drop(dropped);
}

/// Stops sampling and lets go of what it found, whatever the collector
/// managed to do (called when a collection returns).
pub(super) fn end(py: Python<'_>) {
    stop_sampler();
    sample_clear(py);
}

/// Runs `f` (which starts a thread) with every signal blocked, so that the
/// thread starts with them blocked: signals sent to the process go to the
/// program's thread, where Python handles them (and where they interrupt
/// a system call, as Python's handlers need).
fn without_signals<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset operations on local sets; the calling thread's mask is
    // put back before this returns.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut saved: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let blocked = libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut saved) == 0;
        let result = f();
        if blocked {
            libc::pthread_sigmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut());
        }
        result
    }
}

fn current(generation: u64) -> bool {
    ACTIVE.load(SeqCst) && !HALTED.load(SeqCst) && GENERATION.load(SeqCst) == generation
}

/// The sampler thread: attached to the interpreter only to take a sample.
///
/// Attaching takes a while when the program runs Python code (the switch
/// interval, then the time the program takes to reach a point where it
/// lets go) and almost nothing when it waits outside the interpreter; the
/// sampler asks that much before a sample is due. How much is learnt from
/// the gaps between samples: each gap longer than the interval makes it
/// ask earlier next time, each shorter one later.
fn sample_loop(generation: u64, interval: Duration) {
    Python::attach(|py| {
        let target = interval.as_secs_f64();
        // Seconds before a sample is due that the sampler asks to attach.
        let mut lead = 0.0f64;
        let mut previous: Option<Instant> = None;
        let mut due = Instant::now() + interval;
        loop {
            py.detach(|| {
                let wake = due
                    .checked_sub(Duration::from_secs_f64(lead))
                    .unwrap_or(due);
                loop {
                    if !current(generation) {
                        break;
                    }
                    let now = Instant::now();
                    if PAUSED.load(SeqCst) {
                        std::thread::park_timeout(interval);
                    } else if now < wake {
                        std::thread::park_timeout(wake - now);
                    } else {
                        break;
                    }
                }
            });
            let now = Instant::now();
            if !current(generation) {
                break;
            }
            if PAUSED.load(SeqCst) {
                previous = None;
                continue;
            }
            if let Some(previous) = previous {
                let gap = (now - previous).as_secs_f64();
                lead = (lead + (gap - target) / 4.0).clamp(0.0, target);
            }
            previous = Some(now);
            sample(py, now);
            due = now + interval;
        }
    });
}

/// One sample: the program thread's innermost frame, its code object and
/// the offset of the instruction it is at.
fn sample(py: Python<'_>, now: Instant) {
    let mut guard = tally(py);
    let Some(tally) = guard.as_mut() else {
        return;
    };
    if let Some(previous) = tally.previous {
        tally.gaps += now - previous;
        tally.gap_count += 1;
    }
    tally.previous = Some(now);
    tally.total += 1;
    // SAFETY: attached. `program` is the thread state of the thread the
    // program runs on, taken from it when sampling started; that thread
    // stays attached (its thread state alive) until after sampling stops,
    // and this runs only while sampling (checked by the caller, attached,
    // so the collector cannot stop it meanwhile). `PyThreadState_GetFrame`
    // and `PyFrame_GetCode` return new references, released or kept in the
    // tally; the frame is alive while it is that thread's current frame,
    // which it stays while this thread holds the interpreter.
    unsafe {
        // The frame object may be made here: no garbage collection may
        // start on this thread (it would run the program's finalizers and
        // gc callbacks on a thread the program does not know).
        let collecting = ffi::PyGC_Disable();
        let frame = ffi::PyThreadState_GetFrame(tally.program as *mut ffi::PyThreadState);
        if collecting != 0 {
            ffi::PyGC_Enable();
        }
        if frame.is_null() {
            return;
        }
        let code = ffi::PyFrame_GetCode(frame);
        let lasti = ffi::PyFrame_GetLasti(frame);
        ffi::Py_DECREF(frame.cast());
        if code.is_null() {
            return;
        }
        let code = Bound::from_owned_ptr(py, code.cast()).unbind();
        // -1: no instruction started yet; the sample goes to the first.
        let offset = u32::try_from(lasti).unwrap_or(0);
        let seen = tally
            .codes
            .entry(code.as_ptr() as usize)
            .or_insert_with(|| Seen {
                _code: code,
                at: BTreeMap::new(),
            });
        *seen.at.entry(offset).or_insert(0) += 1;
    }
}
