//! The lesson gallery: short programs in `assets/examples/`, each with a
//! docstring that says what to look at and a `Try:` line with the warm-up
//! options that show it.

/// (name, source) of every lesson, in teaching order.
const LESSONS: &[(&str, &str)] = &[
    (
        "binary_ops",
        include_str!("../assets/examples/binary_ops.py"),
    ),
    (
        "attributes",
        include_str!("../assets/examples/attributes.py"),
    ),
    ("globals", include_str!("../assets/examples/globals.py")),
    ("calls", include_str!("../assets/examples/calls.py")),
    ("iteration", include_str!("../assets/examples/iteration.py")),
    (
        "comparisons",
        include_str!("../assets/examples/comparisons.py"),
    ),
    (
        "superinstructions",
        include_str!("../assets/examples/superinstructions.py"),
    ),
    (
        "polymorphism",
        include_str!("../assets/examples/polymorphism.py"),
    ),
    (
        "deoptimization",
        include_str!("../assets/examples/deoptimization.py"),
    ),
    (
        "unspecializable",
        include_str!("../assets/examples/unspecializable.py"),
    ),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub name: &'static str,
    pub source: &'static str,
}

impl Example {
    /// The file name shown for the lesson's code.
    pub fn filename(&self) -> String {
        format!("examples/{}.py", self.name)
    }

    /// The first line of the docstring.
    pub fn title(&self) -> &'static str {
        self.source
            .trim_start_matches("\"\"\"")
            .lines()
            .next()
            .unwrap_or("")
            .trim()
    }

    /// The options of the docstring's `Try:` line, split as a shell would.
    pub fn try_args(&self) -> Vec<String> {
        self.source
            .lines()
            .find_map(|l| l.strip_prefix("Try:"))
            .map(split_words)
            .unwrap_or_default()
    }
}

pub fn all() -> Vec<Example> {
    LESSONS
        .iter()
        .map(|&(name, source)| Example { name, source })
        .collect()
}

/// The lesson called `name`, or the names closest to it.
pub fn find(name: &str) -> Result<Example, Vec<&'static str>> {
    let name = name.trim_end_matches(".py");
    if let Some(example) = all().into_iter().find(|e| e.name == name) {
        return Ok(example);
    }
    let close = crate::present::suggest::suggest(name, LESSONS.iter().map(|(n, _)| *n));
    Err(close
        .iter()
        .filter_map(|c| LESSONS.iter().map(|(n, _)| *n).find(|n| n == c))
        .collect())
}

/// Splits `--call "work()" -n 5` into words, honouring single and double quotes.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `word` as a POSIX shell reads it back: bare when it holds only safe
/// characters, otherwise in single quotes.
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/=:+@%".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// `specscope examples`: the gallery, one lesson per paragraph.
pub fn listing() -> String {
    let mut out = String::from(
        "Lessons (open one with `specscope --example NAME`, or `specscope dump --example NAME`):\n",
    );
    for e in all() {
        out.push_str(&format!(
            "\n  {:<18} {}\n  {:<18} try: specscope dump --example {} {}\n",
            e.name,
            e.title(),
            "",
            e.name,
            e.try_args()
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_lines_split_like_a_shell() {
        assert_eq!(
            split_words(r#" --call "add(1, 2)" -n 5 --then 'f("x")'"#),
            ["--call", "add(1, 2)", "-n", "5", "--then", r#"f("x")"#]
        );
    }

    #[test]
    fn every_lesson_has_a_title_and_a_try_line() {
        assert_eq!(all().len(), 10);
        for e in all() {
            assert!(!e.title().is_empty(), "{}", e.name);
            assert!(e.try_args().iter().any(|a| a == "--call"), "{}", e.name);
        }
    }

    #[test]
    fn unknown_names_get_close_ones() {
        assert_eq!(find("binary_ops.py").unwrap().name, "binary_ops");
        assert_eq!(find("deopt").unwrap_err(), ["deoptimization"]);
    }
}
