//! The integration tests, in one binary: the command line as a user runs
//! it (`assert_cmd`), the explorer through `TestBackend` and tmux, and the
//! collector in-process. `tests/sweep.rs` (the standard library, run with
//! `--ignored`) and `tests/limits.rs` (wall-time limits that need the
//! cores to themselves) are binaries of their own.

mod common;

mod backoff;
mod cli;
mod compare;
mod conformance;
mod crashes;
mod explain;
mod explain_instructions;
mod facts;
mod handout;
mod hardening;
mod hostile;
mod large;
mod layers;
mod lessons;
mod meanings;
mod package;
mod properties;
mod reach;
mod sampling;
mod schema;
mod summary;
mod truth;
mod tui;
mod tui_tmux;
mod why;
mod world;
