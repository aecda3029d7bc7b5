//! Python syntax highlighting with syntect, reduced to a few semantic token
//! classes so the explorer's own [`Theme`](super::theme::Theme) decides the
//! colours (and NO_COLOR can drop them).
//!
//! The syntax set is loaded once, on first use. The explorer highlights a
//! file lazily ([`LazyHighlight`]): only the lines that come into view, each
//! chunk once, never per frame.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::LazyLock;

use syntect::easy::ScopeRangeIterator;
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Scope prefixes checked from the innermost scope outwards.
/// A class of source token, from the syntax highlighter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxClass {
    Plain,
    Keyword,
    String,
    Number,
    Comment,
    Definition,
    Builtin,
    Constant,
}

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
/// the rest of the file plain rather than failing. The explorer highlights
/// lazily, with [`LazyHighlight`]; this is for the HTML page and as the
/// reference the lazy form must match.
pub fn highlight(source: &str) -> Vec<HighlightedLine> {
    let mut parser = Parser::fresh();
    source
        .split_inclusive('\n')
        .map(|raw| parser.line(raw))
        .collect()
}

/// Loads the grammar and compiles the patterns a Python file of `sample`'s
/// kind needs (syntect compiles each pattern on first use), so that the
/// first frame does not pay for it. Highlights at most the first 200 lines.
pub fn warm_up(sample: &str) {
    let mut parser = Parser::fresh();
    for raw in sample.split_inclusive('\n').take(200) {
        std::hint::black_box(parser.line(raw));
    }
}

/// The parser's state between two lines: syntect's, and the scopes its
/// operations have built so far.
#[derive(Clone)]
struct Parser {
    state: Option<ParseState>,
    stack: ScopeStack,
}

impl Parser {
    /// The state at the start of a file.
    fn fresh() -> Parser {
        Parser {
            state: SYNTAXES.find_syntax_by_extension("py").map(ParseState::new),
            stack: ScopeStack::new(),
        }
    }

    /// Highlights one line (`raw` with its line ending) and moves on. Only
    /// the first [`LONG_LINE`] bytes of a longer line go through the grammar
    /// (the rest is left plain): its patterns take time that grows faster
    /// than the line, and a 3 MB line of one list would take minutes.
    fn line(&mut self, raw: &str) -> HighlightedLine {
        let text = raw.trim_end_matches(['\n', '\r']).to_string();
        let mut tokens: Vec<(Range<usize>, SyntaxClass)> = Vec::new();
        let mut cut = raw.len().min(LONG_LINE);
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        let ops = self
            .state
            .as_mut()
            .and_then(|s| s.parse_line(&raw[..cut], &SYNTAXES).ok());
        match ops {
            Some(ops) => {
                for (range, op) in ScopeRangeIterator::new(&ops, &raw[..cut]) {
                    if self.stack.apply(op).is_err() {
                        break;
                    }
                    let range = range.start.min(text.len())..range.end.min(text.len());
                    if range.is_empty() {
                        continue;
                    }
                    let class = classify(&self.stack);
                    match tokens.last_mut() {
                        Some((last, c)) if *c == class && last.end == range.start => {
                            last.end = range.end
                        }
                        _ => tokens.push((range, class)),
                    }
                }
            }
            None => self.state = None,
        }
        HighlightedLine { text, tokens }
    }
}

/// A source text with its highlighting state.
#[derive(Clone, Copy)]
pub struct SourceFile<'a> {
    pub text: &'a str,
    pub lines: &'a LazyHighlight,
}

impl<'a> SourceFile<'a> {
    pub fn line_count(&self) -> usize {
        self.lines.line_count(self.text)
    }

    /// Line `index` (from 0), without its line ending.
    pub fn line(&self, index: usize) -> Option<&'a str> {
        self.lines.text(self.text, index)
    }

    /// Lines `range` (from 0), highlighted.
    pub fn highlighted(&self, range: Range<usize>) -> Vec<HighlightedLine> {
        self.lines.lines(self.text, range)
    }
}

/// Bytes of a line the grammar sees at most.
const LONG_LINE: usize = 4096;

/// Lines highlighted together, and the spacing of saved parser states.
const CHUNK: usize = 64;
/// Highlighted chunks kept (64 × 64 = 4,096 lines); the farthest from the
/// one asked for goes first.
const KEPT_CHUNKS: usize = 64;

/// One source file, highlighted as its lines are asked for: a 200 MB file
/// opens as fast as a small one, and scrolling highlights only what comes
/// into view.
///
/// Highlighting line `n` right needs the parser's state at its start, which
/// depends on every line before it. Two things keep that cheap. A quick scan
/// (no grammar, about as fast as reading the text) finds the lines that
/// start outside any bracket, string or backslash continuation: there the
/// state is the same as at the start of the file, so parsing can begin
/// afresh. Inside a long bracketed or triple-quoted stretch, the parser's
/// state is saved every [`CHUNK`] lines as it passes, so scrolling on
/// continues from the nearest saved state.
#[derive(Default)]
pub struct LazyHighlight {
    count: OnceCell<usize>,
    index: RefCell<Index>,
    chunks: RefCell<BTreeMap<usize, Rc<[HighlightedLine]>>>,
    /// Parser states at the start of lines that are not fresh starts.
    saved: RefCell<BTreeMap<usize, Parser>>,
    parsed: Cell<usize>,
}

/// Where each scanned line starts, and whether parsing can begin there.
#[derive(Default)]
struct Index {
    starts: Vec<usize>,
    fresh: Vec<bool>,
    /// Byte offset where the next line to scan starts.
    at: usize,
    scan: Scan,
}

/// What the quick scan knows at a point of the text.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    /// Open brackets.
    depth: u32,
    /// Inside a string: its quote byte and whether it is triple-quoted.
    string: Option<(u8, bool)>,
    /// The last line ended with a backslash outside a string.
    continued: bool,
}

impl Scan {
    fn at_fresh_start(&self) -> bool {
        self.depth == 0 && self.string.is_none() && !self.continued
    }

    /// Moves over one line, `line` with its line ending.
    fn line(&mut self, line: &[u8]) {
        self.continued = false;
        let mut i = 0;
        while i < line.len() {
            let b = line[i];
            if let Some((quote, triple)) = self.string {
                match b {
                    b'\\' => i += 1,
                    b'\n' if !triple => self.string = None,
                    _ if b == quote => {
                        if !triple {
                            self.string = None;
                        } else if line[i..].starts_with(&[quote, quote, quote]) {
                            self.string = None;
                            i += 2;
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match b {
                // A comment runs to the end of the line.
                b'#' => break,
                b'\'' | b'"' => {
                    let triple = line[i..].starts_with(&[b, b, b]);
                    self.string = Some((b, triple));
                    if triple {
                        i += 2;
                    }
                }
                b'(' | b'[' | b'{' => self.depth += 1,
                b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b'\\' => {
                    let rest = &line[i + 1..];
                    self.continued = rest == b"\n" || rest == b"\r\n";
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl LazyHighlight {
    pub fn new() -> LazyHighlight {
        LazyHighlight::default()
    }

    /// Lines in `source`, counted as [`highlight`] splits them.
    pub fn line_count(&self, source: &str) -> usize {
        *self.count.get_or_init(|| {
            // Counted in runs of 255 bytes into a u8, which the compiler
            // turns into wide vector compares: 60 MB in a few milliseconds.
            let newlines: usize = source
                .as_bytes()
                .chunks(255)
                .map(|run| usize::from(run.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
                .sum();
            newlines + usize::from(!source.is_empty() && !source.ends_with('\n'))
        })
    }

    /// The text of line `index` (from 0), without its line ending.
    pub fn text<'s>(&self, source: &'s str, index: usize) -> Option<&'s str> {
        let (start, end) = self.span(source, index)?;
        Some(source[start..end].trim_end_matches(['\n', '\r']))
    }

    /// Lines `range` (from 0) highlighted, as [`highlight`] would give them;
    /// lines past the end are left out.
    pub fn lines(&self, source: &str, range: Range<usize>) -> Vec<HighlightedLine> {
        let end = range.end.min(self.line_count(source));
        let mut out = Vec::with_capacity(end.saturating_sub(range.start));
        let mut line = range.start;
        while line < end {
            let chunk = self.chunk(source, line / CHUNK);
            let first = line / CHUNK * CHUNK;
            let upto = end.min(first + chunk.len());
            out.extend_from_slice(&chunk[line - first..upto - first]);
            if upto == line {
                break;
            }
            line = upto;
        }
        out
    }

    /// How many lines have gone through the grammar so far (each line of a
    /// chunk parsed again after it was dropped counts again).
    pub fn lines_parsed(&self) -> usize {
        self.parsed.get()
    }

    /// Byte range of line `index`, with its line ending.
    fn span(&self, source: &str, index: usize) -> Option<(usize, usize)> {
        if index >= self.line_count(source) {
            return None;
        }
        // (The start of the next line is where this one ends.)
        self.scan_to(source, index + 2);
        let index_ref = self.index.borrow();
        let start = index_ref.starts[index];
        let end = index_ref
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(source.len());
        Some((start, end))
    }

    /// Scans until at least `lines` lines are indexed (or the text ends).
    fn scan_to(&self, source: &str, lines: usize) {
        let mut index = self.index.borrow_mut();
        let bytes = source.as_bytes();
        while index.starts.len() < lines && index.at < bytes.len() {
            let at = index.at;
            let end = source[at..].find('\n').map_or(bytes.len(), |i| at + i + 1);
            let fresh = index.scan.at_fresh_start();
            index.starts.push(at);
            index.fresh.push(fresh);
            index.scan.line(&bytes[at..end]);
            index.at = end;
        }
    }

    fn chunk(&self, source: &str, chunk: usize) -> Rc<[HighlightedLine]> {
        if let Some(lines) = self.chunks.borrow().get(&chunk) {
            return Rc::clone(lines);
        }
        let first = chunk * CHUNK;
        let end = (first + CHUNK).min(self.line_count(source));
        // (One line more: whether the next chunk starts afresh.)
        self.scan_to(source, end + 1);
        let index = self.index.borrow();
        // Begin at the nearest line before `first` where the state is known.
        let fresh = index.fresh[..=first].iter().rposition(|&f| f);
        let saved = self
            .saved
            .borrow()
            .range(..=first)
            .next_back()
            .map(|(&line, parser)| (line, parser.clone()));
        let (mut line, mut parser) = match (fresh, saved) {
            (Some(f), Some((s, parser))) if s > f => (s, parser),
            (Some(f), _) => (f, Parser::fresh()),
            (None, Some((s, parser))) => (s, parser),
            (None, None) => (0, Parser::fresh()),
        };
        let mut lines = Vec::with_capacity(end - first);
        while line < end {
            let start = index.starts[line];
            let stop = index.starts.get(line + 1).copied().unwrap_or(source.len());
            let highlighted = parser.line(&source[start..stop]);
            self.parsed.set(self.parsed.get() + 1);
            if line >= first {
                lines.push(highlighted);
            }
            line += 1;
            if line % CHUNK == 0
                && line < index.fresh.len()
                && !index.fresh[line]
                && parser.state.is_some()
            {
                self.saved
                    .borrow_mut()
                    .entry(line)
                    .or_insert_with(|| parser.clone());
            }
        }
        drop(index);
        let lines: Rc<[HighlightedLine]> = lines.into();
        let mut chunks = self.chunks.borrow_mut();
        if chunks.len() >= KEPT_CHUNKS
            && let Some(&farthest) = chunks.keys().max_by_key(|&&c| c.abs_diff(chunk))
        {
            chunks.remove(&farthest);
        }
        chunks.insert(chunk, Rc::clone(&lines));
        lines
    }
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

    /// Source whose lines depend on lines far above them: a docstring and
    /// a bracket that run over several chunks, a backslash continuation,
    /// quotes inside comments and `#` inside strings.
    fn tricky_source() -> String {
        let mut src = String::from("import os\n\n");
        src.push_str("DOC = '''A long text\n");
        for i in 0..150 {
            src.push_str(&format!(
                "line {i} of text, with def and 'quotes' # not a comment\n"
            ));
        }
        src.push_str("'''\n\nTABLE = [\n");
        for i in 0..200 {
            src.push_str(&format!("    ({i}, 'x#{i}', \"y\\\"\"),  # it's a row\n"));
        }
        src.push_str("]\n\ntotal = 1 + \\\n    2\n");
        for i in 0..100 {
            src.push_str(&format!(
                "def f{i}(a, b={i}):\n    return a + b  # don't\n\n"
            ));
        }
        src.push_str("s = \"\"\"\nx\n\"\"\" + 'tail'\nlast = None");
        src
    }

    #[test]
    fn lazy_lines_match_the_whole_file_highlighted() {
        let src = tricky_source();
        let whole = highlight(&src);
        // In order, backwards, and from the middle of each stretch.
        let lazy = LazyHighlight::new();
        assert_eq!(lazy.line_count(&src), whole.len());
        assert_eq!(lazy.lines(&src, 0..whole.len()), whole);
        for (from, to) in [(500, 520), (300, 340), (100, 190), (160, 161), (0, 3)] {
            let lazy = LazyHighlight::new();
            assert_eq!(
                lazy.lines(&src, from..to),
                whole[from..to.min(whole.len())],
                "lines {from}..{to}"
            );
            assert_eq!(lazy.text(&src, from), Some(whole[from].text.as_str()));
        }
    }

    #[test]
    fn lazy_highlighting_parses_what_is_asked_and_little_more() {
        let mut src = String::from("def f():\n    return 1\n");
        src.push_str(&"# a comment line\n".repeat(100_000));
        src.push_str("f()\n");
        let lazy = LazyHighlight::new();
        assert_eq!(lazy.line_count(&src), 100_003);
        let top = lazy.lines(&src, 0..40);
        assert_eq!(top.len(), 40);
        assert!(lazy.lines_parsed() <= CHUNK, "{}", lazy.lines_parsed());
        let end = lazy.lines(&src, 99_990..100_010);
        assert_eq!(end.len(), 13);
        assert_eq!(end.last().map(|l| l.text.as_str()), Some("f()"));
        assert!(lazy.lines_parsed() <= 3 * CHUNK, "{}", lazy.lines_parsed());
        // Drawn again: nothing parsed anew.
        let before = lazy.lines_parsed();
        lazy.lines(&src, 0..40);
        lazy.lines(&src, 99_990..100_010);
        assert_eq!(lazy.lines_parsed(), before);
    }

    #[test]
    fn only_the_start_of_a_very_long_line_goes_through_the_grammar() {
        let items: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
        let src = format!("x = [{}]\ny = 'after'\n", items.join(", "));
        let lines = highlight(&src);
        let numbers: Vec<&Range<usize>> = lines[0]
            .tokens
            .iter()
            .filter(|(_, c)| *c == SyntaxClass::Number)
            .map(|(r, _)| r)
            .collect();
        assert!(numbers.len() > 500, "the start is highlighted");
        assert!(
            numbers.iter().all(|r| r.end <= LONG_LINE),
            "the rest is plain"
        );
        assert_eq!(
            lines[0].text.len(),
            src.find('\n').unwrap(),
            "the text is whole"
        );
        assert_eq!(class_of(&lines[1], "'after'"), SyntaxClass::String);
    }

    #[test]
    fn line_count_and_text_as_split_inclusive() {
        for src in ["", "x", "x\n", "x\r\ny", "\n\n"] {
            let lazy = LazyHighlight::new();
            let split: Vec<&str> = src
                .split_inclusive('\n')
                .map(|l| l.trim_end_matches(['\n', '\r']))
                .collect();
            assert_eq!(lazy.line_count(src), split.len(), "{src:?}");
            for (i, text) in split.iter().enumerate() {
                assert_eq!(lazy.text(src, i), Some(*text), "{src:?} line {i}");
            }
            assert_eq!(lazy.text(src, split.len()), None);
        }
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
