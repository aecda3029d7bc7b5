//! "Did you mean": the one way every command finds the names closest to a
//! name it does not know (opnames, lessons, `-f` patterns, subcommands).

/// Up to five known names that contain `name` (prefixes first, then the
/// shortest), or else up to three within a few typing mistakes of it.
/// Case is ignored.
pub fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = name.trim().to_ascii_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let known: Vec<&str> = known.into_iter().filter(|k| !k.starts_with('@')).collect();
    let mut parts: Vec<(bool, usize, &str)> = known
        .iter()
        .filter_map(|k| {
            let lower = k.to_ascii_lowercase();
            (lower != wanted && wanted.len() >= 3 && lower.contains(&wanted))
                .then(|| (!lower.starts_with(&wanted), k.len(), *k))
        })
        .collect();
    if !parts.is_empty() {
        parts.sort();
        parts.dedup();
        return parts
            .into_iter()
            .take(5)
            .map(|(_, _, k)| k.to_string())
            .collect();
    }
    let limit = (wanted.len() / 4).clamp(1, 4);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(&wanted, &k.to_ascii_lowercase()), *k))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_string())
        .collect()
}

/// `; did you mean A, B?` or nothing.
pub fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// Levenshtein distance over bytes.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPNAMES: &[&str] = &[
        "BINARY_OP",
        "BINARY_OP_ADD_INT",
        "BINARY_OP_ADD_FLOAT",
        "BINARY_OP_ADD_UNICODE",
        "BINARY_OP_SUBTRACT_INT",
        "LOAD_ATTR",
        "LOAD_ATTR_INSTANCE_VALUE",
        "STORE_ATTR_INSTANCE_VALUE",
    ];

    #[test]
    fn prefixes_and_parts_find_the_forms() {
        assert_eq!(
            suggest("BINARY_OP_ADD", OPNAMES.iter().copied()),
            [
                "BINARY_OP_ADD_INT",
                "BINARY_OP_ADD_FLOAT",
                "BINARY_OP_ADD_UNICODE"
            ]
        );
        assert_eq!(
            suggest("LOAD_ATTR_INSTANCE", OPNAMES.iter().copied()),
            ["LOAD_ATTR_INSTANCE_VALUE"]
        );
        assert_eq!(
            suggest("INSTANCE_VALUE", OPNAMES.iter().copied()),
            ["LOAD_ATTR_INSTANCE_VALUE", "STORE_ATTR_INSTANCE_VALUE"]
        );
    }

    #[test]
    fn typos_find_the_nearest() {
        assert_eq!(suggest("LOAD_ATR", OPNAMES.iter().copied()), ["LOAD_ATTR"]);
        assert_eq!(
            suggest("exmaples", ["dump", "examples", "explain"]),
            ["examples"]
        );
        assert!(suggest("zzzzzz", OPNAMES.iter().copied()).is_empty());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("BINARY_OP_ADD_INTT", "BINARY_OP_ADD_INT"), 1);
        assert_eq!(edit_distance("", "ABC"), 3);
        assert_eq!(edit_distance("CALL", "CALL"), 0);
    }
}
