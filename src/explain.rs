//! Explanations of opnames (being written).

pub fn command(_opname: &str) -> u8 {
    eprintln!("specscope: explanations are not part of this build");
    crate::exit::USAGE
}
