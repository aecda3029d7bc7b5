//! A progress line while `--why` observes the warm-up a second time: after
//! a second, specscope's own stderr (not the program's, which the
//! collection captures) says what is running and for how long, when that
//! stderr is a terminal. The line is cleared when observing ends.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// The progress thread of the observation under way.
static PROGRESS: Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>> = Mutex::new(None);

/// How long observing may run before the line appears.
const QUIET: Duration = Duration::from_secs(1);

fn write_all(fd: i32, text: &str) {
    // SAFETY: write from a valid buffer to a descriptor specscope owns; a
    // failure (a closed terminal) only loses the line.
    unsafe {
        libc::write(fd, text.as_ptr().cast(), text.len());
    }
}

/// Starts the line's thread for an observation of `sites` sites, when
/// specscope's stderr is a terminal.
#[pyfunction]
pub fn why_progress_start(sites: usize) {
    let fd = super::watchdog::real_stderr();
    // SAFETY: isatty on any descriptor number is safe.
    if fd < 0 || unsafe { libc::isatty(fd) } != 1 {
        return;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let started = Instant::now();
        let mut shown = false;
        while !done.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            let elapsed = started.elapsed();
            if elapsed >= QUIET && !done.load(SeqCst) {
                let s = if sites == 1 { "" } else { "s" };
                write_all(
                    fd,
                    &format!(
                        "\r\x1b[Kspecscope --why: running the warm-up again, watching {sites} site{s} · {:.1} s",
                        elapsed.as_secs_f64()
                    ),
                );
                shown = true;
            }
        }
        if shown {
            write_all(fd, "\r\x1b[K");
        }
    });
    *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) = Some((stop, thread));
}

/// Ends the line (and clears it).
#[pyfunction]
pub fn why_progress_stop() {
    let running = PROGRESS.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some((stop, thread)) = running {
        stop.store(true, SeqCst);
        let _ = thread.join();
    }
}
