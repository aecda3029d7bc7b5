//! What each instruction's state adds up to: the marks every view puts
//! beside instructions, and the legend that explains the ones in sight.

use crate::model::{CodeObject, CounterState, Instruction, Status};

/// The state of an instruction as one of the legend's four kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Specialized,
    Warming,
    BackingOff,
    /// 3.11 put the plain generic opcode back for good.
    GivenUp,
    /// A superinstruction 3.12 wrote at creation: no sign of execution.
    AtCreation,
    NoCache,
}

impl Mark {
    pub fn of(ins: &Instruction) -> Mark {
        match ins.status {
            Status::Specialized => Mark::Specialized,
            Status::Superinstruction => Mark::AtCreation,
            Status::NoCache | Status::Instrumented => Mark::NoCache,
            Status::Adaptive => match ins.counter.as_ref().map(|c| c.state) {
                Some(CounterState::BackingOff | CounterState::BackoffOrRestart) => Mark::BackingOff,
                Some(CounterState::Unspecializable) => Mark::GivenUp,
                _ => Mark::Warming,
            },
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Specialized => "+",
            Mark::Warming => "~",
            Mark::BackingOff => "!",
            Mark::GivenUp => "x",
            Mark::AtCreation => "=",
            Mark::NoCache => " ",
        }
    }
}

/// The marks a legend explains for these code objects: the three every
/// version has, then the version-specific ones that occur.
pub fn legend_marks(codes: &[CodeObject]) -> Vec<Mark> {
    let mut marks = vec![Mark::Specialized, Mark::Warming, Mark::BackingOff];
    for extra in [Mark::GivenUp, Mark::AtCreation] {
        if codes
            .iter()
            .flat_map(|c| &c.instructions)
            .any(|i| Mark::of(i) == extra)
        {
            marks.push(extra);
        }
    }
    marks
}
