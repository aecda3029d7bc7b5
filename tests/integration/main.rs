//! The integration tests, in one binary: the command line as a user runs
//! it (`assert_cmd`), the explorer through `TestBackend` and tmux, the
//! collector in-process, the wall-time limits (`limits`) and what sampling
//! leaves unchanged (`unchanged`). `tests/sweep.rs` (the standard library
//! in-process, run with `--ignored`) is a binary of its own.

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
mod limits;
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
mod unchanged;
mod why;
mod world;
