//! specscope: see what CPython's specializing adaptive interpreter (PEP 659)
//! did to your code.
//!
//! Data flows one way: [`cli`] builds a [`request::Request`], the Python
//! boundary ([`python`]) runs it and returns a [`model::Snapshot`], and a
//! view ([`dump`]) shows it.

pub mod analysis;
pub mod built;
pub mod capture;
pub mod claims;
pub mod cli;
pub mod decode;
pub mod dump;
pub mod environment;
pub mod examples;
pub mod exit;
pub mod explain;
pub mod model;
pub mod present;
pub mod python;
pub mod raw;
pub mod request;
pub mod suggest;
pub mod tui;
pub mod version;
