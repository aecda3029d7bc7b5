//! Terminal-safe text: control characters from user programs never reach the
//! terminal raw, and colour is decided once.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

/// Replaces control characters (other than newline and tab) with a visible
/// caret or `\u{..}` form, so text from a user's program cannot move the
/// cursor, change colours or retitle the terminal.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    // Printable ASCII, newlines and tabs, the common case, byte by byte.
    let plain = |b: &u8| (b' '..b'\x7f').contains(b) || *b == b'\n' || *b == b'\t';
    if text.as_bytes().iter().all(plain) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push('^');
            out.push((b'@' + c as u8) as char);
        } else if c == '\u{7f}' {
            out.push_str("^?");
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// A file name as the explorer shows it: from the folder specscope started
/// in when the file is inside it (`app/main.py`, where python names the
/// script `/home/me/proj/app/main.py`), whole otherwise.
pub fn shown_path(path: &str) -> &str {
    static START: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| {
        let dir = std::env::current_dir().ok()?;
        let dir = dir.to_str()?.trim_end_matches('/');
        (!dir.is_empty()).then(|| dir.to_string())
    });
    start
        .as_deref()
        .and_then(|dir| path.strip_prefix(dir))
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(path)
}

/// Like [`sanitize`], but newlines and tabs are replaced too (single-line fields).
pub fn sanitize_line(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\t', '\r']) {
        return sanitize(text);
    }
    Cow::Owned(sanitize(&text.replace('\t', "    ").replace(['\n', '\r'], "⏎")).into_owned())
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Auto means colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color() && std::io::stdout().is_terminal(),
        }
    }
}

/// `NO_COLOR` set to a non-empty value.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// ANSI styles for the text dumps.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn wrap<'a>(&self, code: &str, text: &'a str) -> Cow<'a, str> {
        if self.on {
            Cow::Owned(format!("\x1b[{code}m{text}\x1b[0m"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// Terminal columns `text` takes (wide characters count two, combining
/// marks none).
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Cuts `text` to `width` terminal columns, ending in `…` when it was longer.
pub fn clip(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = display_width(c.encode_utf8(&mut [0; 4]));
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Writes what a command prints to stdout. A closed pipe (`| head -1`)
/// ends the output quietly; any other failure (a full disk) is returned.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_inside_the_starting_folder_are_shown_from_it() {
        let here = std::env::current_dir().unwrap();
        let here = here.to_str().unwrap();
        assert_eq!(shown_path(&format!("{here}/app/main.py")), "app/main.py");
        assert_eq!(
            shown_path(&format!("{here}x/main.py")),
            format!("{here}x/main.py")
        );
        assert_eq!(shown_path(here), here);
        assert_eq!(shown_path("/elsewhere/main.py"), "/elsewhere/main.py");
        assert_eq!(shown_path("<string>"), "<string>");
    }

    #[test]
    fn escapes_never_pass() {
        assert_eq!(sanitize("a\x1b[31mb"), "a^[[31mb");
        assert_eq!(sanitize("bell\x07"), "bell^G");
        assert_eq!(sanitize("ok\nline\t"), "ok\nline\t");
        assert_eq!(sanitize("\u{9b}x"), "\\u{9b}x");
        assert_eq!(sanitize_line("a\nb"), "a⏎b");
        assert_eq!(sanitize("del\x7f"), "del^?");
        assert_eq!(sanitize("\u{202e}abc"), "\\u{202e}abc");
        assert!(matches!(sanitize("plain ascii ~"), Cow::Borrowed(_)));
    }
}
