//! Drawing one explorer frame at 200×60 for a code object of at least 10,000
//! instructions. Run with `cargo bench --bench frame`; prints the median and
//! the 95th percentile per frame for a few cursor positions, plus one line
//! per figure in the form `RESULT name median_us p95_us` for the harness.
//!
//! Then the first frame over two very large sources, once collected: 2.4 MB
//! of generated functions, and 60 MB of comments (just under the 64 MiB
//! limit); and the frame after a jump to their last line. Each is drawn
//! once (the figure is that frame's time, given as median and p95 alike),
//! with how many source lines it highlighted.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use specscope::collect::request::{Request, Target};
use specscope::views::tui::{App, Theme, ThemeName, draw_frame};

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
        let snapshot =
            specscope::collect::python::collect(&request).expect("the generated code collects");
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

    large_sources();

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

/// About `bytes` of small functions, as a code generator writes them.
fn generated_functions(bytes: usize) -> String {
    let mut src = String::from("\"\"\"Generated: many small functions.\"\"\"\n\n");
    let mut i = 0;
    while src.len() < bytes {
        let _ = write!(
            src,
            "def handler_{i:05}(request, scale={}):\n    total = 0\n    for key, value in request.items():\n        \
             if isinstance(value, int):\n            total += value * scale\n        \
             elif key.startswith('x_{}'):\n            total -= len(key)\n    \
             return {{'id': {i}, 'total': total, 'name': 'handler_{i:05}'}}\n\n\n",
            i % 7 + 1,
            i % 13
        );
        i += 1;
    }
    src.push_str("for _i in range(100):\n    handler_00000({'a': _i, 'x_0b': 'q'})\n");
    src
}

/// A small function, comment lines up to about `bytes`, and a loop that
/// calls the function on the last lines.
fn write_comments(path: &Path, bytes: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("a temporary file"));
    file.write_all(b"def tiny(x):\n    return x + 1\n\n")
        .unwrap();
    let block = format!("# {:<77}\n", "a comment that says nothing at all").repeat(10_000);
    for _ in 0..bytes / block.len() {
        file.write_all(block.as_bytes()).unwrap();
    }
    file.write_all(b"for _i in range(100):\n    tiny(_i)\n")
        .unwrap();
    file.flush().unwrap();
}

fn large_sources() {
    let dir = std::env::temp_dir().join(format!("specscope-frame-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let code = dir.join("generated.py");
    std::fs::write(&code, generated_functions(2_400_000)).expect("the generated file");
    let comments = dir.join("comments.py");
    write_comments(&comments, 60 << 20);
    for (name, path) in [("large_code", &code), ("large_comments", &comments)] {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let started = Instant::now();
        let snapshot =
            specscope::collect::python::collect(&Request::new(Target::Script(path.clone())))
                .expect("the large source collects");
        let collected = started.elapsed();
        let lines = snapshot
            .files
            .values()
            .next()
            .map_or(0, |s| s.lines().count());
        let code_objects = snapshot.code_objects.len();
        let started = Instant::now();
        let mut app = App::new(snapshot, Theme::new(ThemeName::Dark, false));
        let built = started.elapsed();
        std::hint::black_box(draw_frame(&app, WIDTH, HEIGHT));
        let first = started.elapsed();
        let first_lines = app.lines_highlighted();
        let started = Instant::now();
        app.select_source_line(lines as u32);
        std::hint::black_box(draw_frame(&app, WIDTH, HEIGHT));
        let far = started.elapsed();
        println!(
            "{name}: {:.1} MB, {lines} lines, {code_objects} code objects, collected in {:.0} ms",
            size as f64 / 1e6,
            collected.as_secs_f64() * 1e3
        );
        println!(
            "  first frame {:.1} ms (App::new {:.1} ms), {first_lines} lines highlighted; \
             to the last line {:.1} ms, {} more",
            first.as_secs_f64() * 1e3,
            built.as_secs_f64() * 1e3,
            far.as_secs_f64() * 1e3,
            app.lines_highlighted() - first_lines
        );
        println!(
            "RESULT {name}_first_frame {0:.1} {0:.1}",
            first.as_secs_f64() * 1e6
        );
        println!(
            "RESULT {name}_last_line {0:.1} {0:.1}",
            far.as_secs_f64() * 1e6
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
