//! Drawing one explorer frame at 200×60 for a code object of at least 10,000
//! instructions. Run with `cargo bench --bench frame`; prints the median and
//! the 95th percentile per frame for a few cursor positions, plus one line
//! per figure in the form `RESULT name median_us p95_us` for the harness.

use std::time::{Duration, Instant};

use specscope::request::{Request, Target};
use specscope::tui::{App, Theme, ThemeName, draw_frame};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
const MIN_INSTRUCTIONS: usize = 10_000;

/// A function of `lines` statements, each a handful of instructions, with a
/// few attribute loads and calls so that several families specialize.
fn generated_source(lines: usize) -> String {
    let mut src =
        String::from("import math\n\nclass P:\n    def __init__(self):\n        self.x = 1.5\n\n");
    src.push_str("def big(a, b, p):\n    t = 0\n");
    for i in 0..lines {
        match i % 4 {
            0 => src.push_str(&format!("    t = t + a * {i} - b\n")),
            1 => src.push_str("    t = t + p.x\n"),
            2 => src.push_str("    t = t + len((a, b))\n"),
            _ => src.push_str(&format!("    if t > {i}: t = t - math.floor(p.x)\n")),
        }
    }
    src.push_str("    return t\n\np = P()\n");
    src
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    (at(0.5), at(0.95))
}

fn measure(app: &App, frames: usize) -> (f64, f64) {
    let mut samples = Vec::with_capacity(frames);
    for _ in 0..frames {
        let start = Instant::now();
        let buffer = draw_frame(app, WIDTH, HEIGHT);
        samples.push(start.elapsed());
        std::hint::black_box(buffer);
    }
    stats(samples)
}

fn main() {
    let frames: usize = std::env::var("FRAME_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut lines = 1_000;
    let snapshot = loop {
        let mut request = Request::new(Target::Code(generated_source(lines)));
        request.call = Some("big(3, 2, p)".into());
        request.calls = 20;
        request.patterns = vec!["big".into()];
        let snapshot = specscope::python::collect(&request).expect("the generated code collects");
        if snapshot.code_objects[0].instructions.len() >= MIN_INSTRUCTIONS {
            break snapshot;
        }
        lines += lines / 4;
    };
    let code = &snapshot.code_objects[0];
    let instructions = code.instructions.len();
    let caches: usize = code.instructions.iter().map(|i| i.caches.len()).sum();
    println!(
        "code object `{}`: {instructions} instructions, {caches} cache entries, Python {}",
        code.qualname, snapshot.python.version
    );

    let started = Instant::now();
    let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
    let build = started.elapsed();
    let started = Instant::now();
    std::hint::black_box(draw_frame(&app, WIDTH, HEIGHT));
    let first = started.elapsed();
    println!(
        "App::new {:.3} ms, first frame (highlights the source) {:.3} ms",
        build.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3
    );
    println!("RESULT app_new {0:.1} {0:.1}", build.as_secs_f64() * 1e6);
    println!(
        "RESULT first_frame {0:.1} {0:.1}",
        first.as_secs_f64() * 1e6
    );

    for (name, index) in [
        ("frame_top", 0),
        ("frame_middle", instructions / 2),
        ("frame_end", instructions - 1),
    ] {
        app.select_instruction(index);
        let (median, p95) = measure(&app, frames);
        println!(
            "{WIDTH}x{HEIGHT} frame, cursor at instruction {index:>5}: median {:.3} ms  p95 {:.3} ms  ({frames} frames)",
            median / 1e3,
            p95 / 1e3
        );
        println!("RESULT {name} {median:.1} {p95:.1}");
    }
}
