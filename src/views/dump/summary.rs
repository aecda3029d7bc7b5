//! `--format summary`: the whole program on one screen. Per family of
//! specializable instructions, how many sites ended in each state; then the
//! sites where specialization failed, hottest first, each with its place,
//! its source line, its live opname and its counter in words.

use std::fmt::Write;

use crate::analysis::summary::{SiteState, family_counts, sites_to_look_at};
use crate::model::Snapshot;
use crate::present::text::{Paint, clip, sanitize_line};
use crate::present::words::{
    counter_short, executions_words, grouped, place, site_state_words, warmup_line,
};

/// Sites listed under "look at first"; the rest are counted.
const SHOWN_SITES: usize = 20;

pub fn render(snapshot: &Snapshot, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Python {}  ·  {}  ·  {}",
        snapshot.python.version,
        sanitize_line(&snapshot.target.filename),
        warmup_line(snapshot)
    );
    let families = family_counts(&snapshot.code_objects);
    let mut all = crate::analysis::summary::StateCounts::default();
    for counts in families.values() {
        all.merge(counts);
    }
    let _ = writeln!(
        out,
        "{} code objects · {} specializable sites: {}",
        snapshot.code_objects.len(),
        all.total(),
        SiteState::ALL
            .iter()
            .map(|s| format!("{} {}", all.get(*s), site_state_words(*s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(sampling) = &snapshot.sampling {
        let here: u64 = snapshot.code_objects.iter().map(|c| c.samples).sum();
        let _ = writeln!(
            out,
            "sampled every {} ms: {} samples, {} in the code shown",
            milliseconds(sampling.interval_ms),
            grouped(sampling.total),
            grouped(here)
        );
    }
    out.push('\n');
    family_table(&families, &all, paint, &mut out);
    out.push('\n');
    look_at_first(snapshot, paint, &mut out);
    out
}

/// A mean interval in milliseconds to two decimals, without trailing
/// zeros: `1.0000808` is "1", `1.214` "1.21", `0.5` "0.5".
fn milliseconds(ms: f64) -> String {
    let text = format!("{ms:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn family_table(
    families: &std::collections::BTreeMap<String, crate::analysis::summary::StateCounts>,
    all: &crate::analysis::summary::StateCounts,
    paint: Paint,
    out: &mut String,
) {
    let name_width = families.keys().map(|f| f.len()).max().unwrap_or(0).max(8);
    let mut head = format!("{:<name_width$}", "family");
    for state in SiteState::ALL {
        let _ = write!(head, "  {:>11}", site_state_words(state));
    }
    let _ = writeln!(out, "{}", paint.wrap("1", &head));
    let row = |name: &str, counts: &crate::analysis::summary::StateCounts| {
        let mut line = format!("{name:<name_width$}");
        for state in SiteState::ALL {
            let n = counts.get(state);
            let cell = format!("{:>11}", if n == 0 { "·".into() } else { n.to_string() });
            let styled = if n > 0 {
                paint.wrap(state_style(state), &cell).into_owned()
            } else {
                paint.wrap("2", &cell).into_owned()
            };
            let _ = write!(line, "  {styled}");
        }
        line
    };
    for (family, counts) in families {
        let _ = writeln!(out, "{}", row(&sanitize_line(family), counts));
    }
    if families.is_empty() {
        let _ = writeln!(out, "(no specializable instruction in the code shown)");
    } else {
        let _ = writeln!(out, "{}", row("all", all));
    }
}

fn look_at_first(snapshot: &Snapshot, paint: Paint, out: &mut String) {
    let sites = sites_to_look_at(snapshot);
    if sites.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint.wrap(
                "1",
                "Look at first: nothing; no site is backing off or given up"
            )
        );
        return;
    }
    let order = if snapshot.sampling.is_some() {
        "hottest first"
    } else {
        "the most executions proved first (not sampled)"
    };
    let _ = writeln!(
        out,
        "{}",
        paint.wrap(
            "1",
            &format!(
                "Look at first: {} {} where specialization failed, {order}",
                sites.len(),
                if sites.len() == 1 { "site" } else { "sites" }
            )
        )
    );
    for site in sites.iter().take(SHOWN_SITES) {
        let code = &snapshot.code_objects[site.code];
        let ins = &code.instructions[site.instruction];
        let facts = snapshot.python.version.facts();
        let counter = match &ins.counter {
            Some(counter) => match facts.executions_at_least(counter) {
                Some(n) => format!("{}; {}", counter_short(counter), executions_words(n)),
                None => counter_short(counter),
            },
            None => site_state_words(site.state).to_string(),
        };
        let heat = if snapshot.sampling.is_some() {
            format!("  {} samples", grouped(site.samples))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}  {}  {}  in {}{heat}",
            sanitize_line(&place(code, ins)),
            paint.wrap(state_style(site.state), &ins.opname),
            counter,
            sanitize_line(&code.qualname),
        );
        let line = ins.positions.and_then(|p| p.line).or(ins.line);
        let text = line.and_then(|n| {
            snapshot
                .files
                .get(&code.filename)?
                .lines()
                .nth(n.checked_sub(1)? as usize)
        });
        match text {
            Some(text) => {
                let _ = writeln!(out, "    {}", clip(&sanitize_line(text.trim()), 100));
            }
            None => {
                let _ = writeln!(out, "    {}", paint.wrap("2", "(source not kept)"));
            }
        }
        if let Some(evidence) = &ins.evidence {
            let line = crate::present::why::evidence_line(ins, evidence);
            let _ = writeln!(out, "    {}", paint.wrap("36", &sanitize_line(&line)));
        }
    }
    if sites.len() > SHOWN_SITES {
        let _ = writeln!(
            out,
            "… and {} more (--format table lists every site)",
            sites.len() - SHOWN_SITES
        );
    }
}

fn state_style(state: SiteState) -> &'static str {
    match state {
        SiteState::Specialized => "1;32",
        SiteState::Warming => "33",
        SiteState::BackingOff => "1;31",
        SiteState::GivenUp => "31",
        SiteState::NeverRan => "2",
    }
}

#[cfg(test)]
mod tests {
    use super::milliseconds;

    #[test]
    fn a_mean_interval_reads_to_two_decimals_without_trailing_zeros() {
        assert_eq!(milliseconds(1.000_080_860_093_271_1), "1");
        assert_eq!(milliseconds(1.214), "1.21");
        assert_eq!(milliseconds(0.5), "0.5");
        assert_eq!(milliseconds(100.0), "100");
    }
}
