//! specscope: see what CPython's specializing adaptive interpreter (PEP 659)
//! did to your code.
//!
//! Data flows one way, through one layer per folder:
//!
//! 1. [`collect`]: run the program in the embedded CPython and read what the
//!    interpreter did (the only layer that uses pyo3);
//! 2. [`model`]: the plain data of a [`model::Snapshot`] and the facts that
//!    differ between Python versions ([`model::version`]);
//! 3. [`analysis`]: what a snapshot adds up to (marks, timeline changes, what
//!    changed between two snapshots, why a site did not specialize);
//! 4. [`present`]: the words, safe text, highlighting every view shares;
//! 5. [`views`]: the dumps and the explorer.
//!
//! Beside them: [`explain`] (the texts that teach each specialization, and
//! the experiments that prove them), [`examples`] (the built-in lessons),
//! [`cli`] (arguments to a request, a snapshot to a view), [`entry`] (the
//! process's entry, in the binary or inside an interpreter), [`error`] (the
//! one error type) and [`exit`] (the documented exit codes).

pub mod analysis;
pub mod cli;
pub mod collect;
pub mod entry;
pub mod error;
pub mod examples;
pub mod exit;
pub mod explain;
pub mod model;
pub mod present;
pub mod views;
