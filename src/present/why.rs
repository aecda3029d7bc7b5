//! `--why` in words: what reached a site, and the reason it did not
//! specialize, as every view says them.

use crate::analysis::summary::SiteState;
use crate::analysis::why::{Cause, Diagnosis, diagnose};
use crate::model::{Evidence, Instruction, Observed, Snapshot, WhyScope};

use super::words::grouped;

/// The snapshot with the reason of each observed site in words (and its
/// `SPEC_FAIL_*` kind) in its evidence. With `--why` (not `--why-all`) only
/// the sites where specialization failed keep their evidence.
pub fn explained(mut snapshot: Snapshot) -> Snapshot {
    let Some(why) = &snapshot.why else {
        return snapshot;
    };
    let every = why.scope == WhyScope::All;
    let rules = snapshot.python.version.specialize_rules();
    for code in &mut snapshot.code_objects {
        let states: Vec<Option<SiteState>> = code
            .instructions
            .iter()
            .map(|ins| SiteState::of(code, ins))
            .collect();
        for (ins, state) in code.instructions.iter_mut().zip(states) {
            if ins.evidence.is_none() {
                continue;
            }
            if !every && !state.is_some_and(SiteState::failing) {
                ins.evidence = None;
                continue;
            }
            let diagnosis = diagnose(ins, state, rules);
            if let Some(evidence) = ins.evidence.as_mut() {
                match diagnosis {
                    Some(d) => {
                        evidence.reason = reason_words(&d);
                        evidence.fail_kind = d.fail_kind.map(str::to_string);
                    }
                    None => {
                        evidence.reason = format!(
                            "unknown: specscope knows the rules of specialize.c for 3.11, 3.12 and 3.13, not {}",
                            snapshot.python.version.short()
                        );
                    }
                }
            }
        }
    }
    // The last step of a timeline is the state the warm-up ended in: its
    // sites show the same evidence.
    if let Some(last) = snapshot.timeline.last_mut() {
        for (step_code, code) in last.code_objects.iter_mut().zip(&snapshot.code_objects) {
            if step_code.qualname != code.qualname {
                continue;
            }
            for ins in &mut step_code.instructions {
                ins.evidence = code
                    .instructions
                    .iter()
                    .find(|i| i.offset == ins.offset && i.opname == ins.opname)
                    .and_then(|i| i.evidence.clone());
            }
        }
    }
    snapshot
}

/// One kind of what reached a site: `int + float`, `Proxy · missing`.
pub fn kinds_words(ins: &Instruction, seen: &Observed) -> String {
    match (ins.base_opname.as_str(), seen.kinds.as_slice()) {
        ("BINARY_OP" | "COMPARE_OP", [left, right]) => {
            let op = ins
                .argrepr
                .trim_start_matches("bool(")
                .trim_end_matches(')');
            format!("{left} {op} {right}")
        }
        ("BINARY_SUBSCR", [container, index]) => format!("{container}[{index}]"),
        _ => seen.kinds.join(" · "),
    }
}

/// What reached a site, most frequent first: `int + float 1,520×, int +
/// int 12×`, with how many executions were observed.
pub fn observed_words(ins: &Instruction, evidence: &Evidence) -> String {
    if evidence.seen == 0 {
        return "not reached while observed".into();
    }
    let kinds: Vec<String> = evidence
        .observed
        .iter()
        .map(|seen| format!("{} {}×", kinds_words(ins, seen), grouped(seen.count)))
        .collect();
    format!(
        "{} (of {} {} observed)",
        kinds.join(", "),
        grouped(evidence.seen),
        if evidence.seen == 1 {
            "execution"
        } else {
            "executions"
        }
    )
}

/// The whole evidence on one line: what reached the site, then why.
pub fn evidence_line(ins: &Instruction, evidence: &Evidence) -> String {
    format!(
        "why: {} — {}",
        evidence.reason,
        observed_words(ins, evidence)
    )
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn forms(op: &str) -> &'static str {
    match op.trim_end_matches('=') {
        "+" => "int + int, float + float and str + str",
        "-" => "int - int and float - float",
        "*" => "int * int and float * float",
        _ => "",
    }
}

/// The reason of a diagnosis, in words, with the kind `specialize.c`
/// records for it.
pub fn reason_words(d: &Diagnosis) -> String {
    let v = format!("{}.{}", d.version.0, d.version.1);
    let text = match &d.cause {
        Cause::NotReached => {
            "not reached while observed: the second run did not execute this site".to_string()
        }
        Cause::OperandsUnknown => "unknown: what reached it was computed by other instructions, and --why reads only values loaded straight from variables, constants, globals and cells".to_string(),
        Cause::BinaryDifferentTypes { op, pairs } => {
            let pairs = listed(pairs);
            let f = forms(op);
            if f.is_empty() {
                format!("operands of different types ({pairs}): BINARY_OP has no specialized form for {op}")
            } else {
                format!("operands of different types ({pairs}): BINARY_OP specializes {op} only for {f}")
            }
        }
        Cause::BinaryUnsupported { op, pairs } => {
            let pairs = listed(pairs);
            let f = forms(op);
            if f.is_empty() {
                format!("BINARY_OP has no specialized form for {op} ({pairs})")
            } else {
                format!("{pairs}: BINARY_OP specializes {op} only for {f}")
            }
        }
        Cause::CompareDifferentTypes { pairs } => format!(
            "operands of different types ({}): COMPARE_OP specializes only int with int, float with float, and str with str for == and !=",
            listed(pairs)
        ),
        Cause::CompareUnsupported { operand, op } => format!(
            "{operand} {op} {operand}: COMPARE_OP specializes only int, float, and str for == and !="
        ),
        Cause::CompareBigInt => "ints of more than one 30-bit digit: COMPARE_OP_INT takes only small ints".to_string(),
        Cause::CompareNotBeforeJump => format!(
            "no conditional jump follows this comparison: {v} specializes COMPARE_OP only before one, and gave up at the first attempt"
        ),
        Cause::DictSubclass { class } => format!(
            "{class} is a subclass of dict: BINARY_SUBSCR_DICT takes exactly dict, and {class} has no __getitem__ written in Python (BINARY_SUBSCR_GETITEM)"
        ),
        Cause::IndexOutOfRange { container } => format!(
            "a negative or large index into a {container}: {v} specializes only indexes from 0 to 2**30 - 1"
        ),
        Cause::IndexGuardMisses { container } => format!(
            "a negative or large index into a {container}: {v} specializes the subscription for any int, but the specialized form's guard misses on such an index, and 53 misses de-optimize it (no SPEC_FAIL kind: specializing succeeds; the counter then reads (31, 5), as after five failures)"
        ),
        Cause::SubscriptUnsupported { container, index } => {
            format!("{container}[{index}]: BINARY_SUBSCR has no specialized form for it in {v}")
        }
        Cause::AttributeHook { class, hook } => format!(
            "the class {class} defines {hook}: LOAD_ATTR does not specialize a lookup that goes through it"
        ),
        Cause::MissingWithGetattr { class } => format!(
            "the attribute is neither on the class {class} nor on its instance, so {class}.__getattr__ answers: LOAD_ATTR has nothing to cache (SPEC_FAIL_ATTR_NOT_IN_KEYS while the instance keeps its attributes inline, SPEC_FAIL_ATTR_NOT_IN_DICT once it has a __dict__; --why cannot see which)"
        ),
        Cause::PropertyWithGetattr { class } => format!(
            "a property of {class}, which defines __getattr__: {v} does not specialize a property when __getattr__ may be called"
        ),
        Cause::MutableDescriptor { class, found } => format!(
            "{class} has this attribute as a {found}, an object of a class written in Python: specialize.c caches only what objects of immutable (built-in) classes describe, since such a class may change under the cache"
        ),
        Cause::MethodNotCalled { class } => format!(
            "a method of {class} read as a value, not called: LOAD_ATTR specializes methods only where they are called (the method-loading form)"
        ),
        Cause::ClassValueThroughInstance { class } => format!(
            "a plain value of the class {class} read through an instance: {v} has no specialized form for it"
        ),
        Cause::Property { class } => format!("a property of {class}: {v} has no specialized form for properties"),
        Cause::PropertyGetterNotPython { class } => {
            format!("a property of {class} whose getter is not a Python function")
        }
        Cause::SetattrHook { class } => format!(
            "the class {class} defines __setattr__: STORE_ATTR specializes only the generic assignment"
        ),
        Cause::KeywordArguments { callable } => format!(
            "keyword arguments to {callable}: {v} specializes calls of Python functions only without keywords"
        ),
        Cause::ComplexParameters { callable } => format!(
            "{callable} takes *args, **kwargs or keyword-only parameters: {v} specializes calls only of functions with plain positional parameters"
        ),
        Cause::WrongNumberOfArguments { callable } => {
            format!("{callable} is called with a number of arguments its parameters do not take")
        }
        Cause::MethodWrapper { callable } => format!(
            "{callable} is a C type's method bound to an instance (method-wrapper): {v} does not specialize calls of one"
        ),
        Cause::SlotWrapper { callable } => {
            format!("{callable} is a C type's slot wrapper: {v} does not specialize calls of one")
        }
        Cause::OtherCallable { callable } => {
            format!("{callable}: {v} has no specialized call for this kind of callable")
        }
        Cause::CallingConvention { callable, flags } => format!(
            "{callable} is written in C with the calling convention {flags}: {v} has no specialized call for it"
        ),
        Cause::CKeywordArguments { callable } => format!(
            "keyword arguments to {callable}: {v} specializes calls of this C callable only without keywords"
        ),
        Cause::PythonClass { class } => format!(
            "{class} is a class written in Python: {v} does not specialize creating an instance of one"
        ),
        Cause::InitArguments { class } => format!(
            "{class}.__init__ does not take this number of arguments: CALL_ALLOC_AND_ENTER_INIT needs them exact"
        ),
        Cause::MutableClass { class } => format!(
            "{class} is a mutable class (a subclass of a built-in type): {v} specializes only calls of immutable built-in classes"
        ),
        Cause::MetaclassAttribute { class: _ } => "an attribute of a class that its metaclass has too (or a class whose metaclass is not type): LOAD_ATTR_CLASS does not take it".to_string(),
        Cause::ClassAttribute { class: _ } => format!(
            "an attribute of a class: its lookup is type's own, not the generic one, and {v} does not specialize it"
        ),
        Cause::NonDictGlobals { globals } => format!(
            "the globals are a {globals}, not exactly a dict: LOAD_GLOBAL specializes only with dict globals and builtins"
        ),
        Cause::Iterator { iterator } => format!(
            "iterator {iterator}: FOR_ITER specializes only list, tuple and range iterators and generators"
        ),
        Cause::Polymorphic { kinds } => format!(
            "polymorphic: {} kinds reached this site ({}); each specializes on its own, so a specialization holds for one and misses on the others",
            kinds.len(),
            kinds.join(", ")
        ),
        Cause::WouldSpecialize { kinds } => format!(
            "what reached it while observed ({kinds}) specializes: what made it fail did not come back"
        ),
        Cause::Specializes { kinds } => {
            format!("what reached it while observed ({kinds}) specializes, as this site did")
        }
        Cause::NoRule { family, kinds } => {
            format!("unknown: specscope has no rule for {family} with {kinds} in {v}")
        }
    };
    let share = if d.count > 0 && d.count < d.seen {
        format!("{} of {} executions; ", grouped(d.count), grouped(d.seen))
    } else {
        String::new()
    };
    match (d.fail_kind, d.records_no_kind) {
        (Some(kind), _) => format!("{text} ({share}{kind} in {v}'s specialize.c)"),
        (None, true) => {
            format!("{text} ({share}{v}'s specialize.c fails here without recording a kind)")
        }
        (None, false) if !share.is_empty() => format!("{text} ({})", share.trim_end_matches("; ")),
        _ => text,
    }
}
