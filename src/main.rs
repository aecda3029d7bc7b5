use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(specscope::entry::run(std::env::args_os().collect()))
}
