//! Exit codes: documented in the README, stable for scripts.

/// Everything worked.
pub const OK: u8 = 0;
/// The program (or the `--call` expression) raised an exception; what was
/// collected is still shown.
pub const PROGRAM_EXCEPTION: u8 = 1;
/// Bad command line (clap's own code).
pub const USAGE: u8 = 2;
/// The target does not exist, is a folder, is not a regular file (a named
/// pipe, a device), cannot be read, is not text, is larger than 64 MiB, or
/// (`-m`) no such module.
pub const TARGET: u8 = 3;
/// The target has a syntax error.
pub const SYNTAX: u8 = 4;
/// A `-f` pattern matched no code object.
pub const NO_MATCH: u8 = 5;
/// The active virtualenv was made for another Python version.
pub const VERSION_MISMATCH: u8 = 6;
/// The TUI needs a terminal.
pub const NO_TERMINAL: u8 = 7;
/// `--timeout` stopped the warm-up (or the collection after it); what ran
/// is shown. A program that will not stop is ended from outside within
/// twice the timeout; one that holds the interpreter in C code and never
/// returns to it is ended with a message and nothing shown.
pub const TIMEOUT: u8 = 8;
/// The program called `sys.exit` or `os._exit` with a non-zero status.
pub const PROGRAM_EXIT: u8 = 9;
/// `explain --check`: an experiment contradicted a text, a reachable form
/// was not reached, or fewer than 90 % of the stated causes were proven.
pub const CLAIMS: u8 = 10;
/// The program broke part of what collecting needs (closed its file
/// descriptors, replaced a module, a hook that raises): what was collected
/// is shown with a message saying what failed.
pub const COLLECTION_BROKEN: u8 = 11;
/// A `PYTHON*` environment variable the embedded interpreter cannot start
/// with (`PYTHONHOME`, `PYTHONHASHSEED`, `PYTHONIOENCODING`, ...).
pub const ENVIRONMENT: u8 = 12;
/// What specscope prints could not be written (a full disk, a closed
/// file), to stdout or stderr; a closed pipe on stdout (`specscope
/// examples | head -1`) is not an error.
pub const OUTPUT: u8 = 13;
/// The program crashed the interpreter (a segmentation fault, `abort()`, a
/// C stack overflow) or was ended by a signal it set off and did not handle
/// (`signal.alarm`): its output up to then is printed with the signal's
/// name; nothing could be collected.
pub const CRASHED: u8 = 14;
/// `diff --fail-on lost`: a site specialized in the first snapshot is not
/// specialized in the second (the diff is printed first).
pub const LOST: u8 = 15;
/// A snapshot file that cannot be loaded (`--load`, `diff`): unreadable,
/// not JSON, cut short, another schema, or, for `diff`, two snapshots with
/// no code object in common.
pub const SNAPSHOT: u8 = 16;
/// A bug in specscope itself.
pub const INTERNAL: u8 = 70;
/// Ctrl-C stopped the warm-up; what ran is shown. A second Ctrl-C ends a
/// program that caught the first.
pub const INTERRUPTED: u8 = 130;
