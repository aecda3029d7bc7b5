//! `/`, `n` and `N`: search the source lines of the current file, or the
//! opnames and arguments of every code object in navigator order.

use super::{App, Pane};

impl App {
    pub(super) fn start_search(&mut self, query: String) {
        if query.is_empty() {
            return;
        }
        self.query = Some(query);
        self.repeat_search(true);
    }

    pub(super) fn repeat_search(&mut self, forward: bool) {
        let Some(query) = self.query.clone() else {
            self.message = Some("no search yet: press / to search".into());
            return;
        };
        let needle = query.to_lowercase();
        let found = if self.focus == Pane::Source {
            self.search_source(&needle, forward)
        } else {
            self.search_bytecode(&needle, forward)
        };
        let query = crate::present::text::sanitize_line(&query);
        self.message = Some(match found {
            Some((at, count)) => format!("“{query}”: match {at} of {count}"),
            None => format!("no match for “{query}”"),
        });
    }

    /// Moves to the next (or previous) source line holding `needle`; which
    /// match it is and how many there are, 1-based.
    pub(super) fn search_source(&mut self, needle: &str, forward: bool) -> Option<(usize, usize)> {
        let file = self.code_object().and_then(|c| self.source_file(c))?;
        let count = file.line_count();
        let matches: Vec<usize> = (0..count)
            .filter(|&i| {
                file.line(i)
                    .is_some_and(|t| t.to_lowercase().contains(needle))
            })
            .collect();
        let start = self.source_line as usize - 1;
        let hit = (1..=count)
            .map(|k| wrap(start, k, count, forward))
            .find(|i| matches.binary_search(i).is_ok())?;
        self.select_source_line(hit as u32 + 1);
        let at = matches.binary_search(&hit).ok()?;
        Some((at + 1, matches.len()))
    }

    /// Moves to the next (or previous) instruction whose opnames or
    /// argrepr hold `needle`, in navigator order; which match it is and how
    /// many there are, 1-based.
    pub(super) fn search_bytecode(
        &mut self,
        needle: &str,
        forward: bool,
    ) -> Option<(usize, usize)> {
        // Every instruction of every code object, in navigator order.
        let order: Vec<(usize, usize)> = self
            .tree
            .iter()
            .flat_map(|e| {
                let n = self.code_at(e.code).map_or(0, |c| c.instructions.len());
                (0..n).map(move |i| (e.code, i))
            })
            .collect();
        let count = order.len();
        let start = order
            .iter()
            .position(|&p| p == (self.code, self.selected))?;
        let is_match: Vec<bool> = order
            .iter()
            .map(|&(c, i)| {
                let ins = &self.code_at(c).expect("listed above").instructions[i];
                ins.opname.to_lowercase().contains(needle)
                    || ins.base_opname.to_lowercase().contains(needle)
                    || ins.argrepr.to_lowercase().contains(needle)
            })
            .collect();
        let hit = (1..=count)
            .map(|k| wrap(start, k, count, forward))
            .find(|&k| is_match[k])?;
        let (code, i) = order[hit];
        if code != self.code {
            self.open_code(code, i);
        } else {
            self.select_instruction(i);
        }
        let at = is_match[..hit].iter().filter(|m| **m).count();
        Some((at + 1, is_match.iter().filter(|m| **m).count()))
    }
}

pub(super) fn wrap(start: usize, k: usize, count: usize, forward: bool) -> usize {
    if forward {
        (start + k) % count
    } else {
        (start + count * 2 - k) % count
    }
}
