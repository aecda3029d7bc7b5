//! An explanation as plain text wrapped to a width, for a terminal or a
//! handout.

use super::{Explanation, Role, WRITTEN_FOR};

/// The width `explain` wraps to.
pub(super) const WIDTH: usize = 80;

impl Explanation {
    /// Plain text for a terminal or a handout, wrapped to `width` columns.
    pub fn render(&self, width: usize) -> String {
        let mut out = String::new();
        let what = match (self.role, &self.family) {
            (Role::Family, _) => "family".to_string(),
            (Role::Adaptive, Some(f)) => format!("adaptive form of {}", f.base),
            (Role::Specialized, Some(f)) => format!("specialized form of {}", f.base),
            _ => "instruction".to_string(),
        };
        let title = format!("{}  ({what}, Python {})", self.opname, self.version.short());
        if title.chars().count() <= width {
            out.push_str(&title);
        } else {
            out.push_str(&format!(
                "{}\n({what}, Python {})",
                self.opname,
                self.version.short()
            ));
        }
        out.push_str("\n\n");
        if !self.written {
            let note = format!(
                "No explanation is written for {} in Python {}; the texts cover {}.",
                self.opname,
                self.version.short(),
                WRITTEN_FOR
                    .iter()
                    .map(|(a, b)| format!("{a}.{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            push_paragraph(&mut out, &note, width, "");
        }
        for paragraph in &self.paragraphs {
            push_paragraph(&mut out, paragraph, width, "");
        }
        out.push_str("Inline cache\n");
        if self.cache.is_empty() {
            push_paragraph(
                &mut out,
                "none: this instruction carries no cache entries.",
                width,
                "  ",
            );
        } else {
            let total: u32 = self.cache.iter().map(|f| u32::from(f.units)).sum();
            let wide = self.cache.iter().map(|f| f.name.len()).max().unwrap_or(0);
            out.push_str(&format!(
                "  {total} code unit{} ({} bytes) after the instruction:\n",
                if total == 1 { "" } else { "s" },
                total * 2
            ));
            for field in &self.cache {
                out.push_str(&format!(
                    "    {:wide$}  {} unit{}\n",
                    field.name,
                    field.units,
                    if field.units == 1 { "" } else { "s" }
                ));
            }
            out.push('\n');
            for note in &self.cache_notes {
                push_paragraph(&mut out, note, width, "  ");
            }
        }
        if !self.counter.is_empty() {
            out.push_str("Counter\n");
            for paragraph in &self.counter {
                push_paragraph(&mut out, paragraph, width, "  ");
            }
        }
        if let Some(family) = &self.family {
            out.push_str(&format!(
                "Family {} in Python {} ({} specialized form{})\n",
                family.base,
                self.version.short(),
                family.members.len(),
                if family.members.len() == 1 { "" } else { "s" }
            ));
            let mark = |name: &str| if name == family.asked { "* " } else { "  " };
            out.push_str(&format!(
                "  {}{}  (generic form)\n",
                mark(&family.base),
                family.base
            ));
            for member in &family.members {
                out.push_str(&format!("  {}{member}\n", mark(member)));
            }
        }
        out
    }
}

fn push_paragraph(out: &mut String, paragraph: &str, width: usize, indent: &str) {
    for line in paragraph.lines() {
        let (first, hang, body) = match line.strip_prefix("- ") {
            Some(item) => (format!("{indent}- "), format!("{indent}  "), item),
            None => (indent.to_string(), indent.to_string(), line),
        };
        for wrapped in wrap(body, width, &first, &hang) {
            out.push_str(&wrapped);
            out.push('\n');
        }
    }
    out.push('\n');
}

/// Greedy word wrap; a word longer than the line stays whole.
pub(super) fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}
