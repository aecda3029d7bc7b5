//! The one key table: it drives dispatch, the help overlay and the hint line,
//! so what help says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    NextPane,
    PrevPane,
    Open,
    Back,
    Search,
    NextMatch,
    PrevMatch,
    ToggleCaches,
    ToggleBase,
    ToggleOutput,
    ToggleExplain,
    CycleFilter,
    CycleOrder,
    ToggleSummary,
    ToggleMap,
    PrevStep,
    NextStep,
    Help,
    Quit,
}

/// A key as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    Ctrl(char),
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        match self {
            Key::Code(KeyCode::Char(c)) => {
                event.code == KeyCode::Char(c)
                    && !event
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            }
            Key::Code(code) => event.code == code,
            Key::Ctrl(c) => {
                event.code == KeyCode::Char(c) && event.modifiers.contains(KeyModifiers::CONTROL)
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Code(code) => match code {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Home => "Home".into(),
                KeyCode::End => "End".into(),
                KeyCode::Tab => "Tab".into(),
                KeyCode::BackTab => "Shift-Tab".into(),
                KeyCode::Enter => "Enter".into(),
                KeyCode::Backspace => "Backspace".into(),
                KeyCode::Esc => "Esc".into(),
                KeyCode::Char(c) => c.to_string(),
                other => format!("{other:?}"),
            },
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// Short text for the hint line, for the few bindings worth showing there.
    pub hint: Option<&'static str>,
}

impl Binding {
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

use Key::Code;

pub const KEYS: &[Binding] = &[
    Binding {
        keys: &[Code(KeyCode::Up), Code(KeyCode::Char('k'))],
        action: Action::Up,
        help: "move up in the focused pane",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Down), Code(KeyCode::Char('j'))],
        action: Action::Down,
        help: "move down in the focused pane",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::PageUp)],
        action: Action::PageUp,
        help: "one page up",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::PageDown)],
        action: Action::PageDown,
        help: "one page down",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Home), Code(KeyCode::Char('g'))],
        action: Action::First,
        help: "go to the first row",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::End), Code(KeyCode::Char('G'))],
        action: Action::Last,
        help: "go to the last row",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Tab)],
        action: Action::NextPane,
        help: "focus the next pane",
        hint: Some("pane"),
    },
    Binding {
        keys: &[Code(KeyCode::BackTab)],
        action: Action::PrevPane,
        help: "focus the previous pane",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Enter)],
        action: Action::Open,
        help: "follow a jump, open a nested code object, or open the selection",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Backspace)],
        action: Action::Back,
        help: "go back to where Enter came from",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('/'))],
        action: Action::Search,
        help: "search opnames and argreprs (in the source pane: source text)",
        hint: Some("search"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('n'))],
        action: Action::NextMatch,
        help: "next search match",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('N'))],
        action: Action::PrevMatch,
        help: "previous search match",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('c'))],
        action: Action::ToggleCaches,
        help: "show or hide CACHE rows, one per code unit as dis shows them",
        hint: Some("caches"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('b'))],
        action: Action::ToggleBase,
        help: "show or hide the base (unspecialized) opname column",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('o'))],
        action: Action::ToggleOutput,
        help: "show or hide the program's output and traceback",
        hint: Some("output"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('e'))],
        action: Action::ToggleExplain,
        help: "explain the selected instruction and its family for this Python version",
        hint: Some("explain"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('f'))],
        action: Action::CycleFilter,
        help: "navigator: all code objects, those that ran, failing, specialized (as --only)",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('s'))],
        action: Action::CycleOrder,
        help: "navigator: in source order, hottest first (samples), most failing sites first",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char('['))],
        action: Action::PrevStep,
        help: "previous step of the warm-up timeline (--steps, --then)",
        hint: None,
    },
    Binding {
        keys: &[Code(KeyCode::Char(']'))],
        action: Action::NextStep,
        help: "next step of the warm-up timeline; marks show what changed",
        hint: Some("step"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('S'))],
        action: Action::ToggleSummary,
        help: "the program at a glance: sites per family, and where specialization failed",
        hint: Some("summary"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('m'))],
        action: Action::ToggleMap,
        help: "the map: a whole file coloured by how each stretch ended; files with totals",
        hint: Some("map"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('?'))],
        action: Action::Help,
        help: "show or hide this help",
        hint: Some("help"),
    },
    Binding {
        keys: &[Code(KeyCode::Char('q')), Code(KeyCode::Esc), Key::Ctrl('c')],
        action: Action::Quit,
        help: "quit",
        hint: Some("quit"),
    },
];

/// The action bound to a key press, if any.
pub fn action_for(event: &KeyEvent) -> Option<Action> {
    KEYS.iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let all: Vec<Key> = KEYS.iter().flat_map(|b| b.keys.iter().copied()).collect();
        for (i, k) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(k), "{k:?} bound twice");
        }
    }

    #[test]
    fn ctrl_c_quits_but_plain_c_toggles_caches() {
        let plain = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        let ctrl = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&plain), Some(Action::ToggleCaches));
        assert_eq!(action_for(&ctrl), Some(Action::Quit));
    }
}
