//! What each source line adds up to: the one rule behind the explorer's
//! gutter and the handout's, from the marks of the instructions on the line.

use std::collections::BTreeMap;

use super::marks::Mark;
use crate::model::CodeObject;

/// What a source line's instructions add up to, for the gutter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    Specialized,
    Warming,
    BackingOff,
    Mixed,
    NeverRan,
    /// Only instructions without an inline cache.
    Plain,
}

/// The states a gutter shows beyond the instruction marks, for legends.
pub const GUTTER_ONLY: [LineState; 2] = [LineState::Mixed, LineState::NeverRan];

impl LineState {
    pub fn symbol(self) -> &'static str {
        match self {
            LineState::Specialized => Mark::Specialized.symbol(),
            LineState::Warming => Mark::Warming.symbol(),
            LineState::BackingOff => Mark::BackingOff.symbol(),
            LineState::Mixed => "±",
            LineState::NeverRan => "·",
            LineState::Plain => " ",
        }
    }
}

/// The gutter rule, one for every view: each source line of each file, by
/// what the instructions on it (of every code object given) add up to.
/// An instruction is on the line its position starts on.
pub fn line_states<'a>(
    codes: impl Iterator<Item = &'a CodeObject>,
) -> BTreeMap<String, BTreeMap<u32, LineState>> {
    #[derive(Default, Clone, Copy)]
    struct Tally {
        ran: bool,
        specialized: usize,
        warming: usize,
        backing_off: usize,
    }
    let mut tallies: BTreeMap<&str, BTreeMap<u32, Tally>> = BTreeMap::new();
    // Code whose source was not kept (a dataclass's `__init__` named
    // `<string>` in a `-c` program) has no lines in the file of its name.
    for code in codes.filter(|c| c.source_kept) {
        let file = tallies.entry(code.filename.as_str()).or_default();
        for ins in &code.instructions {
            let Some(line) = ins.positions.and_then(|p| p.line).or(ins.line) else {
                continue;
            };
            let tally = file.entry(line).or_default();
            if !code.ran {
                continue;
            }
            tally.ran = true;
            match Mark::of(ins) {
                Mark::Specialized => tally.specialized += 1,
                Mark::Warming => tally.warming += 1,
                Mark::BackingOff | Mark::GivenUp => tally.backing_off += 1,
                Mark::NoCache | Mark::AtCreation => {}
            }
        }
    }
    tallies
        .into_iter()
        .map(|(file, lines)| {
            let states = lines
                .into_iter()
                .map(|(line, t)| {
                    let state = match t {
                        Tally { ran: false, .. } => LineState::NeverRan,
                        Tally {
                            specialized: 0,
                            warming: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Plain,
                        Tally {
                            specialized: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Warming,
                        Tally { specialized: 0, .. } => LineState::BackingOff,
                        Tally {
                            warming: 0,
                            backing_off: 0,
                            ..
                        } => LineState::Specialized,
                        _ => LineState::Mixed,
                    };
                    (line, state)
                })
                .collect();
            (file.to_string(), states)
        })
        .collect()
}
