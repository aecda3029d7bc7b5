//! JSON schema 1 stays as it is: the shape of the demo's and every lesson's
//! JSON (each field's path and the JSON types it holds, and the spellings of
//! every closed set of names) is kept as a snapshot per Python version, so
//! that a renamed field or enum value shows up as a difference.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use specscope::collect::request::{Request, Target};
use specscope::views::dump::{self, Format};

/// Fields that hold one of a closed set of names: their values are part of
/// the schema.
const CLOSED_SETS: &[&str] = &[
    ".code_objects[].kind",
    ".code_objects[].instructions[].status",
    ".code_objects[].instructions[].counter.state",
    ".timeline[].phase",
    ".timeline[].code_objects[].instructions[].status",
    ".timeline[].code_objects[].instructions[].counter.state",
    ".target.kind",
    ".run.output[].stream",
    ".run.exit.how",
    ".run.stopped.reason",
    ".run.exception.phase",
    ".run.exit.phase",
    ".run.stopped.phase",
    ".why.scope",
];

fn walk(value: &Value, path: &str, shape: &mut BTreeMap<String, BTreeSet<String>>) {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let seen = shape.entry(path.to_string()).or_default();
    seen.insert(kind.to_string());
    match value {
        Value::String(s) if CLOSED_SETS.contains(&path) => {
            seen.insert(format!("\"{s}\""));
        }
        Value::Array(items) => {
            for item in items {
                walk(item, &format!("{path}[]"), shape);
            }
        }
        Value::Object(fields) => {
            // Maps keyed by data (file names, family names) are one field.
            let keyed = path.ends_with(".files") || path.ends_with(".families");
            for (key, item) in fields {
                let key = if keyed { "*" } else { key.as_str() };
                walk(item, &format!("{path}.{key}"), shape);
            }
        }
        _ => {}
    }
}

#[test]
fn json_keeps_schema_1() {
    let mut requests = vec![Request::new(Target::Demo)];
    for example in specscope::examples::all() {
        let cli = <specscope::cli::Cli as clap::Parser>::try_parse_from([
            "specscope",
            "--example",
            example.name,
        ])
        .expect("the lesson's options parse");
        requests.push(cli.target.request().expect("the lesson exists"));
    }
    // --why on the polymorphism lesson, and --why-all on the demo.
    for (name, scope) in [
        (Some("polymorphism"), specscope::model::WhyScope::Failing),
        (None, specscope::model::WhyScope::All),
    ] {
        let mut request = match name {
            Some(name) => <specscope::cli::Cli as clap::Parser>::try_parse_from([
                "specscope",
                "--example",
                name,
            ])
            .expect("the lesson's options parse")
            .target
            .request()
            .expect("the lesson exists"),
            None => Request::new(Target::Demo),
        };
        request.why = Some(scope);
        requests.push(request);
    }
    // How a run can end: an exception, sys.exit with output on both
    // streams, os._exit, and a --timeout.
    // A run without sampling.
    let mut unsampled = Request::new(Target::Code("x = 1\n".into()));
    unsampled.sample_interval_ms = 0.0;
    requests.push(unsampled);
    for code in [
        "def f():\n    raise ValueError('no')\nf()\n",
        // (Written to the descriptor too: the "fd" stream. Collecting here
        // takes the process's descriptors, so a line other tests print
        // meanwhile can land there as well; it must not change the schema.)
        "import os, sys\nprint('out')\nprint('err', file=sys.stderr)\nos.write(1, b'fd\\n')\nsys.exit(3)\n",
        "import os\nos._exit(4)\n",
    ] {
        requests.push(Request::new(Target::Code(code.into())));
    }
    let mut shape = BTreeMap::new();
    let mut minor = 0;
    for request in &requests {
        let snapshot = crate::common::installed::collect_here(request).expect("it collects");
        let snapshot = specscope::present::why::explained(snapshot);
        assert!(snapshot.run.collection_error.is_none(), "{request:?}");
        minor = snapshot.python.version.minor;
        let json: Value =
            serde_json::from_str(&dump::render(&snapshot, Format::Json, false)).unwrap();
        assert_eq!(json["schema"], 1);
        walk(&json, "", &mut shape);
    }
    // A --timeout needs the binary's main thread.
    let out = crate::common::specscope()
        .args(["dump", "--format", "json", "--timeout", "0.2", "-c"])
        .arg("import sys\nprint('x', file=sys.stderr)\nwhile True:\n    pass\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    walk(
        &serde_json::from_slice(&out.stdout).unwrap(),
        "",
        &mut shape,
    );
    let text: String = shape
        .iter()
        .map(|(path, kinds)| {
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            format!("{path}: {}\n", kinds.join(" "))
        })
        .collect();
    insta::with_settings!({snapshot_suffix => format!("py3{minor}"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("json_schema", text);
    });
}
