//! The explanation texts' claims as experiments.
//!
//! Every miss cause a text states (a `Misses:` list item ending in `{id}`)
//! names an experiment in `assets/experiments/<family>.py`: a small program
//! that reaches the specialized form, then runs the cause once. The cause is
//! proven when the form's counter (or its opname) moved; a `Does not miss:`
//! item is proven when neither did. `specscope explain --check` runs them all
//! on the linked Python; `specscope explain NAME --demo` shows one as a
//! timeline.

use serde::Deserialize;

use crate::collect::python::{self, CollectError};
use crate::error::Error;
use crate::explain::{self, ClaimKind, Families, Lookup, Role};
use crate::model::version::PythonVersion;
use crate::present::text::write_stdout;

const RUNNER: &str = include_str!("../../assets/experiments/runner.py");

/// The experiment files, named as their texts in `assets/explain/`.
const EXPERIMENTS: &[(&str, &str)] = &[
    (
        "binary_op.py",
        include_str!("../../assets/experiments/binary_op.py"),
    ),
    (
        "binary_subscr.py",
        include_str!("../../assets/experiments/binary_subscr.py"),
    ),
    ("call.py", include_str!("../../assets/experiments/call.py")),
    (
        "compare_op.py",
        include_str!("../../assets/experiments/compare_op.py"),
    ),
    (
        "contains_op.py",
        include_str!("../../assets/experiments/contains_op.py"),
    ),
    (
        "for_iter.py",
        include_str!("../../assets/experiments/for_iter.py"),
    ),
    (
        "load_attr.py",
        include_str!("../../assets/experiments/load_attr.py"),
    ),
    (
        "load_global.py",
        include_str!("../../assets/experiments/load_global.py"),
    ),
    (
        "load_method.py",
        include_str!("../../assets/experiments/load_method.py"),
    ),
    (
        "load_super_attr.py",
        include_str!("../../assets/experiments/load_super_attr.py"),
    ),
    (
        "precall.py",
        include_str!("../../assets/experiments/precall.py"),
    ),
    ("send.py", include_str!("../../assets/experiments/send.py")),
    (
        "store_attr.py",
        include_str!("../../assets/experiments/store_attr.py"),
    ),
    (
        "store_subscr.py",
        include_str!("../../assets/experiments/store_subscr.py"),
    ),
    (
        "to_bool.py",
        include_str!("../../assets/experiments/to_bool.py"),
    ),
    (
        "unpack_sequence.py",
        include_str!("../../assets/experiments/unpack_sequence.py"),
    ),
];

/// The families whose forms guard what they assume; each form's stated
/// causes are checked.
pub const GUARDED_FAMILIES: &[&str] = &[
    "BINARY_OP",
    "BINARY_SUBSCR",
    "CALL",
    "COMPARE_OP",
    "CONTAINS_OP",
    "FOR_ITER",
    "LOAD_ATTR",
    "LOAD_GLOBAL",
    "LOAD_METHOD",
    "LOAD_SUPER_ATTR",
    "PRECALL",
    "SEND",
    "STORE_ATTR",
    "STORE_SUBSCR",
    "TO_BOOL",
    "UNPACK_SEQUENCE",
];

fn files() -> serde_json::Map<String, serde_json::Value> {
    EXPERIMENTS
        .iter()
        .map(|(name, source)| (name.to_string(), serde_json::Value::from(*source)))
        .collect()
}

/// One stated cause and what its experiment showed.
#[derive(Debug, Clone)]
pub struct CauseReport {
    pub kind: ClaimKind,
    pub id: String,
    pub text: String,
    /// `None` for a cause the text marks as not triggerable from Python.
    pub proven: Option<bool>,
    pub detail: String,
}

/// One specialized form: whether its experiment reached it, and its causes.
#[derive(Debug, Clone)]
pub struct FormReport {
    pub family: String,
    pub form: String,
    pub has_experiment: bool,
    pub reached: bool,
    /// The text's reason why Python code cannot reach the form.
    pub unreachable: Option<String>,
    pub detail: Option<String>,
    pub causes: Vec<CauseReport>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub version: PythonVersion,
    pub forms: Vec<FormReport>,
}

impl Report {
    fn causes(&self) -> impl Iterator<Item = &CauseReport> {
        self.forms.iter().flat_map(|f| f.causes.iter())
    }

    /// Causes that Python code can trigger.
    pub fn stated(&self) -> usize {
        self.causes().filter(|c| c.proven.is_some()).count()
    }

    pub fn proven(&self) -> usize {
        self.causes().filter(|c| c.proven == Some(true)).count()
    }

    pub fn not_from_python(&self) -> usize {
        self.causes().filter(|c| c.proven.is_none()).count()
    }

    /// Causes whose experiment ran and showed the opposite of the text.
    pub fn contradicted(&self) -> Vec<(&FormReport, &CauseReport)> {
        self.forms
            .iter()
            .flat_map(|f| f.causes.iter().map(move |c| (f, c)))
            .filter(|(f, c)| {
                f.reached && c.proven == Some(false) && !c.detail.starts_with("no experiment")
            })
            .collect()
    }

    /// Forms Python code can reach whose experiment did not reach them.
    pub fn unreached(&self) -> Vec<&FormReport> {
        self.forms
            .iter()
            .filter(|f| f.unreachable.is_none() && !f.reached)
            .collect()
    }

    /// Proven share of the triggerable causes, in percent.
    pub fn share(&self) -> f64 {
        match self.stated() {
            0 => 100.0,
            n => 100.0 * self.proven() as f64 / n as f64,
        }
    }

    /// The bar the texts must clear: nothing contradicted, every reachable
    /// form reached, at least 90 % of the causes proven.
    pub fn holds(&self) -> bool {
        self.contradicted().is_empty() && self.unreached().is_empty() && self.share() >= 90.0
    }
}

#[derive(Deserialize)]
struct RunnerForm {
    form: String,
    has_experiment: bool,
    reached: bool,
    #[serde(default)]
    detail: Option<String>,
    causes: Vec<RunnerCause>,
}

#[derive(Deserialize)]
struct RunnerCause {
    id: String,
    kind: String,
    proven: bool,
    detail: String,
}

/// The forms of the guarded families, limited to `only` (a family or a
/// form) when given, with what their texts claim.
fn plan(version: PythonVersion, families: &Families, only: Option<&str>) -> Vec<FormReport> {
    let mut forms = Vec::new();
    for (base, members) in families {
        if !GUARDED_FAMILIES.contains(&base.as_str()) {
            continue;
        }
        for form in members {
            if only.is_some_and(|o| o != base && o != form) {
                continue;
            }
            let Lookup::Found(e) = explain::lookup_in(form, version, families) else {
                continue;
            };
            if e.role != Role::Specialized {
                continue;
            }
            forms.push(FormReport {
                family: base.clone(),
                form: form.clone(),
                has_experiment: false,
                reached: false,
                unreachable: e.unreachable.clone(),
                detail: None,
                causes: e
                    .claims
                    .iter()
                    .map(|c| CauseReport {
                        kind: c.kind,
                        id: c.id.clone(),
                        text: c.text.clone(),
                        proven: None,
                        detail: String::new(),
                    })
                    .collect(),
            });
        }
    }
    forms
}

/// Runs the experiments of every guarded form (or of `only`) on the linked
/// Python and says which claims held.
pub fn check(only: Option<&str>) -> Result<Report, CollectError> {
    let version = python::linked_version();
    let families = python::specializations()?;
    let mut forms = plan(version, &families, only);
    let request: Vec<serde_json::Value> = forms
        .iter()
        .map(|f| {
            let ids = |kind: ClaimKind| -> Vec<&str> {
                f.causes
                    .iter()
                    .filter(|c| c.kind == kind && c.id != explain::NOT_FROM_PYTHON)
                    .map(|c| c.id.as_str())
                    .collect()
            };
            serde_json::json!({
                "form": f.form,
                "misses": ids(ClaimKind::Misses),
                "kept": ids(ClaimKind::Kept),
            })
        })
        .collect();
    let arguments = serde_json::json!({ "files": files(), "plan": request }).to_string();
    let reply = python::call_runner(RUNNER, "check", &arguments)?;
    let results: Vec<RunnerForm> =
        serde_json::from_str(&reply).map_err(|e| CollectError::Internal(e.to_string()))?;
    for (form, result) in forms.iter_mut().zip(results) {
        debug_assert_eq!(form.form, result.form);
        form.has_experiment = result.has_experiment;
        form.reached = result.reached;
        form.detail = result.detail;
        for cause in &mut form.causes {
            if cause.id == explain::NOT_FROM_PYTHON {
                cause.proven = None;
                cause.detail = "cannot be triggered from Python code".into();
                continue;
            }
            let found = result
                .causes
                .iter()
                .find(|r| r.id == cause.id && r.kind == cause.kind.key());
            match found {
                Some(r) => {
                    cause.proven = Some(r.proven);
                    cause.detail = r.detail.clone();
                }
                None => {
                    cause.proven = Some(false);
                    cause.detail = "no experiment for this cause".into();
                }
            }
        }
    }
    Ok(Report { version, forms })
}

/// One step of a demonstration: what the site looked like after it.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoStep {
    pub label: String,
    pub opname: String,
    pub raw: Option<u16>,
    pub error: Option<String>,
}

/// An experiment run as a lesson: warm-up, a hit, then one miss cause
/// repeated until the interpreter gives the form up or specializes again.
#[derive(Debug, Clone, Deserialize)]
pub struct Demo {
    pub form: String,
    pub reached: bool,
    pub setup: String,
    pub warm: String,
    /// Cause id → the statements that trigger it.
    pub causes: std::collections::BTreeMap<String, String>,
    pub steps: Vec<DemoStep>,
}

/// Runs the experiment behind `form` on the linked Python; `None` when
/// there is none for this version.
pub fn demo(form: &str, cause: Option<&str>) -> Result<Option<Demo>, CollectError> {
    let arguments =
        serde_json::json!({ "files": files(), "form": form, "cause": cause }).to_string();
    let reply = python::call_runner(RUNNER, "demo", &arguments)?;
    serde_json::from_str(&reply).map_err(|e| CollectError::Internal(e.to_string()))
}

impl Report {
    /// Plain text: one line per form, the contradicted causes in full, totals.
    pub fn render(&self) -> String {
        let mut out = format!(
            "Claims of the explanation texts, tested on Python {}\n",
            self.version
        );
        let mut family = "";
        for f in &self.forms {
            if f.family != family {
                family = &f.family;
                out.push_str(&format!("\n{family}\n"));
            }
            let state = if f.reached {
                "reached".to_string()
            } else if let Some(why) = &f.unreachable {
                format!("not reachable from Python: {why}")
            } else if !f.has_experiment {
                "NO EXPERIMENT".to_string()
            } else {
                format!("NOT REACHED ({})", f.detail.as_deref().unwrap_or("?"))
            };
            let tally = |kind: ClaimKind| {
                let of: Vec<_> = f
                    .causes
                    .iter()
                    .filter(|c| c.kind == kind && c.proven.is_some())
                    .collect();
                let proven = of.iter().filter(|c| c.proven == Some(true)).count();
                (proven, of.len())
            };
            let mut line = format!("  {:<36} {state}", f.form);
            let (p, n) = tally(ClaimKind::Misses);
            if n > 0 {
                line.push_str(&format!("   misses {p}/{n}"));
            }
            let (p, n) = tally(ClaimKind::Kept);
            if n > 0 {
                line.push_str(&format!("   does not miss {p}/{n}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
            for c in &f.causes {
                if c.proven == Some(false) {
                    let what = match c.kind {
                        ClaimKind::Misses => "said to miss",
                        ClaimKind::Kept => "said not to miss",
                    };
                    out.push_str(&format!(
                        "      not proven: {} {{{}}} ({what}): {}\n",
                        crate::present::text::sanitize_line(&c.text),
                        c.id,
                        c.detail
                    ));
                }
            }
        }
        let reachable = self
            .forms
            .iter()
            .filter(|f| f.unreachable.is_none())
            .count();
        let reached = self.forms.iter().filter(|f| f.reached).count();
        out.push_str(&format!(
            "\nForms: {reached} of {reachable} reachable from Python reached ({} not reachable)\n",
            self.forms.len() - reachable
        ));
        out.push_str(&format!(
            "Causes: {} stated, {} proven ({:.0} %), {} contradicted by the interpreter, {} cannot be triggered from Python\n",
            self.stated(),
            self.proven(),
            self.share(),
            self.contradicted().len(),
            self.not_from_python()
        ));
        out
    }
}

impl Demo {
    /// The timeline as a table, with the counter of every step in words,
    /// then what happened in a few sentences.
    pub fn render(&self, version: PythonVersion, base: &str) -> String {
        use crate::model::version::CounterSite;
        let facts = version.facts();
        // The demo saw the form before, so a 3.11 backoff of 5 after it is
        // the restart after de-optimization, not five failures.
        let counter = |step: &DemoStep, was_specialized: bool| -> String {
            step.raw.map_or_else(
                || "no inline cache".to_string(),
                |raw| {
                    let mut c = facts.decode_counter(
                        CounterSite {
                            opname: &step.opname,
                            base_opname: base,
                            family: true,
                            quickened: true,
                        },
                        raw,
                    );
                    if was_specialized && c.state == crate::model::CounterState::BackoffOrRestart {
                        c.state = crate::model::CounterState::Warming;
                        return format!(
                            "{raw:>5}  restarted after de-optimization: {}",
                            crate::present::words::counter_short(&c)
                        );
                    }
                    format!("{raw:>5}  {}", crate::present::words::counter_short(&c))
                },
            )
        };
        let mut out = format!(
            "{} on Python {}: the experiment behind its explanation\n\nThe program:\n",
            self.form, version
        );
        for line in self.setup.lines() {
            out.push_str(&format!(
                "    {}\n",
                crate::present::text::sanitize_line(line)
            ));
        }
        out.push_str(&format!(
            "\nWarm-up, run until the site specializes:\n    {}\n",
            crate::present::text::sanitize_line(&self.warm)
        ));
        let missed = self
            .steps
            .iter()
            .find_map(|s| s.label.strip_prefix("miss 1: "))
            .map(str::to_string);
        if let Some(id) = &missed
            && let Some(statements) = self.causes.get(id)
        {
            out.push_str(&format!(
                "A miss ({id}), repeated:\n    {}\n",
                crate::present::text::sanitize_line(statements)
            ));
        }
        let wide = self
            .steps
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 28);
        let op_wide = self
            .steps
            .iter()
            .map(|s| s.opname.len())
            .max()
            .unwrap_or(6)
            .max(6);
        out.push_str(&format!(
            "\n  {:wide$}  {:op_wide$}  {:>5}  meaning\n",
            "step", "live opname", "raw"
        ));
        let mut was_specialized = false;
        for step in &self.steps {
            let label: String = step.label.chars().take(wide).collect();
            out.push_str(&format!(
                "  {label:wide$}  {:op_wide$}  {}",
                step.opname,
                counter(step, was_specialized)
            ));
            was_specialized |= step.opname == self.form;
            if let Some(error) = &step.error {
                out.push_str(&format!(
                    "  (raised {})",
                    crate::present::text::sanitize_line(error)
                ));
            }
            out.push('\n');
        }
        out.push('\n');
        for sentence in self.story() {
            out.push_str(&sentence);
            out.push('\n');
        }
        out
    }

    /// What the steps show, in words.
    fn story(&self) -> Vec<String> {
        let mut said = Vec::new();
        let warm = self
            .steps
            .iter()
            .filter(|s| s.label.starts_with("warm "))
            .count();
        if !self.reached {
            said.push(format!(
                "The site did not reach {} within {warm} runs of the warm-up.",
                self.form
            ));
            return said;
        }
        said.push(format!(
            "The site became {} at warm-up run {warm}.",
            self.form
        ));
        let misses: Vec<&DemoStep> = self
            .steps
            .iter()
            .filter(|s| s.label.starts_with("miss "))
            .collect();
        // The miss that made the interpreter act: another opname, or the
        // same form specialized anew (its counter back up).
        let mut previous = self.steps.iter().rev().find(|s| s.label == "hit");
        let mut acted = None;
        for (n, step) in misses.iter().enumerate() {
            let respecialized = step.opname == self.form
                && previous
                    .is_some_and(|p| step.raw.zip(p.raw).is_some_and(|(now, was)| now > was));
            if step.opname != self.form || respecialized {
                acted = Some((n + 1, *step, respecialized));
                break;
            }
            previous = Some(step);
        }
        match acted {
            Some((n, step, true)) => said.push(format!(
                "Miss {n} changed the site to {} again: it specialized anew for what the misses brought, and its counter restarted.",
                step.opname
            )),
            Some((n, step, false)) => {
                said.push(format!("Miss {n} changed the site to {}.", step.opname))
            }
            None if !misses.is_empty() => said.push(format!(
                "After {} misses it was still {}: the counter absorbed them.",
                misses.len(),
                self.form
            )),
            None => {}
        }
        said
    }
}

/// `specscope explain --check [OPNAME]`: prints the report; whether the
/// texts held.
pub fn check_command(only: Option<&str>) -> Result<bool, Error> {
    let report =
        check(only).map_err(|e| Error::Internal(format!("the experiments could not run: {e}")))?;
    if only.is_some() && report.forms.is_empty() {
        return Err(Error::Usage(format!(
            "{} is not a specialized form or guarded family of Python {}",
            crate::present::text::sanitize_line(only.unwrap_or_default()),
            report.version.short()
        )));
    }
    write_stdout(&report.render()).map_err(Error::Output)?;
    Ok(report.holds())
}

/// `specscope explain OPNAME --demo [--cause ID]`.
pub fn demo_command(opname: &str, cause: Option<&str>) -> Result<(), Error> {
    let version = python::linked_version();
    let families = python::specializations()
        .map_err(|e| Error::Internal(format!("cannot read opcode._specializations: {e}")))?;
    let Some((base, _)) = families.iter().find(|(_, m)| m.iter().any(|f| f == opname)) else {
        return Err(crate::explain::not_a_form(opname, version, &families));
    };
    let demo = demo(opname, cause)
        .map_err(|e| Error::Internal(format!("the experiment could not run: {e}")))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "no experiment reaches {opname} on Python {}",
                version.short()
            ))
        })?;
    if let Some(c) = cause.filter(|c| !demo.causes.contains_key(*c)) {
        let known: Vec<&str> = demo.causes.keys().map(String::as_str).collect();
        return Err(Error::Usage(format!(
            "{opname} has no miss cause '{}'; its causes: {}",
            crate::present::text::sanitize_line(c),
            known.join(", ")
        )));
    }
    write_stdout(&demo.render(version, base)).map_err(Error::Output)
}
