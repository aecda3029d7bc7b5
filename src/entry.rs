//! The process's entry: the command line run with its exit code, for the
//! binary (`src/main.rs`) and for the Python package's extension module
//! (`python/lib.rs`), which runs it inside the interpreter that loaded it.

use std::ffi::OsString;

/// What `eprintln!` and `print!` panic with when stderr or stdout cannot be
/// written (a full disk, a closed pipe).
fn unwritable(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    message.starts_with("failed printing to std")
}

/// Runs the command line `args` (the first is the program's name) and
/// returns its exit code. A message that cannot be written is an output
/// failure, not a bug: no panic report (it could not be written either),
/// exit code 13; any other panic is reported and gives exit code 70. The
/// panic hook in place before is put back before this returns.
pub fn run(args: Vec<OsString>) -> u8 {
    let report = std::sync::Arc::new(std::panic::take_hook());
    let chained = std::sync::Arc::clone(&report);
    std::panic::set_hook(Box::new(move |info| {
        if !unwritable(info.payload()) {
            chained(info);
        }
    }));
    let code =
        std::panic::catch_unwind(move || crate::cli::main_from(args)).unwrap_or_else(|payload| {
            if unwritable(payload.as_ref()) {
                crate::exit::OUTPUT
            } else {
                crate::exit::INTERNAL
            }
        });
    // Inside an interpreter the process may end without Rust's own way out,
    // which flushes what is left in stdout's buffer.
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
    }
    // Our hook holds the only other reference: once it is dropped, the
    // previous hook goes back in place.
    drop(std::panic::take_hook());
    if let Ok(previous) = std::sync::Arc::try_unwrap(report) {
        std::panic::set_hook(previous);
    }
    code
}
