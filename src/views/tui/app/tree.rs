//! The navigator's tree of code objects: module → class → function, nested
//! code under its parent, siblings in source order; filtered as `--only`
//! filters (`f`) and ordered by heat or failures (`s`).

use super::App;
use crate::analysis::summary::{Only, code_counts};
use crate::model::CodeObject;

/// How the navigator lists code objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The tree, siblings in source order.
    #[default]
    Source,
    /// Most samples first, as a flat list.
    Hottest,
    /// Most sites where specialization failed first, as a flat list.
    Failing,
}

impl App {
    /// `f`: all code objects → those that ran → failing → specialized → all.
    pub(super) fn cycle_filter(&mut self) {
        self.only = match self.only {
            None => Some(Only::Ran),
            Some(Only::Ran) => Some(Only::Failing),
            Some(Only::Failing) => Some(Only::Specialized),
            Some(Only::Specialized) => None,
        };
        self.rebuild_tree();
    }

    /// `s`: source order → hottest first → most failing first.
    pub(super) fn cycle_order(&mut self) {
        self.order = match self.order {
            Order::Source => Order::Hottest,
            Order::Hottest => Order::Failing,
            Order::Failing => Order::Source,
        };
        self.rebuild_tree();
    }

    /// The navigator's list for the filter and order in effect, judged at
    /// the moment on screen.
    pub(super) fn rebuild_tree(&mut self) {
        let codes = &self.snapshot.code_objects;
        let mut tree: Vec<TreeEntry> = build_tree(codes)
            .into_iter()
            .filter(|e| {
                self.only
                    .is_none_or(|only| self.code_at(e.code).is_some_and(|c| only.keeps(c)))
                    && self.compared_keeps(e.code)
            })
            .collect();
        match self.order {
            Order::Source => {}
            Order::Hottest => {
                tree.sort_by_key(|e| std::cmp::Reverse(codes[e.code].samples));
                tree.iter_mut().for_each(|e| e.depth = 0);
            }
            Order::Failing => {
                let failing = |e: &TreeEntry| {
                    self.code_at(e.code).map_or(0, |c| {
                        let counts = code_counts(c);
                        counts.get(crate::analysis::summary::SiteState::BackingOff)
                            + counts.get(crate::analysis::summary::SiteState::GivenUp)
                    })
                };
                tree.sort_by_key(|e| std::cmp::Reverse(failing(e)));
                tree.iter_mut().for_each(|e| e.depth = 0);
            }
        }
        self.tree = tree;
    }

    /// The filter and order in effect, for the navigator's title.
    pub fn navigator_view(&self) -> (Option<Only>, Order) {
        (self.only, self.order)
    }

    pub(super) fn tree_position(&self) -> Option<usize> {
        self.tree.iter().position(|e| e.code == self.code)
    }

    /// The navigator row of the code object on screen; `None` when the
    /// filter leaves it out.
    pub(in crate::views::tui) fn navigator_selected(&self) -> Option<usize> {
        self.tree_position()
    }

    /// The explorer with the navigator filtered as `--only` asked.
    pub fn with_only(mut self, only: Option<Only>) -> App {
        self.only = only;
        self.rebuild_tree();
        self
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
