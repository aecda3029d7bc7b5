use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(specscope::cli::main())
}
