//! Each lesson of the gallery shows what its docstring claims, on the
//! linked Python version, when run with its own `Try:` options.

use assert_cmd::Command;
use serde_json::Value;

fn lesson(name: &str) -> Value {
    let out = Command::cargo_bin("specscope")
        .unwrap()
        .args(["dump", "--example", name, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("valid JSON")
}

fn minor(doc: &Value) -> u64 {
    doc["python"]["version"]["minor"].as_u64().unwrap()
}

fn instructions<'a>(codes: &'a Value, qualname: &str) -> &'a Vec<Value> {
    codes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["qualname"] == qualname)
        .unwrap_or_else(|| panic!("no {qualname}"))["instructions"]
        .as_array()
        .unwrap()
}

fn live(doc: &Value, qualname: &str) -> Vec<String> {
    instructions(&doc["code_objects"], qualname)
        .iter()
        .map(|i| i["opname"].as_str().unwrap().to_string())
        .collect()
}

fn has(doc: &Value, qualname: &str, opname: &str) -> bool {
    live(doc, qualname).iter().any(|o| o == opname)
}

fn find<'a>(doc: &'a Value, qualname: &str, pred: impl Fn(&Value) -> bool) -> &'a Value {
    instructions(&doc["code_objects"], qualname)
        .iter()
        .find(|i| pred(i))
        .unwrap_or_else(|| panic!("no such instruction in {qualname}"))
}

fn meaning(ins: &Value, field: &str) -> String {
    ins["caches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == field)
        .and_then(|c| c["meaning"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn binary_ops_specialize_by_operand_type() {
    let doc = lesson("binary_ops");
    assert!(has(&doc, "ints", "BINARY_OP_ADD_INT"));
    assert!(has(&doc, "floats", "BINARY_OP_MULTIPLY_FLOAT"));
    assert!(has(&doc, "floats", "BINARY_OP_ADD_FLOAT"));
    assert!(has(&doc, "strings", "BINARY_OP_INPLACE_ADD_UNICODE"));
    assert!(doc["timeline"].as_array().unwrap().len() >= 5);
}

#[test]
fn attributes_name_the_class_of_their_type_version() {
    let doc = lesson("attributes");
    let x = find(&doc, "length", |i| i["argrepr"] == "x");
    assert_eq!(x["opname"], "LOAD_ATTR_INSTANCE_VALUE");
    assert_eq!(meaning(x, "version"), "type version of Point");
    let method = find(&doc, "work", |i| {
        i["argrepr"].as_str().unwrap().contains("scale")
    });
    assert!(
        method["opname"]
            .as_str()
            .unwrap()
            .ends_with("METHOD_WITH_VALUES")
    );
    assert_eq!(meaning(method, "descr"), "Point.scale (function)");
    assert!(has(&doc, "Point.scale", "STORE_ATTR_INSTANCE_VALUE"));
}

#[test]
fn globals_name_the_entry_and_whose_dict() {
    let doc = lesson("globals");
    let limit = find(&doc, "within", |i| {
        i["argrepr"].as_str().unwrap().contains("LIMIT")
    });
    assert_eq!(limit["opname"], "LOAD_GLOBAL_MODULE");
    assert!(meaning(limit, "index").ends_with("of the module's globals: LIMIT"));
    assert!(meaning(limit, "module_keys_version").contains("globals of module __main__"));
    let len = find(&doc, "within", |i| {
        i["argrepr"].as_str().unwrap().contains("len")
    });
    assert_eq!(len["opname"], "LOAD_GLOBAL_BUILTIN");
    assert!(meaning(len, "index").ends_with("of builtins: len"));
    assert_eq!(
        meaning(len, "builtin_keys_version"),
        "keys version of the builtins dict"
    );
}

#[test]
fn calls_specialize_per_callee() {
    let doc = lesson("calls");
    let call = find(&doc, "work", |i| i["opname"] == "CALL_PY_EXACT_ARGS");
    assert_eq!(meaning(call, "func_version"), "function area");
    let (len, append) = match minor(&doc) {
        11 => ("PRECALL_NO_KW_LEN", "PRECALL_NO_KW_LIST_APPEND"),
        12 => ("CALL_NO_KW_LEN", "CALL_NO_KW_LIST_APPEND"),
        _ => ("CALL_LEN", "CALL_LIST_APPEND"),
    };
    assert!(has(&doc, "work", len), "{:?}", live(&doc, "work"));
    assert!(has(&doc, "work", append), "{:?}", live(&doc, "work"));
}

#[test]
fn iteration_specializes_for_iter_from_3_12() {
    let doc = lesson("iteration");
    assert!(has(&doc, "work", "UNPACK_SEQUENCE_TWO_TUPLE"));
    if minor(&doc) == 11 {
        assert!(has(&doc, "work", "JUMP_BACKWARD_QUICK"));
        assert!(
            !live(&doc, "work")
                .iter()
                .any(|o| o.starts_with("FOR_ITER_"))
        );
    } else {
        for form in ["FOR_ITER_RANGE", "FOR_ITER_LIST", "FOR_ITER_GEN"] {
            assert!(has(&doc, "work", form), "{form}: {:?}", live(&doc, "work"));
        }
    }
}

#[test]
fn comparisons_and_truth_tests() {
    let doc = lesson("comparisons");
    let forms: &[&str] = if minor(&doc) == 11 {
        &[
            "COMPARE_OP_INT_JUMP",
            "COMPARE_OP_FLOAT_JUMP",
            "COMPARE_OP_STR_JUMP",
        ]
    } else {
        &["COMPARE_OP_INT", "COMPARE_OP_FLOAT", "COMPARE_OP_STR"]
    };
    for form in forms {
        assert!(
            has(&doc, "count_smaller", form),
            "{form}: {:?}",
            live(&doc, "count_smaller")
        );
    }
    if minor(&doc) >= 13 {
        for form in ["TO_BOOL_LIST", "TO_BOOL_INT", "TO_BOOL_STR", "TO_BOOL_NONE"] {
            assert!(
                has(&doc, "truthy", form),
                "{form}: {:?}",
                live(&doc, "truthy")
            );
        }
    }
}

#[test]
fn superinstructions_are_runtime_before_3_13_and_compiled_after() {
    let doc = lesson("superinstructions");
    let pair = find(&doc, "mix", |i| {
        i["opname"].as_str().unwrap().starts_with("LOAD_FAST") && i["argrepr"] == "a"
            || i["argrepr"] == "a, b"
    });
    if minor(&doc) >= 13 {
        assert_eq!(pair["base_opname"], "LOAD_FAST_LOAD_FAST");
        assert_eq!(pair["opname"], "LOAD_FAST_LOAD_FAST");
    } else {
        assert_eq!(pair["base_opname"], "LOAD_FAST");
        assert_eq!(pair["opname"], "LOAD_FAST__LOAD_FAST");
    }
}

fn plus_history(doc: &Value, qualname: &str) -> Vec<(String, String, Option<u64>)> {
    doc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            let ins = instructions(&step["code_objects"], qualname)
                .iter()
                .find(|i| i["base_opname"] == "BINARY_OP")
                .unwrap();
            (
                ins["opname"].as_str().unwrap().to_string(),
                ins["status"].as_str().unwrap().to_string(),
                ins["counter"]["backoff"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn polymorphism_backs_off_longer_each_time() {
    let doc = lesson("polymorphism");
    let history = plus_history(&doc, "double");
    let last = history.last().unwrap();
    assert_eq!(last.1, "adaptive", "{history:?}");
    let plus = find(&doc, "double", |i| i["base_opname"] == "BINARY_OP");
    assert_eq!(plus["counter"]["state"], "backing_off");
    let backoffs: Vec<u64> = history.iter().filter_map(|h| h.2).collect();
    assert!(backoffs.windows(2).all(|w| w[0] <= w[1]), "{history:?}");
    assert!(backoffs.last() > backoffs.first(), "{history:?}");
}

#[test]
fn deoptimization_goes_specialized_adaptive_specialized() {
    let doc = lesson("deoptimization");
    let history = plus_history(&doc, "add");
    let statuses: Vec<&str> = history.iter().map(|h| h.1.as_str()).collect();
    let first_specialized = statuses.iter().position(|s| *s == "specialized").unwrap();
    let adaptive_after = first_specialized
        + statuses[first_specialized..]
            .iter()
            .position(|s| *s == "adaptive")
            .expect("de-optimized");
    assert!(
        statuses[adaptive_after..].contains(&"specialized"),
        "{history:?}"
    );
    assert_eq!(history[first_specialized].0, "BINARY_OP_ADD_INT");
    assert_eq!(history.last().unwrap().0, "BINARY_OP_ADD_FLOAT");
}

#[test]
fn a_python_data_descriptor_never_specializes() {
    let doc = lesson("unspecializable");
    let celsius = find(&doc, "read", |i| i["argrepr"] == "celsius");
    assert_eq!(celsius["status"], "adaptive", "{}", celsius["opname"]);
    assert_eq!(celsius["counter"]["state"], "backing_off");
    let kelvin = find(&doc, "read", |i| i["argrepr"] == "kelvin");
    assert_eq!(kelvin["opname"], "LOAD_ATTR_INSTANCE_VALUE");
}

#[test]
fn examples_lists_every_lesson_and_unknown_names_are_refused() {
    let out = Command::cargo_bin("specscope")
        .unwrap()
        .arg("examples")
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for name in ["binary_ops", "deoptimization", "unspecializable"] {
        assert!(text.contains(name), "{text}");
    }
    Command::cargo_bin("specscope")
        .unwrap()
        .args(["dump", "--example", "deopt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean deoptimization"));
}
