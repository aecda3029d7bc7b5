fn main() {
    // Embedding needs libpython at run time; pyenv installs it outside the
    // loader's default path, so record its folder in the binary's rpath.
    pyo3_build_config::add_libpython_rpath_link_args();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
}
