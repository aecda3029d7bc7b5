use std::process::ExitCode;

fn main() -> ExitCode {
    // The process ends when the command line is done: the program's run
    // ends as `python SCRIPT` ends.
    specscope::collect::python::process_ends_after(true);
    ExitCode::from(specscope::entry::run(std::env::args_os().collect()))
}
