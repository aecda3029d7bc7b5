use std::path::PathBuf;
use std::process::Command;

fn main() {
    // Embedding needs libpython at run time; pyenv installs it outside the
    // loader's default path, so record its folder in the binary's rpath.
    pyo3_build_config::add_libpython_rpath_link_args();
    // `Py_3_12` and the like, for the few calls that exist from a version on.
    pyo3_build_config::use_pyo3_cfgs();
    pyo3_build_config::print_expected_cfgs();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=assets/collector.py");
    println!("cargo:rerun-if-changed=assets/collector_dis.py");
    println!("cargo:rerun-if-changed=assets/collector_why.py");
    precompile_collector();
    record_interpreter();
}

/// Records the path of the interpreter whose libpython is linked, so that
/// the program's `sys.executable` starts the same Python (not whatever
/// `python3` is on `PATH` when specscope runs). A virtualenv's python used
/// for the build is recorded as its base interpreter, so that the build's
/// virtualenv does not follow the binary around. Empty when unknown; the
/// binary checks the file still exists before using it. Empty in the
/// extension module.
fn record_interpreter() {
    // The extension module runs inside whichever interpreter imports it.
    if std::env::var_os("CARGO_FEATURE_EXTENSION_MODULE").is_some() {
        println!("cargo:rustc-env=SPECSCOPE_LINKED_PYTHON=");
        return;
    }
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

/// Compiles the collector and its dis half with the interpreter the binary
/// links, so that start-up unmarshals code instead of compiling source
/// (without docstrings, which nothing reads: less to unmarshal), and
/// records that interpreter's opcode tables (read from its own `dis` and
/// `opcode` by the dis half, loaded the way the binary loads it), so that
/// start-up need not import `dis`. All three are specific to a Python
/// version, which is why they are made here and not committed; a build that
/// cannot make them fails.
fn precompile_collector() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let assets = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("assets");
    let python = pyo3_build_config::get().executable().map(str::to_owned);
    let compiled = python.as_deref().is_some_and(|python| {
        Command::new(python)
            .args(["-I", "-c", PRECOMPILE])
            .arg(assets.join("collector.py"))
            .arg(assets.join("collector_dis.py"))
            .arg(assets.join("collector_why.py"))
            .arg(out_dir.join("collector.marshal"))
            .arg(out_dir.join("collector_dis.marshal"))
            .arg(out_dir.join("collector_why.marshal"))
            .arg(out_dir.join("optable.json"))
            .arg(out_dir.join("optable.marshal"))
            .status()
            .is_ok_and(|s| s.success())
    });
    if !compiled {
        // A binary without them would compile the collector and import dis
        // at every start, silently slower: refuse instead.
        panic!(
            "could not precompile assets/collector.py, collector_dis.py and collector_why.py \
             and record the opcode tables with {}; set PYO3_PYTHON to a working CPython 3.11-3.13",
            python
                .as_deref()
                .unwrap_or("the interpreter pyo3 found (none)")
        );
    }
}

/// Arguments: collector.py, collector_dis.py, collector_why.py, then where their marshalled
/// code and the opcode tables go (as JSON for Rust, marshalled for the
/// collector). The collector is run once, as the binary
/// loads it (src/collect/python.rs), so that a module that fails to load
/// fails the build.
const PRECOMPILE: &str = "\
import json, marshal, sys
(collector_py, dis_py, why_py, collector_out, dis_out, why_out, table_out,
 table_marshal_out) = sys.argv[1:]
def compiled(path, filename):
    with open(path, encoding='utf-8') as f:
        return marshal.dumps(compile(f.read(), filename, 'exec', dont_inherit=True, optimize=2))
collector_code = compiled(collector_py, '<specscope collector>')
dis_code = compiled(dis_py, '<specscope collector dis>')
why_code = compiled(why_py, '<specscope collector why>')
collector = {'__name__': '_specscope_collector', '__file__': '<specscope collector>'}
exec(marshal.loads(collector_code), collector)
collector['_DIS_PATH_CODE'] = dis_code
collector['_WHY_CODE'] = why_code
collector['_load_why']()
op_table = collector['_dis_path']().op_table()
table = json.dumps(op_table, separators=(',', ':'))
outputs = ((collector_out, collector_code), (dis_out, dis_code), (why_out, why_code),
           (table_out, table.encode()),
           (table_marshal_out, marshal.dumps(op_table)))
for path, data in outputs:
    with open(path, 'wb') as f:
        f.write(data)
";
