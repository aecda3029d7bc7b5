//! The explorer on the real built-in demo: key-driven facts, and screen
//! snapshots per Python minor version (bytecode differs between versions).

use std::sync::LazyLock;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::style::Modifier;
use specscope::model::{Instruction, Snapshot};
use specscope::request::{Request, Target};
use specscope::tui::keys::KEYS;
use specscope::tui::{App, Mode, Pane, Theme, ThemeName, draw_frame, test_terminal};

static DEMO: LazyLock<Snapshot> = LazyLock::new(|| {
    specscope::python::collect(&Request::new(Target::Demo)).expect("the demo collects")
});

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
    out
}

fn assert_screen(name: &str, app: &App, width: u16, height: u16) {
    let terminal = test_terminal(app, width, height);
    let text = mask(&terminal.backend().to_string());
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
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
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
    press(&mut app, KeyCode::Char('n'));
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
