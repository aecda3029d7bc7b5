//! Why a site did not specialize: the evidence `--why` gathered at it
//! (what reached it while the program ran again), read with the rules of
//! `Python/specialize.c` of the linked version ([`SpecializeRules`]). Each
//! cause names the `SPEC_FAIL_*` kind that version records for it, or that
//! it records none; where the evidence cannot tell, the cause says so.

use super::summary::SiteState;
use crate::model::version::{CCall, CCallee, SpecializeRules};
use crate::model::{Instruction, Observed};

/// What made a site fail, or what the evidence says instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// The second run never executed the site.
    NotReached,
    /// No operand could be read: each was computed by an instruction that
    /// `--why` does not trace back (only plain loads are followed).
    OperandsUnknown,
    /// BINARY_OP on operands of different types (for `+`, `-`, `*`, `/`,
    /// `&`); `pairs`: the operands' types (`int + float`), most frequent first.
    BinaryDifferentTypes { op: String, pairs: Vec<String> },
    /// BINARY_OP on types, or with an operator, it has no form for.
    BinaryUnsupported { op: String, pairs: Vec<String> },
    /// COMPARE_OP of operands of different types (`int and float`).
    CompareDifferentTypes { pairs: Vec<String> },
    /// COMPARE_OP of two operands of a type it has no form for.
    CompareUnsupported { operand: String, op: String },
    /// COMPARE_OP of ints too large for COMPARE_OP_INT.
    CompareBigInt,
    /// 3.11: a comparison that no conditional jump follows.
    CompareNotBeforeJump,
    /// Subscription of a dict subclass without a `__getitem__` in Python.
    DictSubclass { class: String },
    /// Subscription with a negative index, or one of more than one digit
    /// (3.12+).
    IndexOutOfRange { container: String },
    /// 3.11: the same index, which the specialized form's guard misses on.
    IndexGuardMisses { container: String },
    /// Subscription of a container, or with an index, that has no form.
    SubscriptUnsupported { container: String, index: String },
    /// LOAD_ATTR on an instance of a class that has its own
    /// `__getattribute__`, or (3.11) `__getattr__`.
    AttributeHook { class: String, hook: String },
    /// 3.12+: a class with `__getattr__` whose instance lacks the attribute.
    MissingWithGetattr { class: String },
    /// 3.12+: a property on a class that also has `__getattr__`.
    PropertyWithGetattr { class: String },
    /// The attribute is found on the class as an object of a class written
    /// in Python (a descriptor or any value): `analyze_descriptor` calls it
    /// MUTABLE, since such a class may change under the cache.
    MutableDescriptor { class: String, found: String },
    /// A method read as a value, not called.
    MethodNotCalled { class: String },
    /// A plain value on the class read through an instance (3.12).
    ClassValueThroughInstance { class: String },
    /// 3.11: LOAD_ATTR of a property.
    Property { class: String },
    /// A property whose getter is not a Python function.
    PropertyGetterNotPython { class: String },
    /// STORE_ATTR on a class with its own `__setattr__`.
    SetattrHook { class: String },
    /// A call with keyword arguments of a Python function.
    KeywordArguments { callable: String },
    /// A call of a Python function with `*args`, `**kwargs` or keyword-only
    /// parameters.
    ComplexParameters { callable: String },
    /// A call with a number of arguments the function does not take.
    WrongNumberOfArguments { callable: String },
    /// A call of a C type's method bound to an instance (`method-wrapper`).
    MethodWrapper { callable: String },
    /// A call of a C type's slot wrapper (`int.__add__`).
    SlotWrapper { callable: String },
    /// A call of some other kind of callable.
    OtherCallable { callable: String },
    /// A call of a C function or method descriptor whose calling convention
    /// (its `METH_*` flags) no form of CALL takes.
    CallingConvention { callable: String, flags: String },
    /// Keyword arguments to a C function or method descriptor that a form
    /// takes only without them.
    CKeywordArguments { callable: String },
    /// A call of a class written in Python (3.11, 3.12).
    PythonClass { class: String },
    /// A call of a class whose `__init__` takes another number of arguments (3.13).
    InitArguments { class: String },
    /// A call of a mutable class (a subclass of a built-in type) (3.11, 3.12).
    MutableClass { class: String },
    /// An attribute of a class found on its metaclass, or a class whose
    /// metaclass is not `type` (3.12+).
    MetaclassAttribute { class: String },
    /// 3.11: an attribute of a class (type's own lookup).
    ClassAttribute { class: String },
    /// LOAD_GLOBAL with globals (or builtins) that are not exactly a dict.
    NonDictGlobals { globals: String },
    /// FOR_ITER over an iterator it has no form for.
    Iterator { iterator: String },
    /// Several kinds reached the site, each of which specializes on its
    /// own: a specialization holds for one and misses on the others.
    Polymorphic { kinds: Vec<String> },
    /// What the second run brought to the site specializes, though the
    /// site is not specialized.
    WouldSpecialize { kinds: String },
    /// What the second run brought to the site specializes, as the site is
    /// (`--why-all`).
    Specializes { kinds: String },
    /// specscope knows no rule for this family or this kind.
    NoRule { family: String, kinds: String },
}

/// A site's evidence, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub cause: Cause,
    /// The `SPEC_FAIL_*` kind `specialize.c` records for the cause; None
    /// when it records none, or the cause is no failure, or is unknown.
    pub fail_kind: Option<&'static str>,
    /// For a failure: true when `specialize.c` fails without recording a
    /// kind (so `fail_kind` is None on purpose).
    pub records_no_kind: bool,
    /// Executions the cause accounts for, of the `seen` observed.
    pub count: u64,
    pub seen: u64,
    /// The version whose rules gave the cause.
    pub version: (u8, u8),
}

/// One kind of what reached a site, judged alone.
enum Verdict {
    Fails(Cause, Option<&'static str>),
    Specializes,
    Unknown(Cause),
}

/// The diagnosis of an instruction that carries evidence, in the state it
/// ended in; None without evidence or rules for the version.
pub fn diagnose(
    ins: &Instruction,
    state: Option<SiteState>,
    rules: Option<SpecializeRules>,
) -> Option<Diagnosis> {
    let evidence = ins.evidence.as_ref()?;
    let rules = rules?;
    let done = |cause, fail_kind, count| Diagnosis {
        cause,
        fail_kind,
        records_no_kind: false,
        count,
        seen: evidence.seen,
        version: rules.version,
    };
    if rules.compare_needs_jump
        && ins.base_opname == "COMPARE_OP"
        && state == Some(SiteState::GivenUp)
    {
        return Some(done(
            Cause::CompareNotBeforeJump,
            Some("SPEC_FAIL_COMPARE_OP_NOT_FOLLOWED_BY_COND_JUMP"),
            evidence.seen,
        ));
    }
    if evidence.seen == 0 {
        return Some(done(Cause::NotReached, None, 0));
    }
    // Failures of one kind and cause, their operand types merged.
    let mut fails: Vec<(Cause, Option<&'static str>, u64)> = Vec::new();
    let mut specializes: Vec<&Observed> = Vec::new();
    let mut unknown: Vec<(Cause, u64)> = Vec::new();
    for seen in &evidence.observed {
        // 3.12+'s LOAD_ATTR with the low bit of its argument set loads a
        // method for a call (3.11 has LOAD_METHOD for that).
        let method_form = ins.base_opname == "LOAD_METHOD"
            || (rules.method_bit_in_load_attr && ins.arg.is_some_and(|a| a & 1 == 1));
        match verdict(&ins.base_opname, (&ins.argrepr, method_form), seen, &rules) {
            Verdict::Fails(cause, kind) => {
                let same = fails.iter_mut().find(|(c, k, _)| {
                    *k == kind && std::mem::discriminant(c) == std::mem::discriminant(&cause)
                });
                match same {
                    Some(group) => {
                        group.2 += seen.count;
                        merge(&mut group.0, cause);
                    }
                    None => fails.push((cause, kind, seen.count)),
                }
            }
            Verdict::Specializes => specializes.push(seen),
            Verdict::Unknown(cause) => unknown.push((cause, seen.count)),
        }
    }
    let most = fails.iter().map(|f| f.2).max().unwrap_or(0);
    if let Some((cause, kind, count)) = fails.into_iter().find(|f| f.2 == most) {
        let records_no_kind = kind.is_none() && matches!(cause, Cause::NonDictGlobals { .. });
        let mut d = done(cause, kind, count);
        d.records_no_kind = records_no_kind;
        return Some(d);
    }
    if specializes.len() > 1 {
        let count = specializes.iter().map(|s| s.count).sum();
        let kinds = specializes.iter().map(|s| s.kinds.join(" · ")).collect();
        return Some(done(Cause::Polymorphic { kinds }, None, count));
    }
    if let Some(one) = specializes.first() {
        let kinds = one.kinds.join(" · ");
        let cause = if state == Some(SiteState::Specialized) {
            Cause::Specializes { kinds }
        } else {
            Cause::WouldSpecialize { kinds }
        };
        return Some(done(cause, None, one.count));
    }
    let (cause, count) = unknown
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap_or((Cause::OperandsUnknown, 0));
    Some(done(cause, None, count))
}

/// Adds the operand types of `other` to `group`, of the same cause.
fn merge(group: &mut Cause, other: Cause) {
    match (group, other) {
        (
            Cause::BinaryDifferentTypes { pairs, .. },
            Cause::BinaryDifferentTypes { pairs: more, .. },
        )
        | (Cause::BinaryUnsupported { pairs, .. }, Cause::BinaryUnsupported { pairs: more, .. })
        | (Cause::CompareDifferentTypes { pairs }, Cause::CompareDifferentTypes { pairs: more }) => {
            for pair in more {
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        _ => {}
    }
}

fn is_unknown(seen: &Observed) -> bool {
    seen.kinds.iter().any(|k| k == "unknown" || k == "other")
}

fn verdict(
    family: &str,
    (argrepr, method_form): (&str, bool),
    seen: &Observed,
    rules: &SpecializeRules,
) -> Verdict {
    // BINARY_OP fails with one kind per operator for most operators,
    // whatever the operands: those need no operand read.
    if is_unknown(seen) && !matches!(family, "LOAD_GLOBAL" | "BINARY_OP") {
        return Verdict::Unknown(Cause::OperandsUnknown);
    }
    let has = |fact: &str| seen.facts.iter().any(|f| f == fact);
    let kind = |i: usize| seen.kinds.get(i).cloned().unwrap_or_default();
    let no_rule = || {
        Verdict::Unknown(Cause::NoRule {
            family: family.to_string(),
            kinds: seen.kinds.join(" · "),
        })
    };
    match family {
        "BINARY_OP" => binary_op(argrepr, kind(0), kind(1)),
        "COMPARE_OP" => {
            let (left, right) = (kind(0), kind(1));
            if left != right {
                let fail = match (left.as_str(), right.as_str()) {
                    ("int", "float") => "SPEC_FAIL_COMPARE_OP_LONG_FLOAT",
                    ("float", "int") => "SPEC_FAIL_COMPARE_OP_FLOAT_LONG",
                    _ => "SPEC_FAIL_COMPARE_OP_DIFFERENT_TYPES",
                };
                let pairs = vec![format!("{left} and {right}")];
                return Verdict::Fails(Cause::CompareDifferentTypes { pairs }, Some(fail));
            }
            let op = argrepr
                .trim_start_matches("bool(")
                .trim_end_matches(')')
                .to_string();
            match left.as_str() {
                "float" => Verdict::Specializes,
                "int" if has("big int") => {
                    Verdict::Fails(Cause::CompareBigInt, Some("SPEC_FAIL_COMPARE_OP_BIG_INT"))
                }
                "int" => Verdict::Specializes,
                "str" if op == "==" || op == "!=" => Verdict::Specializes,
                "str" => Verdict::Fails(
                    Cause::CompareUnsupported { operand: left, op },
                    Some("SPEC_FAIL_COMPARE_OP_STRING"),
                ),
                other => {
                    let fail = match other {
                        "bytes" => Some("SPEC_FAIL_COMPARE_OP_BYTES"),
                        "tuple" => Some("SPEC_FAIL_COMPARE_OP_TUPLE"),
                        "list" => Some("SPEC_FAIL_COMPARE_OP_LIST"),
                        "set" | "frozenset" => Some("SPEC_FAIL_COMPARE_OP_SET"),
                        "bool" => Some("SPEC_FAIL_COMPARE_OP_BOOL"),
                        _ => None,
                    };
                    match fail {
                        Some(_) => {
                            Verdict::Fails(Cause::CompareUnsupported { operand: left, op }, fail)
                        }
                        None => no_rule(),
                    }
                }
            }
        }
        "BINARY_SUBSCR" => {
            let (container, index) = (kind(0), kind(1));
            if has("python __getitem__") {
                return no_rule();
            }
            if has("dict subclass") {
                return Verdict::Fails(
                    Cause::DictSubclass { class: container },
                    Some("SPEC_FAIL_OTHER"),
                );
            }
            let checked = matches!(container.as_str(), "list" | "tuple")
                || (container == "str" && rules.str_subscript_specializes);
            if has("negative or large index") && checked && index == "int" {
                if !rules.subscript_index_checked {
                    // 3.11: specializing succeeds; the guard misses later.
                    return Verdict::Fails(Cause::IndexGuardMisses { container }, None);
                }
                return Verdict::Fails(
                    Cause::IndexOutOfRange { container },
                    Some("SPEC_FAIL_OUT_OF_RANGE"),
                );
            }
            let fail = match (container.as_str(), index.as_str()) {
                ("list" | "tuple", "int") | ("dict", _) => return Verdict::Specializes,
                ("str", "int") if rules.str_subscript_specializes => return Verdict::Specializes,
                ("list", "slice") => "SPEC_FAIL_SUBSCR_LIST_SLICE",
                ("tuple", "slice") => "SPEC_FAIL_SUBSCR_TUPLE_SLICE",
                ("str", "int") => "SPEC_FAIL_SUBSCR_STRING_INT",
                ("str", "slice") => "SPEC_FAIL_SUBSCR_STRING_SLICE",
                _ => return no_rule(),
            };
            Verdict::Fails(Cause::SubscriptUnsupported { container, index }, Some(fail))
        }
        "STORE_ATTR" if has("__setattr__") => Verdict::Fails(
            Cause::SetattrHook { class: kind(0) },
            Some("SPEC_FAIL_OVERRIDDEN"),
        ),
        "STORE_ATTR" if has("mutable descriptor class") => Verdict::Fails(
            Cause::MutableDescriptor {
                class: kind(0),
                found: kind(1),
            },
            Some("SPEC_FAIL_ATTR_MUTABLE_CLASS"),
        ),
        "STORE_ATTR" => match kind(1).as_str() {
            "instance attribute" | "slot" => Verdict::Specializes,
            _ => no_rule(),
        },
        "LOAD_ATTR" | "LOAD_METHOD" => load_attr(family, method_form, seen, rules, &no_rule),
        "CALL" | "PRECALL" => call(family, seen, rules, &no_rule),
        "LOAD_GLOBAL" => {
            if has("globals not dict") || has("builtins not dict") {
                Verdict::Fails(
                    Cause::NonDictGlobals { globals: kind(0) },
                    rules.non_dict_globals,
                )
            } else {
                no_rule()
            }
        }
        "FOR_ITER" => for_iter(seen, &no_rule),
        _ => no_rule(),
    }
}

/// BINARY_OP: `binary_op_fail_kind` is the same in 3.11, 3.12 and 3.13,
/// and so are the forms: `+` for int, float and str, `-` and `*` for int
/// and float (their in-place forms too).
fn binary_op(argrepr: &str, left: String, right: String) -> Verdict {
    let op = argrepr.trim_end_matches('=');
    let by_types = matches!(op, "+" | "-" | "*" | "/" | "&");
    if by_types && (left == "unknown" || right == "unknown" || left.is_empty() || right.is_empty())
    {
        return Verdict::Unknown(Cause::OperandsUnknown);
    }
    let same = left == right;
    let specializes = same
        && match op {
            "+" => matches!(left.as_str(), "int" | "float" | "str"),
            "-" | "*" => matches!(left.as_str(), "int" | "float"),
            _ => false,
        };
    if specializes {
        return Verdict::Specializes;
    }
    let different = |name: &'static str| if same { None } else { Some(name) };
    let kind = match op {
        "+" => different("SPEC_FAIL_BINARY_OP_ADD_DIFFERENT_TYPES")
            .or(Some("SPEC_FAIL_BINARY_OP_ADD_OTHER")),
        "-" => different("SPEC_FAIL_BINARY_OP_SUBTRACT_DIFFERENT_TYPES")
            .or(Some("SPEC_FAIL_BINARY_OP_SUBTRACT_OTHER")),
        "*" => different("SPEC_FAIL_BINARY_OP_MULTIPLY_DIFFERENT_TYPES")
            .or(Some("SPEC_FAIL_BINARY_OP_MULTIPLY_OTHER")),
        "/" => different("SPEC_FAIL_BINARY_OP_TRUE_DIVIDE_DIFFERENT_TYPES").or(Some(
            if left == "float" {
                "SPEC_FAIL_BINARY_OP_TRUE_DIVIDE_FLOAT"
            } else {
                "SPEC_FAIL_BINARY_OP_TRUE_DIVIDE_OTHER"
            },
        )),
        "&" => different("SPEC_FAIL_BINARY_OP_AND_DIFFERENT_TYPES").or(Some(if left == "int" {
            "SPEC_FAIL_BINARY_OP_AND_INT"
        } else {
            "SPEC_FAIL_BINARY_OP_AND_OTHER"
        })),
        "//" => Some("SPEC_FAIL_BINARY_OP_FLOOR_DIVIDE"),
        "<<" => Some("SPEC_FAIL_BINARY_OP_LSHIFT"),
        ">>" => Some("SPEC_FAIL_BINARY_OP_RSHIFT"),
        "@" => Some("SPEC_FAIL_BINARY_OP_MATRIX_MULTIPLY"),
        "|" => Some("SPEC_FAIL_BINARY_OP_OR"),
        "**" => Some("SPEC_FAIL_BINARY_OP_POWER"),
        "%" => Some("SPEC_FAIL_BINARY_OP_REMAINDER"),
        "^" => Some("SPEC_FAIL_BINARY_OP_XOR"),
        _ => None,
    };
    let op = argrepr.to_string();
    let pairs = vec![format!("{left} {op} {right}")];
    match kind {
        Some(k) if k.ends_with("DIFFERENT_TYPES") => {
            Verdict::Fails(Cause::BinaryDifferentTypes { op, pairs }, Some(k))
        }
        Some(k) => Verdict::Fails(Cause::BinaryUnsupported { op, pairs }, Some(k)),
        None => Verdict::Unknown(Cause::NoRule {
            family: "BINARY_OP".into(),
            kinds: format!("{left} {op} {right}"),
        }),
    }
}

/// LOAD_ATTR (and 3.11's LOAD_METHOD): `analyze_descriptor`.
fn load_attr(
    family: &str,
    method_form: bool,
    seen: &Observed,
    rules: &SpecializeRules,
    no_rule: &dyn Fn() -> Verdict,
) -> Verdict {
    let has = |fact: &str| seen.facts.iter().any(|f| f == fact);
    let class = seen.kinds.first().cloned().unwrap_or_default();
    let found = seen.kinds.get(1).map(String::as_str).unwrap_or("");
    let overridden = Some("SPEC_FAIL_OVERRIDDEN");
    if has("class owner") {
        if rules.getattr_fails_at_once {
            return Verdict::Fails(Cause::ClassAttribute { class }, overridden);
        }
        if has("metaclass attribute") {
            return Verdict::Fails(
                Cause::MetaclassAttribute { class },
                Some("SPEC_FAIL_ATTR_METACLASS_ATTRIBUTE"),
            );
        }
        return match found {
            "method" | "class attribute" => Verdict::Specializes,
            _ => no_rule(),
        };
    }
    if has("__getattribute__") {
        if !rules.getattr_fails_at_once && has("python __getattribute__") && !has("__getattr__") {
            // 3.12+ may specialize LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN.
            return no_rule();
        }
        return Verdict::Fails(
            Cause::AttributeHook {
                class,
                hook: "__getattribute__".into(),
            },
            overridden,
        );
    }
    if has("__getattr__") {
        if rules.getattr_fails_at_once {
            return Verdict::Fails(
                Cause::AttributeHook {
                    class,
                    hook: "__getattr__".into(),
                },
                overridden,
            );
        }
        return match found {
            "property" => Verdict::Fails(Cause::PropertyWithGetattr { class }, overridden),
            // Not on the class, not on the instance: `specialize_dict_access`
            // finds no index (NOT_IN_KEYS for inline values, NOT_IN_DICT for
            // a __dict__), and __getattr__ answers at run time.
            "missing" => Verdict::Fails(Cause::MissingWithGetattr { class }, None),
            "instance attribute" => Verdict::Specializes,
            _ => no_rule(),
        };
    }
    if has("mutable descriptor class") {
        let kind = if rules.precall_split.is_some() && family == "LOAD_METHOD" {
            "SPEC_FAIL_LOAD_METHOD_MUTABLE_CLASS"
        } else {
            "SPEC_FAIL_ATTR_MUTABLE_CLASS"
        };
        return Verdict::Fails(
            Cause::MutableDescriptor {
                class,
                found: found.to_string(),
            },
            Some(kind),
        );
    }
    match found {
        "property" if has("getter not a python function") => Verdict::Fails(
            Cause::PropertyGetterNotPython { class },
            Some(if rules.property_specializes {
                "SPEC_FAIL_ATTR_PROPERTY_NOT_PY_FUNCTION"
            } else {
                "SPEC_FAIL_ATTR_PROPERTY"
            }),
        ),
        "property" if rules.property_specializes => Verdict::Specializes,
        "property" => Verdict::Fails(Cause::Property { class }, Some("SPEC_FAIL_ATTR_PROPERTY")),
        "instance attribute" | "slot" => Verdict::Specializes,
        // A method to call on an object without an instance dict: the
        // form without dict checks (`LOAD_ATTR_METHOD_NO_DICT`, 3.11's
        // `LOAD_METHOD_NO_DICT`) takes it in every version.
        "method" if method_form && has("no instance dict") => Verdict::Specializes,
        // A method read as a value (`f = obj.method`), not called.
        "method" if !method_form && family == "LOAD_ATTR" => Verdict::Fails(
            Cause::MethodNotCalled { class },
            Some("SPEC_FAIL_ATTR_METHOD"),
        ),
        // A plain value on the class read through an instance.
        "class attribute" if !method_form && family == "LOAD_ATTR" => {
            match rules.class_attribute_through_instance {
                Some(kind) if has("managed dict") => {
                    Verdict::Fails(Cause::ClassValueThroughInstance { class }, Some(kind))
                }
                Some(_) => Verdict::Fails(
                    Cause::ClassValueThroughInstance { class },
                    Some("SPEC_FAIL_ATTR_NOT_MANAGED_DICT"),
                ),
                None if rules.class_value_specializes => Verdict::Specializes,
                None => no_rule(),
            }
        }
        _ => no_rule(),
    }
}

/// CALL (and 3.11's PRECALL): `_Py_Specialize_Call`, `specialize_py_call`,
/// `call_fail_kind`.
fn call(
    family: &str,
    seen: &Observed,
    rules: &SpecializeRules,
    no_rule: &dyn Fn() -> Verdict,
) -> Verdict {
    let has = |fact: &str| seen.facts.iter().any(|f| f == fact);
    let callable = seen.kinds.first().cloned().unwrap_or_default();
    let python = has("python function") || has("bound method");
    // 3.11's PRECALL specializes every Python function and bound method
    // (PRECALL_PYFUNC, PRECALL_BOUND_METHOD) and leaves their checks to CALL.
    if family == "PRECALL" && python {
        return Verdict::Specializes;
    }
    if python {
        if has("keywords") {
            return match rules.keyword_arguments {
                Some(kind) => Verdict::Fails(Cause::KeywordArguments { callable }, Some(kind)),
                None => no_rule(),
            };
        }
        if has("complex parameters") {
            return match rules.complex_parameters {
                Some(kind) => Verdict::Fails(Cause::ComplexParameters { callable }, Some(kind)),
                None => Verdict::Specializes,
            };
        }
        if has("wrong number of arguments") {
            return match rules.wrong_number_of_arguments {
                Some(kind) => {
                    Verdict::Fails(Cause::WrongNumberOfArguments { callable }, Some(kind))
                }
                None => Verdict::Specializes,
            };
        }
        return if has("not optimized") {
            no_rule()
        } else {
            Verdict::Specializes
        };
    }
    if has("class") {
        return class_call(family, seen, rules, no_rule);
    }
    if has("bound method of a C function") {
        // A bound method is PRECALL_BOUND_METHOD on 3.11 whatever it
        // binds; CALL then (3.11), or CALL itself (3.12+), takes it only
        // for a Python function.
        return if family == "PRECALL" {
            Verdict::Specializes
        } else {
            Verdict::Fails(
                Cause::OtherCallable { callable },
                Some("SPEC_FAIL_CALL_BOUND_METHOD"),
            )
        };
    }
    if has("builtin method") {
        // A bound C method with METH_METHOD: `call_fail_kind` (3.11, 3.12);
        // 3.13's CALL_NON_PY_GENERAL.
        return if rules.general_calls {
            Verdict::Specializes
        } else {
            Verdict::Fails(
                Cause::OtherCallable { callable },
                Some("SPEC_FAIL_CALL_CMETHOD"),
            )
        };
    }
    let callee = if has("method descriptor") {
        Some(CCallee::MethodDescriptor)
    } else if has("builtin function") {
        Some(CCallee::Builtin)
    } else {
        None
    };
    if let Some(callee) = callee {
        if family == "CALL" && rules.precall_split.is_some() {
            // 3.11: PRECALL did not take it; CALL takes Python functions only.
            let kind = rules.call_after_precall(callee);
            return Verdict::Fails(Cause::OtherCallable { callable }, Some(kind));
        }
        return c_call(callee, callable, seen, rules, no_rule);
    }
    if family == "CALL" && rules.precall_split.is_some() {
        // 3.11's CALL specializes Python functions only: any other callable
        // that got past PRECALL fails with `call_fail_kind`.
        let kind = if has("method-wrapper") {
            "SPEC_FAIL_CALL_METHOD_WRAPPER"
        } else if has("slot wrapper") {
            "SPEC_FAIL_CALL_OPERATOR_WRAPPER"
        } else {
            "SPEC_FAIL_OTHER"
        };
        return Verdict::Fails(Cause::OtherCallable { callable }, Some(kind));
    }
    if rules.general_calls && !has("keywords") {
        // 3.13: CALL_NON_PY_GENERAL takes any other callable.
        return Verdict::Specializes;
    }
    if has("method-wrapper") {
        return Verdict::Fails(
            Cause::MethodWrapper { callable },
            Some("SPEC_FAIL_CALL_METHOD_WRAPPER"),
        );
    }
    if has("slot wrapper") {
        return Verdict::Fails(
            Cause::SlotWrapper { callable },
            Some("SPEC_FAIL_CALL_OPERATOR_WRAPPER"),
        );
    }
    if has("other callable") {
        return Verdict::Fails(Cause::OtherCallable { callable }, Some("SPEC_FAIL_OTHER"));
    }
    no_rule()
}

/// A call of a C callable: `specialize_c_call` or
/// `specialize_method_descriptor` (3.11's PRECALL, 3.12's and 3.13's CALL).
fn c_call(
    callee: CCallee,
    callable: String,
    seen: &Observed,
    rules: &SpecializeRules,
    no_rule: &dyn Fn() -> Verdict,
) -> Verdict {
    let has = |fact: &str| seen.facts.iter().any(|f| f == fact);
    let Some(flags) = seen.facts.iter().find_map(|f| f.strip_prefix("flags ")) else {
        return no_rule();
    };
    if has("keywords") {
        // A method descriptor refuses keywords whatever its flags; a
        // builtin only where its form takes none (METH_O, METH_FASTCALL).
        let refused =
            callee == CCallee::MethodDescriptor || matches!(flags, "METH_O" | "METH_FASTCALL");
        return match rules.keyword_arguments {
            Some(kind) if refused => {
                Verdict::Fails(Cause::CKeywordArguments { callable }, Some(kind))
            }
            Some(_) => c_call_by_flags(callee, flags, callable, rules),
            // 3.13: a call with keywords is CALL_KW, which has no cache.
            None => no_rule(),
        };
    }
    if has("wrong number of arguments") {
        return Verdict::Fails(
            Cause::WrongNumberOfArguments { callable },
            Some("SPEC_FAIL_WRONG_NUMBER_ARGUMENTS"),
        );
    }
    c_call_by_flags(callee, flags, callable, rules)
}

fn c_call_by_flags(
    callee: CCallee,
    flags: &str,
    callable: String,
    rules: &SpecializeRules,
) -> Verdict {
    match rules.c_call(callee, flags) {
        CCall::Specializes => Verdict::Specializes,
        CCall::Fails(kind) => Verdict::Fails(
            Cause::CallingConvention {
                callable,
                flags: flags.to_string(),
            },
            Some(kind),
        ),
    }
}

/// A call of a class: `specialize_class_call` (3.11's PRECALL, 3.12's and
/// 3.13's CALL).
fn class_call(
    family: &str,
    seen: &Observed,
    rules: &SpecializeRules,
    no_rule: &dyn Fn() -> Verdict,
) -> Verdict {
    let has = |fact: &str| seen.facts.iter().any(|f| f == fact);
    let class = seen
        .kinds
        .first()
        .map(|k| k.trim_start_matches("class ").to_string())
        .unwrap_or_default();
    if family == "CALL" && rules.precall_split.is_some() {
        return Verdict::Fails(
            Cause::OtherCallable {
                callable: format!("class {class}"),
            },
            Some("SPEC_FAIL_OTHER"),
        );
    }
    if has("immutable class") {
        // Built-in classes: str(x), type(x), tuple(x) and those with a
        // vectorcall specialize; the others fail (CLASS_NO_VECTORCALL).
        return no_rule();
    }
    if rules.general_calls {
        if has("python class") && has("__init__ wrong number of arguments") {
            return Verdict::Fails(
                Cause::InitArguments { class },
                Some("SPEC_FAIL_WRONG_NUMBER_ARGUMENTS"),
            );
        }
        return Verdict::Specializes;
    }
    if has("python class") {
        return Verdict::Fails(
            Cause::PythonClass { class },
            Some("SPEC_FAIL_CALL_PYTHON_CLASS"),
        );
    }
    Verdict::Fails(
        Cause::MutableClass { class },
        Some("SPEC_FAIL_CALL_CLASS_MUTABLE"),
    )
}

/// FOR_ITER (3.12+): lists, tuples, ranges and generators specialize; the
/// rest fail with `_PySpecialization_ClassifyIterator`'s kind.
fn for_iter(seen: &Observed, no_rule: &dyn Fn() -> Verdict) -> Verdict {
    let Some(fact) = seen.facts.iter().find_map(|f| f.strip_prefix("iterator ")) else {
        return no_rule();
    };
    let iterator = seen.kinds.first().cloned().unwrap_or_default();
    let kind = match fact {
        "list_iterator" | "tuple_iterator" | "range_iterator" | "generator" => {
            return Verdict::Specializes;
        }
        "python class" => "SPEC_FAIL_OTHER",
        "dict_keyiterator" => "SPEC_FAIL_ITER_DICT_KEYS",
        "dict_valueiterator" => "SPEC_FAIL_ITER_DICT_VALUES",
        "dict_itemiterator" => "SPEC_FAIL_ITER_DICT_ITEMS",
        "set_iterator" => "SPEC_FAIL_ITER_SET",
        "str_iterator" => "SPEC_FAIL_ITER_STRING",
        "str_ascii_iterator" => "SPEC_FAIL_ITER_ASCII_STRING",
        "bytes_iterator" => "SPEC_FAIL_ITER_BYTES",
        "enumerate" => "SPEC_FAIL_ITER_ENUMERATE",
        "map" => "SPEC_FAIL_ITER_MAP",
        "zip" => "SPEC_FAIL_ITER_ZIP",
        "iterator" => "SPEC_FAIL_ITER_SEQ_ITER",
        "list_reverseiterator" => "SPEC_FAIL_ITER_REVERSED_LIST",
        "callable_iterator" => "SPEC_FAIL_ITER_CALLABLE",
        "coroutine" => "SPEC_FAIL_ITER_COROUTINE",
        name if name.starts_with("itertools.") => "SPEC_FAIL_ITER_ITERTOOLS",
        _ => "SPEC_FAIL_OTHER",
    };
    Verdict::Fails(Cause::Iterator { iterator }, Some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::version::PythonVersion;
    use crate::model::{Evidence, Status};

    fn site(base: &str, argrepr: &str, observed: &[(&[&str], &[&str], u64)]) -> Instruction {
        Instruction {
            offset: 6,
            line: Some(1),
            starts_line: true,
            positions: None,
            opname: base.into(),
            base_opname: base.into(),
            arg: Some(0),
            argrepr: argrepr.into(),
            is_jump_target: false,
            label: None,
            jump_target: None,
            status: Status::Adaptive,
            caches: Vec::new(),
            counter: None,
            samples: 0,
            evidence: Some(Evidence {
                seen: observed.iter().map(|o| o.2).sum(),
                observed: observed
                    .iter()
                    .map(|(kinds, facts, count)| Observed {
                        kinds: kinds.iter().map(|k| k.to_string()).collect(),
                        facts: facts.iter().map(|f| f.to_string()).collect(),
                        count: *count,
                    })
                    .collect(),
                reason: String::new(),
                fail_kind: None,
            }),
        }
    }

    fn rules(minor: u8) -> Option<SpecializeRules> {
        PythonVersion {
            major: 3,
            minor,
            micro: 0,
        }
        .specialize_rules()
    }

    fn diagnosis(ins: &Instruction, minor: u8) -> Diagnosis {
        diagnose(ins, Some(SiteState::BackingOff), rules(minor)).unwrap()
    }

    #[test]
    fn a_kind_that_specializes_is_said_so_as_the_site_stands() {
        let ins = site("BINARY_OP", "+", &[(&["int", "int"], &[], 40)]);
        assert!(matches!(
            diagnosis(&ins, 12).cause,
            Cause::WouldSpecialize { .. }
        ));
        let now = diagnose(&ins, Some(SiteState::Specialized), rules(12)).unwrap();
        assert_eq!(
            now.cause,
            Cause::Specializes {
                kinds: "int · int".into()
            }
        );
    }

    #[test]
    fn int_plus_float_is_add_different_types_in_every_version() {
        let ins = site(
            "BINARY_OP",
            "+",
            &[(&["int", "float"], &[], 1520), (&["int", "int"], &[], 12)],
        );
        for minor in [11, 12, 13] {
            let d = diagnosis(&ins, minor);
            assert_eq!(d.fail_kind, Some("SPEC_FAIL_BINARY_OP_ADD_DIFFERENT_TYPES"));
            assert_eq!((d.count, d.seen), (1520, 1532));
        }
    }

    #[test]
    fn failures_of_one_kind_are_named_together() {
        let ins = site(
            "BINARY_OP",
            "+",
            &[
                (&["tuple", "tuple"], &[], 50),
                (&["list", "list"], &[], 50),
                (&["bytes", "bytes"], &[], 50),
            ],
        );
        let d = diagnosis(&ins, 12);
        assert_eq!(d.fail_kind, Some("SPEC_FAIL_BINARY_OP_ADD_OTHER"));
        assert_eq!(d.count, 150);
        let Cause::BinaryUnsupported { pairs, .. } = d.cause else {
            panic!("{:?}", d.cause)
        };
        assert_eq!(pairs, ["tuple + tuple", "list + list", "bytes + bytes"]);
    }

    #[test]
    fn kinds_that_each_specialize_make_a_polymorphic_site() {
        let ins = site(
            "BINARY_OP",
            "+",
            &[(&["int", "int"], &[], 10), (&["float", "float"], &[], 10)],
        );
        let d = diagnosis(&ins, 13);
        assert_eq!(d.fail_kind, None);
        assert!(matches!(d.cause, Cause::Polymorphic { ref kinds } if kinds.len() == 2));
    }

    #[test]
    fn complex_parameters_fail_until_3_13() {
        let ins = site(
            "CALL",
            "",
            &[(
                &["function f(*args)", "1 positional"],
                &["python function", "complex parameters"],
                5,
            )],
        );
        assert_eq!(
            diagnosis(&ins, 11).fail_kind,
            Some("SPEC_FAIL_CALL_COMPLEX_PARAMETERS")
        );
        assert_eq!(
            diagnosis(&ins, 12).fail_kind,
            Some("SPEC_FAIL_CODE_COMPLEX_PARAMETERS")
        );
        assert!(matches!(
            diagnosis(&ins, 13).cause,
            Cause::WouldSpecialize { .. }
        ));
    }

    #[test]
    fn non_dict_globals_record_no_kind_in_3_11() {
        let ins = site(
            "LOAD_GLOBAL",
            "",
            &[(&["Namespace", "dict"], &["globals not dict"], 3)],
        );
        let d = diagnosis(&ins, 11);
        assert_eq!(d.fail_kind, None);
        assert!(d.records_no_kind);
        assert_eq!(
            diagnosis(&ins, 12).fail_kind,
            Some("SPEC_FAIL_LOAD_GLOBAL_NON_DICT")
        );
    }

    #[test]
    fn a_class_value_read_through_an_instance() {
        let ins = site(
            "LOAD_ATTR",
            "LIMIT",
            &[(
                &["Box", "class attribute"],
                &["class attribute", "managed dict"],
                4,
            )],
        );
        assert_eq!(
            diagnosis(&ins, 12).fail_kind,
            Some("SPEC_FAIL_ATTR_CLASS_ATTR_SIMPLE")
        );
        assert!(matches!(
            diagnosis(&ins, 13).cause,
            Cause::WouldSpecialize { .. }
        ));
        assert!(matches!(diagnosis(&ins, 11).cause, Cause::NoRule { .. }));
    }

    #[test]
    fn an_operator_without_forms_needs_no_operand_read() {
        let ins = site("BINARY_OP", "%", &[(&["unknown", "int"], &[], 9)]);
        assert_eq!(
            diagnosis(&ins, 12).fail_kind,
            Some("SPEC_FAIL_BINARY_OP_REMAINDER")
        );
        let add = site("BINARY_OP", "+", &[(&["unknown", "int"], &[], 9)]);
        assert_eq!(diagnosis(&add, 12).cause, Cause::OperandsUnknown);
    }

    #[test]
    fn unknown_operands_and_unknown_versions_are_said_as_such() {
        let ins = site("BINARY_OP", "+", &[(&["unknown"], &[], 7)]);
        assert_eq!(diagnosis(&ins, 12).cause, Cause::OperandsUnknown);
        assert_eq!(diagnose(&ins, Some(SiteState::BackingOff), rules(14)), None);
        let never = site("BINARY_OP", "+", &[]);
        assert_eq!(diagnosis(&never, 12).cause, Cause::NotReached);
    }
}
