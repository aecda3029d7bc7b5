//! What changed between two snapshots: two runs, two edits of a program,
//! or two Python versions.
//!
//! Code objects are matched by file and qualname (the n-th of a name with
//! the n-th). Their sites are matched by family and by where they are in
//! the source, not by offset: the text the site covers and its columns
//! when the source was kept (so an edit that moves lines does not unpair
//! what it did not touch), its line and columns otherwise. Bytecode that
//! differs between versions, or around an edit, still lines up.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::summary::SiteState;
use crate::model::version::comparable_family;
use crate::model::{CodeObject, Instruction, Snapshot};

/// What happened to one site between snapshot A and snapshot B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Specialized in A, not in B.
    Lost,
    /// Not specialized in A, specialized in B.
    Specialized,
    /// Specialized in both, to different forms.
    ChangedForm,
    /// Not specialized in either; fine in A, backing off or given up in B.
    NowFailing,
    /// Not specialized in either; backing off or given up in A, fine in B.
    NoLongerFailing,
    /// A site of B that A does not have.
    Appeared,
    /// A site of A that B does not have.
    Disappeared,
    /// The same form (or the same kind of generic state) in both.
    Unchanged,
}

impl Change {
    /// Every change, in the order totals list them.
    pub const ALL: [Change; 8] = [
        Change::Lost,
        Change::Specialized,
        Change::ChangedForm,
        Change::NowFailing,
        Change::NoLongerFailing,
        Change::Appeared,
        Change::Disappeared,
        Change::Unchanged,
    ];

    fn between(a: &Instruction, sa: SiteState, b: &Instruction, sb: SiteState) -> Change {
        use SiteState::Specialized as S;
        match (sa, sb) {
            (S, S) if a.opname != b.opname => Change::ChangedForm,
            (S, S) => Change::Unchanged,
            (S, _) => Change::Lost,
            (_, S) => Change::Specialized,
            (x, y) if !x.failing() && y.failing() => Change::NowFailing,
            (x, y) if x.failing() && !y.failing() => Change::NoLongerFailing,
            _ => Change::Unchanged,
        }
    }
}

/// One side of a site: instruction `instruction` of the code object, and
/// the state it ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub instruction: usize,
    pub state: SiteState,
}

/// A site of A, of B, or of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteDiff {
    pub change: Change,
    pub a: Option<Side>,
    pub b: Option<Side>,
}

/// A code object of A, of B, or of both, with its sites in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDiff {
    /// Index in A's code objects.
    pub a: Option<usize>,
    /// Index in B's code objects.
    pub b: Option<usize>,
    pub sites: Vec<SiteDiff>,
}

impl FunctionDiff {
    /// Whether anything but [`Change::Unchanged`] happened here, or the
    /// code object is in one snapshot only.
    pub fn changed(&self) -> bool {
        self.a.is_none() || self.b.is_none() || self.sites.iter().any(|s| s.changed())
    }

    pub fn count(&self, change: Change) -> usize {
        self.sites.iter().filter(|s| s.change == change).count()
    }
}

impl SiteDiff {
    pub fn changed(&self) -> bool {
        self.change != Change::Unchanged
    }
}

/// Sites per kind of change, and code objects per kind of presence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub sites: BTreeMap<Change, usize>,
    /// Code objects found in both snapshots.
    pub matched: usize,
    pub only_a: usize,
    pub only_b: usize,
}

impl Totals {
    pub fn get(&self, change: Change) -> usize {
        self.sites.get(&change).copied().unwrap_or(0)
    }
}

/// A compared with B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// B's code objects in B's order, each with its partner in A; then the
    /// code objects only A has, in A's order.
    pub functions: Vec<FunctionDiff>,
    pub totals: Totals,
}

impl Diff {
    /// The code objects A and B have in common.
    pub fn in_common(&self) -> usize {
        self.totals.matched
    }
}

impl Diff {
    /// Keeps the code objects an `-f` pattern selects (by B's name, or A's
    /// when B has none), totals counted again. Returns the patterns that
    /// selected nothing.
    pub fn select(&mut self, a: &Snapshot, b: &Snapshot, patterns: &[String]) -> Vec<String> {
        if patterns.is_empty() {
            return Vec::new();
        }
        let mut hit = vec![false; patterns.len()];
        self.functions.retain(|f| {
            let code =
                f.b.map(|j| &b.code_objects[j])
                    .or_else(|| f.a.map(|i| &a.code_objects[i]))
                    .expect("a compared code object is in A or B");
            let mut kept = false;
            for (k, pattern) in patterns.iter().enumerate() {
                if selects(pattern, &code.filename, &code.qualname) {
                    hit[k] = true;
                    kept = true;
                }
            }
            kept
        });
        self.totals = totals(&self.functions);
        patterns
            .iter()
            .zip(hit)
            .filter(|(_, hit)| !hit)
            .map(|(p, _)| p.clone())
            .collect()
    }
}

fn totals(functions: &[FunctionDiff]) -> Totals {
    let mut totals = Totals::default();
    for function in functions {
        match (function.a, function.b) {
            (Some(_), Some(_)) => totals.matched += 1,
            (Some(_), None) => totals.only_a += 1,
            _ => totals.only_b += 1,
        }
        for site in &function.sites {
            *totals.sites.entry(site.change).or_default() += 1;
        }
    }
    totals
}

/// Compares snapshot `a` with snapshot `b`.
pub fn compare(a: &Snapshot, b: &Snapshot) -> Diff {
    let rename = file_rename(a, b);
    let file_of = |code: &CodeObject| -> String {
        match &rename {
            Some((from, to)) if &code.filename == from => to.clone(),
            _ => code.filename.clone(),
        }
    };
    // (file, qualname) → A's code objects of that name, in order.
    let mut in_a: HashMap<(String, &str), VecDeque<usize>> = HashMap::new();
    for (i, code) in a.code_objects.iter().enumerate() {
        in_a.entry((file_of(code), code.qualname.as_str()))
            .or_default()
            .push_back(i);
    }
    let (lines_a, lines_b) = (lines_of(a), lines_of(b));
    let mut paired = vec![false; a.code_objects.len()];
    let mut functions = Vec::new();
    for (j, code_b) in b.code_objects.iter().enumerate() {
        let i = in_a
            .get_mut(&(code_b.filename.clone(), code_b.qualname.as_str()))
            .and_then(VecDeque::pop_front);
        if let Some(i) = i {
            paired[i] = true;
        }
        let code_a = i.map(|i| &a.code_objects[i]);
        functions.push(FunctionDiff {
            a: i,
            b: Some(j),
            sites: compare_sites(&lines_a, code_a, &lines_b, Some(code_b)),
        });
    }
    for (i, code_a) in a.code_objects.iter().enumerate() {
        if !paired[i] {
            functions.push(FunctionDiff {
                a: Some(i),
                b: None,
                sites: compare_sites(&lines_a, Some(code_a), &lines_b, None),
            });
        }
    }
    let totals = totals(&functions);
    Diff { functions, totals }
}

/// The main script's file of A paired with B's, when the two differ
/// (`before.py` against `after.py`).
fn file_rename(a: &Snapshot, b: &Snapshot) -> Option<(String, String)> {
    use crate::model::TargetKind::Script;
    (a.target.kind == Script && b.target.kind == Script && a.target.filename != b.target.filename)
        .then(|| (a.target.filename.clone(), b.target.filename.clone()))
}

/// The lines of each file of a snapshot, split once.
type Lines<'s> = HashMap<&'s str, Vec<&'s str>>;

fn lines_of(snapshot: &Snapshot) -> Lines<'_> {
    snapshot
        .files
        .iter()
        .map(|(name, text)| (name.as_str(), text.lines().collect()))
        .collect()
}

/// Where a site is, as far as pairing goes: its family and the source it
/// covers.
type SiteKey = (String, String);

/// The source of `code`, when it was kept.
fn source_of<'l>(lines: &'l Lines, code: &CodeObject) -> Option<&'l Vec<&'l str>> {
    code.source_kept
        .then(|| lines.get(code.filename.as_str()))
        .flatten()
}

/// The sites of `code` (index, state, key), in source order; keyed by the
/// source's text when `source` is given.
fn sites(source: Option<&Vec<&str>>, code: &CodeObject) -> Vec<(usize, SiteState, SiteKey)> {
    let mut out: Vec<(usize, SiteState, SiteKey)> = code
        .instructions
        .iter()
        .enumerate()
        .filter(|(_, ins)| !ins.caches.is_empty())
        .filter_map(|(i, ins)| {
            let state = SiteState::of(code, ins)?;
            let family = comparable_family(&ins.base_opname).to_string();
            Some((
                i,
                state,
                (family, place_key(ins, source.map(Vec::as_slice))),
            ))
        })
        .collect();
    out.sort_by_key(|(i, _, _)| {
        let ins = &code.instructions[*i];
        let p = ins.positions;
        (
            p.and_then(|p| p.line).or(ins.line).unwrap_or(0),
            p.and_then(|p| p.col).unwrap_or(0),
            p.and_then(|p| p.end_line).unwrap_or(0),
            p.and_then(|p| p.end_col).unwrap_or(0),
            ins.offset,
        )
    });
    out
}

/// The source text a site covers on its first line, with its first column,
/// when the source is known; its line and columns otherwise.
fn place_key(ins: &Instruction, source: Option<&[&str]>) -> String {
    let Some(p) = ins.positions.filter(|p| p.line.is_some()) else {
        return match ins.line {
            Some(line) => format!("line {line}"),
            None => "?".into(),
        };
    };
    let (line, end_line) = (p.line.unwrap_or(0), p.end_line.or(p.line).unwrap_or(0));
    let (col, end_col) = (p.col.unwrap_or(0) as usize, p.end_col.map(|c| c as usize));
    // The first line of the span only: a loop's or a call's span takes in
    // lines an edit may have changed without touching the site.
    let spanned = source.and_then(|lines| {
        let text = lines.get(line.checked_sub(1)? as usize)?;
        let to = match end_col {
            Some(end) if end_line == line => end.max(col),
            _ => text.len(),
        };
        // Columns are byte offsets into the line's UTF-8 text.
        text.get(col..to).map(str::to_string)
    });
    match spanned {
        Some(text) => format!("{col}|{text}"),
        None => format!(
            "{line}:{col}-{end_line}:{}",
            end_col.map(|c| c.to_string()).unwrap_or_default()
        ),
    }
}

fn compare_sites(
    a: &Lines,
    code_a: Option<&CodeObject>,
    b: &Lines,
    code_b: Option<&CodeObject>,
) -> Vec<SiteDiff> {
    // The text of the source pairs sites only when both sides have it.
    let (source_a, source_b) = (
        code_a.and_then(|c| source_of(a, c)),
        code_b.and_then(|c| source_of(b, c)),
    );
    let both = code_a.is_none() || code_b.is_none() || (source_a.is_some() && source_b.is_some());
    let keep = |source| if both { source } else { None };
    let sites_a = code_a.map(|c| sites(keep(source_a), c)).unwrap_or_default();
    let sites_b = code_b.map(|c| sites(keep(source_b), c)).unwrap_or_default();
    let mut waiting: HashMap<&SiteKey, VecDeque<usize>> = HashMap::new();
    for (k, (_, _, key)) in sites_a.iter().enumerate() {
        waiting.entry(key).or_default().push_back(k);
    }
    let mut used = vec![false; sites_a.len()];
    // Each entry with the place it sorts at: B's order, A's own sites
    // after the B site that follows them in A.
    let mut out: Vec<((usize, usize), SiteDiff)> = Vec::new();
    let mut order_of_a = vec![None; sites_a.len()];
    for (kb, (ib, sb, key)) in sites_b.iter().enumerate() {
        let side_b = Side {
            instruction: *ib,
            state: *sb,
        };
        let partner = waiting.get_mut(key).and_then(VecDeque::pop_front);
        let diff = match partner {
            Some(ka) => {
                used[ka] = true;
                order_of_a[ka] = Some(kb);
                let (ia, sa, _) = &sites_a[ka];
                let (ins_a, ins_b) = (
                    &code_a.expect("A has the site").instructions[*ia],
                    &code_b.expect("B has the site").instructions[*ib],
                );
                SiteDiff {
                    change: Change::between(ins_a, *sa, ins_b, *sb),
                    a: Some(Side {
                        instruction: *ia,
                        state: *sa,
                    }),
                    b: Some(side_b),
                }
            }
            None => SiteDiff {
                change: Change::Appeared,
                a: None,
                b: Some(side_b),
            },
        };
        out.push(((kb, 1), diff));
    }
    // A site only A has goes before the next of A's sites that B has too.
    let mut next_paired = sites_b.len();
    for ka in (0..sites_a.len()).rev() {
        if let Some(kb) = order_of_a[ka] {
            next_paired = kb;
        } else if !used[ka] {
            let (ia, sa, _) = &sites_a[ka];
            out.push((
                (next_paired, 0),
                SiteDiff {
                    change: Change::Disappeared,
                    a: Some(Side {
                        instruction: *ia,
                        state: *sa,
                    }),
                    b: None,
                },
            ));
        }
    }
    // Stable: A's own sites keep their order among themselves once sorted
    // back (they were pushed last to first).
    out.reverse();
    out.sort_by_key(|(order, _)| *order);
    out.into_iter().map(|(_, d)| d).collect()
}

/// Whether `qualname` (of a code object in file `filename`) matches the
/// `-f` pattern `pattern`: a qualname glob (`*` any run of characters, `?`
/// one, `[seq]` one of seq, `[!seq]` one not in it), or `FILE:GLOB` where
/// FILE is the file's name or the end of its path.
pub fn selects(pattern: &str, filename: &str, qualname: &str) -> bool {
    match pattern.rsplit_once(':') {
        Some((file, glob)) if !file.is_empty() => {
            let file_matches = filename == file
                || filename.ends_with(&format!("/{file}"))
                || glob_matches(file, filename);
            file_matches && glob_matches(glob, qualname)
        }
        _ => glob_matches(pattern, qualname),
    }
}

/// `fnmatch.fnmatchcase`, as `-f` patterns use it.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative, with one remembered star: linear for ordinary patterns.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = class_matches(&p[pi..], t[ti]) {
                        if matched {
                            pi += len;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `[seq]` at the start of `p` matches `c`, and its length; `None`
/// when the `[` has no `]` (it is then itself).
fn class_matches(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut j = 1;
    let negate = p.get(j) == Some(&'!');
    if negate {
        j += 1;
    }
    let start = j;
    if p.get(j) == Some(&']') {
        j += 1;
    }
    while j < p.len() && p[j] != ']' {
        j += 1;
    }
    if j >= p.len() {
        return None;
    }
    let body = &p[start..j];
    let mut k = 0;
    let mut hit = false;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            hit |= body[k] <= c && c <= body[k + 2];
            k += 3;
        } else {
            hit |= body[k] == c;
            k += 1;
        }
    }
    Some((hit != negate, j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_fnmatchcase_does() {
        for (pattern, text, expected) in [
            ("*", "Point.norm", true),
            ("Point.*", "Point.norm", true),
            ("Point.*", "Pointer.norm", false),
            ("*.norm", "a.b.norm", true),
            ("no?m", "norm", true),
            ("no?m", "noorm", false),
            ("[abc]x", "bx", true),
            ("[!abc]x", "bx", false),
            ("[a-c]x", "cx", true),
            ("[x", "[x", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("", "", true),
            ("**", "x", true),
        ] {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} {text}");
        }
        assert!(selects("app.py:Point.*", "/src/app.py", "Point.norm"));
        assert!(!selects("lib.py:Point.*", "/src/app.py", "Point.norm"));
        assert!(selects("norm", "/src/app.py", "norm"));
    }
}
