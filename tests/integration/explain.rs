//! `specscope explain`: the texts cover exactly the opnames of the linked
//! interpreter, with its cache layouts, and the command prints them.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::linked;
use assert_cmd::Command;
use predicates::prelude::*;
use specscope::collect::python;
use specscope::explain::{self, CacheField, Lookup, Role};

fn interpreter_families() -> BTreeMap<String, Vec<String>> {
    let families = python::specializations().expect("opcode._specializations");
    assert!(families.contains_key("BINARY_OP"), "{families:?}");
    families
}

/// A JSON value computed by the linked interpreter.
fn python_json(expr: &str) -> serde_json::Value {
    let repr = python::eval_repr("import dis, json, opcode", &format!("json.dumps({expr})"))
        .expect("the expression evaluates");
    let text = repr.trim_matches('\'');
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn found(opname: &str) -> explain::Explanation {
    match explain::lookup_in(opname, linked(), &interpreter_families()) {
        Lookup::Found(e) => e,
        other => panic!("{opname} is not explained for {}: {other:?}", linked()),
    }
}

fn explain_cmd(opname: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("specscope")
        .unwrap()
        .args(["explain", opname])
        .env_remove("NO_COLOR")
        .assert()
}

#[test]
fn every_specialized_opname_of_the_linked_python_is_explained() {
    let families = interpreter_families();
    for (base, members) in &families {
        for member in members {
            let e = found(member);
            assert!(e.written, "no text for {member} in {}", linked());
            let family = e.family.as_ref().expect("a member has a family");
            assert_eq!(&family.base, base);
            assert_eq!(&family.asked, member);
            assert_ne!(e.role, Role::Family, "{member}");
            // The texts alone (no interpreter) agree on the family.
            match explain::lookup(member, linked()) {
                Lookup::Found(t) => {
                    assert_eq!(t.family.map(|f| f.base).as_deref(), Some(base.as_str()))
                }
                other => panic!("{member}: {other:?}"),
            }
        }
    }
}

#[test]
fn every_family_has_an_overview_listing_its_members() {
    let families = interpreter_families();
    for (base, members) in &families {
        let e = found(base);
        assert_eq!(e.role, Role::Family, "{base}");
        assert!(e.written, "no overview for {base} in {}", linked());
        assert_eq!(&e.family.unwrap().members, members);
    }
}

#[test]
fn the_texts_list_the_same_families_as_the_interpreter() {
    let written: BTreeMap<String, BTreeSet<String>> = explain::families(linked())
        .into_iter()
        .map(|(base, members)| (base, members.into_iter().collect()))
        .collect();
    let real: BTreeMap<String, BTreeSet<String>> = interpreter_families()
        .into_iter()
        .map(|(base, members)| (base, members.into_iter().collect()))
        .collect();
    assert_eq!(written, real);
}

#[test]
fn specialized_forms_with_a_cache_state_guards_and_misses() {
    for members in interpreter_families().values() {
        for member in members {
            let e = found(member);
            if e.role == Role::Specialized && !e.cache.is_empty() {
                let text = e.paragraphs.join("\n");
                assert!(text.contains("Guards:"), "{member}: {text}");
                assert!(text.contains("Misses:"), "{member}: {text}");
                assert!(text.contains("Faster:"), "{member}: {text}");
                assert!(!e.counter.is_empty(), "{member} has no counter text");
            }
        }
    }
}

#[test]
fn cache_layouts_match_opcode_cache_format() {
    let formats = python_json("{k: list(v.items()) for k, v in opcode._cache_format.items()}");
    let formats = formats.as_object().unwrap();
    assert!(formats.contains_key("LOAD_ATTR"));
    for (opname, fields) in formats {
        let expected: Vec<CacheField> = fields
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| CacheField {
                name: pair[0].as_str().unwrap().to_string(),
                units: pair[1].as_u64().unwrap() as u8,
            })
            .collect();
        assert_eq!(
            explain::cache_layout(opname, linked()).as_deref(),
            Some(expected.as_slice()),
            "{opname} in {}",
            linked()
        );
        // What the command shows for the instruction itself.
        assert_eq!(found(opname).cache, expected, "{opname}");
    }
}

#[test]
fn every_explained_opname_exists_in_the_linked_python() {
    let mut real: BTreeSet<String> = python_json("list(dis.opmap)")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    real.extend(interpreter_families().into_values().flatten());
    for name in explain::explained_opnames(linked()) {
        if name.contains('*') {
            continue;
        }
        assert!(
            real.contains(&name),
            "{name} is explained for {} but does not exist there",
            linked()
        );
    }
}

#[test]
fn instrumented_opnames_are_explained() {
    let names: Vec<String> = python_json("[n for n in dis.opmap if n.startswith('INSTRUMENTED_')]")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    if linked().minor >= 12 {
        assert!(!names.is_empty());
    }
    for name in names {
        let e = found(&name);
        assert_eq!(e.role, Role::Standalone);
        assert!(e.paragraphs.join(" ").contains("sys.monitoring"), "{name}");
    }
}

#[test]
fn explain_binary_op_add_int_states_its_guard_and_counter() {
    let counter = match (linked().major, linked().minor) {
        (3, 11) => "set to 53",
        _ => "cooldown (52, 0)",
    };
    explain_cmd("BINARY_OP_ADD_INT")
        .success()
        .stdout(predicate::str::contains(
            "Guards: both operands are exactly int",
        ))
        .stdout(predicate::str::contains(counter))
        .stdout(predicate::str::contains("* BINARY_OP_ADD_INT"))
        .stdout(predicate::str::contains(format!(
            "Python {}",
            linked().short()
        )));
}

#[test]
fn explain_binary_op_lists_every_member() {
    let members = interpreter_families()["BINARY_OP"].clone();
    let mut assert = explain_cmd("BINARY_OP")
        .success()
        .stdout(predicate::str::contains("* BINARY_OP  (generic form)"));
    for member in members {
        assert = assert.stdout(predicate::str::contains(format!("    {member}\n")));
    }
}

#[test]
fn explain_misspelt_name_exits_2_and_suggests() {
    explain_cmd("BINARY_OP_ADD_INTT")
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("did you mean BINARY_OP_ADD_INT"));
}

#[test]
fn explain_output_fits_80_columns() {
    let output = explain_cmd("LOAD_ATTR_INSTANCE_VALUE")
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    assert!(text.lines().count() > 10);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
}

#[test]
fn explain_an_opname_of_another_version_says_where_it_lives() {
    let assert = explain_cmd("LOAD_METHOD").success();
    if linked().minor == 11 {
        assert.stdout(predicate::str::starts_with(
            "LOAD_METHOD  (family, Python 3.11)",
        ));
    } else {
        assert
            .stdout(predicate::str::contains("it exists in 3.11"))
            .stdout(predicate::str::contains("LOAD_METHOD_WITH_VALUES"));
    }
}

#[test]
fn explain_is_case_insensitive() {
    explain_cmd("load_global_module")
        .success()
        .stdout(predicate::str::starts_with(
            "LOAD_GLOBAL_MODULE  (specialized form of LOAD_GLOBAL",
        ));
}
