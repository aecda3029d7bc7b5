//! What the program writes while it runs, held outside the interpreter, and
//! what reaches the terminal when the program crashes it.
//!
//! While the program runs, its file descriptors 1 and 2 are the write end of
//! a pipe that the collector (`_Captured` in `assets/collector.py`) sets up
//! and hands over with [`start`]. A reader thread drains the pipe into a
//! buffer of fixed size: the first `limit` bytes are kept and the rest only
//! counted, so output written at the file-descriptor level (by the program,
//! a C library or a child process) costs no more memory than the limit,
//! however much of it there is, while it is written. What the program writes
//! through `sys.stdout` and `sys.stderr` joins the same buffer ([`write`])
//! after whatever the pipe held, so that the two stay in the order written.
//!
//! If the program crashes the interpreter (a segmentation fault, `abort()`,
//! a C stack overflow) or is ended by a signal it set off without a handler
//! (`signal.alarm`), a signal handler installed for the run writes what was
//! kept, and what is still in the pipe, to specscope's own stderr, with a
//! paragraph naming the signal, and ends the process with
//! [`crate::exit::CRASHED`]. The handler runs on an alternate signal stack
//! (a C stack overflow leaves no room on the thread's own) and uses only
//! async-signal-safe calls: `read`, `write`, `nanosleep`, `getpid`,
//! `sigaction`, `raise` and `_exit`; it takes no lock and allocates nothing.
//! Python's `faulthandler`, when enabled, is installed over it and hands
//! the signal on to it after writing its traceback (into the pipe). Outside
//! a run (where it may still sit under `faulthandler`), and in a process the
//! program forked, it hands the signal on to the disposition it replaced.

use std::cell::{Cell, UnsafeCell};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};

use libc::c_int;

/// Where a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// `sys.stdout`, at the Python level.
    Stdout,
    /// `sys.stderr`, at the Python level.
    Stderr,
    /// File descriptor 1 or 2, written to directly (`os.write`, C code,
    /// child processes).
    Fd,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Fd => "fd",
        }
    }

    pub fn from_name(name: &str) -> Stream {
        match name {
            "stdout" => Stream::Stdout,
            "stderr" => Stream::Stderr,
            _ => Stream::Fd,
        }
    }
}

/// What one run wrote, when the capture ends.
#[derive(Debug, Default)]
pub struct Captured {
    /// `(stream, text)` in the order written, a stream's consecutive pieces
    /// joined; bytes that are not UTF-8 are replaced with U+FFFD.
    pub chunks: Vec<(&'static str, String)>,
    /// Bytes kept.
    pub kept: usize,
    /// Bytes written past the limit: counted, not kept.
    pub dropped: u64,
    /// Something the program did that broke the capture (it closed the
    /// pipe), in a few words.
    pub problem: Option<String>,
}

/// The output of the current run. Changed under its lock; the few things a
/// signal handler needs are mirrored in the atomics below.
struct Store {
    generation: u64,
    open: bool,
    limit: usize,
    /// Never grows past the capacity reserved at [`start`]: the signal
    /// handler reads it through a raw pointer.
    kept: Vec<u8>,
    /// Each piece's stream and end offset in `kept`.
    chunks: Vec<(Stream, usize)>,
    dropped: u64,
    problem: Option<String>,
    pipe: Option<Arc<OwnedFd>>,
    scratch: Vec<u8>,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    generation: 0,
    open: false,
    limit: 0,
    kept: Vec::new(),
    chunks: Vec::new(),
    dropped: 0,
    problem: None,
    pipe: None,
    scratch: Vec::new(),
});

/// A run is being captured (and the crash handler reports).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The process that captures: a forked child of the program is not it.
static OWNER: AtomicI32 = AtomicI32::new(0);
static KEPT_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static KEPT_LEN: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(0);
static PIPE_FD: AtomicI32 = AtomicI32::new(-1);
/// specscope's own stderr, saved before the program's was redirected.
static STDERR_FD: AtomicI32 = AtomicI32::new(-1);
/// Bytes were taken from the pipe and are not in `kept` yet.
static BUSY: AtomicBool = AtomicBool::new(false);
/// What a crash still shows when a snapshot was taken before the run that
/// crashed (`--why`'s second run; see [`set_salvage`]).
static SALVAGE: AtomicPtr<Kept> = AtomicPtr::new(std::ptr::null_mut());
/// The crash handler has started: the store must not change any more.
static CRASHED: AtomicBool = AtomicBool::new(false);
/// A thread is reporting a crash; another that crashes meanwhile waits.
static REPORTING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread set [`BUSY`] (a crash on it must not wait for itself).
    static BUSY_HERE: Cell<bool> = const { Cell::new(false) };
}

/// The reader thread, for [`halt_reader`] to stop it while the program
/// forks: its handle, the pipe it reads, its capture's generation, and the
/// write end of the pipe that wakes it.
struct Reader {
    thread: std::thread::JoinHandle<()>,
    pipe: Arc<OwnedFd>,
    generation: u64,
    wake: OwnedFd,
}

static READER: Mutex<Option<Reader>> = Mutex::new(None);
/// What [`halt_reader`] stopped, for [`resume_reader`] to start again.
static HALTED_READER: Mutex<Option<(Arc<OwnedFd>, u64)>> = Mutex::new(None);

fn reader() -> MutexGuard<'static, Option<Reader>> {
    READER.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock() -> MutexGuard<'static, Store> {
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_owner() -> bool {
    // SAFETY: getpid has no preconditions.
    OWNER.load(SeqCst) == unsafe { libc::getpid() }
}

/// Marks the store as changing; false when a crash is being reported (the
/// change must not happen).
fn begin_change() -> bool {
    BUSY.store(true, SeqCst);
    BUSY_HERE.with(|b| b.set(true));
    if CRASHED.load(SeqCst) {
        end_change();
        return false;
    }
    true
}

fn end_change() {
    BUSY_HERE.with(|b| b.set(false));
    BUSY.store(false, SeqCst);
}

enum Read {
    Data(usize),
    Empty,
    End,
    Failed(io::Error),
}

/// One `read` that does not wait (the pipe is non-blocking).
fn read_some(fd: RawFd, buf: &mut [u8]) -> Read {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            return Read::Data(n as usize);
        }
        if n == 0 {
            return Read::End;
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Read::Empty,
            _ => return Read::Failed(error),
        }
    }
}

impl Store {
    /// Keeps what fits under the limit and counts the rest. Text from the
    /// Python level is cut at a character boundary.
    fn append(&mut self, stream: Stream, data: &[u8]) {
        let room = self.limit.saturating_sub(self.kept.len());
        let mut take = data.len().min(room);
        if take < data.len() && stream != Stream::Fd {
            while take > 0 && data[take] & 0xC0 == 0x80 {
                take -= 1;
            }
        }
        self.dropped += (data.len() - take) as u64;
        DROPPED.store(self.dropped, SeqCst);
        if take == 0 {
            return;
        }
        // Within the reserved capacity: no reallocation moves the buffer
        // the crash handler reads.
        self.kept.extend_from_slice(&data[..take]);
        let end = self.kept.len();
        match self.chunks.last_mut() {
            Some((last, last_end)) if *last == stream => *last_end = end,
            _ => self.chunks.push((stream, end)),
        }
        KEPT_LEN.store(end, SeqCst);
    }

    /// Moves what the pipe holds now into the store, without waiting (at
    /// most `rounds` reads: children may keep writing).
    fn drain(&mut self, rounds: usize) {
        let Some(fd) = self.pipe.as_ref().map(|p| p.as_raw_fd()) else {
            return;
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        for _ in 0..rounds {
            match read_some(fd, &mut scratch) {
                Read::Data(n) => self.append(Stream::Fd, &scratch[..n]),
                Read::Empty | Read::End => break,
                Read::Failed(e) => {
                    self.broken(&e);
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    fn broken(&mut self, error: &io::Error) {
        self.problem.get_or_insert_with(|| {
            format!("the program closed the pipe its output went to ({error})")
        });
    }

    fn captured(&mut self) -> Captured {
        let mut start = 0;
        let chunks = self
            .chunks
            .iter()
            .map(|&(stream, end)| {
                let text = String::from_utf8_lossy(&self.kept[start..end]).into_owned();
                start = end;
                (stream.name(), text)
            })
            .collect();
        Captured {
            chunks,
            kept: self.kept.len(),
            dropped: self.dropped,
            problem: self.problem.take(),
        }
    }
}

/// A copy of `fd` (close-on-exec) numbered above what a program closes when
/// it closes the descriptors it did not open: `_high_dup` of the collector,
/// which calls this rather than import fcntl and resource at every run.
/// Above the soft limit on open files, raised for a moment to make it (by
/// 64, up to the hard limit), or else just under it; at most around 65,536
/// (a bigger descriptor table costs memory).
pub fn high_dup(fd: RawFd) -> io::Result<RawFd> {
    const CEILING: libc::rlim_t = 1 << 16;
    let infinity = libc::RLIM_INFINITY;
    let check = |result: c_int| {
        if result < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(result)
        }
    };
    // SAFETY: getrlimit and setrlimit on valid structs; fcntl on a
    // descriptor number, failing harmlessly when it is not open.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        check(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit))?;
        let (soft, hard) = (limit.rlim_cur, limit.rlim_max);
        if soft != infinity && soft < CEILING && (hard == infinity || hard > soft) {
            let raised = libc::rlimit {
                rlim_cur: if hard == infinity {
                    soft + 64
                } else {
                    hard.min(soft + 64)
                },
                rlim_max: hard,
            };
            check(libc::setrlimit(libc::RLIMIT_NOFILE, &raised))?;
            let copy = check(libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, soft as c_int));
            check(libc::setrlimit(libc::RLIMIT_NOFILE, &limit))?;
            return copy;
        }
        let top = if soft == infinity {
            CEILING
        } else {
            soft.min(CEILING)
        };
        check(libc::fcntl(
            fd,
            libc::F_DUPFD_CLOEXEC,
            top.saturating_sub(64).max(3) as c_int,
        ))
    }
}

/// Starts capturing a run: `pipe` is the read end of the pipe the
/// program's file descriptors 1 and 2 will write to (owned from now on),
/// `stderr` specscope's own stderr (a crash report goes there), `limit` how
/// many bytes to keep.
pub fn start(pipe: RawFd, stderr: RawFd, limit: usize) -> io::Result<()> {
    // SAFETY: the collector opened this descriptor for the capture and
    // hands it over; nothing else closes it.
    let pipe = Arc::new(unsafe { OwnedFd::from_raw_fd(pipe) });
    // SAFETY: fcntl on a descriptor this function owns.
    unsafe {
        let flags = libc::fcntl(pipe.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(pipe.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let mut store = lock();
    // A capture that was never finished (its collection failed) ends here.
    stop_reporting();
    store.generation += 1;
    store.open = true;
    store.limit = limit;
    store.kept.clear();
    store.kept.reserve_exact(limit);
    store.chunks.clear();
    store.dropped = 0;
    store.problem = None;
    store.pipe = Some(pipe.clone());
    store.scratch.resize(1 << 16, 0);
    let generation = store.generation;
    KEPT_PTR.store(store.kept.as_mut_ptr(), SeqCst);
    KEPT_LEN.store(0, SeqCst);
    DROPPED.store(0, SeqCst);
    LIMIT.store(limit, SeqCst);
    PIPE_FD.store(pipe.as_raw_fd(), SeqCst);
    STDERR_FD.store(stderr, SeqCst);
    // SAFETY: getpid has no preconditions.
    OWNER.store(unsafe { libc::getpid() }, SeqCst);
    CRASHED.store(false, SeqCst);
    if let Err(e) = spawn_reader(generation, pipe) {
        store.open = false;
        store.pipe = None;
        return Err(e);
    }
    drop(store);
    static AT_FORK: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a function that only closes a descriptor.
    AT_FORK.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(in_forked_child));
    });
    install_handlers();
    ACTIVE.store(true, SeqCst);
    Ok(())
}

/// In a process the program forked (without exec: the pipe's read end is
/// closed on exec): no copy of the read end is left there, so that a child
/// that outlives specscope and writes on gets the broken pipe a reader's
/// end brings, rather than waiting for ever on a pipe nobody drains.
extern "C" fn in_forked_child() {
    let fd = PIPE_FD.swap(-1, SeqCst);
    if fd >= 0 {
        // SAFETY: close is async-signal-safe, as code run after fork must be.
        unsafe { libc::close(fd) };
    }
}

/// Starts the reader thread of capture `generation` on `pipe`; an earlier
/// capture's reader, still draining what the program's children write, is
/// left to end when they are done.
fn spawn_reader(generation: u64, pipe: Arc<OwnedFd>) -> io::Result<()> {
    let mut ends = [0 as c_int; 2];
    // SAFETY: pipe2 fills two descriptors, closed below once copied.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // Numbered high, as the capture's pipe, out of reach of a program that
    // closes the descriptors it did not open.
    let copies = (high_dup(ends[0]), high_dup(ends[1]));
    // SAFETY: the two descriptors pipe2 made, closed once each.
    unsafe {
        libc::close(ends[0]);
        libc::close(ends[1]);
    }
    // SAFETY: each copy, when made, is a new descriptor owned from here on.
    let (wake_read, wake) = match copies {
        (Ok(read), Ok(write)) => unsafe {
            (OwnedFd::from_raw_fd(read), OwnedFd::from_raw_fd(write))
        },
        (read, write) => {
            for fd in [read, write].into_iter().flatten() {
                // SAFETY: a copy made above and owned by nothing else.
                unsafe { libc::close(fd) };
            }
            return Err(io::Error::other("no descriptor for the output reader"));
        }
    };
    let reading = Arc::clone(&pipe);
    let thread = std::thread::Builder::new()
        .name("specscope-output".into())
        .spawn(move || read_until_closed(generation, reading, wake_read))?;
    *reader() = Some(Reader {
        thread,
        pipe,
        generation,
        wake,
    });
    Ok(())
}

/// Stops the reader thread before the program forks (`os.fork`), so that
/// the program forks from a process with no thread but its own, as under
/// python (CPython 3.12 and later warn a program that forks with other
/// threads running): whatever the pipe holds meanwhile stays in it. True
/// when there was one to stop; [`resume_reader`] starts it again.
pub fn halt_reader() -> bool {
    let Some(running) = reader().take() else {
        return false;
    };
    if running.thread.is_finished() {
        return false;
    }
    let byte = 1u8;
    // SAFETY: a one-byte write from a valid buffer to a descriptor owned
    // by `running`.
    unsafe { libc::write(running.wake.as_raw_fd(), (&raw const byte).cast(), 1) };
    let _ = running.thread.join();
    *HALTED_READER.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((running.pipe, running.generation));
    true
}

/// Starts the reader [`halt_reader`] stopped again, in the process that
/// forked.
pub fn resume_reader() {
    let halted = HALTED_READER
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some((pipe, generation)) = halted
        && let Err(e) = spawn_reader(generation, pipe)
    {
        let mut store = lock();
        if store.generation == generation && store.open {
            store.problem.get_or_insert_with(|| {
                format!("the output could not be read on after the program forked ({e})")
            });
        }
    }
}

/// The reader thread: moves what the pipe receives into the store as it
/// arrives, so that a writer never waits long and nothing past the limit is
/// held. After the capture ends it reads on and drops what children of the
/// program still write, until the last of them closes the pipe. A byte on
/// `wake` ends it at once (see [`halt_reader`]).
fn read_until_closed(generation: u64, pipe: Arc<OwnedFd>, wake: OwnedFd) {
    let fd = pipe.as_raw_fd();
    let mut buf = vec![0u8; 1 << 16];
    // -1 once the waking end is closed (a later capture took the reader's
    // place): poll leaves it out.
    let mut waker = wake.as_raw_fd();
    loop {
        let mut wanted = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: waker,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds (poll skips a negative descriptor).
        if unsafe { libc::poll(wanted.as_mut_ptr(), 2, -1) } < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if wanted[1].revents & libc::POLLIN != 0 {
            return;
        }
        if wanted[1].revents != 0 {
            waker = -1;
        }
        if wanted[0].revents == 0 {
            continue;
        }
        let mut store = lock();
        if store.generation != generation || !store.open {
            drop(store);
            match read_some(fd, &mut buf) {
                Read::Data(_) | Read::Empty => continue,
                Read::End | Read::Failed(_) => return,
            }
        }
        if !begin_change() {
            return;
        }
        let read = read_some(fd, &mut buf);
        match &read {
            Read::Data(n) => store.append(Stream::Fd, &buf[..*n]),
            Read::Empty | Read::End => {}
            Read::Failed(e) => store.broken(e),
        }
        end_change();
        if matches!(read, Read::End | Read::Failed(_)) {
            return;
        }
    }
}

/// What the program wrote through `sys.stdout` or `sys.stderr`: kept after
/// what the pipe holds. In a process the program forked, the bytes go to
/// the file descriptor instead, that is, into the pipe of the process that
/// captures.
pub fn write(stream: Stream, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    if ACTIVE.load(SeqCst) && !is_owner() {
        let fd = if stream == Stream::Stdout { 1 } else { 2 };
        write_all(fd, data);
        return;
    }
    let mut store = lock();
    if !store.open {
        return;
    }
    if store.kept.len() >= store.limit {
        // Past the limit the order no longer matters: only count.
        store.dropped += data.len() as u64;
        DROPPED.store(store.dropped, SeqCst);
        return;
    }
    if !begin_change() {
        return;
    }
    store.drain(64);
    store.append(stream, data);
    end_change();
}

/// Ends the capture: reads what is left in the pipe, puts back the signal
/// dispositions the crash handler replaced, and returns what was written.
/// In a process the program forked, nothing (the original process has it).
pub fn finish() -> Captured {
    if !is_owner() {
        return Captured::default();
    }
    let mut store = lock();
    if !store.open {
        return Captured::default();
    }
    if begin_change() {
        store.drain(1024);
        end_change();
    }
    stop_reporting();
    store.open = false;
    store.pipe = None;
    store.captured()
}

/// The crash handler stops reporting and the dispositions it replaced are
/// put back.
fn stop_reporting() {
    ACTIVE.store(false, SeqCst);
    restore_handlers();
    PIPE_FD.store(-1, SeqCst);
    STDERR_FD.store(-1, SeqCst);
    KEPT_PTR.store(std::ptr::null_mut(), SeqCst);
    KEPT_LEN.store(0, SeqCst);
}

fn write_all(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: `data` is valid for its length; write is async-signal-safe.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n > 0 {
            data = &data[n as usize..];
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            return;
        }
    }
}

/// What a crash report ends with when something was collected before the
/// run that crashed: `note` for specscope's stderr, after the report, and
/// `output`, the view of what was collected.
pub struct Salvage {
    pub note: Vec<u8>,
    pub output: Vec<u8>,
}

/// A [`Salvage`] and where its output goes.
struct Kept {
    salvage: Salvage,
    output_fd: RawFd,
}

/// From now on a crash report ends with `salvage`, its output written to
/// `output_fd` (until [`clear_salvage`]).
pub fn set_salvage(salvage: Salvage, output_fd: RawFd) {
    let kept = Box::new(Kept { salvage, output_fd });
    let old = SALVAGE.swap(Box::into_raw(kept), SeqCst);
    if !old.is_null() {
        // SAFETY: made by Box::into_raw here and no longer published.
        drop(unsafe { Box::from_raw(old) });
    }
}

/// A crash report ends as it did before [`set_salvage`].
pub fn clear_salvage() {
    let old = SALVAGE.swap(std::ptr::null_mut(), SeqCst);
    if !old.is_null() {
        // SAFETY: made by Box::into_raw in `set_salvage`; no longer published.
        drop(unsafe { Box::from_raw(old) });
    }
}

// ---------------------------------------------------------------- crashes

/// A signal that ends the process by default and that a program can bring
/// on itself.
struct Fatal {
    number: c_int,
    name: &'static str,
    /// A fault of the interpreter's own code (or C code it called), as
    /// opposed to a signal the program set off and left unhandled.
    crash: bool,
    what: &'static str,
    /// Sent by another process (a `kill`, the service manager), the signal
    /// ends specscope as it would end python, without a report: only one
    /// the program sent itself, or the kernel sent, is the program's doing.
    others_end_it: bool,
}

const FATAL: [Fatal; 19] = [
    Fatal {
        number: libc::SIGSEGV,
        name: "SIGSEGV",
        crash: true,
        what: "a segmentation fault: an invalid memory access, or the C stack overflowed",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGBUS,
        name: "SIGBUS",
        crash: true,
        what: "a bus error: an invalid memory access",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGILL,
        name: "SIGILL",
        crash: true,
        what: "an illegal instruction",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGFPE,
        name: "SIGFPE",
        crash: true,
        what: "an arithmetic fault",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGABRT,
        name: "SIGABRT",
        crash: true,
        what: "abort() was called: os.abort(), a fatal error of the interpreter, or a failed check in C code",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGSYS,
        name: "SIGSYS",
        crash: true,
        what: "a bad system call",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGTRAP,
        name: "SIGTRAP",
        crash: true,
        what: "a trace or breakpoint trap",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGXCPU,
        name: "SIGXCPU",
        crash: false,
        what: "its CPU time limit (RLIMIT_CPU) ran out",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGALRM,
        name: "SIGALRM",
        crash: false,
        what: "an alarm (signal.alarm, setitimer) went off and the program set no handler for it",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGVTALRM,
        name: "SIGVTALRM",
        crash: false,
        what: "a virtual-time timer (setitimer) went off and the program set no handler for it",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGPROF,
        name: "SIGPROF",
        crash: false,
        what: "a profiling timer (setitimer) went off and the program set no handler for it",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGUSR1,
        name: "SIGUSR1",
        crash: false,
        what: "it arrived and the program set no handler for it",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGUSR2,
        name: "SIGUSR2",
        crash: false,
        what: "it arrived and the program set no handler for it",
        others_end_it: false,
    },
    Fatal {
        number: libc::SIGTERM,
        name: "SIGTERM",
        crash: false,
        what: "it sent itself a termination request and set no handler for it",
        others_end_it: true,
    },
    Fatal {
        number: libc::SIGHUP,
        name: "SIGHUP",
        crash: false,
        what: "a hang-up arrived and the program set no handler for it",
        others_end_it: true,
    },
    Fatal {
        number: libc::SIGQUIT,
        name: "SIGQUIT",
        crash: false,
        what: "it sent itself a quit request and set no handler for it",
        others_end_it: true,
    },
    Fatal {
        number: libc::SIGIO,
        name: "SIGIO",
        crash: false,
        what: "an I/O readiness signal arrived and the program set no handler for it",
        others_end_it: true,
    },
    Fatal {
        number: libc::SIGPWR,
        name: "SIGPWR",
        crash: false,
        what: "it arrived and the program set no handler for it",
        others_end_it: true,
    },
    Fatal {
        number: libc::SIGSTKFLT,
        name: "SIGSTKFLT",
        crash: false,
        what: "it arrived and the program set no handler for it",
        others_end_it: true,
    },
];

/// The dispositions the handler replaced, one per entry of [`FATAL`].
/// Written before the handler is installed for a signal, read by it.
struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; FATAL.len()]>);

// SAFETY: an entry is written only while the handler is not installed for
// its signal (under the store's lock), and read only by the handler.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(UnsafeCell::new(
    [const { MaybeUninit::uninit() }; FATAL.len()],
));
/// The handler is installed for `FATAL[i]`, or under a handler installed
/// over it that hands the signal on to it; `PREVIOUS[i]` is what it replaced.
static INSTALLED: [AtomicBool; FATAL.len()] = [const { AtomicBool::new(false) }; FATAL.len()];

fn previous(i: usize) -> *mut libc::sigaction {
    // SAFETY: `i` indexes the array; only a pointer is made here.
    unsafe { (*PREVIOUS.0.get())[i].as_mut_ptr() }
}

fn handler_address() -> libc::sighandler_t {
    on_signal as extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) as libc::sighandler_t
}

fn install_handlers() {
    ensure_alternate_stack();
    // SAFETY: sigaction with valid pointers to zeroed, then filled, structs.
    unsafe {
        let mut mask = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(mask.as_mut_ptr());
        for fatal in &FATAL {
            libc::sigaddset(mask.as_mut_ptr(), fatal.number);
        }
        let mask = mask.assume_init();
        for (i, fatal) in FATAL.iter().enumerate() {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(fatal.number, std::ptr::null(), &mut current) != 0 {
                continue;
            }
            if current.sa_sigaction == handler_address() {
                continue;
            }
            // Ours may still sit under a handler installed over it in an
            // earlier run (faulthandler): what it replaced then stays.
            if !INSTALLED[i].load(SeqCst) {
                previous(i).write(current);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler_address();
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
            action.sa_mask = mask;
            if libc::sigaction(fatal.number, &action, std::ptr::null_mut()) == 0 {
                INSTALLED[i].store(true, SeqCst);
            }
        }
    }
}

/// Puts back what the handler replaced, where the handler is still the
/// installed one. Where the program installed another over it (Python's
/// `faulthandler.enable()` does, and hands the signal on when done), ours
/// stays under it and hands the signal on in turn.
fn restore_handlers() {
    for (i, fatal) in FATAL.iter().enumerate() {
        if !INSTALLED[i].load(SeqCst) {
            continue;
        }
        // SAFETY: sigaction with valid pointers; `previous(i)` was written
        // when the handler was installed.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(fatal.number, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction == handler_address()
                && libc::sigaction(fatal.number, previous(i), std::ptr::null_mut()) == 0
            {
                INSTALLED[i].store(false, SeqCst);
            }
        }
    }
}

/// A C stack overflow leaves the thread no stack to run a handler on: give
/// this thread an alternate signal stack when it has none (Rust gives the
/// main thread one; Python's faulthandler gives one to the thread that
/// enables it).
fn ensure_alternate_stack() {
    // SAFETY: sigaltstack with valid pointers; the stack given is leaked,
    // so it outlives the thread.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut current) != 0
            || current.ss_flags & libc::SS_DISABLE == 0
        {
            return;
        }
        let size = (64 << 10).max(libc::SIGSTKSZ);
        let stack: &'static mut [u8] = Box::leak(vec![0u8; size].into_boxed_slice());
        let new = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: size,
        };
        libc::sigaltstack(&new, std::ptr::null_mut());
    }
}

extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    let Some(i) = FATAL.iter().position(|f| f.number == signal) else {
        return;
    };
    // SAFETY: the kernel's siginfo for this signal (or null); getpid is
    // async-signal-safe.
    let from_another_process =
        !info.is_null() && unsafe { (*info).si_code <= 0 && (*info).si_pid() != libc::getpid() };
    if !ACTIVE.load(SeqCst) || !is_owner() || (FATAL[i].others_end_it && from_another_process) {
        // SAFETY: in a signal handler for `signal`, with the pointer the
        // kernel passed.
        unsafe { hand_on(i, signal, info) };
        return;
    }
    if REPORTING.swap(true, SeqCst) {
        // Another thread is reporting a crash and will end the process.
        loop {
            sleep_ms(1000);
        }
    }
    report(&FATAL[i]);
}

/// Gives the signal to the disposition the handler replaced: a fault is met
/// again when the instruction runs again; any other signal is raised again,
/// and arrives once this handler returns (it is blocked meanwhile).
///
/// # Safety
/// Only from the handler, for `FATAL[i]`.
unsafe fn hand_on(i: usize, signal: c_int, info: *mut libc::siginfo_t) {
    // SAFETY: `previous(i)` was written before the handler was installed.
    unsafe {
        if libc::sigaction(signal, previous(i), std::ptr::null_mut()) != 0 {
            return;
        }
        INSTALLED[i].store(false, SeqCst);
        let fault = matches!(
            signal,
            libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE
        ) && !info.is_null()
            && (*info).si_code > 0;
        if !fault {
            libc::raise(signal);
        }
    }
}

fn sleep_ms(ms: i64) {
    let time = libc::timespec {
        tv_sec: (ms / 1000) as libc::time_t,
        tv_nsec: ((ms % 1000) * 1_000_000) as _,
    };
    // SAFETY: a valid timespec; nanosleep is async-signal-safe.
    unsafe { libc::nanosleep(&time, std::ptr::null_mut()) };
}

const START_MARK: &[u8] = "── output of the program ──\n".as_bytes();
const END_MARK: &[u8] = "── end of program output ──\n".as_bytes();

/// Writes what the program wrote so far and a paragraph naming the signal
/// to specscope's stderr, and ends the process. Async-signal-safe.
fn report(fatal: &Fatal) -> ! {
    CRASHED.store(true, SeqCst);
    // A reader holding bytes it took from the pipe finishes with them
    // first (unless it is this thread, stopped by the signal).
    if !BUSY_HERE.with(|b| b.get()) {
        for _ in 0..500 {
            if !BUSY.load(SeqCst) {
                break;
            }
            sleep_ms(1);
        }
    }
    let mut out = Out::new(STDERR_FD.load(SeqCst));
    let mut escaper = Escaper::default();
    let kept = KEPT_PTR.load(SeqCst);
    let len = KEPT_LEN.load(SeqCst);
    if !kept.is_null() && len > 0 {
        // SAFETY: the first `len` bytes of the buffer were written before
        // `len` was published, and the buffer is not freed while active.
        escaper.feed(unsafe { std::slice::from_raw_parts(kept, len) }, &mut out);
    }
    // What the pipe still holds, up to the limit; the rest is counted
    // (children may write on: a bounded number of reads).
    let pipe = PIPE_FD.load(SeqCst);
    let mut room = LIMIT.load(SeqCst).saturating_sub(len);
    let mut dropped = DROPPED.load(SeqCst);
    let mut buf = [0u8; 512];
    for _ in 0..4096 {
        if pipe < 0 {
            break;
        }
        let Read::Data(n) = read_some(pipe, &mut buf) else {
            break;
        };
        let shown = n.min(room);
        escaper.feed(&buf[..shown], &mut out);
        room -= shown;
        dropped += (n - shown) as u64;
    }
    escaper.finish(&mut out);
    if out.shown || dropped > 0 {
        if !out.at_line_start {
            out.text(b"\n");
        }
        if dropped > 0 {
            let mut text = [0u8; 64];
            out.text(not_kept(dropped, &mut text));
        }
        out.raw(END_MARK);
    }
    out.raw(if fatal.crash {
        b"specscope: the program crashed the interpreter with "
    } else {
        b"specscope: the program was ended by "
    });
    out.raw(fatal.name.as_bytes());
    out.raw(b" (");
    out.raw(fatal.what.as_bytes());
    let salvage = SALVAGE.load(SeqCst);
    out.raw(match (out.shown, salvage.is_null()) {
        (true, true) => b"). Its output up to then is shown above; nothing could be collected.\n",
        (false, true) => b"). It printed nothing; nothing could be collected.\n",
        (true, false) => b"). Its output up to then is shown above.\n",
        (false, false) => b"). It printed nothing.\n",
    });
    out.flush();
    if !salvage.is_null() {
        // SAFETY: published by `set_salvage` and never freed while set; only
        // read here, with write, which is async-signal-safe.
        let kept = unsafe { &*salvage };
        write_all(STDERR_FD.load(SeqCst), &kept.salvage.note);
        write_all(kept.output_fd, &kept.salvage.output);
    }
    // SAFETY: _exit is async-signal-safe and ends the process.
    unsafe { libc::_exit(crate::exit::CRASHED as c_int) }
}

/// `… 5 MiB more not kept`, as the dump says it ([`crate::present::words::human_bytes`]),
/// written into `text` without allocating.
fn not_kept(n: u64, text: &mut [u8; 64]) -> &[u8] {
    let (value, unit): (u64, &[u8]) = if n >= 1 << 20 {
        (n >> 20, b" MiB")
    } else if n >= 1 << 10 {
        (n >> 10, b" KiB")
    } else {
        (n, b" bytes")
    };
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        text[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    put("… ".as_bytes());
    let mut digits = [0u8; 20];
    let mut count = 0;
    let mut rest = value;
    loop {
        digits[19 - count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    put(&digits[20 - count..]);
    put(unit);
    put(b" more not kept\n");
    &text[..len]
}

/// A small buffer in front of `write`, for the crash report: it opens the
/// output marks before the first byte of the program's output.
struct Out {
    fd: RawFd,
    buf: [u8; 1024],
    len: usize,
    shown: bool,
    at_line_start: bool,
}

impl Out {
    fn new(fd: RawFd) -> Out {
        Out {
            fd,
            buf: [0; 1024],
            len: 0,
            shown: false,
            at_line_start: true,
        }
    }

    /// The program's (escaped) output.
    fn text(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if !self.shown {
            self.shown = true;
            self.raw(START_MARK);
        }
        self.raw(bytes);
        self.at_line_start = bytes.ends_with(b"\n");
    }

    fn raw(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len == self.buf.len() {
                self.flush();
            }
            let n = bytes.len().min(self.buf.len() - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
    }

    fn flush(&mut self) {
        if self.fd >= 0 {
            write_all(self.fd, &self.buf[..self.len]);
        }
        self.len = 0;
    }
}

/// What [`crate::present::text::sanitize`] does to the lossy UTF-8 decoding of a
/// byte stream, done on the bytes as they come, without allocating: control
/// characters become `^X` or `\u{..}`, bidirectional overrides `\u{..}`,
/// and bytes that are not UTF-8 U+FFFD.
#[derive(Default)]
struct Escaper {
    pending: [u8; 4],
    len: usize,
    need: usize,
}

const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

impl Escaper {
    fn feed(&mut self, bytes: &[u8], out: &mut Out) {
        for &b in bytes {
            self.byte(b, out);
        }
    }

    fn byte(&mut self, b: u8, out: &mut Out) {
        if self.need > 0 {
            let second = self.len == 1;
            let fits = match (second, self.pending[0]) {
                (true, 0xE0) => (0xA0..=0xBF).contains(&b),
                (true, 0xED) => (0x80..=0x9F).contains(&b),
                (true, 0xF0) => (0x90..=0xBF).contains(&b),
                (true, 0xF4) => (0x80..=0x8F).contains(&b),
                _ => b & 0xC0 == 0x80,
            };
            if fits {
                self.pending[self.len] = b;
                self.len += 1;
                self.need -= 1;
                if self.need == 0 {
                    self.character(out);
                }
                return;
            }
            // A sequence cut short: one U+FFFD for it, and this byte anew.
            out.text(REPLACEMENT);
            self.len = 0;
            self.need = 0;
        }
        match b {
            b'\n' | b'\t' | 0x20..=0x7E => out.text(&[b]),
            0x00..=0x1F => out.text(&[b'^', b'@' + b]),
            0x7F => out.text(b"^?"),
            0xC2..=0xF4 => {
                self.pending[0] = b;
                self.len = 1;
                self.need = match b {
                    0xC2..=0xDF => 1,
                    0xE0..=0xEF => 2,
                    _ => 3,
                };
            }
            _ => out.text(REPLACEMENT),
        }
    }

    fn character(&mut self, out: &mut Out) {
        let bytes = &self.pending[..self.len];
        let c = match bytes.len() {
            2 => (u32::from(bytes[0] & 0x1F) << 6) | u32::from(bytes[1] & 0x3F),
            3 => {
                (u32::from(bytes[0] & 0x0F) << 12)
                    | (u32::from(bytes[1] & 0x3F) << 6)
                    | u32::from(bytes[2] & 0x3F)
            }
            _ => {
                (u32::from(bytes[0] & 0x07) << 18)
                    | (u32::from(bytes[1] & 0x3F) << 12)
                    | (u32::from(bytes[2] & 0x3F) << 6)
                    | u32::from(bytes[3] & 0x3F)
            }
        };
        let unsafe_char =
            matches!(c, 0x80..=0x9F | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069);
        if unsafe_char {
            // `\u{202e}`: hex digits without leading zeros, as `sanitize` writes them.
            let digits = (32 - c.leading_zeros()).div_ceil(4).max(1) as usize;
            let mut text = [0u8; 12];
            text[..3].copy_from_slice(b"\\u{");
            for k in 0..digits {
                text[3 + k] = b"0123456789abcdef"[((c >> (4 * (digits - 1 - k))) & 0xF) as usize];
            }
            text[3 + digits] = b'}';
            out.text(&text[..4 + digits]);
        } else {
            let len = self.len;
            let pending = self.pending;
            out.text(&pending[..len]);
        }
        self.len = 0;
    }

    fn finish(&mut self, out: &mut Out) {
        if self.need > 0 {
            out.text(REPLACEMENT);
            self.len = 0;
            self.need = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(pieces: &[&[u8]]) -> String {
        let (read, write) = std::io::pipe().unwrap();
        let mut out = Out::new(write.as_raw_fd());
        let mut escaper = Escaper::default();
        for piece in pieces {
            escaper.feed(piece, &mut out);
        }
        escaper.finish(&mut out);
        out.flush();
        drop(write);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut { read }, &mut text).unwrap();
        text.strip_prefix(std::str::from_utf8(START_MARK).unwrap())
            .unwrap_or(&text)
            .to_string()
    }

    #[test]
    fn the_crash_report_escapes_as_the_dump_does() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let alphabet: &[&[u8]] = &[
            b"a",
            b"\n",
            b"\t",
            b"\x1b",
            b"\x7f",
            b"\x00",
            "é".as_bytes(),
            "\u{85}".as_bytes(),
            "\u{202e}".as_bytes(),
            "\u{2069}".as_bytes(),
            "€".as_bytes(),
            "🌀".as_bytes(),
            b"\xc3",
            b"\xe2\x82",
            b"\xf0\x9f",
            b"\x80",
            b"\xff",
            b"\xe0\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
        ];
        for _ in 0..2000 {
            let mut input = Vec::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.extend_from_slice(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let expected =
                crate::present::text::sanitize(&String::from_utf8_lossy(&input)).into_owned();
            let cut = input.len() / 2;
            assert_eq!(
                escaped(&[&input[..cut], &input[cut..]]),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn the_crash_report_counts_what_was_not_kept_as_the_dump_does() {
        for n in [1, 999, 1024, 5 << 20, (5 << 20) + 7, u64::MAX] {
            let mut text = [0u8; 64];
            assert_eq!(
                std::str::from_utf8(not_kept(n, &mut text)).unwrap(),
                format!(
                    "… {} more not kept\n",
                    crate::present::words::human_bytes(n)
                )
            );
        }
    }

    #[test]
    fn text_is_cut_at_a_character_boundary_and_the_rest_counted() {
        let mut store = Store {
            generation: 0,
            open: true,
            limit: 5,
            kept: Vec::with_capacity(5),
            chunks: Vec::new(),
            dropped: 0,
            problem: None,
            pipe: None,
            scratch: Vec::new(),
        };
        store.append(Stream::Stdout, b"ab");
        store.append(Stream::Stdout, "c€".as_bytes());
        store.append(Stream::Fd, b"xyz");
        let captured = store.captured();
        // "€" does not fit whole and is dropped; bytes from file descriptors
        // are cut anywhere.
        assert_eq!(
            captured.chunks,
            vec![("stdout", "abc".to_string()), ("fd", "xy".to_string())]
        );
        assert_eq!((captured.kept, captured.dropped), (5, 4));
    }
}
