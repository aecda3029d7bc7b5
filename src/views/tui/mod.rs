//! The interactive explorer: a ratatui TUI over one [`Snapshot`].
//!
//! [`run`] collects the snapshot first (errors print as in dump mode), then
//! hands it to an [`App`]; the app never calls Python.

pub mod app;
pub mod keys;
pub mod theme;
mod views;

use std::io;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

pub use app::{Against, App, Mode, Pane};
pub use theme::Theme;
pub use views::{MIN_HEIGHT, MIN_WIDTH};

use crate::model::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

/// Gets the highlighter ready for the target's source on another core
/// while the program runs (loading syntect's grammars and compiling the
/// patterns a file needs takes about as long as a short program runs).
pub fn warm_up(request: &crate::collect::request::Request) -> Option<std::thread::JoinHandle<()>> {
    request
        .source_hint()
        .map(|(_, head)| std::thread::spawn(move || crate::present::highlight::warm_up(&head)))
}

/// Explores `snapshot` until the user quits. The program's leftover threads
/// are held meanwhile.
pub fn explore_snapshot(
    snapshot: Snapshot,
    ahead: Option<std::thread::JoinHandle<()>>,
    theme: ThemeName,
    only: Option<crate::analysis::summary::Only>,
) -> io::Result<()> {
    let app = App::new(
        snapshot,
        Theme::new(theme, crate::present::text::no_color()),
    )
    .with_only(only);
    if let Some(worker) = ahead {
        let _ = worker.join();
    }
    crate::collect::python::with_program_paused(|| explore(app))
}

/// Explores snapshot `b` compared with the snapshot `against` holds, until
/// the user quits.
pub fn explore_comparison(b: Snapshot, against: Against, theme: ThemeName) -> io::Result<()> {
    let app =
        App::new(b, Theme::new(theme, crate::present::text::no_color())).with_comparison(against);
    crate::collect::python::with_program_paused(|| explore(app))
}

/// Runs the app in the terminal. `ratatui::init` restores the terminal on
/// panic; the hook installed after it also turns mouse reporting off first.
fn explore(app: App) -> io::Result<()> {
    crate::collect::python::reset_signals();
    let mut terminal = ratatui::try_init()?;
    restore_on_termination()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let result = execute!(io::stdout(), EnableMouseCapture).and_then(|_| app.run(&mut terminal));
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// SIGTERM and SIGHUP end the explorer with the terminal given back, with
/// the shell's exit code for the signal (143, 129).
fn restore_on_termination() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _ = execute!(io::stdout(), DisableMouseCapture);
            ratatui::restore();
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}

/// Draws one frame of `app` into a fresh buffer of `width`×`height`, as the
/// terminal would show it (for benchmarks and tests).
pub fn draw_frame(app: &App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buffer = Buffer::empty(area);
    app.render(area, &mut buffer);
    buffer
}

/// A test terminal showing one frame of `app`.
pub fn test_terminal(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).expect("a test backend never fails");
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .expect("a test backend never fails");
    terminal
}
