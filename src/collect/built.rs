//! What the build script made for the linked Python, embedded in one place
//! (see `build.rs`): the collector and its dis and why parts compiled by that
//! interpreter, its opcode tables, and its path. The build fails when it
//! cannot make them.

/// `assets/collector.py`, compiled and marshalled by the linked interpreter.
pub const COLLECTOR_CODE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/collector.marshal"));

/// `assets/collector_dis.py`, compiled and marshalled by the linked
/// interpreter: the collector loads it only when it needs `dis`.
pub const COLLECTOR_DIS_CODE: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/collector_dis.marshal"));

/// `assets/collector_why.py`, compiled and marshalled by the linked
/// interpreter: the collector runs it in its own namespace when `--why`
/// needs it.
pub const COLLECTOR_WHY_CODE: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/collector_why.marshal"));

/// The linked interpreter's opcode tables, as its own `dis` and `opcode`
/// hold them (see `DisPath.op_table` in the collector's dis half).
pub const OPTABLE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/optable.json"));

/// The same tables marshalled by the linked interpreter, for the collector
/// (unmarshalling them costs far less than building them from JSON).
pub const OPTABLE_MARSHAL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/optable.marshal"));

/// The linked interpreter's executable (its base executable when the build
/// ran in a virtualenv).
pub const LINKED_PYTHON: &str = env!("SPECSCOPE_LINKED_PYTHON");
