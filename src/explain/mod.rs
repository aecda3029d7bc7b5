//! Explanations of opnames: what each family of the specializing interpreter
//! does, and what each specialized form assumes, skips, and needs to stay.
//!
//! The texts live in `assets/explain/*.md`, one file per family (plus a few
//! files for instructions that are not families). The format:
//!
//! - `# NAME [3.11 3.12]` starts an entry: a family's base opname or a
//!   standalone instruction. The bracket lists the versions in which the
//!   opname exists; without it, the entry holds for every version.
//! - `## NAME [3.12]` starts a member of the family above it.
//! - Paragraphs are separated by blank lines. A paragraph that starts with a
//!   version tag (`[3.11]`, `[3.12 3.13]`) only holds for those versions.
//! - After the tag, `Cache: counter 1, index 1` gives the inline-cache layout
//!   (field name, size in 16-bit units, as in `opcode._cache_format`),
//!   `Fields: ...` explains the cache fields (shown with every member),
//!   `Counter: ...` says what the first cache entry means, and
//!   `Also: NAME, NAME` lists further opnames the entry explains.
//! - Lines starting with `- ` are list items.
//!
//! `counters.md` holds the generic counter texts under `# @family`,
//! `# @adaptive`, `# @specialized` and `# @uncached`.

pub mod claims;
mod command;
mod library;
mod render;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::version::PythonVersion;

pub use command::{command, not_a_form};
use library::{LIBRARY, Library, read_claims};

/// Family base opname → its specialized forms, as `opcode._specializations`.
pub type Families = BTreeMap<String, Vec<String>>;

/// The versions the texts are written for.
pub const WRITTEN_FOR: &[(u8, u8)] = &[(3, 11), (3, 12), (3, 13)];

/// One field of an instruction's inline cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheField {
    pub name: String,
    /// Size in 16-bit code units.
    pub units: u8,
}

/// What an opname is in the asked version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The base opname of a family: the generic form the compiler emits.
    Family,
    /// 3.11's counting form of a family (`*_ADAPTIVE`).
    Adaptive,
    /// A specialized (or quickened, or combined) form of a family.
    Specialized,
    /// An instruction outside the families (superinstruction, branch, ...).
    Standalone,
}

/// A family, seen from one of its opnames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub base: String,
    pub members: Vec<String>,
    /// The opname that was asked about (the base or one of the members).
    pub asked: String,
}

/// Everything the texts say about one opname in one version.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub opname: String,
    pub version: PythonVersion,
    pub role: Role,
    pub family: Option<Family>,
    /// Paragraphs that hold for this version; list items start with `- `.
    pub paragraphs: Vec<String>,
    /// The inline-cache layout; empty when the instruction has no cache.
    pub cache: Vec<CacheField>,
    /// What the cache fields hold in this version (shared by a family).
    pub cache_notes: Vec<String>,
    /// What the first cache entry counts in this version.
    pub counter: Vec<String>,
    /// False when no text is written for this opname in this version.
    pub written: bool,
    /// The miss causes (and the things that do not miss) the text states,
    /// each with the id of the experiment that proves it.
    pub claims: Vec<Claim>,
    /// Why Python code cannot reach this form, when the text says so.
    pub unreachable: Option<String>,
}

/// Whether a stated cause makes the guard miss or leaves the form alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// Listed under `Misses:`.
    Misses,
    /// Listed under `Does not miss:`.
    Kept,
}

impl ClaimKind {
    /// The key of the experiment file's dict that holds this kind's statements.
    pub fn key(self) -> &'static str {
        match self {
            ClaimKind::Misses => "misses",
            ClaimKind::Kept => "kept",
        }
    }
}

/// The id a text gives a cause that Python code cannot trigger.
pub const NOT_FROM_PYTHON: &str = "not-from-python";

/// One cause a text states, as a list item ending in `{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: ClaimKind,
    pub id: String,
    /// The item as shown, without the id.
    pub text: String,
}

impl Claim {
    pub fn testable(&self) -> bool {
        self.id != NOT_FROM_PYTHON
    }
}

#[derive(Debug, Clone)]
pub enum Lookup {
    Found(Explanation),
    /// The opname exists only in other versions; the explanation is the one
    /// for the newest of them.
    OtherVersions {
        versions: Vec<String>,
        explanation: Box<Explanation>,
    },
    Unknown {
        opname: String,
        suggestions: Vec<String>,
    },
}

/// Looks an opname up with the families as the texts describe them for
/// `version`. Needs no interpreter, so any view can use it.
pub fn lookup(opname: &str, version: PythonVersion) -> Lookup {
    lookup_in(opname, version, &families(version))
}

/// The explanation of `opname` for `version` when the texts have one for
/// that version: what a writer needs, without the search for close names
/// that a miss costs [`lookup`].
pub fn written_for(opname: &str, version: PythonVersion) -> Option<Explanation> {
    let name = opname.trim().to_ascii_uppercase();
    explain(&LIBRARY, &name, version, &families(version))
}

/// Looks an opname up with the families of a real interpreter (for the linked
/// one, [`linked_families`]).
pub fn lookup_in(opname: &str, version: PythonVersion, families: &Families) -> Lookup {
    let name = opname.trim().to_ascii_uppercase();
    let lib = &*LIBRARY;
    if let Some(explanation) = explain(lib, &name, version, families) {
        return Lookup::Found(explanation);
    }
    let elsewhere: Vec<(u8, u8)> = WRITTEN_FOR
        .iter()
        .copied()
        .filter(|&v| lib.exists(&name, v))
        .collect();
    if let Some(&newest) = elsewhere.last() {
        let other = PythonVersion {
            major: newest.0,
            minor: newest.1,
            micro: 0,
        };
        if let Some(explanation) = explain(lib, &name, other, &self::families(other)) {
            return Lookup::OtherVersions {
                versions: elsewhere.iter().map(|(a, b)| format!("{a}.{b}")).collect(),
                explanation: Box::new(explanation),
            };
        }
    }
    let mut known: BTreeSet<&str> = lib.names();
    for (base, members) in families {
        known.insert(base);
        known.extend(members.iter().map(String::as_str));
    }
    Lookup::Unknown {
        suggestions: crate::present::suggest::suggest(&name, known),
        opname: opname.to_string(),
    }
}

/// The families as the texts describe them for `version` (empty for a
/// version the texts are not written for).
pub fn families(version: PythonVersion) -> Families {
    let v = (version.major, version.minor);
    let lib = &*LIBRARY;
    let mut out = Families::new();
    for entry in lib
        .entries
        .iter()
        .filter(|e| e.parent.is_none() && e.exists_in(v))
    {
        let members: Vec<String> = lib
            .entries
            .iter()
            .filter(|m| m.parent.as_deref() == Some(&entry.name) && m.exists_in(v))
            .map(|m| m.name.clone())
            .collect();
        if !members.is_empty() {
            out.insert(entry.name.clone(), members);
        }
    }
    out
}

/// The cache layout the texts give for an opname's entry in `version`, or
/// `None` when the texts give none (the instruction has no cache).
pub fn cache_layout(opname: &str, version: PythonVersion) -> Option<Vec<CacheField>> {
    let v = (version.major, version.minor);
    LIBRARY
        .entry(opname, v)
        .and_then(|e| e.cache(v))
        .map(<[CacheField]>::to_vec)
}

/// Every opname the texts explain for `version` (entries, members, `Also:`).
pub fn explained_opnames(version: PythonVersion) -> BTreeSet<String> {
    let v = (version.major, version.minor);
    let mut out = BTreeSet::new();
    for entry in LIBRARY
        .entries
        .iter()
        .filter(|e| e.exists_in(v) && !e.name.starts_with('@'))
    {
        out.insert(entry.name.clone());
        out.extend(entry.aliases(v).iter().cloned());
    }
    out
}

/// The families of the linked interpreter, from its `opcode._specializations`.
pub fn linked_families() -> Result<Families, String> {
    crate::collect::python::specializations().map_err(|e| format!("{e:?}"))
}

fn explain(
    lib: &Library,
    name: &str,
    version: PythonVersion,
    families: &Families,
) -> Option<Explanation> {
    let v = (version.major, version.minor);
    let in_family = families
        .iter()
        .find(|(base, members)| *base == name || members.iter().any(|m| m == name));
    let (role, family) = match in_family {
        Some((base, members)) => {
            let role = if base == name {
                Role::Family
            } else if v == (3, 11) && name.ends_with("_ADAPTIVE") {
                Role::Adaptive
            } else {
                Role::Specialized
            };
            let family = Family {
                base: base.clone(),
                members: members.clone(),
                asked: name.to_string(),
            };
            (role, Some(family))
        }
        None if lib.exists(name, v) && !name.starts_with('@') => (Role::Standalone, None),
        None => return None,
    };
    let entry = lib.entry(name, v);
    // Members share the cache of their family's base instruction.
    let cache_owner = match &family {
        Some(f) => lib.entry(&f.base, v),
        None => entry,
    };
    let cache = cache_owner
        .and_then(|e| e.cache(v))
        .map(<[CacheField]>::to_vec)
        .unwrap_or_default();
    let cache_notes = cache_owner.map(|e| e.fields(v)).unwrap_or_default();
    let mut counter = entry.map(|e| e.counter(v)).unwrap_or_default();
    if counter.is_empty() && family.is_some() {
        // A family without a cache (3.11's RESUME, LOAD_FAST, ...) has no
        // counter at all; its members are rewritten once and stay.
        let kind = match role {
            Role::Family if cache.is_empty() => None,
            _ if cache.is_empty() => Some("@uncached"),
            Role::Family => Some("@family"),
            Role::Adaptive => Some("@adaptive"),
            _ => Some("@specialized"),
        };
        counter = kind.map(|k| lib.counter_text(k, v)).unwrap_or_default();
    }
    let mut claims = Vec::new();
    let mut unreachable = None;
    let paragraphs: Vec<String> = entry
        .map(|e| e.prose(v))
        .unwrap_or_default()
        .iter()
        .map(|p| read_claims(p, &mut claims, &mut unreachable))
        .collect();
    Some(Explanation {
        opname: name.to_string(),
        version,
        role,
        family,
        written: !paragraphs.is_empty(),
        paragraphs,
        cache,
        cache_notes,
        counter,
        claims,
        unreachable,
    })
}

#[cfg(test)]
mod tests {
    use super::library::{parse_cache, parse_tag};
    use super::render::WIDTH;
    use super::*;

    fn v(s: &str) -> PythonVersion {
        s.parse().unwrap()
    }

    #[test]
    fn misspelt_names_get_suggestions() {
        match lookup("BINARY_OP_ADD_INTT", v("3.12.1")) {
            Lookup::Unknown { suggestions, .. } => {
                assert_eq!(
                    suggestions.first().map(String::as_str),
                    Some("BINARY_OP_ADD_INT")
                )
            }
            other => panic!("expected an unknown name, got {other:?}"),
        }
    }

    #[test]
    fn tags_select_paragraphs_by_version() {
        let (tag, rest) = parse_tag("[3.12 3.13] Cache: counter 1");
        assert_eq!(tag, Some(vec![(3, 12), (3, 13)]));
        assert_eq!(rest, "Cache: counter 1");
        assert_eq!(parse_tag("[x] text").0, None);
        assert_eq!(
            parse_cache(" counter 1, version 2, index 1"),
            vec![
                CacheField {
                    name: "counter".into(),
                    units: 1
                },
                CacheField {
                    name: "version".into(),
                    units: 2
                },
                CacheField {
                    name: "index".into(),
                    units: 1
                },
            ]
        );
    }

    #[test]
    fn wrapping_keeps_lines_within_the_width() {
        for version in ["3.11.7", "3.12.1", "3.13.0"] {
            for name in explained_opnames(v(version)) {
                if let Lookup::Found(e) = lookup(&name, v(version)) {
                    for line in e.render(WIDTH).lines() {
                        assert!(line.chars().count() <= WIDTH, "{name} {version}: {line}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_311_families_are_the_ones_written_for_311() {
        // A fact from CPython 3.11's opcode._specializations, independent of
        // the linked interpreter.
        let f = families(v("3.11.7"));
        assert!(f["LOAD_METHOD"].contains(&"LOAD_METHOD_WITH_VALUES".to_string()));
        assert!(f["PRECALL"].contains(&"PRECALL_NO_KW_LEN".to_string()));
        assert!(!f.contains_key("TO_BOOL"));
        assert_eq!(f["BINARY_OP"].len(), 9);
    }

    #[test]
    fn every_written_version_explains_the_add_int_guard_and_counter() {
        for (version, counter) in [("3.11.7", "53"), ("3.12.1", "52"), ("3.13.0", "52")] {
            let Lookup::Found(e) = lookup("BINARY_OP_ADD_INT", v(version)) else {
                panic!("BINARY_OP_ADD_INT not found for {version}");
            };
            assert_eq!(e.role, Role::Specialized);
            let text = e.render(WIDTH);
            assert!(text.contains("int"), "{version}: {text}");
            assert!(
                e.counter.join(" ").contains(counter),
                "{version}: {:?}",
                e.counter
            );
        }
    }

    #[test]
    fn an_opname_of_another_version_says_where_it_exists() {
        match lookup("LOAD_METHOD", v("3.13.0")) {
            Lookup::OtherVersions {
                versions,
                explanation,
            } => {
                assert_eq!(versions, vec!["3.11".to_string()]);
                assert_eq!(explanation.version.short(), "3.11");
                assert_eq!(explanation.role, Role::Family);
            }
            other => panic!("expected another version, got {other:?}"),
        }
    }

    fn found(name: &str, version: &str) -> Explanation {
        match lookup(name, v(version)) {
            Lookup::Found(e) => e,
            other => panic!("{name} {version}: {other:?}"),
        }
    }

    #[test]
    fn members_show_their_family_cache_notes() {
        // 3.13 stores LOAD_GLOBAL's keys versions before the index, unlike
        // the order opcode._cache_format lists.
        let e = found("LOAD_GLOBAL_MODULE", "3.13.0");
        assert!(
            e.cache_notes
                .iter()
                .any(|n| n.contains("module_keys_version in the first unit"))
        );
        let e = found("LOAD_GLOBAL_MODULE", "3.12.1");
        assert!(!e.cache_notes.iter().any(|n| n.contains("first unit")));
        assert_eq!(e.cache.iter().map(|f| f.units).sum::<u8>(), 4);
    }

    #[test]
    fn counter_texts_follow_the_role_and_the_version() {
        let e = found("LOAD_ATTR_ADAPTIVE", "3.11.7");
        assert_eq!(e.role, Role::Adaptive);
        assert!(e.counter.join(" ").contains("(31, 5)"));
        let e = found("LOAD_ATTR", "3.12.1");
        assert_eq!(e.role, Role::Family);
        assert!(e.counter.join(" ").contains("warm-up (value 1, backoff 1)"));
        let e = found("LOAD_FAST__LOAD_FAST", "3.12.1");
        assert!(e.cache.is_empty());
        assert!(e.counter.join(" ").contains("no inline cache"));
        let e = found("JUMP_BACKWARD", "3.13.0");
        assert_eq!(e.role, Role::Standalone);
        assert_eq!(e.cache.len(), 1);
        assert!(e.counter.join(" ").contains("(16, 4)"));
        let e = found("JUMP_BACKWARD_QUICK", "3.11.7");
        assert!(e.cache.is_empty());
    }

    #[test]
    fn lookup_ignores_case() {
        assert!(matches!(lookup("binary_op", v("3.12.1")), Lookup::Found(_)));
    }
}
