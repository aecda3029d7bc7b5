//! The standard library as a conformance corpus: for every module that
//! imports cleanly in the embedded interpreter, every code object of its file
//! is collected and `--format dis` is compared with `dis.dis(adaptive=True,
//! show_caches=True)` of the same interpreter (cache values read from their
//! own units, see `conformance.rs`).
//!
//! Slow (a minute or more): run with `cargo test --test sweep -- --ignored`;
//! `.ci/run` does, once per Python version. Each import is sampled as any
//! run is (every millisecond; `SPECSCOPE_SWEEP_SAMPLE_MS` sets another
//! interval, 0 none), and the samples must add up.

use specscope::collect::python::{CollectError, collect, eval_repr, reference_dis};
use specscope::collect::request::{Request, Target};
use specscope::views::dump::dis::disassemble;

/// Modules left out, with the reason.
const SKIPS: &[(&str, &str)] = &[
    ("antigravity", "opens a web browser when imported"),
    ("this", "prints the Zen of Python when imported"),
    ("idlelib", "a GUI application"),
    ("tkinter", "needs a display"),
    ("turtle", "needs a display"),
    ("turtledemo", "needs a display"),
    ("__hello__", "prints when imported"),
    ("__phello__", "prints when imported"),
    ("pydoc_data", "data only"),
    (
        "lib2to3",
        "deprecated; writes grammar pickles next to itself when imported",
    ),
    ("ensurepip", "bundles wheels; not a code module"),
];

#[test]
#[ignore = "slow: the whole standard library"]
fn stdlib_dis_conformance() {
    // Top-level modules and, without importing anything, every submodule of
    // the packages among them; test suites are left out.
    let names = eval_repr(
        "import sys, os, importlib.util, pkgutil\n\
         def walk(path, prefix, out):\n\
         \x20   for info in pkgutil.iter_modules(path, prefix):\n\
         \x20       last = info.name.rsplit('.', 1)[-1]\n\
         \x20       if last.startswith('_') or last in ('test', 'tests') or last.startswith('test_'):\n\
         \x20           continue\n\
         \x20       out.append(info.name)\n\
         \x20       if info.ispkg:\n\
         \x20           walk([os.path.join(info.module_finder.path, last)], info.name + '.', out)\n\
         names = []\n\
         for top in sorted(sys.stdlib_module_names):\n\
         \x20   if top.startswith('_'):\n\
         \x20       continue\n\
         \x20   names.append(top)\n\
         \x20   spec = importlib.util.find_spec(top)\n\
         \x20   if spec is not None and spec.submodule_search_locations:\n\
         \x20       walk(list(spec.submodule_search_locations), top + '.', names)\n",
        "' '.join(names)",
    )
    .expect("module list");
    let names: Vec<String> = names
        .trim_matches('\'')
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let sample_ms: f64 = std::env::var("SPECSCOPE_SWEEP_SAMPLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(specscope::collect::request::DEFAULT_SAMPLE_INTERVAL_MS);
    let (mut modules, mut codes, mut instructions) = (0usize, 0usize, 0usize);
    let (mut samples, mut sampled_runs) = (0u64, 0usize);
    let mut mismatches: Vec<String> = Vec::new();
    let mut crashes: Vec<String> = Vec::new();
    let mut not_importable = Vec::new();
    for name in &names {
        let top = name.split('.').next().unwrap_or(name);
        if SKIPS.iter().any(|(s, _)| *s == top) {
            continue;
        }
        let mut request = Request::new(Target::Code(format!("import {name}")));
        request.patterns = vec![format!("{name}:*")];
        request.sample_interval_ms = sample_ms;
        let snapshot = match collect(&request) {
            Ok(s) if s.run.exception.is_none() => s,
            Ok(_) => {
                not_importable.push(name.clone());
                continue;
            }
            Err(CollectError::Target(_)) | Err(CollectError::Selection { .. }) => {
                // Built into the interpreter (no file), or nothing to select.
                not_importable.push(name.clone());
                continue;
            }
            Err(e) => {
                crashes.push(format!("{name}: {e:?}"));
                continue;
            }
        };
        if let Some(sampling) = snapshot.sampling {
            sampled_runs += 1;
            samples += sampling.total;
            let found: u64 = snapshot.code_objects.iter().map(|c| c.samples).sum();
            let placed: u64 = snapshot
                .code_objects
                .iter()
                .flat_map(|c| &c.instructions)
                .map(|i| i.samples)
                .sum();
            if found > sampling.total || placed != found {
                mismatches.push(format!(
                    "{name}: {found} samples in its code objects, {placed} on their instructions, {} in all",
                    sampling.total
                ));
            }
        }
        let reference = match reference_dis(true) {
            Ok(r) => r,
            Err(e) => {
                crashes.push(format!("{name} (reference): {e:?}"));
                continue;
            }
        };
        modules += 1;
        // The same code objects read by dis: every position must agree with
        // co_positions() (dis.dis prints no columns, so check them here).
        let mut by_dis = request.clone();
        by_dis.decoder = specscope::collect::request::Decoder::Dis;
        if let Ok(reference_snapshot) = collect(&by_dis) {
            // The module is imported by now, so this run may find fewer code
            // objects (no top-level code): match them by name and line.
            for b in &reference_snapshot.code_objects {
                let same: Vec<_> = snapshot
                    .code_objects
                    .iter()
                    .filter(|a| a.qualname == b.qualname && a.first_line == b.first_line)
                    .collect();
                // Two generator expressions on one line share both: skip them.
                let [a] = same[..] else {
                    continue;
                };
                let ours: Vec<_> = a
                    .instructions
                    .iter()
                    .map(|i| (i.offset, i.positions))
                    .collect();
                let theirs: Vec<_> = b
                    .instructions
                    .iter()
                    .map(|i| (i.offset, i.positions))
                    .collect();
                if ours != theirs {
                    let first = ours.iter().zip(&theirs).find(|(x, y)| x != y);
                    mismatches.push(format!("{name}:{} positions {first:?}", a.qualname));
                }
            }
        }
        let facts = snapshot.python.version.facts();
        for (code, expected) in snapshot.code_objects.iter().zip(&reference) {
            codes += 1;
            instructions += code.instructions.len();
            let mut ours = String::new();
            disassemble(code, &facts, &mut ours);
            if ours != *expected {
                let first = ours
                    .lines()
                    .zip(expected.lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("\n    ours: {a:?}\n    dis:  {b:?}"))
                    .unwrap_or_else(|| " (line count differs)".into());
                mismatches.push(format!("{name}:{}{first}", code.qualname));
            }
        }
    }
    println!(
        "sweep: {modules} modules, {codes} code objects, {instructions} instructions, \
         {} mismatches, {} crashes; {} not importable or without a file; {} skipped; \
         {samples} samples in {sampled_runs} runs sampled every {sample_ms} ms",
        mismatches.len(),
        crashes.len(),
        not_importable.len(),
        SKIPS.len()
    );
    assert!(modules > 350, "the sweep covered the standard library");
    assert!(crashes.is_empty(), "crashes:\n{}", crashes.join("\n"));
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
