//! Every style the explorer uses, by what it means. Views ask the theme for
//! `opcode(mark)` or `border(focused)`; no view names a colour.

pub use crate::present::highlight::SyntaxClass;
use ratatui::style::{Color, Modifier, Style};

use super::ThemeName;
use crate::analysis::marks::Mark;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Palette {
    Dark,
    Light,
    Mono,
}

/// The explorer's styles. `Theme::mono()` (NO_COLOR) uses only bold, dim,
/// underline and reverse video, so selection and marks still show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    palette: Palette,
}

impl Theme {
    pub fn new(name: ThemeName, no_color: bool) -> Theme {
        let palette = match (no_color, name) {
            (true, _) => Palette::Mono,
            (false, ThemeName::Dark) => Palette::Dark,
            (false, ThemeName::Light) => Palette::Light,
        };
        Theme { palette }
    }

    pub fn mono() -> Theme {
        Theme {
            palette: Palette::Mono,
        }
    }

    fn color(self, dark: Color, light: Color) -> Style {
        match self.palette {
            Palette::Dark => Style::new().fg(dark),
            Palette::Light => Style::new().fg(light),
            Palette::Mono => Style::new(),
        }
    }

    pub fn text(self) -> Style {
        Style::new()
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn title(self, focused: bool) -> Style {
        if focused {
            self.color(Color::Cyan, Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        }
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.color(Color::Cyan, Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }

    /// The selected row of the focused pane; other panes show their selection
    /// underlined so the eye can follow the link between panes.
    pub fn selection(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            match self.palette {
                Palette::Mono => Style::new().add_modifier(Modifier::UNDERLINED),
                Palette::Dark => Style::new().bg(Color::Indexed(236)),
                Palette::Light => Style::new().bg(Color::Indexed(254)),
            }
        }
    }

    /// The co_positions span of the selected instruction in the source.
    pub fn span(self) -> Style {
        match self.palette {
            Palette::Mono => Style::new().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
            Palette::Dark => Style::new()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            Palette::Light => Style::new()
                .bg(Color::LightYellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        }
    }

    pub fn mark(self, mark: Mark) -> Style {
        match mark {
            Mark::Specialized => self
                .color(Color::Green, Color::Green)
                .add_modifier(Modifier::BOLD),
            Mark::Warming => self.color(Color::Yellow, Color::Rgb(0xa0, 0x60, 0x00)),
            Mark::BackingOff => self
                .color(Color::LightRed, Color::Red)
                .add_modifier(Modifier::BOLD),
            Mark::GivenUp => self.color(Color::LightRed, Color::Red),
            Mark::NoCache | Mark::AtCreation => self.dim(),
        }
    }

    /// The mark of an instruction that changed since the step before.
    pub fn change(self, transition: crate::analysis::timeline::Transition) -> Style {
        use crate::analysis::timeline::Transition;
        match transition {
            Transition::Specialized | Transition::Respecialized | Transition::Quickened => {
                self.mark(Mark::Specialized)
            }
            Transition::Deoptimized => self.mark(Mark::BackingOff),
            Transition::CacheChanged => self.color(Color::Cyan, Color::Blue),
        }
    }

    /// A change between two compared snapshots: worse red, better green,
    /// other changes yellow.
    pub fn compared(self, tone: crate::present::diff::Tone) -> Style {
        use crate::present::diff::Tone;
        match tone {
            Tone::Worse => self.mark(Mark::BackingOff).add_modifier(Modifier::BOLD),
            Tone::Better => self.mark(Mark::Specialized).add_modifier(Modifier::BOLD),
            Tone::Neutral => self.mark(Mark::Warming),
        }
    }

    /// The live opname: it stands out when it differs from the base opname.
    pub fn opcode(self, mark: Mark, changed: bool) -> Style {
        if changed {
            self.mark(mark).add_modifier(Modifier::BOLD)
        } else if mark == Mark::NoCache {
            self.text()
        } else {
            self.mark(mark)
        }
    }

    pub fn base_opcode(self) -> Style {
        self.dim()
    }

    pub fn line_number(self, current: bool) -> Style {
        if current {
            self.color(Color::Yellow, Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }

    pub fn jump(self) -> Style {
        self.color(Color::Magenta, Color::Magenta)
            .add_modifier(Modifier::BOLD)
    }

    pub fn cache_row(self) -> Style {
        self.dim().add_modifier(Modifier::ITALIC)
    }

    pub fn never_ran(self) -> Style {
        self.dim()
    }

    pub fn label(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.color(Color::LightRed, Color::Red)
            .add_modifier(Modifier::BOLD)
    }

    pub fn status_bar(self) -> Style {
        match self.palette {
            Palette::Mono => Style::new().add_modifier(Modifier::REVERSED),
            Palette::Dark => Style::new().bg(Color::Indexed(236)).fg(Color::White),
            Palette::Light => Style::new().bg(Color::Indexed(252)).fg(Color::Black),
        }
    }

    pub fn key(self) -> Style {
        self.color(Color::Cyan, Color::Blue)
            .add_modifier(Modifier::BOLD)
    }

    pub fn search_hit(self) -> Style {
        self.color(Color::Magenta, Color::Magenta)
            .add_modifier(Modifier::UNDERLINED)
    }

    pub fn syntax(self, class: SyntaxClass) -> Style {
        match class {
            SyntaxClass::Plain => Style::new(),
            SyntaxClass::Keyword => self.color(Color::Magenta, Color::Magenta),
            SyntaxClass::String => self.color(Color::Green, Color::Rgb(0x1a, 0x7f, 0x37)),
            SyntaxClass::Number => self.color(Color::LightBlue, Color::Blue),
            SyntaxClass::Comment => self.color(Color::DarkGray, Color::Gray).add_modifier(
                if self.palette == Palette::Mono {
                    Modifier::ITALIC
                } else {
                    Modifier::empty()
                },
            ),
            SyntaxClass::Definition => self
                .color(Color::LightCyan, Color::Cyan)
                .add_modifier(Modifier::BOLD),
            SyntaxClass::Builtin => self.color(Color::Cyan, Color::Cyan),
            SyntaxClass::Constant => self.color(Color::LightYellow, Color::Rgb(0x95, 0x5f, 0x00)),
        }
    }
}
