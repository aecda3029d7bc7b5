//! `specscope._specscope`: the extension module of specscope's Python
//! package. Its one function runs the specscope command line, the same code
//! as the binary's, inside the interpreter that imported it: the program
//! runs in that interpreter's world as it is (its `sys.executable`, its
//! virtualenv, its `sys.path`). `specscope/__init__.py` calls it for the
//! `specscope` script and `python -m specscope`.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the specscope command line `argv` (`argv[0]` is the program's
/// name) and returns its exit code. The interpreter is left to other
/// threads while it runs: specscope attaches where it runs Python code, as
/// the binary does. With `end_process`, the process ends with the exit
/// code right here, as the binary's does when its `main` returns, without
/// going back to Python: no code of the interpreter runs after the
/// program's (its trace, monitoring and audit hooks would run on it).
#[pyfunction]
#[pyo3(signature = (argv, end_process = false))]
fn run(py: Python<'_>, argv: Vec<OsString>, end_process: bool) -> u8 {
    specscope::collect::python::host();
    specscope::collect::python::process_ends_after(end_process);
    py.detach(|| {
        let code = specscope::entry::run(argv);
        if end_process {
            // Without taking the interpreter back: threads the program left
            // running would get their turn while this thread waits for it.
            std::process::exit(i32::from(code));
        }
        code
    })
}

#[pymodule]
#[pyo3(name = "_specscope")]
fn extension(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
