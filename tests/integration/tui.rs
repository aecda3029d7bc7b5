//! The explorer on the real built-in demo: key-driven facts, and screen
//! snapshots per Python minor version (bytecode differs between versions).

use std::sync::LazyLock;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::style::Modifier;
use specscope::analysis::timeline::{Transition, instruction_change};
use specscope::collect::request::{Request, Target};
use specscope::model::{Instruction, Snapshot};
use specscope::views::tui::keys::KEYS;
use specscope::views::tui::{App, Mode, Pane, Theme, ThemeName, draw_frame, test_terminal};

static DEMO: LazyLock<Snapshot> = LazyLock::new(|| {
    crate::common::installed::collect_here(&Request::new(Target::Demo)).expect("the demo collects")
});

/// The de-optimization lesson with the warm-up of its `Try:` line: a
/// timeline in which `add`'s `+` specializes, de-optimizes and specializes
/// again.
static LESSON: LazyLock<Snapshot> = LazyLock::new(|| {
    use clap::Parser;
    let cli = specscope::cli::Cli::try_parse_from(["specscope", "--example", "deoptimization"])
        .expect("the lesson's options parse");
    let request = cli.target.request().expect("the lesson exists");
    crate::common::installed::collect_here(&request).expect("the lesson collects")
});

fn collect_code(code: &str) -> Snapshot {
    crate::common::installed::collect_here(&Request::new(Target::Code(code.into())))
        .expect("the code collects")
}

fn app() -> App {
    App::new(DEMO.clone(), Theme::new(ThemeName::Dark, false))
}

fn mono_app() -> App {
    App::new(DEMO.clone(), Theme::mono())
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn search(app: &mut App, query: &str) {
    press(app, KeyCode::Char('/'));
    keys(app, query);
    press(app, KeyCode::Enter);
}

fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.y..area.bottom())
        .map(|y| {
            (area.x..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

fn screen(app: &App, width: u16, height: u16) -> String {
    rows(&draw_frame(app, width, height)).join("\n")
}

fn selected(app: &App) -> &Instruction {
    app.selected_instruction()
        .expect("an instruction is selected")
}

fn code_index(qualname: &str) -> usize {
    DEMO.code_objects
        .iter()
        .position(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("{qualname} in the demo"))
}

fn minor_suffix() -> String {
    let v = DEMO.python.version;
    format!("py{}{}", v.major, v.minor)
}

/// Addresses and timings change from run to run.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '0' && chars.get(i + 1) == Some(&'x') {
            let mut j = i + 2;
            while j < chars.len() && chars[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j > i + 2 {
                out.push_str("0x[addr]");
                i = j;
                continue;
            }
        }
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let rest: String = chars[j..chars.len().min(j + 3)].iter().collect();
            if rest == " ms" {
                out.push_str("[time]");
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    // A time of another length shifts the padding after it: drop the
    // padding of lines that hold one.
    out.lines()
        .map(|line| match line.strip_suffix('"') {
            Some(body) if line.contains("[time]") => format!("{}\"", body.trim_end()),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Type, function and dict-keys versions are handed out by the interpreter
/// in the order things happen in the process (other tests in it included):
/// mask the numbers that follow the word "version" within a pane, keeping
/// the pane as wide as it was whatever the number's width.
fn mask_versions(text: &str) -> String {
    let mask_segment = |segment: &str| match segment.find("version") {
        Some(at) => {
            let (head, tail) = segment.split_at(at);
            let mut masked = String::with_capacity(tail.len());
            let mut in_number = false;
            let mut after_number = false;
            for c in tail.chars() {
                if c.is_ascii_digit() {
                    if !in_number {
                        // The padding around a number depends on its width
                        // (type versions differ with what ran before in
                        // this process): one space stands for any.
                        let kept = masked.trim_end_matches(' ').len();
                        if kept < masked.len() {
                            masked.truncate(kept);
                            masked.push(' ');
                        }
                        masked.push_str("[v]");
                    }
                    in_number = true;
                } else {
                    if in_number {
                        after_number = true;
                    }
                    in_number = false;
                    if c == ' ' && after_number && masked.ends_with(' ') {
                        continue;
                    }
                    if c != ' ' {
                        after_number = false;
                    }
                    masked.push(c);
                }
            }
            let width = segment.chars().count();
            let kept = format!("{head}{}", masked.trim_end());
            format!("{kept:<width$}")
        }
        None => segment.to_string(),
    };
    text.lines()
        .map(|line| {
            // Panes are framed by light or (the focused one) heavy lines.
            let mut out = String::with_capacity(line.len());
            let mut segment = String::new();
            for c in line.chars() {
                if c == '│' || c == '┃' {
                    out.push_str(&mask_segment(&segment));
                    segment.clear();
                    out.push(c);
                } else {
                    segment.push(c);
                }
            }
            out.push_str(&mask_segment(&segment));
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_screen(name: &str, app: &App, width: u16, height: u16) {
    let terminal = test_terminal(app, width, height);
    let text = mask_versions(&mask(&terminal.backend().to_string()));
    insta::with_settings!({snapshot_suffix => minor_suffix(), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

// ── snapshots ───────────────────────────────────────────────────────────

#[test]
fn snapshot_main_screen_120x40() {
    assert_screen("main_120x40", &app(), 120, 40);
}

#[test]
fn snapshot_main_screen_80x24() {
    assert_screen("main_80x24", &app(), 80, 24);
}

#[test]
fn snapshot_help_overlay_120x40() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert_screen("help_120x40", &app, 120, 40);
}

#[test]
fn snapshot_method_with_caches_and_output_120x40() {
    let mut app = app();
    app.open_code(code_index("Point.norm"), 2);
    keys(&mut app, "co");
    assert_screen("norm_caches_output_120x40", &app, 120, 40);
}

// ── facts ───────────────────────────────────────────────────────────────

#[test]
fn starts_on_adds_plus_specialized_for_ints_with_its_counter_in_words() {
    let app = app();
    let ins = selected(&app);
    assert_eq!(app.code_object().unwrap().qualname, "add");
    assert_eq!(ins.opname, "BINARY_OP_ADD_INT");
    assert_eq!(ins.base_opname, "BINARY_OP");
    assert_eq!(ins.argrepr, "+");
    let meaning = &ins.counter.as_ref().expect("a counter").meaning;
    let text = screen(&app, 120, 40);
    let head: String = meaning.chars().take(24).collect();
    assert!(
        text.contains(&head),
        "detail shows the counter meaning {meaning:?}"
    );
    assert!(text.contains("BINARY_OP_ADD_INT ← BINARY_OP  specialized"));
    // The source pane highlights exactly `a + b` (co_positions of the +).
    let p = ins.positions.unwrap();
    assert_eq!((p.line, p.col, p.end_col), (Some(12), Some(11), Some(16)));
}

#[test]
fn bytecode_selection_highlights_the_source_span() {
    let app = mono_app();
    let buf = draw_frame(&app, 120, 40);
    let lines = rows(&buf);
    let y = lines
        .iter()
        .position(|l| l.contains("return a + b"))
        .expect("line 12 is on screen");
    let x0 = lines[y].find("return a + b").unwrap() + "return ".len();
    // Columns here are all one byte wide, so byte index = cell index.
    let x0 = lines[y][..x0].chars().count() as u16;
    let styled = |x: u16| {
        buf[(x, y as u16)]
            .modifier
            .contains(Modifier::UNDERLINED | Modifier::REVERSED)
    };
    assert!((x0..x0 + 5).all(styled), "`a + b` is highlighted");
    assert!(!styled(x0 - 2), "`return` is not");
    assert!(!styled(x0 + 5), "nothing past the span is");
}

#[test]
fn moving_in_bytecode_moves_the_source_cursor() {
    let mut app = app();
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(selected(&app).offset, 0);
    assert_eq!(app.source_line(), 11, "RESUME belongs to the def line");
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.source_line(), 12);
}

#[test]
fn moving_in_source_selects_the_lines_first_instruction() {
    let mut app = app();
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Source);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.source_line(), 11);
    assert_eq!(selected(&app).offset, 0);
    // Lines 19 and 20 belong to Point.__init__: the selection follows.
    for _ in 11..19 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.source_line(), 19);
    assert_eq!(app.code_object().unwrap().qualname, "Point.__init__");
    let ins = selected(&app);
    assert_eq!(ins.positions.and_then(|p| p.line).or(ins.line), Some(19));
    let first_on_19 = app
        .code_object()
        .unwrap()
        .instructions
        .iter()
        .position(|i| i.positions.and_then(|p| p.line).or(i.line) == Some(19))
        .unwrap();
    assert_eq!(
        app.code_object().unwrap().instructions[first_on_19].offset,
        ins.offset
    );
}

#[test]
fn navigator_walks_the_tree_in_source_order() {
    let mut app = app();
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Navigator);
    press(&mut app, KeyCode::Home);
    assert_eq!(app.code_object().unwrap().qualname, "<module>");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.code_object().unwrap().qualname, "Point");
    press(&mut app, KeyCode::Down);
    assert_eq!(app.code_object().unwrap().qualname, "Point.__init__");
    press(&mut app, KeyCode::End);
    // main, or (3.11, before comprehensions were inlined) its last listcomp.
    let last = app.code_object().unwrap().qualname.clone();
    assert!(
        last == "main" || last.starts_with("main.<locals>"),
        "{last}"
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(app.code_object().unwrap().qualname, last, "End is the end");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.focus(), Pane::Bytecode);
}

#[test]
fn navigator_shows_shares_and_dims_code_that_never_ran() {
    let app = mono_app();
    let buf = draw_frame(&app, 120, 40);
    let lines = rows(&buf);
    let y = lines
        .iter()
        .position(|l| l.contains("never_called"))
        .unwrap();
    let x = lines[y].find("never_called").unwrap() as u16;
    assert!(buf[(x, y as u16)].modifier.contains(Modifier::DIM));
    let (s, n) = DEMO.code_objects[code_index("add")].specialized_share();
    let add_row = lines.iter().find(|l| l.contains("│  add ")).unwrap();
    assert!(add_row.contains(&format!("{s}/{n}")), "{add_row}");
}

#[test]
fn enter_follows_a_jump_and_backspace_returns() {
    let mut app = app();
    let code = code_index("arithmetic");
    app.open_code(code, 0);
    let jump = app
        .code_object()
        .unwrap()
        .instructions
        .iter()
        .position(|i| i.jump_target.is_some())
        .expect("a loop has jumps");
    app.select_instruction(jump);
    let target = selected(&app).jump_target.unwrap();
    press(&mut app, KeyCode::Enter);
    assert_eq!(selected(&app).offset, target);
    assert!(selected(&app).is_jump_target);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.current_code(), code);
    assert_eq!(selected(&app).jump_target, Some(target));
}

#[test]
fn enter_on_load_const_opens_the_nested_code_object() {
    let mut app = app();
    search(&mut app, "code object add ");
    assert_eq!(app.code_object().unwrap().qualname, "<module>");
    assert_eq!(selected(&app).opname, "LOAD_CONST");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.code_object().unwrap().qualname, "add");
}

#[test]
fn search_finds_opnames_across_code_objects_and_repeats() {
    let mut app = app();
    search(&mut app, "load_attr_slot");
    assert_eq!(app.code_object().unwrap().qualname, "slots_and_modules");
    assert_eq!(selected(&app).opname, "LOAD_ATTR_SLOT");
    search(&mut app, "BINARY_OP_ADD_INT");
    let first = (app.current_code(), selected(&app).offset);
    // "match i of n", n counted from the data.
    let n = DEMO
        .code_objects
        .iter()
        .flat_map(|c| &c.instructions)
        .filter(|i| {
            [&i.opname, &i.base_opname, &i.argrepr]
                .iter()
                .any(|t| t.to_lowercase().contains("binary_op_add_int"))
        })
        .count();
    let which = |app: &App| -> (usize, usize) {
        let message = app.message().unwrap().to_string();
        let rest = message.split("match ").nth(1).expect("match i of n");
        let (i, n) = rest.split_once(" of ").unwrap();
        (i.parse().unwrap(), n.parse().unwrap())
    };
    let (at, of) = which(&app);
    assert_eq!(of, n, "{:?}", app.message());
    assert!(screen(&app, 120, 40).contains(&format!("match {at} of {n}")));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(which(&app), (at % n + 1, n), "n moves to the next match");
    let second = (app.current_code(), selected(&app).offset);
    assert_ne!(first, second);
    assert_eq!(selected(&app).opname, "BINARY_OP_ADD_INT");
    press(&mut app, KeyCode::Char('N'));
    assert_eq!((app.current_code(), selected(&app).offset), first);
    search(&mut app, "NO_SUCH_OPNAME");
    assert_eq!((app.current_code(), selected(&app).offset), first);
    assert!(app.message().unwrap().contains("no match"));
    assert!(screen(&app, 120, 40).contains("no match for “NO_SUCH_OPNAME”"));
}

#[test]
fn search_in_the_source_pane_searches_source_text() {
    let mut app = app();
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Source);
    search(&mut app, "def polymorphic");
    assert_eq!(app.source_line(), 97);
    assert_eq!(app.code_object().unwrap().qualname, "polymorphic");
}

#[test]
fn typing_a_search_shows_the_prompt_and_esc_cancels() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    keys(&mut app, "qj");
    assert_eq!(app.mode(), &Mode::Search("qj".into()));
    assert!(screen(&app, 80, 24).contains("/qj"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), &Mode::Browse);
    assert!(!app.should_quit(), "q typed into a search does not quit");
}

#[test]
fn help_lists_every_binding_of_the_key_table() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode(), &Mode::Help);
    let text = screen(&app, 120, 40);
    for binding in KEYS {
        assert!(text.contains(binding.help), "help shows {:?}", binding.help);
        assert!(text.contains(&binding.keys_label()));
    }
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(
        app.mode(),
        &Mode::Browse,
        "a key closes help without quitting"
    );
    assert!(!screen(&app, 120, 40).contains(KEYS[0].help));
}

#[test]
fn c_shows_one_cache_row_per_code_unit() {
    let mut app = app();
    let units: u32 = app
        .code_object()
        .unwrap()
        .instructions
        .iter()
        .flat_map(|i| &i.caches)
        .map(|c| c.size)
        .sum();
    assert!(units > 0);
    let before = screen(&app, 120, 40).matches("CACHE").count();
    press(&mut app, KeyCode::Char('c'));
    let after = screen(&app, 120, 40).matches("CACHE").count();
    assert_eq!(after - before, units as usize);
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(screen(&app, 120, 40).matches("CACHE").count(), before);
}

#[test]
fn b_hides_the_base_column() {
    let mut app = app();
    let row_with_base = |app: &App| {
        screen(app, 120, 40)
            .lines()
            .find(|l| l.contains("BINARY_OP_ADD_INT") && !l.contains('←'))
            .unwrap()
            .contains("BINARY_OP  ")
    };
    assert!(row_with_base(&app));
    press(&mut app, KeyCode::Char('b'));
    assert!(!row_with_base(&app));
}

#[test]
fn o_shows_the_programs_output() {
    let mut app = app();
    assert!(!screen(&app, 120, 40).contains("demo finished"));
    press(&mut app, KeyCode::Char('o'));
    assert!(screen(&app, 120, 40).contains("demo finished"));
    assert!(screen(&app, 80, 24).contains("demo finished"));
    press(&mut app, KeyCode::Char('o'));
    assert!(!screen(&app, 120, 40).contains("demo finished"));
}

#[test]
fn smaller_than_80x24_says_so() {
    let app = app();
    for (w, h) in [(79, 24), (80, 23), (40, 10)] {
        let text = screen(&app, w, h);
        assert!(text.contains("needs a terminal of at least"), "{w}×{h}");
    }
    assert!(!screen(&app, 80, 24).contains("needs a terminal"));
}

#[test]
fn a_click_selects_and_the_wheel_scrolls() {
    let mut app = app();
    let lines = rows(&draw_frame(&app, 120, 40));
    let y = lines
        .iter()
        .position(|l| l.contains("RETURN_VALUE  ") && !l.contains('←'))
        .expect("a RETURN_VALUE row") as u16;
    let click = |kind, row| {
        Event::Mouse(MouseEvent {
            kind,
            column: 60,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle_event(click(MouseEventKind::Down(MouseButton::Left), y));
    assert_eq!(app.focus(), Pane::Bytecode);
    assert!(selected(&app).opname.starts_with("RETURN_"));
    let index_of = |app: &App| {
        let offset = selected(app).offset;
        app.code_object()
            .unwrap()
            .instructions
            .iter()
            .position(|i| i.offset == offset)
            .unwrap()
    };
    let clicked = index_of(&app);
    app.handle_event(click(MouseEventKind::ScrollUp, y));
    assert_eq!(index_of(&app), clicked - 3, "the wheel moves three rows");
}

#[test]
fn q_quits() {
    let mut app = app();
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
    let mut app = self::app();
    press(&mut app, KeyCode::Esc);
    assert!(app.should_quit());
}

#[test]
fn no_color_view_still_marks_the_selection() {
    let app = mono_app();
    let buf = draw_frame(&app, 120, 40);
    let colored = buf
        .content()
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!colored, "monochrome uses no colours");
    let lines = rows(&buf);
    let y = lines
        .iter()
        .position(|l| l.contains("BINARY_OP_ADD_INT") && !l.contains('←'))
        .unwrap();
    let x = lines[y].find("BINARY_OP_ADD_INT").unwrap();
    let x = lines[y][..x].chars().count() as u16;
    assert!(buf[(x, y as u16)].modifier.contains(Modifier::REVERSED));
}

// ── explain pane ────────────────────────────────────────────────────────

#[test]
fn snapshot_explain_pane_80x24() {
    let mut app = app();
    press(&mut app, KeyCode::Char('e'));
    assert_screen("explain_80x24", &app, 80, 24);
}

#[test]
fn e_explains_the_selected_instruction_and_marks_it_among_its_family() {
    let mut app = app();
    assert!(!app.explaining());
    press(&mut app, KeyCode::Char('e'));
    assert!(app.explaining());
    let text = screen(&app, 80, 24);
    assert!(text.contains("Explain"), "{text}");
    assert!(text.contains("Family BINARY_OP"), "{text}");
    assert!(text.contains("▸ BINARY_OP_ADD_INT"), "{text}");
    assert!(
        !text.contains("▸ BINARY_OP_ADD_FLOAT"),
        "only the live form is marked"
    );
    assert!(
        text.contains("BINARY_OP_ADD_FLOAT"),
        "the other members are listed"
    );
    assert!(!text.contains("Detail"), "the explanation takes its place");
    press(&mut app, KeyCode::Char('e'));
    assert!(!app.explaining());
    assert!(screen(&app, 80, 24).contains("Detail"));
}

#[test]
fn the_explanation_follows_the_selection() {
    let mut app = app();
    app.open_code(code_index("Point.norm"), 0);
    press(&mut app, KeyCode::Char('e'));
    let count = app.code_object().unwrap().instructions.len();
    let mut checked = 0;
    for i in 0..count {
        app.select_instruction(i);
        let ins = selected(&app).clone();
        if ins.status != specscope::model::Status::Specialized {
            continue;
        }
        let text = screen(&app, 120, 40);
        assert!(
            text.contains(&format!("▸ {}", ins.opname)),
            "{} is marked live:\n{text}",
            ins.opname
        );
        checked += 1;
    }
    assert!(checked >= 3, "Point.norm has specialized instructions");
}

#[test]
fn the_explain_pane_scrolls_when_focused_and_resets_on_a_new_selection() {
    let mut app = app();
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus(), Pane::Explain);
    let title = |app: &App| {
        screen(app, 80, 24)
            .lines()
            .find(|l| l.contains("Explain"))
            .unwrap()
            .to_string()
    };
    assert!(title(&app).contains("lines 1–"), "{}", title(&app));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    assert!(title(&app).contains("lines 3–"), "{}", title(&app));
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Bytecode);
    press(&mut app, KeyCode::Char('k'));
    assert!(title(&app).contains("lines 1–"), "{}", title(&app));
}

#[test]
fn instrumented_opnames_are_shown_and_explained() {
    // What the interpreter shows while sys.monitoring is on (3.12+); built by
    // hand so that every version checks the explorer copes with the name.
    let mut snapshot = DEMO.clone();
    let add = code_index("add");
    let ins = &mut snapshot.code_objects[add].instructions[0];
    ins.opname = "INSTRUMENTED_LINE".into();
    let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
    app.open_code(add, 0);
    press(&mut app, KeyCode::Char('e'));
    for (w, h) in [(80, 24), (120, 40)] {
        let text = screen(&app, w, h);
        assert!(text.contains("INSTRUMENTED_LINE"), "{text}");
        assert!(text.contains("sys.monitoring"), "{text}");
        if DEMO.python.version.minor == 11 {
            assert!(text.contains("not an opname of Python 3.11"), "{text}");
        }
    }
}

#[test]
fn a_program_under_sys_monitoring_shows_instrumented_instructions() {
    if DEMO.python.version.minor < 12 {
        return; // sys.monitoring is new in 3.12
    }
    // Local events on one code object only: the tests share one interpreter,
    // and global events would instrument every other test's code too.
    let snapshot = collect_code(
        "import sys\n\
         mon = sys.monitoring\n\
         def watched(a, b):\n    return a + b\n\
         mon.use_tool_id(3, 'probe')\n\
         mon.register_callback(3, mon.events.LINE, lambda code, line: None)\n\
         mon.set_local_events(3, watched.__code__, mon.events.LINE)\n\
         for i in range(100):\n    watched(i, 1)\n",
    );
    let watched = snapshot
        .code_objects
        .iter()
        .position(|c| c.qualname == "watched")
        .unwrap();
    let instrumented = snapshot.code_objects[watched]
        .instructions
        .iter()
        .position(|i| i.opname.starts_with("INSTRUMENTED_"));
    let Some(index) = instrumented else {
        panic!(
            "a monitored function shows INSTRUMENTED_ opnames: {:?}",
            snapshot.code_objects[watched]
                .instructions
                .iter()
                .map(|i| &i.opname)
                .collect::<Vec<_>>()
        );
    };
    let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
    app.open_code(watched, index);
    let opname = selected(&app).opname.clone();
    assert!(screen(&app, 80, 24).contains(&opname));
    press(&mut app, KeyCode::Char('e'));
    let text = screen(&app, 120, 40);
    assert!(text.contains("sys.monitoring"), "{text}");
}

// ── cache meanings ──────────────────────────────────────────────────────

#[test]
fn detail_says_what_each_cache_entry_refers_to() {
    let mut app = app();
    app.open_code(code_index("Point.norm"), 0);
    let index = app
        .code_object()
        .unwrap()
        .instructions
        .iter()
        .position(|i| i.caches.iter().skip(1).any(|c| c.meaning.is_some()))
        .expect("Point.norm has a cache entry with a meaning");
    app.select_instruction(index);
    let text = screen(&app, 120, 40);
    let ins = selected(&app);
    let mut shown = 0;
    for cache in ins.caches.iter().skip(1) {
        if let Some(meaning) = &cache.meaning {
            let head: String = meaning.chars().take(20).collect();
            assert!(text.contains(&head), "{meaning:?} is shown:\n{text}");
            shown += 1;
        }
    }
    assert!(shown > 0);
    assert!(text.contains("Point"), "a type version names its class");
}

#[test]
fn cache_meanings_never_reach_the_terminal_raw() {
    let mut snapshot = DEMO.clone();
    let norm = code_index("Point.norm");
    let (index, entry) = snapshot.code_objects[norm]
        .instructions
        .iter()
        .enumerate()
        .find_map(|(i, ins)| (ins.caches.len() > 1).then_some((i, 1)))
        .unwrap();
    snapshot.code_objects[norm].instructions[index].caches[entry].meaning =
        Some("global x\x1b]0;title\x07\u{202e}evil".into());
    let mut app = App::new(snapshot, Theme::mono());
    app.open_code(norm, index);
    let text = screen(&app, 120, 40);
    assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'));
    assert!(text.contains("global x^[]0;title^G"), "{text}");
}

// ── timeline ────────────────────────────────────────────────────────────

fn lesson_app() -> App {
    App::new(LESSON.clone(), Theme::new(ThemeName::Dark, false))
}

fn status(app: &App) -> String {
    screen(app, 120, 40).lines().next().unwrap().to_string()
}

/// Opens `add` with its `+` selected.
fn select_lessons_plus(app: &mut App) -> u32 {
    let add = LESSON
        .code_objects
        .iter()
        .position(|c| c.qualname == "add")
        .unwrap();
    let plus = LESSON.code_objects[add]
        .instructions
        .iter()
        .position(|i| i.base_opname == "BINARY_OP")
        .unwrap();
    app.open_code(add, plus);
    selected(app).offset
}

/// Steps with `[` and `]` to moment `target` (0-based).
fn go_to_moment(app: &mut App, target: usize) {
    while app.moment().0 < target {
        press(app, KeyCode::Char(']'));
    }
    while app.moment().0 > target {
        press(app, KeyCode::Char('['));
    }
}

/// The moment (0-based) at which `add`'s `+` went from a specialized form
/// back to the generic one, from the data.
fn deoptimized_moment() -> usize {
    let offset_of_plus = |c: &specscope::model::CodeObject| {
        c.instructions
            .iter()
            .find(|i| i.base_opname == "BINARY_OP")
            .cloned()
            .unwrap()
    };
    let add = |codes: &[specscope::model::CodeObject]| {
        offset_of_plus(codes.iter().find(|c| c.qualname == "add").unwrap())
    };
    LESSON
        .timeline
        .windows(2)
        .position(|w| {
            let change = instruction_change(&add(&w[0].code_objects), &add(&w[1].code_objects));
            change.is_some_and(|c| c.transition == Transition::Deoptimized)
        })
        .map(|i| i + 1)
        .expect("the lesson's timeline has the de-optimization")
}

#[test]
fn brackets_step_through_the_warm_up_and_keep_the_selection() {
    let mut app = lesson_app();
    let offset = select_lessons_plus(&mut app);
    let (at, count) = app.moment();
    assert_eq!(at, 0, "the explorer opens on the first step");
    assert!(count >= LESSON.timeline.len());
    assert!(status(&app).contains(&format!("step 1/{count}")));
    press(&mut app, KeyCode::Char('['));
    assert!(app.message().unwrap().contains("already at the first step"));
    for _ in 0..count {
        press(&mut app, KeyCode::Char(']'));
    }
    assert_eq!(app.moment().0, count - 1, "the final state comes last");
    assert!(status(&app).contains(&format!("step {count}/{count}")));
    assert!(app.message().unwrap().contains("already at the last step"));

    // Walk back to the first step, then forward, recording the `+`.
    for _ in 0..count {
        press(&mut app, KeyCode::Char('['));
    }
    assert_eq!(app.moment().0, 0);
    assert!(app.message().unwrap().contains("already at the first step"));
    let first = &LESSON.timeline[0];
    assert!(
        status(&app).contains(&format!("step 1/{count} · add(1, 2) × {}", first.calls)),
        "{}",
        status(&app)
    );
    let mut forms = vec![selected(&app).opname.clone()];
    for n in 1..count {
        press(&mut app, KeyCode::Char(']'));
        assert_eq!(app.moment().0, n);
        assert_eq!(app.code_object().unwrap().qualname, "add");
        assert_eq!(
            selected(&app).offset,
            offset,
            "the selection stays on the +"
        );
        if let Some(step) = app.step() {
            let expr = if step.phase == specscope::model::Phase::Then {
                "shift()"
            } else {
                "add(1, 2)"
            };
            let label = format!("step {}/{count} · {expr} × {}", n + 1, step.calls);
            assert!(status(&app).contains(&label), "{label} in {}", status(&app));
        }
        forms.push(selected(&app).opname.clone());
    }
    // Specialized for ints, generic again, then specialized for floats.
    let int = forms.iter().position(|f| f == "BINARY_OP_ADD_INT").unwrap();
    let generic = forms[int..]
        .iter()
        .position(|f| f == "BINARY_OP" || f == "BINARY_OP_ADAPTIVE")
        .unwrap()
        + int;
    assert!(
        forms[generic..].iter().any(|f| f == "BINARY_OP_ADD_FLOAT"),
        "{forms:?}"
    );
}

#[test]
fn each_step_shows_what_changed_since_the_step_before() {
    let mut app = lesson_app();
    select_lessons_plus(&mut app);
    let target = deoptimized_moment();
    go_to_moment(&mut app, target);
    assert_eq!(app.moment().0, target);
    let (transition, text) = app
        .change_of(
            app.code_object()
                .unwrap()
                .instructions
                .iter()
                .position(|i| i.base_opname == "BINARY_OP")
                .unwrap(),
        )
        .expect("the + changed at this step");
    assert_eq!(transition, Transition::Deoptimized);
    assert!(text.starts_with("BINARY_OP_ADD_INT → "), "{text}");
    let screen = screen(&app, 120, 40);
    assert!(
        screen.contains(&format!(
            "since step {target}: ▼ de-optimized BINARY_OP_ADD_INT →"
        )),
        "{screen}"
    );
    let row = screen
        .lines()
        .find(|l| l.contains("▼") && l.contains("BINARY_OP"))
        .expect("the bytecode row is marked");
    assert!(!row.contains("BINARY_OP_ADD_INT"), "{row}");
    // One step on, the + is unchanged or only its counter moved.
    press(&mut app, KeyCode::Char(']'));
    let screen = self::screen(&app, 120, 40);
    assert!(!screen.contains("▼ de-optimized"), "{screen}");
}

#[test]
fn snapshot_timeline_at_the_deoptimized_step_80x24() {
    let mut app = lesson_app();
    select_lessons_plus(&mut app);
    go_to_moment(&mut app, deoptimized_moment());
    assert_screen("timeline_deoptimized_80x24", &app, 80, 24);
}

#[test]
fn without_a_timeline_brackets_say_so() {
    let mut app = app();
    let before = (app.current_code(), selected(&app).offset);
    press(&mut app, KeyCode::Char(']'));
    assert!(app.message().unwrap().contains("no timeline"));
    assert!(screen(&app, 80, 24).contains("no timeline"));
    press(&mut app, KeyCode::Char('['));
    assert!(app.message().unwrap().contains("--steps"));
    assert_eq!((app.current_code(), selected(&app).offset), before);
    assert_eq!(app.moment(), (0, 1));
}

// ── hardening ───────────────────────────────────────────────────────────

/// The cells of row `y` drawn with the span style, as text.
fn span_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .filter(|&x| {
            buf[(x, y)]
                .modifier
                .contains(Modifier::UNDERLINED | Modifier::REVERSED)
        })
        .map(|x| buf[(x, y)].symbol())
        .collect()
}

#[test]
fn hostile_source_keeps_columns_and_the_span_aligned() {
    let long = "x".repeat(300);
    let source = format!(
        "def near(a, b):\n    s = \"表🎉e\u{301}\t\x1b[2J\u{7}\"; return s if a is None else a + b\n\
         def far(a, b):\n    t = \"{long}\"; return a - b\n\
         for i in range(100):\n    near(i, 1); far(i, 1)\n"
    );
    let snapshot = collect_code(&source);
    let mut app = App::new(snapshot, Theme::mono());
    for (qualname, expected) in [("near", "a + b"), ("far", "a - b")] {
        let code = app
            .snapshot()
            .code_objects
            .iter()
            .position(|c| c.qualname == qualname)
            .unwrap();
        let plus = app.snapshot().code_objects[code]
            .instructions
            .iter()
            .position(|i| i.base_opname == "BINARY_OP")
            .unwrap();
        app.open_code(code, plus);
        for (w, h) in [(80, 24), (120, 40)] {
            let buf = draw_frame(&app, w, h);
            let lines = rows(&buf);
            let text = lines.join("\n");
            assert!(
                !text.contains('\x1b') && !text.contains('\x07'),
                "controls are made visible"
            );
            let y = lines
                .iter()
                .position(|l| l.contains("return"))
                .expect("the line is on screen") as u16;
            assert_eq!(span_text(&buf, y), expected, "{w}×{h}:\n{text}");
        }
    }
    // The far span needs the view scrolled right; the title says so.
    assert!(screen(&app, 80, 24).contains("from column"));
}

#[test]
fn a_function_of_50000_instructions_can_be_browsed() {
    // How fast its frames are is measured by `cargo bench --bench frame`.
    let mut source = String::from("def big(x):\n");
    // Ten instructions a line (nine where 3.13 pairs STORE_FAST with the
    // next LOAD_FAST).
    for _ in 0..5_600 {
        source.push_str("    x = x + 1 + 1 + 1 + 1\n");
    }
    source.push_str("    return x\nbig(0)\n");
    let snapshot = collect_code(&source);
    let big = snapshot
        .code_objects
        .iter()
        .position(|c| c.qualname == "big")
        .unwrap();
    let count = snapshot.code_objects[big].instructions.len();
    assert!(count >= 50_000, "{count} instructions");
    let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
    app.open_code(big, 0);
    for _ in 0..40 {
        press(&mut app, KeyCode::PageDown);
        draw_frame(&app, 120, 40);
    }
    assert!(selected(&app).offset > 0, "paging moved the selection");
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(selected(&app).opname, "RETURN_VALUE");
    assert!(screen(&app, 120, 40).contains("RETURN_VALUE"));
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(selected(&app).offset, 0);
}

/// The program the gutter tests run: a line that specialized, one whose
/// `+` keeps failing beside one that specialized (mixed), one in a function
/// that never ran.
const GUTTER_PROGRAM: &str = "\
def steady(a, b):
    return a + b

def flip(a, b, p, q):
    return [a + b, p + q]

def never():
    return 1 + 2

for i in range(2000):
    steady(i, i)
    flip(i, i, i, 0.5)
";

/// The gutter symbol the explorer draws beside each line number of the
/// source pane.
fn explorer_gutter(app: &App) -> std::collections::BTreeMap<u32, String> {
    let terminal = test_terminal(app, 200, 60);
    let text = terminal.backend().to_string();
    let mut out = std::collections::BTreeMap::new();
    for row in text.lines() {
        // Second pane of the row: the source.
        let Some(source) = row.split('│').nth(3) else {
            continue;
        };
        let pad = source.len() - source.trim_start().len();
        let digits: String = source[pad..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(number) = digits.parse::<u32>() else {
            continue;
        };
        let symbol = source[pad + digits.len()..].chars().next().unwrap_or(' ');
        // The source pane comes first; the bytecode pane below it has
        // numbers too.
        out.entry(number).or_insert_with(|| symbol.to_string());
    }
    out
}

/// The gutter symbol the handout draws beside each line number: each
/// source line is a `<p>` whose class the style gives a symbol
/// (`.src p.gs::after { content: "+"; }`); numbers count on from an
/// excerpt's `counter-reset`.
fn handout_gutter(page: &str) -> std::collections::BTreeMap<u32, String> {
    let mut symbols = std::collections::BTreeMap::new();
    for rule in page.split(".src p.").skip(1) {
        if let Some((class, rest)) = rule.split_once("::after { content: \"")
            && let Some((symbol, _)) = rest.split_once('"')
        {
            symbols.insert(class.to_string(), symbol.to_string());
        }
    }
    assert!(
        symbols.len() >= 5,
        "the style draws the gutter: {symbols:?}"
    );
    let mut out = std::collections::BTreeMap::new();
    for excerpt in page.split("<div class=src").skip(1) {
        let (head, body) = excerpt.split_once('>').unwrap();
        let mut number: u32 = head
            .split("counter-reset:ln ")
            .nth(1)
            .map_or(0, |n| n.trim_end_matches('"').parse().unwrap());
        for line in body.split("</div>").next().unwrap().lines() {
            number += 1;
            let attributes = line.strip_prefix("<p").unwrap().split_once('>').unwrap().0;
            let classes =
                attributes
                    .split("class=")
                    .nth(1)
                    .map_or("", |c| match c.strip_prefix('"') {
                        Some(quoted) => quoted.split('"').next().unwrap(),
                        None => c.split(' ').next().unwrap(),
                    });
            let symbol = classes
                .split(' ')
                .find_map(|c| symbols.get(c))
                .map_or(" ", String::as_str);
            // The source is shown once: no line twice.
            assert!(
                out.insert(number, symbol.to_string()).is_none(),
                "line {number} shown once"
            );
        }
    }
    out
}

#[test]
fn the_handout_and_the_explorer_mark_every_line_alike() {
    let snapshot = collect_code(GUTTER_PROGRAM);
    let page = specscope::views::dump::html::render(&snapshot);
    let handout = handout_gutter(&page);
    let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
    app.apply(specscope::views::tui::keys::Action::First);
    let explorer = explorer_gutter(&app);
    assert!(
        explorer.len() >= 12,
        "every line is on screen: {explorer:?}"
    );
    for (line, symbol) in &explorer {
        assert_eq!(
            handout.get(line),
            Some(symbol),
            "line {line}: {handout:?} vs {explorer:?}"
        );
    }
    // The rule itself, on lines whose fate the program decides.
    assert_eq!(explorer[&2], "+", "`a + b` on ints specialized");
    assert_eq!(
        explorer[&5], "±",
        "one `+` specialized, the other keeps failing"
    );
    assert_eq!(explorer[&8], "·", "never() never ran");
}

#[test]
fn at_80x24_the_hidden_base_column_is_said_and_b_brings_it_back() {
    let mut app = app();
    let narrow = screen(&app, 80, 24);
    assert!(
        narrow.contains("base column hidden: b shows it"),
        "{narrow}"
    );
    let plus_row = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("BINARY_OP_ADD_INT") && l.contains('┃'))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("the + row:\n{screen}"))
    };
    assert!(
        !plus_row(&narrow).contains("BINARY_OP "),
        "no base column yet"
    );
    press(&mut app, KeyCode::Char('b'));
    let shown = screen(&app, 80, 24);
    assert!(!shown.contains("base column hidden"), "{shown}");
    assert!(plus_row(&shown).contains("BINARY_OP "), "{shown}");
    press(&mut app, KeyCode::Char('b'));
    assert!(screen(&app, 80, 24).contains("base column hidden"));
    // Wide enough, the base shows by itself and `b` hides it.
    let mut wide = self::app();
    assert!(!screen(&wide, 160, 40).contains("base column hidden"));
    press(&mut wide, KeyCode::Char('b'));
    assert!(screen(&wide, 160, 40).contains("base column hidden"));
}

#[test]
fn the_focused_pane_shows_without_colour() {
    let mut app = App::new(DEMO.clone(), Theme::mono());
    let heavy_title = |app: &App| {
        screen(app, 120, 40)
            .lines()
            .find(|l| l.contains('┏'))
            .map(|l| l.split('┏').nth(1).unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(app.focus(), Pane::Bytecode);
    assert!(
        heavy_title(&app).starts_with(" Bytecode"),
        "{}",
        heavy_title(&app)
    );
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Source);
    assert!(
        heavy_title(&app).starts_with(" Source"),
        "{}",
        heavy_title(&app)
    );
    let frames = screen(&app, 120, 40).matches('┏').count();
    assert_eq!(frames, 1, "one pane has the heavy frame");
}

#[test]
fn the_detail_pane_scrolls_to_its_last_cache_row() {
    let mut app = app();
    // The instruction with the most cache entries in the demo.
    let (code, index) = DEMO
        .code_objects
        .iter()
        .enumerate()
        .flat_map(|(c, code)| (0..code.instructions.len()).map(move |i| (c, i)))
        .max_by_key(|&(c, i)| DEMO.code_objects[c].instructions[i].caches.len())
        .unwrap();
    app.open_code(code, index);
    let last = DEMO.code_objects[code].instructions[index]
        .caches
        .last()
        .unwrap()
        .name
        .clone();
    let detail_rows = |app: &App| -> Vec<String> {
        let text = screen(app, 100, 30);
        let rows: Vec<String> = text.lines().map(str::to_string).collect();
        let top = rows
            .iter()
            .position(|l| l.contains(" Detail "))
            .expect("the detail pane");
        rows[top..].to_vec()
    };
    let first = detail_rows(&app);
    assert!(
        first[0].contains("· lines 1–"),
        "at 100×30 the caches do not fit, and the title says so: {}",
        first[0]
    );
    assert!(
        !first
            .iter()
            .skip(1)
            .any(|l| l.contains(&format!("│{last} ")))
    );
    // Focus the detail pane and scroll to its end.
    while app.focus() != Pane::Detail {
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Char('G'));
    let end = detail_rows(&app);
    assert!(
        end.iter().any(|l| l.contains(&last)),
        "the last cache row, {last}, scrolls into view:\n{}",
        end.join("\n")
    );
    assert!(!end[0].contains("· lines 1–"), "{}", end[0]);
    // Leaving the instruction and coming back starts at the top again.
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus(), Pane::Bytecode);
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('j'));
    assert!(detail_rows(&app)[0].contains("· lines 1–"));
}

/// The navigator's rows (names with their shares), from a drawn frame.
fn navigator_rows(app: &App) -> Vec<String> {
    screen(app, 120, 40)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let l = l.strip_prefix('│').or_else(|| l.strip_prefix('┃'))?;
            let cell = l.split(['│', '┃']).next()?.trim();
            (!cell.is_empty()).then(|| cell.to_string())
        })
        .collect()
}

fn navigator_title(app: &App) -> String {
    screen(app, 120, 40)
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_navigator_filters_as_only_does_and_orders_by_failures() {
    let program = "\
def steady(a, b):
    return a + b

def flip(a, b, p, q):
    return [a + b, p + q]

def never(x):
    return x.real + x.imag

pick = [lambda v: v + 1,
        lambda v: v - 1]

for i in range(2000):
    steady(i, i)
    flip(i, i, i, 0.5)
    pick[i % 2](i)
";
    let mut app = App::new(collect_code(program), Theme::new(ThemeName::Dark, false));
    let names = |app: &App| -> Vec<String> {
        navigator_rows(app)
            .iter()
            .map(|r| {
                r.rsplit_once(' ')
                    .map_or(r.as_str(), |(n, _)| n)
                    .trim()
                    .to_string()
            })
            .collect()
    };
    let all = names(&app);
    assert!(all.contains(&"never".to_string()), "{all:?}");
    assert!(
        all.contains(&"<lambda>:10".to_string()) && all.contains(&"<lambda>:11".to_string()),
        "lambdas are told apart by their line: {all:?}"
    );
    press(&mut app, KeyCode::Char('f'));
    assert!(navigator_title(&app).contains("Code · ran "));
    assert!(
        !names(&app).contains(&"never".to_string()),
        "{:?}",
        names(&app)
    );
    press(&mut app, KeyCode::Char('f'));
    assert!(navigator_title(&app).contains("Code · failing "));
    let failing = names(&app);
    assert!(failing.contains(&"flip".to_string()), "{failing:?}");
    assert!(!failing.contains(&"steady".to_string()), "{failing:?}");
    press(&mut app, KeyCode::Char('f'));
    assert!(navigator_title(&app).contains("Code · specialized "));
    assert!(names(&app).contains(&"steady".to_string()));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(names(&app), all, "a fourth f shows everything again");
    // Most failing sites first: flip (one) before steady and never (none).
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('s'));
    assert!(navigator_title(&app).contains("Code · by failures "));
    let ordered = names(&app);
    let at = |name: &str| ordered.iter().position(|n| n == name).unwrap();
    assert!(
        at("flip") < at("steady") && at("flip") < at("never"),
        "{ordered:?}"
    );
    // --only gives the explorer the same filter.
    let only = App::new(collect_code(program), Theme::new(ThemeName::Dark, false))
        .with_only(Some(specscope::analysis::summary::Only::Failing));
    assert_eq!(names(&only), failing);
}

#[test]
fn the_summary_pane_lists_failing_sites_and_enter_opens_one() {
    let mut app = app();
    press(&mut app, KeyCode::Char('S'));
    assert_eq!(app.focus(), Pane::Summary);
    let text = screen(&app, 120, 40);
    let sites = specscope::analysis::summary::sites_to_look_at(&DEMO);
    assert!(!sites.is_empty(), "the demo has failing sites");
    assert!(
        text.contains(&format!("Look at first: {} failing", sites.len())),
        "{text}"
    );
    let counts = specscope::analysis::summary::family_counts(&DEMO.code_objects);
    let binary_op = text
        .lines()
        .find(|l| l.contains("BINARY_OP ") && !l.contains("Look"))
        .expect("a BINARY_OP row");
    let specialized = counts["BINARY_OP"]
        .get(specscope::analysis::summary::SiteState::Specialized)
        .to_string();
    assert!(binary_op.contains(&specialized), "{binary_op}");
    // The second site, opened.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    let site = sites[1];
    assert_eq!(app.focus(), Pane::Bytecode);
    assert_eq!(app.current_code(), site.code);
    assert_eq!(
        selected(&app).offset,
        DEMO.code_objects[site.code].instructions[site.instruction].offset
    );
    assert!(screen(&app, 120, 40).contains(" Bytecode · "));
    // Backspace returns to where the explorer was.
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.current_code(), self::app().current_code());
    press(&mut app, KeyCode::Char('S'));
    press(&mut app, KeyCode::Char('S'));
    assert_eq!(app.focus(), Pane::Bytecode, "S again gives the panes back");
}

#[test]
fn the_map_colours_each_stretch_by_how_it_ended_and_enter_opens_it() {
    use ratatui::style::Color;
    let mut app = App::new(
        collect_code(GUTTER_PROGRAM),
        Theme::new(ThemeName::Dark, false),
    );
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.focus(), Pane::Map);
    let buf = draw_frame(&app, 120, 40);
    let text = rows(&buf);
    assert!(
        text[1].contains("Files") && text[1].contains("Map · <string>"),
        "{}",
        text[1]
    );
    // Line 5, `    return [a + b, p + q]`: the colours of `a + b` and `p + q`.
    let (y, row) = text
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("return [a + b, p + q]"))
        .expect("line 5 on the map");
    let x_of = |needle: &str| row.find(needle).map(|b| row[..b].chars().count()).unwrap() as u16;
    let fg = |needle: &str| buf[(x_of(needle), y as u16)].fg;
    let theme = Theme::new(ThemeName::Dark, false);
    use specscope::analysis::marks::Mark;
    assert_eq!(Some(fg("a + b")), theme.mark(Mark::Specialized).fg);
    assert_eq!(Some(fg("p + q")), theme.mark(Mark::BackingOff).fg);
    assert_ne!(fg("return"), Color::LightRed, "plain text is not coloured");
    // Walk to the failing stretch and open it.
    let mut found = false;
    for _ in 0..200 {
        let footer = rows(&draw_frame(&app, 120, 40))
            .into_iter()
            .find(|l| l.contains("Enter opens"))
            .unwrap_or_default();
        if footer.contains("line 5") && footer.contains("backing off") {
            found = true;
            break;
        }
        press(&mut app, KeyCode::Char('j'));
    }
    assert!(found, "j reaches the failing stretch");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.focus(), Pane::Bytecode);
    assert_eq!(app.code_object().unwrap().qualname, "flip");
    let ins = selected(&app);
    assert_eq!(ins.base_opname, "BINARY_OP");
    assert_eq!(ins.positions.and_then(|p| p.col), Some(19), "the `p + q`");
}
