//! A progress line while a run goes on longer than the program itself may
//! have led one to expect (`--why` observing the warm-up a second time;
//! waiting for the program's threads at its end, as python does): after a
//! second, specscope's own stderr (not the program's, which the collection
//! captures) says what is running and for how long, when that stderr is a
//! terminal. The line is cleared when it ends.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// The progress line under way: what it shows, and its thread with the
/// flag that ends it.
struct Progress {
    fd: i32,
    what: String,
    started: Instant,
    thread: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

static PROGRESS: Mutex<Option<Progress>> = Mutex::new(None);

/// How long observing may run before the line appears.
const QUIET: Duration = Duration::from_secs(1);

fn write_all(fd: i32, text: &str) {
    // SAFETY: write from a valid buffer to a descriptor specscope owns; a
    // failure (a closed terminal) only loses the line.
    unsafe {
        libc::write(fd, text.as_ptr().cast(), text.len());
    }
}

fn progress() -> std::sync::MutexGuard<'static, Option<Progress>> {
    PROGRESS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the line's thread, saying `what` is going on, when specscope's
/// stderr is a terminal.
#[pyfunction]
pub fn progress_start(what: String) {
    let fd = super::watchdog::real_stderr();
    // SAFETY: isatty on any descriptor number is safe.
    if fd < 0 || unsafe { libc::isatty(fd) } != 1 {
        return;
    }
    let mut line = Progress {
        fd,
        what,
        started: Instant::now(),
        thread: None,
    };
    line.thread = Some(spawn(&line));
    *progress() = Some(line);
}

/// The thread that shows the line from a second after `line` started, and
/// clears it when told to end (and when it was shown).
fn spawn(line: &Progress) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let (fd, what, started) = (line.fd, line.what.clone(), line.started);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let mut shown = false;
        while !done.load(SeqCst) {
            std::thread::park_timeout(Duration::from_millis(100));
            let elapsed = started.elapsed();
            if elapsed >= QUIET && !done.load(SeqCst) {
                write_all(
                    fd,
                    &format!("\r\x1b[K{what} · {:.1} s", elapsed.as_secs_f64()),
                );
                shown = true;
            }
        }
        if shown {
            write_all(fd, "\r\x1b[K");
        }
    });
    (stop, thread)
}

fn end(thread: Option<(Arc<AtomicBool>, JoinHandle<()>)>) -> bool {
    let Some((stop, thread)) = thread else {
        return false;
    };
    stop.store(true, SeqCst);
    thread.thread().unpark();
    let _ = thread.join();
    true
}

/// Ends the line (and clears it).
#[pyfunction]
pub fn progress_stop() {
    if let Some(mut line) = progress().take() {
        end(line.thread.take());
    }
}

/// Stops the line's thread before the program forks, as
/// [`crate::collect::capture::halt_reader`] stops the reader (the line is
/// cleared meanwhile). True when there was one to stop.
pub(super) fn halt() -> bool {
    let thread = progress().as_mut().and_then(|line| line.thread.take());
    end(thread)
}

/// Starts the line's thread [`halt`] stopped again, unless observing ended.
pub(super) fn resume() {
    if let Some(line) = progress().as_mut()
        && line.thread.is_none()
    {
        line.thread = Some(spawn(line));
    }
}
