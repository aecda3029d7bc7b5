//! The views of a [`crate::model::Snapshot`]: the text, JSON and HTML dumps
//! ([`dump`]) and the interactive explorer ([`tui`]). Both read the
//! snapshot through [`crate::analysis`] and [`crate::present`]; neither
//! imports the other.

pub mod dump;
pub mod tui;
