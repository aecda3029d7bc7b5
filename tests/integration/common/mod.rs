//! Helpers shared by the integration tests. Each test file uses only some
//! of them.
#![allow(dead_code)]

pub mod installed;
pub mod tmux;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use specscope::model::version::PythonVersion;

/// The binary (or the installed command `SPECSCOPE_COMMAND` names, see
/// [`installed`]), as a user runs it: no `NO_COLOR`, no active virtualenv,
/// no faulthandler from the test's environment, and a generous limit so
/// that a hang fails the test instead of the run.
pub fn specscope() -> Command {
    let mut cmd = Command::new(installed::program());
    cmd.env_remove("NO_COLOR")
        .env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONFAULTHANDLER")
        .timeout(Duration::from_secs(120));
    cmd
}

/// The linked interpreter's version.
pub fn linked() -> PythonVersion {
    specscope::collect::python::linked_version()
}

/// The linked interpreter's minor version.
pub fn minor() -> u8 {
    linked().minor
}

/// Writes `text` to `dir/name` (making folders on the way); its path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// What the program printed, between specscope's marks on stderr.
pub fn program_output(stderr: impl AsRef<[u8]>) -> String {
    let stderr = String::from_utf8_lossy(stderr.as_ref());
    let start = stderr
        .find("── output of the program ──\n")
        .unwrap_or_else(|| panic!("no program output in:\n{stderr}"));
    let rest = &stderr[start + "── output of the program ──\n".len()..];
    rest[..rest
        .find("── end of program output ──")
        .expect("an end mark")]
        .to_string()
}
