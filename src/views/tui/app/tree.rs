//! The navigator's tree of code objects: module → class → function, nested
//! code under its parent, siblings in source order.

use super::App;
use crate::model::CodeObject;

impl App {
    pub(super) fn tree_position(&self) -> Option<usize> {
        self.tree.iter().position(|e| e.code == self.code)
    }

    pub(in crate::views::tui) fn navigator_selected(&self) -> usize {
        self.tree_position().unwrap_or(0)
    }
}

/// One entry of the code-object navigator: module → class → function, nested
/// code under its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub code: usize,
    pub depth: usize,
}

pub(super) fn build_tree(codes: &[CodeObject]) -> Vec<TreeEntry> {
    fn visit(codes: &[CodeObject], code: usize, depth: usize, out: &mut Vec<TreeEntry>) {
        out.push(TreeEntry { code, depth });
        let mut children: Vec<usize> = (0..codes.len())
            .filter(|&i| i != code && codes[i].parent == Some(code))
            .collect();
        children.sort_by_key(|&i| (codes[i].first_line, i));
        for child in children {
            visit(codes, child, depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(codes.len());
    for (i, c) in codes.iter().enumerate() {
        let orphan = c.parent.is_none_or(|p| p >= codes.len() || p == i);
        if orphan {
            visit(codes, i, 0, &mut out);
        }
    }
    out
}
