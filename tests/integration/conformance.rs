//! `--format dis` against `dis.dis(code, adaptive=True, show_caches=True)`
//! printed by the same embedded interpreter, right after collection.
//!
//! On CPython 3.13.0 `dis` reads every cache field from the first cache unit;
//! there the reference is dis's own layout with each field read from its own
//! units, and a separate test shows the unpatched `dis` is wrong.

use crate::common::installed::{collect, collect_with_dis};
use specscope::collect::request::{Request, Target};
use specscope::model::Snapshot;
use specscope::views::dump::dis::disassemble;

fn code_request(code: &str, call: &str, calls: u64) -> Request {
    let mut r = Request::new(Target::Code(code.to_string()));
    r.call = Some(call.to_string());
    r.calls = calls;
    r
}

/// Collects, then compares every code object with `dis` of the same object.
fn assert_conforms(request: Request) -> Snapshot {
    let (snapshot, reference) = collect_with_dis(&request, true).expect("collection succeeds");
    assert!(
        snapshot.run.exception.is_none(),
        "{:?}",
        snapshot.run.exception
    );
    assert_eq!(reference.len(), snapshot.code_objects.len());
    let facts = snapshot.python.version.facts();
    for (code, expected) in snapshot.code_objects.iter().zip(&reference) {
        let mut ours = String::new();
        disassemble(code, &facts, &mut ours);
        if ours != *expected {
            let diff: Vec<String> = ours
                .lines()
                .zip(expected.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(5)
                .map(|(n, (a, b))| format!("line {}:\n  ours: {a:?}\n  dis:  {b:?}", n + 1))
                .collect();
            panic!(
                "{} differs from dis ({} vs {} lines):\n{}",
                code.qualname,
                ours.lines().count(),
                expected.lines().count(),
                diff.join("\n")
            );
        }
    }
    snapshot
}

#[test]
fn demo_matches_dis() {
    let snapshot = assert_conforms(Request::new(Target::Demo));
    assert!(snapshot.code_objects.len() > 10);
}

#[test]
fn super_instructions_match_dis() {
    assert_conforms(code_request(
        "def load_test(x, y=0):\n    a, b = x, y\n    return a, b\n",
        "load_test(0, 0)",
        10,
    ));
}

#[test]
fn binary_specialization_matches_dis() {
    assert_conforms(code_request(
        "def ints(a, b):\n    return a + b\n\
         def strs(a, b):\n    return a + b\n\
         def first(a):\n    return a[0]\n\
         def work():\n    ints(1, 2); strs('a', 'b'); first([0]); first({0: '1'})\n",
        "work()",
        10,
    ));
}

#[test]
fn load_attr_and_call_specialization_match_dis() {
    assert_conforms(code_request(
        "def attr():\n    return 'a'.__class__\n\
         def call():\n    return str(1)\n\
         class Point:\n    def __init__(self, x):\n        self.x = x\n\
         def read(p):\n    return p.x\n\
         def work():\n    attr(); call(); read(Point(1))\n",
        "work()",
        10,
    ));
}

#[test]
fn loop_quickening_matches_dis() {
    assert_conforms(code_request(
        "def load_test(x, y=0):\n    a, b = x, y\n    return a, b\n\
         def loop_test():\n    for i in [1, 2, 3] * 3:\n        load_test(i)\n",
        "loop_test()",
        4,
    ));
}

#[test]
fn extended_arg_matches_dis() {
    let mut code =
        String::from("def extended_arg_quick():\n    *_, _ = ...\ndef many():\n    x = 0\n");
    for i in 0..300 {
        code.push_str(&format!("    x = x + {i}.5\n"));
    }
    code.push_str("    return x\ndef work():\n    many()\n");
    assert_conforms(code_request(&code, "work()", 10));
}

#[test]
fn exception_tables_generators_and_long_code_match_dis() {
    let mut body = String::from("def long():\n    t = 0\n");
    for i in 0..400 {
        body.push_str(&format!("    t += {i}\n"));
    }
    body.push_str(
        "    return t\n\
         def guarded(x):\n    try:\n        return 1 / x\n    except ZeroDivisionError:\n        return None\n    finally:\n        pass\n\
         def gen(n):\n    for i in range(n):\n        yield i\n\
         async def coro():\n    return 1\n\
         def work():\n    long(); guarded(0); guarded(2); list(gen(3)); [x for x in range(3)]; (lambda: 1)()\n",
    );
    assert_conforms(code_request(&body, "work()", 20));
}

#[test]
fn type_version_is_true_where_3_13_0_dis_is_wrong() {
    let mut request = code_request(
        "import _testcapi\n\
         class Point:\n    def __init__(self, x):\n        self.x = x\n\
         def read(p):\n    return p.x\n",
        "(read(Point(1)), print(_testcapi.type_get_version(Point)))",
        100,
    );
    request.patterns = vec!["read".into()];
    let (snapshot, raw_dis) = collect_with_dis(&request, false).unwrap();
    let output: String = snapshot
        .run
        .output
        .iter()
        .filter(|c| c.stream == specscope::model::Stream::Stdout)
        .map(|c| c.text.as_str())
        .collect();
    let true_version: u64 = output.lines().last().unwrap().trim().parse().unwrap();
    let expected = format!("(version: {true_version})");

    let mut ours = String::new();
    disassemble(
        &snapshot.code_objects[0],
        &snapshot.python.version.facts(),
        &mut ours,
    );
    assert!(
        ours.contains(&expected),
        "specscope shows {expected}:\n{ours}"
    );

    let raw_dis = &raw_dis[0];
    if snapshot.python.version.facts().dis_cache_info_bug {
        assert!(
            !raw_dis.contains(&expected),
            "3.13.0's dis misreads the version:\n{raw_dis}"
        );
    } else {
        assert!(
            raw_dis.contains(&expected),
            "dis shows {expected}:\n{raw_dis}"
        );
    }
}

/// What does not depend on the run: addresses in reprs and the versions the
/// interpreter hands out differ between two runs of the same program.
fn comparable(code: &specscope::model::CodeObject) -> Vec<String> {
    code.instructions
        .iter()
        .map(|i| {
            let argrepr: String = i
                .argrepr
                .split("0x")
                .enumerate()
                .map(|(n, part)| {
                    if n == 0 {
                        part.to_string()
                    } else {
                        part.trim_start_matches(|c: char| c.is_ascii_hexdigit())
                            .to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("0x");
            let caches: Vec<(String, u32, u32)> = i
                .caches
                .iter()
                .map(|c| (c.name.clone(), c.size, c.offset))
                .collect();
            format!(
                "{} {:?} {} {:?} {} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?}",
                i.offset,
                i.line,
                i.starts_line,
                i.positions,
                i.opname,
                i.base_opname,
                i.arg,
                argrepr,
                i.is_jump_target,
                i.label,
                i.jump_target,
                i.status,
                caches,
                i.counter.as_ref().map(|c| (c.raw, c.state))
            )
        })
        .collect()
}

#[test]
fn the_rust_decoder_reads_what_dis_reads() {
    let mut workloads = vec![Request::new(Target::Demo)];
    let mut long = String::from("def long(x):\n    for i in range(3):\n");
    for i in 0..300 {
        long.push_str(&format!("        x = x + {i}.5 if x else x\n"));
    }
    long.push_str(
        "    return x\n\
         def guarded(x):\n    try:\n        return 1 / x\n    except ZeroDivisionError:\n        return None\n\
         async def agen():\n    yield 1\n\
         class K:\n    def m(self):\n        return [y for y in (lambda: range(3))()]\n\
         def work():\n    long(1.0); guarded(0); guarded(2); K().m()\n",
    );
    workloads.push(code_request(&long, "work()", 30));
    for request in workloads {
        let mut by_dis = request.clone();
        by_dis.decoder = specscope::collect::request::Decoder::Dis;
        let (ours, theirs) = (collect(&request).unwrap(), collect(&by_dis).unwrap());
        assert_eq!(ours.code_objects.len(), theirs.code_objects.len());
        for (a, b) in ours.code_objects.iter().zip(&theirs.code_objects) {
            assert_eq!(a.qualname, b.qualname);
            let (a, b) = (comparable(a), comparable(b));
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x, y);
            }
            assert_eq!(a.len(), b.len());
        }
    }
}
