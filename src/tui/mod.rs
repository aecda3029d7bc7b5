//! The interactive explorer (being written).

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

pub fn run(_request: &crate::request::Request, _theme: ThemeName) -> u8 {
    eprintln!("specscope: the interactive explorer is not part of this build; use `specscope dump`");
    crate::exit::NO_TERMINAL
}
