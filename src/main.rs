use std::process::ExitCode;

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

fn main() -> ExitCode {
    // A message that cannot be written is an output failure, not a bug:
    // no panic report (it could not be written either), exit code 13.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !unwritable(info.payload()) {
            report(info);
        }
    }));
    let code = std::panic::catch_unwind(specscope::cli::main).unwrap_or_else(|payload| {
        if unwritable(payload.as_ref()) {
            specscope::exit::OUTPUT
        } else {
            specscope::exit::INTERNAL
        }
    });
    ExitCode::from(code)
}
