//! Presentation below every view: the words ([`words`], and for
//! comparisons [`diff`]), text made safe
//! for a terminal and cut to a width ([`text`]), Python source split into
//! classes of tokens ([`highlight`]), "did you mean" ([`suggest`]), and why a
//! site did not specialize ([`why`]). Views style these; they
//! do not say things their own way.

pub mod diff;
pub mod highlight;
pub mod suggest;
pub mod text;
pub mod why;
pub mod words;
