//! The environment variables the embedded interpreter reads when it starts.
//!
//! CPython ends the whole process with a "Fatal Python error" when one of
//! them holds a value it cannot start with (`PYTHONHASHSEED=abc`, a
//! `PYTHONHOME` without a standard library, an unknown `PYTHONIOENCODING`).
//! specscope checks them first, with CPython's own rules for each version,
//! so that such a value is named in one line and ends with a documented exit
//! code ([`crate::exit::ENVIRONMENT`]) before Python is started.

use std::path::{Path, PathBuf};

/// A variable the interpreter cannot start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub variable: &'static str,
    pub value: String,
    /// What the interpreter needs instead.
    pub needs: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the environment variable {}={:?} keeps Python from starting: it needs {} (fix or unset it)",
            self.variable, self.value, self.needs
        )
    }
}

/// Where the standard library of the linked interpreter is looked for.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The prefix of the linked interpreter (`sys.base_prefix`), when known.
    pub prefix: Option<PathBuf>,
}

impl Layout {
    /// The layout of the interpreter specscope was built against: the
    /// folder above the `bin/` of the python recorded at build time.
    pub fn linked(python: &Path) -> Layout {
        Layout {
            prefix: python
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf),
        }
    }
}

/// Checks the variables CPython 3.11–3.13 validate when they start (as
/// `python` reads them: `PyConfig_InitPythonConfig`), for the linked
/// interpreter's `version`. `var` reads a variable (the process environment
/// in use; a map in tests). The first problem found is returned.
pub fn check(
    version: (u8, u8),
    layout: &Layout,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Problem> {
    // CPython ignores a variable set to the empty string.
    let get = |name: &str| var(name).filter(|v| !v.is_empty());
    let problem = |variable: &'static str, value: String, needs: &str| Problem {
        variable,
        value,
        needs: needs.to_string(),
    };
    if let Some(v) = get("PYTHONMALLOC") {
        let mut known = vec![
            "default",
            "debug",
            "malloc",
            "malloc_debug",
            "pymalloc",
            "pymalloc_debug",
        ];
        if version >= (3, 13) {
            known.extend(["mimalloc", "mimalloc_debug"]);
        }
        if !known.contains(&v.as_str()) {
            let needs = format!("one of {}", known.join(", "));
            return Err(problem("PYTHONMALLOC", v, &needs));
        }
    }
    if let Some(v) = get("PYTHONUTF8")
        && v != "0"
        && v != "1"
    {
        return Err(problem("PYTHONUTF8", v, "0 or 1"));
    }
    if let Some(v) = get("PYTHONHASHSEED")
        && v != "random"
        && c_strtoul(&v).is_none_or(|n| n > u64::from(u32::MAX))
    {
        return Err(problem(
            "PYTHONHASHSEED",
            v,
            "\"random\" or a whole number from 0 to 4294967295",
        ));
    }
    if let Some(v) = get("PYTHONTRACEMALLOC")
        && !c_str_to_int(&v).is_some_and(|n| (0..=65535).contains(&n))
    {
        return Err(problem(
            "PYTHONTRACEMALLOC",
            v,
            "a number of frames from 0 to 65535",
        ));
    }
    if let Some(v) = get("PYTHONINTMAXSTRDIGITS")
        && !c_str_to_int(&v).is_some_and(|n| n == 0 || n >= 640)
    {
        return Err(problem(
            "PYTHONINTMAXSTRDIGITS",
            v,
            "0 (no limit) or a number of digits of at least 640",
        ));
    }
    if version >= (3, 13) {
        if let Some(v) = get("PYTHON_CPU_COUNT")
            && v != "default"
            && c_str_to_int(&v).is_none_or(|n| n < 1)
        {
            return Err(problem(
                "PYTHON_CPU_COUNT",
                v,
                "\"default\" or a number of CPUs of at least 1",
            ));
        }
        if let Some(v) = get("PYTHON_GIL")
            && v != "0"
            && v != "1"
        {
            return Err(problem("PYTHON_GIL", v, "0 or 1"));
        }
        if let Some(v) = get("PYTHON_FROZEN_MODULES")
            && v != "on"
            && v != "off"
        {
            return Err(problem("PYTHON_FROZEN_MODULES", v, "on or off"));
        }
    }
    let home = get("PYTHONHOME");
    let platlibdir = get("PYTHONPLATLIBDIR");
    // PYTHONHOME is PREFIX or PREFIX:EXEC_PREFIX; the standard library
    // lives under the first.
    let prefix = home
        .as_deref()
        .map(|h| PathBuf::from(h.split(':').next().unwrap_or(h)))
        .or_else(|| layout.prefix.clone());
    let stdlib = prefix.as_deref().and_then(|p| {
        let dirs = match &platlibdir {
            Some(dir) => vec![dir.as_str()],
            None => vec!["lib", "lib64"],
        };
        dirs.into_iter()
            .find_map(|dir| stdlib_in(&p.join(dir), version))
    });
    // (Without PYTHONHOME and without a known prefix, nothing can be said.)
    if stdlib.is_none() && (home.is_some() || (platlibdir.is_some() && prefix.is_some())) {
        let (variable, value) = match (home, platlibdir) {
            (Some(h), _) => ("PYTHONHOME", h),
            (None, Some(d)) => ("PYTHONPLATLIBDIR", d),
            (None, None) => unreachable!("one of them is set"),
        };
        let (major, minor) = version;
        let needs = if variable == "PYTHONHOME" {
            format!(
                "a folder holding the standard library of Python {major}.{minor} \
                 (PYTHONHOME/lib/python{major}.{minor}/encodings)"
            )
        } else {
            format!(
                "the folder that holds the standard library of Python {major}.{minor} \
                 under the prefix (PREFIX/PYTHONPLATLIBDIR/python{major}.{minor}; lib, as a rule)"
            )
        };
        return Err(problem(variable, value, &needs));
    }
    if let Some(v) = get("PYTHONIOENCODING")
        && let Some(stdlib) = &stdlib
    {
        let encoding = v.split(':').next().unwrap_or("");
        if !encoding.is_empty() && !is_text_codec(stdlib, encoding) {
            return Err(problem(
                "PYTHONIOENCODING",
                v,
                "a text encoding Python knows (utf-8, latin-1, ...), optionally followed by :ERRORS",
            ));
        }
    }
    Ok(())
}

/// The standard library folder under `lib` (`PREFIX/lib`), if it is there:
/// a `pythonX.Y` (or free-threaded `pythonX.Yt`) folder holding the
/// `encodings` package, or the zipped library.
fn stdlib_in(lib: &Path, (major, minor): (u8, u8)) -> Option<PathBuf> {
    for suffix in ["", "t"] {
        let dir = lib.join(format!("python{major}.{minor}{suffix}"));
        let package = dir.join("encodings");
        if package.join("__init__.py").is_file() || package.join("__init__.pyc").is_file() {
            return Some(dir);
        }
        if lib
            .join(format!("python{major}{minor}{suffix}.zip"))
            .is_file()
        {
            // A zipped library cannot be looked into here: trust it.
            return Some(dir);
        }
    }
    None
}

/// What `codecs.lookup(name)` would find when the interpreter opens its
/// standard streams: the `encodings` package's search function, which
/// normalizes the name, follows `encodings/aliases.py`, and imports the
/// module of that name; a codec that is not a text encoding (`hex`,
/// `rot13`) cannot make a text stream.
fn is_text_codec(stdlib: &Path, name: &str) -> bool {
    let encodings = stdlib.join("encodings");
    if !encodings.join("aliases.py").is_file() {
        return true; // not a layout this knows: let the interpreter decide
    }
    let norm = normalize_encoding(name);
    let aliases = std::fs::read_to_string(encodings.join("aliases.py")).unwrap_or_default();
    let alias = |key: &str| {
        aliases.lines().find_map(|line| {
            let rest = line.trim_start().strip_prefix('\'')?;
            let (k, rest) = rest.split_once('\'')?;
            let rest = rest.trim_start().strip_prefix(':')?.trim_start();
            let v = rest.strip_prefix('\'')?.split_once('\'')?.0;
            (k == key).then(|| v.to_string())
        })
    };
    let aliased = alias(&norm).or_else(|| alias(&norm.replace('.', "_")));
    let candidates: Vec<String> = aliased.into_iter().chain([norm]).collect();
    candidates.iter().any(|module| {
        if module.is_empty() || module.contains('.') {
            return false;
        }
        // Windows-only codecs: their modules import what only exists there.
        if cfg!(not(windows)) && matches!(module.as_str(), "mbcs" | "oem") {
            return false;
        }
        let Ok(source) = std::fs::read_to_string(encodings.join(format!("{module}.py"))) else {
            return false;
        };
        source.contains("def getregentry") && !source.contains("_is_text_encoding=False")
    })
}

/// CPython's `_Py_normalize_encoding`: ASCII letters lowercased, digits and
/// dots kept, every run of anything else one `_` (none at the start).
fn normalize_encoding(name: &str) -> String {
    let mut out = String::new();
    let mut punct = false;
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' {
            if punct && !out.is_empty() {
                out.push('_');
            }
            punct = false;
            out.push(b.to_ascii_lowercase() as char);
        } else {
            punct = true;
        }
    }
    out
}

/// C's `strtoul(text, &end, 10)` with `*end == '\0'` required and no
/// overflow: leading white space, a sign (a minus negates modulo 2**64),
/// then at least one digit and nothing after.
fn c_strtoul(text: &str) -> Option<u64> {
    let (negative, digits) = c_number(text)?;
    let value = digits.parse::<u64>().ok()?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// CPython's `_Py_str_to_int`: `strtol` base 10, the whole string, within
/// a C int.
fn c_str_to_int(text: &str) -> Option<i32> {
    let (negative, digits) = c_number(text)?;
    let value = digits.parse::<i64>().ok()?;
    i32::try_from(if negative { -value } else { value }).ok()
}

fn c_number(text: &str) -> Option<(bool, &str)> {
    let text = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some((negative, digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_one(version: (u8, u8), name: &str, value: &str) -> Result<(), Problem> {
        let (name, value) = (name.to_string(), value.to_string());
        let layout = Layout {
            prefix: Some(PathBuf::from("/nonexistent-prefix")),
        };
        check(version, &layout, &move |n| {
            (n == name).then(|| value.clone())
        })
    }

    #[test]
    fn numbers_follow_c() {
        assert_eq!(c_strtoul(" +5"), Some(5));
        assert_eq!(c_strtoul("-0"), Some(0));
        assert_eq!(c_strtoul("5 "), None);
        assert_eq!(c_strtoul(" "), None);
        assert_eq!(c_str_to_int("2147483648"), None);
        assert_eq!(c_str_to_int("-7"), Some(-7));
    }

    #[test]
    fn values_python_refuses_are_named() {
        for (name, value) in [
            ("PYTHONHASHSEED", "abc"),
            ("PYTHONHASHSEED", "-1"),
            ("PYTHONHASHSEED", "4294967296"),
            ("PYTHONMALLOC", "bogus"),
            ("PYTHONUTF8", "7"),
            ("PYTHONTRACEMALLOC", "65536"),
            ("PYTHONINTMAXSTRDIGITS", "5"),
            ("PYTHONHOME", "/nonexistent"),
            ("PYTHONPLATLIBDIR", "nope"),
        ] {
            let found = check_one((3, 12), name, value).expect_err(value);
            assert_eq!(found.variable, name);
        }
        for (name, value) in [
            ("PYTHONHASHSEED", "random"),
            ("PYTHONHASHSEED", " +5"),
            ("PYTHONHASHSEED", ""),
            ("PYTHONTRACEMALLOC", "65535"),
            ("PYTHONINTMAXSTRDIGITS", "0"),
            ("PYTHON_GIL", "5"),
            ("PYTHONMALLOC", "pymalloc_debug"),
        ] {
            assert_eq!(check_one((3, 12), name, value), Ok(()), "{name}={value}");
        }
        assert!(check_one((3, 13), "PYTHON_GIL", "5").is_err());
        assert!(check_one((3, 13), "PYTHON_CPU_COUNT", "0").is_err());
        assert!(check_one((3, 13), "PYTHONMALLOC", "mimalloc").is_ok());
        assert!(check_one((3, 12), "PYTHONMALLOC", "mimalloc").is_err());
    }

    #[test]
    fn encoding_names_are_normalized_as_cpython_does() {
        assert_eq!(normalize_encoding("UTF-8"), "utf_8");
        assert_eq!(normalize_encoding("utf 8"), "utf_8");
        assert_eq!(normalize_encoding("__init__"), "init");
        assert_eq!(normalize_encoding(".utf8"), ".utf8");
    }
}
