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
        if !found {
            self.message = Some(format!(
                "no match for “{}”",
                crate::present::text::sanitize_line(&query)
            ));
        }
    }

    pub(super) fn search_source(&mut self, needle: &str, forward: bool) -> bool {
        let Some(file) = self.code_object().and_then(|c| self.source_file(c)) else {
            return false;
        };
        let count = file.line_count();
        let start = self.source_line as usize - 1;
        let hit = (1..=count)
            .map(|k| wrap(start, k, count, forward))
            .find(|&i| {
                file.line(i)
                    .is_some_and(|t| t.to_lowercase().contains(needle))
            });
        match hit {
            Some(i) => {
                self.select_source_line(i as u32 + 1);
                true
            }
            None => false,
        }
    }

    pub(super) fn search_bytecode(&mut self, needle: &str, forward: bool) -> bool {
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
        let Some(start) = order.iter().position(|&p| p == (self.code, self.selected)) else {
            return false;
        };
        let hit = (1..=count)
            .map(|k| order[wrap(start, k, count, forward)])
            .find(|&(c, i)| {
                let ins = &self.code_at(c).expect("listed above").instructions[i];
                ins.opname.to_lowercase().contains(needle)
                    || ins.base_opname.to_lowercase().contains(needle)
                    || ins.argrepr.to_lowercase().contains(needle)
            });
        match hit {
            Some((code, i)) => {
                if code != self.code {
                    self.open_code(code, i);
                } else {
                    self.select_instruction(i);
                }
                true
            }
            None => false,
        }
    }
}

pub(super) fn wrap(start: usize, k: usize, count: usize, forward: bool) -> usize {
    if forward {
        (start + k) % count
    } else {
        (start + count * 2 - k) % count
    }
}
