//! Analysis of a snapshot, below every view: what an instruction's state
//! adds up to ([`marks`]), what a source line's add up to ([`lines`]), what
//! the whole program adds up to ([`summary`]), where in the source each
//! state is ([`heat`]), what changed between two moments of a warm-up
//! ([`timeline`]) and between two snapshots ([`diff`]), and why a site did
//! not specialize ([`why`]). Plain data in, plain data out: no words, no
//! styles.

pub mod diff;
pub mod heat;
pub mod lines;
pub mod marks;
pub mod summary;
pub mod timeline;
pub mod why;
