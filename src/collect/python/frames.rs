//! The program's frames on a stack of their own.
//!
//! Under `python SCRIPT` the script's module frame is the first frame of
//! its thread: `sys._getframe(1)` at its top level raises, `inspect.stack()`
//! has one entry, `traceback.print_stack()` shows one line, and a warning
//! with `stacklevel=2` is attributed to `sys:1`. Under specscope the
//! program runs from the collector's frames (`with_hooks`, called by
//! `_run_phase`, called by ...), which would all show there. So while the
//! program's code runs, the thread's current frame is set to none: the
//! frames the program pushes start a chain of their own, and the
//! collector's are put back when the call returns. Exceptions are not
//! affected: they leave the program's frames into C and go on from there.
//!
//! Where the current frame is kept is CPython's thread state, whose layout
//! the public headers give (Include/cpython/pystate.h):
//! `tstate->cframe->current_frame` on 3.11 and 3.12, `tstate->current_frame`
//! on 3.13. The read is trusted only when it names the frame
//! `PyEval_GetFrame` returns (its frame object's `f_frame`); otherwise the
//! program runs on the collector's frames as before.

use std::ffi::{c_int, c_void};
use std::ptr::null_mut;

use pyo3::ffi;
use pyo3::prelude::*;

/// The start of 3.11's `struct _ts`, up to `cframe`.
#[repr(C)]
struct ThreadState311 {
    prev: *mut c_void,
    next: *mut c_void,
    interp: *mut c_void,
    initialized: c_int,
    is_static: c_int,
    recursion_remaining: c_int,
    recursion_limit: c_int,
    recursion_headroom: c_int,
    tracing: c_int,
    tracing_what: c_int,
    cframe: *mut CFrame311,
}

/// 3.11's `_PyCFrame`.
#[repr(C)]
struct CFrame311 {
    use_tracing: u8,
    current_frame: *mut c_void,
    previous: *mut c_void,
}

/// The start of 3.12's `struct _ts`, up to `cframe`.
#[repr(C)]
struct ThreadState312 {
    prev: *mut c_void,
    next: *mut c_void,
    interp: *mut c_void,
    status: u32,
    py_recursion_remaining: c_int,
    py_recursion_limit: c_int,
    c_recursion_remaining: c_int,
    recursion_headroom: c_int,
    tracing: c_int,
    what_event: c_int,
    cframe: *mut CFrame312,
}

/// 3.12's `_PyCFrame`.
#[repr(C)]
struct CFrame312 {
    current_frame: *mut c_void,
    previous: *mut c_void,
}

/// The start of 3.13's `struct _ts`, up to `current_frame`.
#[repr(C)]
struct ThreadState313 {
    prev: *mut c_void,
    next: *mut c_void,
    interp: *mut c_void,
    eval_breaker: usize,
    status: u32,
    whence: c_int,
    state: c_int,
    py_recursion_remaining: c_int,
    py_recursion_limit: c_int,
    c_recursion_remaining: c_int,
    recursion_headroom: c_int,
    tracing: c_int,
    what_event: c_int,
    current_frame: *mut c_void,
}

/// Where this thread keeps its current frame, when that place holds the
/// frame `PyEval_GetFrame` names (see the module's comment).
///
/// # Safety
/// The thread must be attached, and the caller a Python frame (a function
/// called from Python code).
unsafe fn current_frame_slot(py: Python<'_>) -> Option<*mut *mut c_void> {
    let v = py.version_info();
    // SAFETY (whole block): attached, so the thread state is live; each
    // struct above mirrors the start of its version's `struct _ts` and
    // `_PyCFrame`, read only on that version; the frame object's `f_frame`
    // follows its object head and `f_back`; the check below rejects a
    // layout that does not hold.
    unsafe {
        let tstate = ffi::PyThreadState_Get();
        let slot: *mut *mut c_void = match (v.major, v.minor) {
            (3, 11) => {
                let cframe = (*tstate.cast::<ThreadState311>()).cframe;
                if cframe.is_null() {
                    return None;
                }
                &raw mut (*cframe).current_frame
            }
            (3, 12) => {
                let cframe = (*tstate.cast::<ThreadState312>()).cframe;
                if cframe.is_null() {
                    return None;
                }
                &raw mut (*cframe).current_frame
            }
            (3, 13) => &raw mut (*tstate.cast::<ThreadState313>()).current_frame,
            _ => return None,
        };
        let frame = ffi::PyEval_GetFrame();
        if frame.is_null() {
            return None;
        }
        let f_frame = frame
            .cast::<u8>()
            .add(std::mem::size_of::<ffi::PyObject>() + std::mem::size_of::<*mut c_void>())
            .cast::<*mut c_void>()
            .read();
        (!f_frame.is_null() && f_frame == *slot).then_some(slot)
    }
}

/// Puts the collector's frames back under the thread when dropped.
struct Restore {
    slot: *mut *mut c_void,
    saved: *mut c_void,
}

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: the slot `current_frame_slot` found, on this thread,
        // whose frames the call has popped again (it returned).
        unsafe { self.slot.write(self.saved) };
    }
}

/// Runs `call` (the program's code, called from the collector's Python
/// code) with no frame under it: see the module's comment.
pub(super) fn on_a_stack_of_its_own<R>(py: Python<'_>, call: impl FnOnce() -> R) -> R {
    // SAFETY: `py` proves the thread is attached; the caller is
    // `with_hooks`, a function the collector's Python code calls.
    let Some(slot) = (unsafe { current_frame_slot(py) }) else {
        return call();
    };
    // SAFETY: the slot is this thread's current frame, as checked.
    let saved = unsafe { slot.replace(null_mut()) };
    let _restore = Restore { slot, saved };
    call()
}
