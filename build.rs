use std::path::PathBuf;
use std::process::Command;

fn main() {
    // Embedding needs libpython at run time; pyenv installs it outside the
    // loader's default path, so record its folder in the binary's rpath.
    pyo3_build_config::add_libpython_rpath_link_args();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=assets/collector.py");
    precompile_collector();
}

/// Compiles the collector with the interpreter the binary links, so that
/// start-up unmarshals code instead of compiling source. Marshal data is
/// specific to a Python version, which is why it is made here and not
/// committed. When it cannot be made, the file is left empty and the binary
/// compiles the source at run time.
fn precompile_collector() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("collector.marshal");
    let source = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("assets/collector.py");
    let python = pyo3_build_config::get().executable().map(str::to_owned);
    let compiled = python.is_some_and(|python| {
        Command::new(python)
            .args([
                "-I",
                "-c",
                "import marshal, sys\n\
                 src = open(sys.argv[1], encoding='utf-8').read()\n\
                 code = compile(src, '<specscope collector>', 'exec', dont_inherit=True)\n\
                 open(sys.argv[2], 'wb').write(marshal.dumps(code))",
            ])
            .arg(&source)
            .arg(&out)
            .status()
            .is_ok_and(|s| s.success())
    });
    if !compiled {
        println!(
            "cargo:warning=could not precompile assets/collector.py; it will be compiled at run time"
        );
        std::fs::write(&out, b"").expect("OUT_DIR is writable");
    }
}
