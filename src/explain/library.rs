//! The texts of `assets/explain/*.md`, parsed once: entries, their
//! version-tagged paragraphs, cache layouts and stated miss causes.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use super::{CacheField, Claim, ClaimKind};

pub(super) const SOURCES: &[&str] = &[
    include_str!("../../assets/explain/counters.md"),
    include_str!("../../assets/explain/binary_op.md"),
    include_str!("../../assets/explain/binary_subscr.md"),
    include_str!("../../assets/explain/call.md"),
    include_str!("../../assets/explain/precall.md"),
    include_str!("../../assets/explain/compare_op.md"),
    include_str!("../../assets/explain/contains_op.md"),
    include_str!("../../assets/explain/for_iter.md"),
    include_str!("../../assets/explain/load_attr.md"),
    include_str!("../../assets/explain/load_method.md"),
    include_str!("../../assets/explain/load_super_attr.md"),
    include_str!("../../assets/explain/load_global.md"),
    include_str!("../../assets/explain/store_attr.md"),
    include_str!("../../assets/explain/store_subscr.md"),
    include_str!("../../assets/explain/unpack_sequence.md"),
    include_str!("../../assets/explain/send.md"),
    include_str!("../../assets/explain/to_bool.md"),
    include_str!("../../assets/explain/superinstructions.md"),
    include_str!("../../assets/explain/quickened.md"),
    include_str!("../../assets/explain/branches.md"),
    include_str!("../../assets/explain/instrumented.md"),
    include_str!("../../assets/explain/instructions.md"),
];

// ---------------------------------------------------------------------------
// The parsed texts.

pub(super) type Tag = Option<Vec<(u8, u8)>>;

pub(super) fn holds(tag: &Tag, v: (u8, u8)) -> bool {
    tag.as_ref().is_none_or(|vs| vs.contains(&v))
}

#[derive(Debug)]
pub(super) enum Body {
    Prose(String),
    Cache(Vec<CacheField>),
    Fields(String),
    Counter(String),
    Also(Vec<String>),
}

#[derive(Debug)]
pub(super) struct Paragraph {
    pub(super) tag: Tag,
    pub(super) body: Body,
}

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) parent: Option<String>,
    pub(super) exists: Tag,
    pub(super) paragraphs: Vec<Paragraph>,
}

impl Entry {
    pub(super) fn exists_in(&self, v: (u8, u8)) -> bool {
        holds(&self.exists, v)
    }

    pub(super) fn visible(&self, v: (u8, u8)) -> impl Iterator<Item = &Body> {
        self.paragraphs
            .iter()
            .filter(move |p| holds(&p.tag, v))
            .map(|p| &p.body)
    }

    pub(super) fn cache(&self, v: (u8, u8)) -> Option<&[CacheField]> {
        self.visible(v).find_map(|b| match b {
            Body::Cache(fields) => Some(fields.as_slice()),
            _ => None,
        })
    }

    pub(super) fn aliases(&self, v: (u8, u8)) -> Vec<String> {
        self.visible(v)
            .filter_map(|b| match b {
                Body::Also(names) => Some(names.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub(super) fn prose(&self, v: (u8, u8)) -> Vec<String> {
        self.visible(v)
            .filter_map(|b| match b {
                Body::Prose(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn fields(&self, v: (u8, u8)) -> Vec<String> {
        self.visible(v)
            .filter_map(|b| match b {
                Body::Fields(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn counter(&self, v: (u8, u8)) -> Vec<String> {
        self.visible(v)
            .filter_map(|b| match b {
                Body::Counter(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

pub(super) struct Library {
    pub(super) entries: Vec<Entry>,
}

pub(super) static LIBRARY: LazyLock<Library> = LazyLock::new(|| {
    let mut entries = Vec::new();
    for source in SOURCES {
        parse(source, &mut entries);
    }
    Library { entries }
});

impl Library {
    /// The entry that explains `name` in version `v` (by name or `Also:`).
    pub(super) fn entry(&self, name: &str, v: (u8, u8)) -> Option<&Entry> {
        let by_name = |e: &&Entry| e.name == name && e.exists_in(v);
        self.entries.iter().find(by_name).or_else(|| {
            self.entries
                .iter()
                .find(|e| e.aliases(v).iter().any(|a| a == name))
        })
    }

    pub(super) fn exists(&self, name: &str, v: (u8, u8)) -> bool {
        self.entry(name, v).is_some()
    }

    pub(super) fn names(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for entry in &self.entries {
            out.insert(entry.name.as_str());
            for p in &entry.paragraphs {
                if let Body::Also(names) = &p.body {
                    out.extend(names.iter().map(String::as_str));
                }
            }
        }
        out
    }

    pub(super) fn counter_text(&self, kind: &str, v: (u8, u8)) -> Vec<String> {
        self.entries
            .iter()
            .find(|e| e.name == kind)
            .map(|e| e.prose(v))
            .unwrap_or_default()
    }
}

/// Takes the `{id}` of each list item of a `Misses:` or `Does not miss:`
/// paragraph into `claims` and returns the paragraph as shown.
pub(super) fn read_claims(
    paragraph: &str,
    claims: &mut Vec<Claim>,
    unreachable: &mut Option<String>,
) -> String {
    if let Some(why) = paragraph.strip_prefix("Not reached from Python:") {
        *unreachable = Some(why.trim().to_string());
        return paragraph.to_string();
    }
    let kind = if paragraph.starts_with("Misses:") {
        ClaimKind::Misses
    } else if paragraph.starts_with("Does not miss:") {
        ClaimKind::Kept
    } else {
        return paragraph.to_string();
    };
    let mut shown = Vec::new();
    for line in paragraph.lines() {
        match line.strip_prefix("- ").and_then(split_id) {
            Some((text, id)) => {
                claims.push(Claim {
                    kind,
                    id: id.to_string(),
                    text: text.to_string(),
                });
                shown.push(format!("- {text}"));
            }
            None => shown.push(line.to_string()),
        }
    }
    shown.join("\n")
}

/// `text {id}` → (`text`, `id`) when the item ends in a well-formed id.
pub(super) fn split_id(item: &str) -> Option<(&str, &str)> {
    let (text, rest) = item.trim_end().rsplit_once(" {")?;
    let id = rest.strip_suffix('}')?;
    let well_formed = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    well_formed.then_some((text.trim_end(), id))
}

pub(super) fn parse_tag(text: &str) -> (Tag, &str) {
    let text = text.trim_start();
    let Some(rest) = text.strip_prefix('[') else {
        return (None, text);
    };
    let Some((inside, after)) = rest.split_once(']') else {
        return (None, text);
    };
    let versions: Option<Vec<(u8, u8)>> = inside
        .split_whitespace()
        .map(|v| {
            let (a, b) = v.split_once('.')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    match versions {
        Some(vs) if !vs.is_empty() => (Some(vs), after.trim_start()),
        _ => (None, text),
    }
}

pub(super) fn parse_cache(fields: &str) -> Vec<CacheField> {
    fields
        .trim_end_matches('.')
        .split(',')
        .filter_map(|field| {
            let (name, units) = field.trim().rsplit_once(' ')?;
            Some(CacheField {
                name: name.trim().to_string(),
                units: units.parse().ok()?,
            })
        })
        .collect()
}

pub(super) fn parse(source: &str, entries: &mut Vec<Entry>) {
    let mut family: Option<String> = None;
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, entries: &mut Vec<Entry>| {
        if paragraph.is_empty() {
            return;
        }
        let joined = paragraph.join("\n");
        paragraph.clear();
        let Some(entry) = entries.last_mut() else {
            return;
        };
        let (tag, text) = parse_tag(&joined);
        let body = if let Some(fields) = text.strip_prefix("Cache:") {
            Body::Cache(parse_cache(fields))
        } else if let Some(names) = text.strip_prefix("Also:") {
            Body::Also(
                names
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect(),
            )
        } else if let Some(fields) = text.strip_prefix("Fields:") {
            Body::Fields(join_lines(fields.trim()))
        } else if let Some(counter) = text.strip_prefix("Counter:") {
            Body::Counter(join_lines(counter.trim()))
        } else {
            Body::Prose(join_lines(text))
        };
        entry.paragraphs.push(Paragraph { tag, body });
    };
    for line in source.lines() {
        let heading = line
            .strip_prefix("## ")
            .map(|h| (true, h))
            .or_else(|| line.strip_prefix("# ").map(|h| (false, h)));
        if let Some((member, heading)) = heading {
            flush(&mut paragraph, entries);
            let (name, tag) = match heading.split_once(' ') {
                Some((name, rest)) => (name, parse_tag(rest).0),
                None => (heading.trim(), None),
            };
            if !member {
                family = Some(name.to_string());
            }
            entries.push(Entry {
                name: name.to_string(),
                parent: if member { family.clone() } else { None },
                exists: tag,
                paragraphs: Vec::new(),
            });
        } else if line.trim().is_empty() {
            flush(&mut paragraph, entries);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, entries);
}

/// Joins a paragraph's source lines: list items stay on their own lines,
/// everything else flows into one line.
pub(super) fn join_lines(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("- ") && !out.is_empty() {
            out.push('\n');
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}
