use std::path::PathBuf;
use std::process::Command;

fn main() {
    // Embedding needs libpython at run time; pyenv installs it outside the
    // loader's default path, so record its folder in the binary's rpath.
    pyo3_build_config::add_libpython_rpath_link_args();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=assets/collector.py");
    precompile_collector();
    record_interpreter();
}

/// Records the path of the interpreter whose libpython is linked, so that
/// the program's `sys.executable` starts the same Python (not whatever
/// `python3` is on `PATH` when specscope runs). A virtualenv's python used
/// for the build is recorded as its base interpreter, so that the build's
/// virtualenv does not follow the binary around. Empty when unknown; the
/// binary checks the file still exists before using it.
fn record_interpreter() {
    let path = pyo3_build_config::get()
        .executable()
        .and_then(|python| {
            Command::new(python)
                .args([
                    "-I",
                    "-c",
                    "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)",
                ])
                .output()
                .ok()
        })
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=SPECSCOPE_LINKED_PYTHON={path}");
}

/// Compiles the collector with the interpreter the binary links, so that
/// start-up unmarshals code instead of compiling source, and records that
/// interpreter's opcode tables (from its own `dis` and `opcode`), so that
/// start-up need not import `dis`. Both are specific to a Python version,
/// which is why they are made here and not committed. When they cannot be
/// made, the files are left empty: the binary then compiles the source and
/// asks `dis` at run time.
fn precompile_collector() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out = out_dir.join("collector.marshal");
    let table = out_dir.join("optable.json");
    let source = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("assets/collector.py");
    let python = pyo3_build_config::get().executable().map(str::to_owned);
    let compiled = python.as_deref().is_some_and(|python| {
        Command::new(python)
            .args([
                "-I",
                "-c",
                "import marshal, sys\n\
                 src = open(sys.argv[1], encoding='utf-8').read()\n\
                 code = compile(src, '<specscope collector>', 'exec', dont_inherit=True)\n\
                 open(sys.argv[2], 'wb').write(marshal.dumps(code))\n\
                 collector = {'__name__': '_specscope_collector', '__file__': '<specscope collector>'}\n\
                 exec(code, collector)\n\
                 open(sys.argv[3], 'w').write(collector['_dumps'](collector['_op_table']()))",
            ])
            .arg(&source)
            .arg(&out)
            .arg(&table)
            .status()
            .is_ok_and(|s| s.success())
    });
    if !compiled {
        // A binary without them would compile the collector and import dis
        // at every start, silently slower: refuse instead.
        panic!(
            "could not precompile assets/collector.py and record the opcode tables with {}; \
             set PYO3_PYTHON to a working CPython 3.11-3.13",
            python
                .as_deref()
                .unwrap_or("the interpreter pyo3 found (none)")
        );
    }
}
