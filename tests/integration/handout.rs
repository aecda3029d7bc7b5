//! `--format html`, the handout as a heat map: its index adds up as the
//! analysis does, each stretch of source says what its instructions did,
//! code that never ran is dimmed, the page loads nothing, stays small for
//! a whole module and fits a 1280-pixel window.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::installed::collect_here as collect;
use specscope::analysis::summary::{SiteState, StateCounts, code_counts};
use specscope::collect::request::{Request, Target};
use specscope::model::{CodeObject, Instruction, Snapshot};
use specscope::present::words::site_words;
use specscope::views::dump::html;

use crate::common::{program_output, specscope};

/// `steady`'s `+` specializes on ints; `flip`'s `p + q` (an int and a
/// float) keeps failing and backs off; `never` never runs (written without
/// a pair of instructions 3.12 would fuse at creation, so that 3.12 can
/// watch it too).
const PROGRAM: &str = "\
def steady(a, b):
    return a + b

def flip(a, b, p, q):
    return [a + b, p + q]

def never(x):
    return x.real + x.imag

for i in range(2000):
    steady(i, i)
    flip(i, i, i, 0.5)
";

fn snapshot(code: &str) -> Snapshot {
    collect(&Request::new(Target::Code(code.to_string()))).expect("collection succeeds")
}

fn code<'s>(snapshot: &'s Snapshot, qualname: &str) -> (usize, &'s CodeObject) {
    snapshot
        .code_objects
        .iter()
        .enumerate()
        .find(|(_, c)| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"))
}

/// The `n`th `+` of a code object.
fn plus(code: &CodeObject, n: usize) -> &Instruction {
    code.instructions
        .iter()
        .filter(|i| i.base_opname == "BINARY_OP" && i.argrepr == "+")
        .nth(n)
        .expect("a + in the code")
}

/// The cells of an index row, as text: the row is the one that links to
/// `href`.
fn index_row<'p>(page: &'p str, href: &str) -> Vec<&'p str> {
    let nav = page.split("</nav>").next().unwrap();
    let row = nav
        .lines()
        .find(|l| l.starts_with("<tr>") && l.contains(&format!("<a href={href}>")))
        .unwrap_or_else(|| panic!("no index row links to {href}"));
    row.split("<td")
        .skip(1)
        .map(|cell| cell.split_once('>').unwrap().1)
        .collect()
}

/// The last five cells of a row: one count per state, blank for none.
fn state_cells(cells: &[&str]) -> StateCounts {
    let mut counts = StateCounts::default();
    for (state, cell) in SiteState::ALL.iter().zip(&cells[cells.len() - 5..]) {
        let n: usize = if cell.is_empty() {
            0
        } else {
            cell.parse().unwrap()
        };
        for _ in 0..n {
            counts.add(*state);
        }
    }
    counts
}

/// The source lines of the page: each line's `<p …>` attributes and its
/// HTML.
fn source_lines(page: &str) -> impl Iterator<Item = (&str, &str)> {
    page.split("<div class=src")
        .skip(1)
        .map(|excerpt| {
            let body = excerpt.split_once('>').unwrap().1;
            body.split("</div>").next().unwrap()
        })
        .flat_map(str::lines)
        .map(|line| line.strip_prefix("<p").unwrap().split_once('>').unwrap())
}

/// The source line of the page whose text (tags left out) is `text`.
fn source_line<'p>(page: &'p str, text: &str) -> (&'p str, &'p str) {
    source_lines(page)
        .find(|(_, html)| without_tags(html) == text)
        .unwrap_or_else(|| panic!("no source line {text:?}"))
}

/// The number of each source line the page shows, in order: excerpts
/// count on from their `counter-reset`.
fn line_numbers(page: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for excerpt in page.split("<div class=src").skip(1) {
        let (head, body) = excerpt.split_once('>').unwrap();
        let start: u32 = head
            .split("counter-reset:ln ")
            .nth(1)
            .map_or(0, |n| n.trim_end_matches('"').parse().unwrap());
        let count = body.split("</div>").next().unwrap().lines().count() as u32;
        out.extend(start + 1..=start + count);
    }
    out
}

fn without_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The marks of a line, outer before inner: (class, title, text); a
/// mark's text includes that of the marks inside it.
fn marks(html: &str) -> Vec<(String, String, String)> {
    let mut done: Vec<(usize, (String, String, String))> = Vec::new();
    let mut open: Vec<(usize, String, String, String)> = Vec::new();
    let mut rest = html;
    let mut count = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<mark class=") {
            let (class, after) = after.split_once(" title=\"").unwrap();
            let (title, after) = after.split_once("\">").unwrap();
            open.push((
                count,
                class.into(),
                title.replace("&quot;", "\""),
                String::new(),
            ));
            count += 1;
            rest = after;
        } else if let Some(after) = rest.strip_prefix("</mark>") {
            let (at, class, title, text) = open.pop().expect("marks nest");
            done.push((at, (class, title, without_tags(&text))));
            rest = after;
        } else {
            let end = rest[1..]
                .find("<mark class=")
                .into_iter()
                .chain(rest[1..].find("</mark>"))
                .min()
                .map_or(rest.len(), |e| e + 1);
            for (_, _, _, text) in &mut open {
                text.push_str(&rest[..end]);
            }
            rest = &rest[end..];
        }
    }
    assert!(open.is_empty(), "every mark is closed on its line: {html}");
    done.sort_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, mark)| mark).collect()
}

fn classes(attributes: &str) -> Vec<&str> {
    attributes
        .split("class=")
        .nth(1)
        .map_or(Vec::new(), |c| match c.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap().split(' ').collect(),
            None => vec![c.split(' ').next().unwrap()],
        })
}

#[test]
fn the_index_lists_every_code_object_with_the_totals_of_its_sites() {
    let snapshot = snapshot(PROGRAM);
    let page = html::render(&snapshot);
    let mut all = StateCounts::default();
    for (c, code) in snapshot.code_objects.iter().enumerate() {
        let cells = index_row(&page, &format!("#c{c}"));
        let name = code.qualname.replace('<', "&lt;").replace('>', "&gt;");
        assert!(cells[0].contains(&format!(">{name}</a>")), "{cells:?}");
        assert_eq!(cells[1], code.kind.as_str());
        assert_eq!(
            state_cells(&cells),
            code_counts(code),
            "{}: {cells:?}",
            code.qualname
        );
        all.merge(&code_counts(code));
        assert!(
            page.contains(&format!("<details id=c{c}>")),
            "{} has its table, folded away",
            code.qualname
        );
    }
    let file = index_row(&page, "#f0");
    assert_eq!(state_cells(&file), all, "the file's totals: {file:?}");
    assert_eq!(all.get(SiteState::BackingOff), 1, "flip's `p + q`");
    let look = page
        .split("<ol class=look>")
        .nth(1)
        .expect("sites to look at first")
        .split("</ol>")
        .next()
        .unwrap();
    assert_eq!(look.matches("<li>").count(), 1, "{look}");
    let (flip, _) = code(&snapshot, "flip");
    assert!(
        look.contains(":5:20</a> <code>BINARY_OP")
            && look.contains(&format!(" in <a href=#c{flip}>flip</a>")),
        "the place of `p + q` and its function: {look}"
    );
}

#[test]
fn each_stretch_of_source_is_coloured_and_titled_by_its_instructions() {
    let snapshot = snapshot(PROGRAM);
    let page = html::render(&snapshot);
    let (_, steady) = code(&snapshot, "steady");
    let (_, flip) = code(&snapshot, "flip");
    let add = plus(steady, 0);
    assert_eq!(SiteState::of(steady, add), Some(SiteState::Specialized));
    let (_, line) = source_line(&page, "    return a + b");
    let found = marks(line);
    assert_eq!(
        found[0],
        (
            "S".to_string(),
            site_words(add, SiteState::Specialized),
            "a + b".to_string()
        ),
        "{line}"
    );
    assert!(
        site_words(add, SiteState::Specialized).starts_with("BINARY_OP_ADD_INT: specialized"),
        "the live opname and the state"
    );
    let (ints, mixed) = (plus(flip, 0), plus(flip, 1));
    assert_eq!(SiteState::of(flip, mixed), Some(SiteState::BackingOff));
    let (_, line) = source_line(&page, "    return [a + b, p + q]");
    let found = marks(line);
    let outer = |text: &str| {
        found
            .iter()
            .find(|(_, _, t)| t == text)
            .cloned()
            .unwrap_or_else(|| panic!("no mark of {text}: {line}"))
    };
    assert_eq!(
        outer("a + b"),
        (
            "S".to_string(),
            site_words(ints, SiteState::Specialized),
            "a + b".to_string()
        )
    );
    assert_eq!(
        outer("p + q"),
        (
            "B".to_string(),
            site_words(mixed, SiteState::BackingOff),
            "p + q".to_string()
        )
    );
    assert!(
        site_words(mixed, SiteState::BackingOff).starts_with("BINARY_OP"),
        "{}",
        site_words(mixed, SiteState::BackingOff)
    );
    // 3.11's LOAD_FAST__LOAD_FAST inside `p + q` is specialized, yet shown
    // as the failing addition around it: the most telling state.
    for (class, title, text) in &found {
        if ["p", "q"].contains(&text.as_str()) {
            assert_eq!(class, "B", "{title} inside `p + q`");
        }
    }
}

#[test]
fn lines_of_code_that_never_ran_are_dimmed() {
    let snapshot = snapshot(PROGRAM);
    let page = html::render(&snapshot);
    let (attributes, html) = source_line(&page, "    return x.real + x.imag");
    assert!(classes(attributes).contains(&"z"), "dimmed: {attributes}");
    let found = marks(html);
    assert!(
        found.iter().any(|(class, title, text)| class == "N"
            && title == "BINARY_OP: never ran"
            && text == "x.real + x.imag"),
        "{found:?}"
    );
    for ran in [
        "    return a + b",
        "    return [a + b, p + q]",
        "def never(x):",
    ] {
        let (attributes, _) = source_line(&page, ran);
        assert!(!classes(attributes).contains(&"z"), "{ran}: {attributes}");
    }
    assert!(
        style(&page).contains(".src p.z { opacity"),
        "the style dims them"
    );
}

fn style(page: &str) -> &str {
    page.split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .expect("a style sheet")
}

/// The declarations of every rule of a style sheet: (selectors, body).
fn rules(style: &str) -> Vec<(&str, &str)> {
    style
        .split('}')
        .filter_map(|rule| rule.split_once('{'))
        .map(|(selectors, body)| (selectors.trim(), body.trim()))
        .collect()
}

/// What the page's own markup and style promise about its width: tables
/// lay out to the width they are given, every cell and source line wraps
/// anywhere, nothing is wider than the window or scrolls sideways.
fn assert_fits_by_construction(page: &str) {
    let rules = rules(style(page));
    let rule = |selector: &str| {
        rules
            .iter()
            .find(|(s, _)| s.split(',').any(|s| s.trim() == selector))
            .map(|(_, body)| *body)
            .unwrap_or_else(|| panic!("no rule for {selector}"))
    };
    assert!(rule("table").contains("table-layout: fixed"));
    assert!(rule("table").contains("width: 100%"));
    assert!(rule("td").contains("overflow-wrap: anywhere"));
    assert!(rule("body").contains("overflow-wrap: anywhere"));
    assert!(rule(".src p").contains("white-space: pre-wrap"));
    assert!(rule(".src p").contains("overflow-wrap: anywhere"));
    for (selectors, body) in &rules {
        for declaration in body.split(';') {
            let Some((property, value)) = declaration.split_once(':') else {
                continue;
            };
            let (property, value) = (property.trim(), value.trim());
            if property.ends_with("width") && value.ends_with("px") {
                let px: f64 = value.trim_end_matches("px").parse().unwrap();
                assert!(px <= 1280.0, "{selectors}: {property}: {value}");
            }
            if property == "white-space" {
                assert!(
                    value == "pre-wrap" || *selectors == ".legend mark",
                    "{selectors} keeps long text on one line: {value}"
                );
            }
            assert!(
                !(property.starts_with("overflow") && matches!(value, "auto" | "scroll")),
                "{selectors} scrolls: {property}: {value}"
            );
        }
    }
    for tag in [
        "<pre", "<col", " width=", "<script", "<link", "<img", "<iframe",
    ] {
        assert!(!page.contains(tag), "the page has no {tag}");
    }
    for inline in page.split(" style=\"").skip(1) {
        let inline = inline.split('"').next().unwrap();
        assert!(inline.starts_with("counter-reset:ln "), "{inline}");
    }
}

/// Long lines, long names, long constants: what would make a page scroll
/// sideways if it did not wrap.
fn wide_program() -> String {
    let long_name = format!("handler_{}", "x".repeat(150));
    let long_text = "y".repeat(400);
    format!(
        "def {long_name}(argument_{n}):\n    return argument_{n} + '{long_text}' + str(len('{long_text}'))\n\n\
         for _ in range(100):\n    {long_name}('z')\n",
        n = "a".repeat(120)
    )
}

#[test]
fn the_page_fits_a_1280_pixel_window_by_construction() {
    assert_fits_by_construction(&html::render(&snapshot(PROGRAM)));
    assert_fits_by_construction(&html::render(&snapshot(&wide_program())));
}

/// The page of every code object of `typing`, run in a virtualenv of the
/// linked Python: there no `.pth` file of the base installation runs (one
/// on this machine imports typing at every start of 3.11, which would
/// leave only its functions to show, not the whole module).
fn typing_page() -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = specscope()
        .args(["dump", "-c", "import sys; print(sys.executable)"])
        .args(["--format", "summary"])
        .output()
        .unwrap();
    let python = program_output(&out.stderr).trim().to_string();
    let venv = dir.path().join("venv");
    let made = std::process::Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success(), "{python} -m venv");
    let out = specscope()
        .env("VIRTUAL_ENV", &venv)
        .args(["dump", "-c", "import typing", "-f", "typing:*"])
        .args(["--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(">&lt;module&gt;</a>"),
        "the whole module, its top-level code too"
    );
    page
}

#[test]
fn the_page_of_a_whole_module_stays_under_one_megabyte() {
    let page = typing_page();
    assert!(
        page.len() <= 1_000_000,
        "every code object of typing in {} bytes",
        page.len()
    );
    assert!(!page.contains("<script"));
    let index = page.split("</nav>").next().unwrap();
    let listed = index.matches("<tr><td").count();
    assert!(listed > 50, "{listed} code objects");
    for target in index.split("<a href=#").skip(1) {
        let target = target.split('>').next().unwrap();
        assert!(
            page.contains(&format!(" id={target}>")) || page.contains(&format!(" id={target} ")),
            "the index links to #{target}, which is there"
        );
    }
    assert!(
        page.matches("<details id=c").count() > 20,
        "the code that ran has its table"
    );
    let numbers = line_numbers(&page);
    assert_eq!(
        numbers.len(),
        numbers
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "no line of typing.py shown twice"
    );
    assert_eq!(
        page.matches("<div class=src").count(),
        1,
        "the module's source, once"
    );
    assert_eq!(
        page.matches("<article id=x-").count(),
        page.split("<article id=x-")
            .skip(1)
            .map(|a| a.split('>').next().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "each form explained once"
    );
    assert_fits_by_construction(&page);
}

/// A browser to measure with, when one is installed.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// What a 1280 × 900 window shows of `page` with every `<details>`
/// opened: the document's scroll width, the window's width without its
/// scroll bar, and the elements that reach past it.
fn measure(browser: &Path, dir: &Path, name: &str, page: &str) -> (u32, u32, String) {
    const PROBE: &str = "<script>\
        document.querySelectorAll('details').forEach(d => d.open = true);\
        const width = document.documentElement.clientWidth;\
        const over = [...document.querySelectorAll('body *')]\
          .filter(e => e.getBoundingClientRect().right > width + 0.5)\
          .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className);\
        document.title = 'measured ' + document.documentElement.scrollWidth + ' ' + width + ' ' + over.join(',');\
        </script>";
    let probed = page.replace("</body>", &format!("{PROBE}</body>"));
    let file = dir.join(name);
    std::fs::write(&file, probed).unwrap();
    let out = assert_cmd::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--window-size=1280,900",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", file.display()))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let title = dom
        .split("<title>measured ")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_else(|| panic!("the browser measured nothing: {out:?}"));
    let mut parts = title.splitn(3, ' ');
    let scroll = parts.next().unwrap().parse().unwrap();
    let width = parts.next().unwrap().parse().unwrap();
    (scroll, width, parts.next().unwrap_or("").to_string())
}

#[test]
fn a_browser_shows_the_page_in_1280_pixels_without_scrolling_sideways() {
    let Some(browser) = chromium() else {
        println!("skipped: no chromium on PATH to measure the page with");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pages = [
        ("known.html", html::render(&snapshot(PROGRAM))),
        ("wide.html", html::render(&snapshot(&wide_program()))),
        ("typing.html", typing_page()),
    ];
    for (name, page) in &pages {
        let (scroll, width, over) = measure(&browser, dir.path(), name, page);
        println!(
            "{name}: {} bytes, {scroll} px wide in a {width} px window",
            page.len()
        );
        assert!(width > 1200 && width <= 1280, "{name}: window {width}");
        assert!(
            scroll <= width,
            "{name}: {scroll} px wide in a {width} px window; past it: {over}"
        );
        assert!(over.is_empty(), "{name}: past the window: {over}");
    }
}
