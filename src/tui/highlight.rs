//! Python syntax highlighting with syntect, reduced to a few semantic token
//! classes so the explorer's own [`Theme`](super::theme::Theme) decides the
//! colours (and NO_COLOR can drop them).
//!
//! The syntax set is loaded once, on first use; each file is highlighted once
//! and the result kept by the app, never per frame.

use std::ops::Range;
use std::sync::LazyLock;

use syntect::easy::ScopeRangeIterator;
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};

use super::theme::SyntaxClass;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Scope prefixes checked from the innermost scope outwards.
static CLASSES: LazyLock<Vec<(Scope, SyntaxClass)>> = LazyLock::new(|| {
    [
        ("comment", SyntaxClass::Comment),
        ("string", SyntaxClass::String),
        ("constant.numeric", SyntaxClass::Number),
        ("constant.language", SyntaxClass::Constant),
        ("entity.name", SyntaxClass::Definition),
        ("support.function.builtin", SyntaxClass::Builtin),
        ("support.type", SyntaxClass::Builtin),
        ("keyword", SyntaxClass::Keyword),
        ("storage", SyntaxClass::Keyword),
        ("variable.language", SyntaxClass::Constant),
    ]
    .into_iter()
    .filter_map(|(name, class)| Scope::new(name).ok().map(|s| (s, class)))
    .collect()
});

/// One source line: its text (without the line ending) and its token classes
/// as byte ranges into that text.
#[derive(Debug, Clone, PartialEq)]
pub struct HighlightedLine {
    pub text: String,
    pub tokens: Vec<(Range<usize>, SyntaxClass)>,
}

/// Splits `source` into lines and classifies its tokens. A parse error leaves
/// the rest of the file plain rather than failing.
pub fn highlight(source: &str) -> Vec<HighlightedLine> {
    let syntaxes = &*SYNTAXES;
    let mut state = syntaxes.find_syntax_by_extension("py").map(ParseState::new);
    let mut stack = ScopeStack::new();
    let mut out = Vec::new();
    for raw in source.split_inclusive('\n') {
        let text = raw.trim_end_matches(['\n', '\r']).to_string();
        let mut tokens: Vec<(Range<usize>, SyntaxClass)> = Vec::new();
        let ops = state
            .as_mut()
            .and_then(|s| s.parse_line(raw, syntaxes).ok());
        match ops {
            Some(ops) => {
                for (range, op) in ScopeRangeIterator::new(&ops, raw) {
                    if stack.apply(op).is_err() {
                        break;
                    }
                    let range = range.start.min(text.len())..range.end.min(text.len());
                    if range.is_empty() {
                        continue;
                    }
                    let class = classify(&stack);
                    match tokens.last_mut() {
                        Some((last, c)) if *c == class && last.end == range.start => {
                            last.end = range.end
                        }
                        _ => tokens.push((range, class)),
                    }
                }
            }
            None => state = None,
        }
        out.push(HighlightedLine { text, tokens });
    }
    out
}

fn classify(stack: &ScopeStack) -> SyntaxClass {
    for scope in stack.as_slice().iter().rev() {
        for (prefix, class) in CLASSES.iter() {
            if prefix.is_prefix_of(*scope) {
                return *class;
            }
        }
    }
    SyntaxClass::Plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(line: &HighlightedLine, needle: &str) -> SyntaxClass {
        let at = line.text.find(needle).expect("needle in line");
        line.tokens
            .iter()
            .find(|(r, _)| r.contains(&at))
            .map(|(_, c)| *c)
            .unwrap_or(SyntaxClass::Plain)
    }

    #[test]
    fn python_tokens_get_their_classes() {
        let lines = highlight("def add(a, b):\n    return a + 1  # sum\nx = 'text'\n");
        assert_eq!(lines.len(), 3);
        assert_eq!(class_of(&lines[0], "def"), SyntaxClass::Keyword);
        assert_eq!(class_of(&lines[0], "add"), SyntaxClass::Definition);
        assert_eq!(class_of(&lines[1], "1"), SyntaxClass::Number);
        assert_eq!(class_of(&lines[1], "# sum"), SyntaxClass::Comment);
        assert_eq!(class_of(&lines[2], "'text'"), SyntaxClass::String);
        assert_eq!(lines[1].text, "    return a + 1  # sum");
    }
}
