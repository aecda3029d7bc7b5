//! Collection: everything that touches CPython. The request a run is made
//! of ([`request`]), the environment checks before Python starts
//! ([`environment`]), the embedded interpreter and the collector it loads
//! ([`python`]), the program's output and crashes ([`capture`]), and the
//! turning of the collector's reply into a [`crate::model::Snapshot`]
//! ([`decode`], [`raw`]). What the build made for the linked Python lives
//! in [`built`]. Only [`python`] uses pyo3.

pub mod built;
pub mod capture;
pub mod decode;
pub mod environment;
pub mod python;
pub mod raw;
pub mod request;
