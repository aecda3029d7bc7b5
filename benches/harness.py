#!/usr/bin/env python3
"""specscope's benchmark harness.

    python3 benches/harness.py [--python 3.11,3.12,3.13] [-n 15] [--no-build]
                               [--rows abcdefghi] [--no-frame]

For each Python version asked, it builds specscope linked against that
version (target/py3.X, release), then runs, interleaved, N times each:

  a  the workload alone            python SCRIPT  /  python -c 'import typing'
  b  the hand-written way          the workload, then dis.dis(adaptive=True,
                                   show_caches=True) of every code object of
                                   the file, to a file (benches/handwritten.py)
  c  specscope dump --format dis   to a file
  d  specscope dump --format json  to a file
  e  the explorer's first frame    time from spawn until the first complete
                                   frame was written to a pseudo-terminal
  f  specscope dump --format html  to a file
  g  specialist 0.7's page         (typing only) the page `specialist` writes
                                   for typing.py after `import typing`, from a
                                   virtualenv of the same Python
                                   (target/py3.X/specialist-venv, made and
                                   filled from PyPI on first use); f runs in
                                   that virtualenv too, so that both see the
                                   same interpreter start
  h  the package's command         `specscope dump --format dis` as the
                                   Python package installs it (`pip install
                                   .` into target/py3.X/package-venv, a
                                   virtualenv of the same Python): the same
                                   code run inside that interpreter
  i  the workload in h's venv      python SCRIPT with the python of h's
                                   virtualenv (which starts without the base
                                   installation's site-packages)

on two targets: the built-in demo (assets/demo.py) and every code object of
`typing` after `import typing` (and, with --targets demo,typing,large, a
generated 2.4 MB file of 8,000 small functions). It prints medians, ratios against a and b of
the same run, peak resident memory (ru_maxrss) of c and of an explorer
session, the sizes of the two HTML pages (f, g) and the frame-drawing
figure of `cargo bench --bench frame`.

The `sampling` target (in the default list) times what sampling costs: a
CPU-bound warm-up (`--call 'work()'`) dumped with `--sample-interval 0` and
with the default interval (1 ms), interleaved; the figure is the ratio of
the warm-up times the snapshots report.

The `why` target (`--targets why`, or in a list) times what `--why` costs:
the same CPU-bound program, whose `%`, `int * float` and `float % float`
keep failing, dumped with `--why`; the figure is, per run, the second
(observed) run's time over the warm-up's, both as that one snapshot reports
them (`why.seconds`, `warmup.call_seconds`).

Needs Python 3.11+ to run the harness itself (any of them) and a Linux
pseudo-terminal. Interpreters are looked up in $(pyenv root)/versions, or
given with --interpreter 3.12=/path/to/python3.12.
"""

import argparse
import fcntl
import json
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHES = os.path.join(ROOT, "benches")
DEMO = os.path.join(ROOT, "assets", "demo.py")
HANDWRITTEN = os.path.join(BENCHES, "handwritten.py")

# The explorer runs in a terminal of this size for row e.
TUI_COLS, TUI_ROWS = 120, 40
# After the status line appeared, output that stays quiet this long ends the
# first frame; the time recorded is that of the last byte, not of the wait.
QUIET = 0.15
TUI_TIMEOUT = 60.0

TARGETS = {
    # name: (a argv tail, b argv tail, specscope target args)
    "demo": ([DEMO], ["script", DEMO], []),
    "typing": (["-c", "import typing"], ["module", "typing"], ["-c", "import typing", "-f", "typing:*"]),
}


def add_large_target(folder):
    """The `large` target: about 2.4 MB of small generated functions (as
    benches/frame.rs generates them), written into folder."""
    path = os.path.join(folder, "generated.py")
    parts = ['"""Generated: many small functions."""\n\n']
    size, i = len(parts[0]), 0
    while size < 2_400_000:
        part = (
            "def handler_%05d(request, scale=%d):\n    total = 0\n    for key, value in request.items():\n"
            "        if isinstance(value, int):\n            total += value * scale\n"
            "        elif key.startswith('x_%d'):\n            total -= len(key)\n"
            "    return {'id': %d, 'total': total, 'name': 'handler_%05d'}\n\n\n" % (i, i % 7 + 1, i % 13, i, i)
        )
        parts.append(part)
        size += len(part)
        i += 1
    parts.append("for _i in range(100):\n    handler_00000({'a': _i, 'x_0b': 'q'})\n")
    with open(path, "w") as f:
        f.write("".join(parts))
    TARGETS["large"] = ([path], ["script", path], [path])

# The `sampling` target: a CPU-bound program whose warm-up is timed with
# sampling off and on.
SAMPLING_WORKLOAD = """\
class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)


def work():
    acc = Vec(0, 0)
    for i in range(2000):
        acc = acc.add(Vec(i, i * 0.5))
        if i % 3 == 0:
            acc = Vec(acc.x % 1000, acc.y % 1000.0)
    return acc.x
"""
SAMPLING_CALLS = "200"

SPECIALIST = "specialist==0.7.0"

GOALS = """\
targets: c <= 1.3 x a (demo) · h <= 1.2 x a (demo, the package) · c <= 0.4 x b (typing) · e <= a + 80 ms (demo) · e <= a + 300 ms (typing)
         warm-up sampled every 1 ms <= 1.10 x unsampled (sampling)
         warm-up observed by --why <= 3 x the warm-up itself (why)
         f <= g and f's page <= 1 MB (typing: the HTML page against specialist 0.7's)
         one 200x60 frame <= 5 ms at 10,000 instructions · peak RSS <= 60 MB (demo)
         first frame once collected <= 1 s (2.4 MB of code, 60 MB of comments)"""


def machine():
    model, cores = "unknown CPU", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = ""
    return "%s, %d cores, %s" % (model, cores, load)


def find_interpreter(version, given):
    if version in given:
        return given[version]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = os.path.join(root, "versions")
    candidates = sorted(
        (d for d in os.listdir(versions) if d == version or d.startswith(version + ".")),
        key=lambda d: [int(x) if x.isdigit() else 0 for x in d.split(".")],
    ) if os.path.isdir(versions) else []
    for d in reversed(candidates):
        path = os.path.join(versions, d, "bin", "python" + version)
        if os.access(path, os.X_OK):
            return path
    path = shutil.which("python" + version)
    if path is None:
        sys.exit("harness: no interpreter for Python %s (use --interpreter %s=PATH)" % (version, version))
    return os.path.realpath(path)


def cargo_env(version, python):
    env = dict(os.environ)
    env["PYO3_PYTHON"] = python
    env["CARGO_TARGET_DIR"] = os.path.join(ROOT, "target", "py" + version)
    return env


def build(version, python):
    print("building specscope for Python %s ..." % version, flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, env=cargo_env(version, python), check=True)
    return os.path.join(ROOT, "target", "py" + version, "release", "specscope")


def specialist_venv(version, python):
    """A virtualenv of `python` with specialist installed, made on first
    use under target/py3.X; None (and why) when it cannot be made."""
    venv = os.path.join(ROOT, "target", "py" + version, "specialist-venv")
    tool = os.path.join(venv, "bin", "specialist")
    if not os.access(tool, os.X_OK):
        print("installing %s into %s ..." % (SPECIALIST, venv), flush=True)
        try:
            subprocess.run([python, "-m", "venv", "--clear", venv], check=True, capture_output=True)
            subprocess.run(
                [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", SPECIALIST],
                check=True, capture_output=True, text=True,
            )
        except subprocess.CalledProcessError as e:
            print("  specialist not available: %s" % (e.stderr or e).strip().splitlines()[-1:], flush=True)
            return None
    return venv


def package_venv(version, python, build):
    """The `specscope` command of the Python package, installed with `pip
    install .` into a virtualenv of `python` under target/py3.X; made again
    unless `build` is false and it is there. pip builds it as a user's `pip
    install .` does, in the clone's target/ (its `wheel` profile), which all
    versions share: switching versions rebuilds pyo3 and specscope only."""
    venv = os.path.join(ROOT, "target", "py" + version, "package-venv")
    command = os.path.join(venv, "bin", "specscope")
    if build or not os.access(command, os.X_OK):
        print("installing the specscope package (pip install .) into %s ..." % venv, flush=True)
        subprocess.run([python, "-m", "venv", "--clear", venv], check=True, capture_output=True)
        subprocess.run(
            [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ROOT],
            env={k: v for k, v in os.environ.items() if k not in ("CARGO_TARGET_DIR", "PYO3_PYTHON", "VIRTUAL_ENV")},
            check=True,
        )
    return command


def stdlib_of(python):
    return subprocess.run(
        [python, "-c", "import os, typing; print(os.path.dirname(typing.__file__))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def frame_bench(version, python, frames):
    env = cargo_env(version, python)
    env["FRAME_BENCH_FRAMES"] = str(frames)
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "frame"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    results = {}
    info = []
    for line in out.splitlines():
        if line.startswith("RESULT "):
            _, name, median, p95 = line.split()
            results[name] = (float(median) / 1e3, float(p95) / 1e3)
        elif line.strip():
            info.append(line)
    return results, info


def child_env():
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "NO_COLOR"):
        env.pop(name, None)
    env["TERM"] = "xterm-256color"
    return env


def run_to_file(argv, out_path, env, cwd=None):
    """Wall time (s), CPU time (s, user + system) and peak RSS (KiB) of one
    child, stdout to out_path, started in cwd when given."""
    start = time.perf_counter()
    if cwd is None:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ]
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    else:
        # posix_spawn cannot change the folder.
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(cwd)
                for fd, path, flags in ((0, os.devnull, os.O_RDONLY),
                                        (1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                        (2, os.devnull, os.O_WRONLY)):
                    os.dup2(os.open(path, flags, 0o644), fd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError("%s exited with %d" % (" ".join(argv), code))
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


STATUS_TEXT = b" specscope "


def run_tui(argv, env):
    """Time from spawn to the last byte of the explorer's first complete frame,
    the CPU time and the peak RSS of the whole session (it quits on `q` right
    after the frame)."""
    winsize = struct.pack("HHHH", TUI_ROWS, TUI_COLS, 0, 0)
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, winsize)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    seen = bytearray()
    last_byte = None
    status_at = None
    deadline = start + TUI_TIMEOUT
    try:
        while True:
            now = time.perf_counter()
            if now > deadline:
                raise RuntimeError("the explorer drew no frame in %.0f s" % TUI_TIMEOUT)
            wait = QUIET if status_at is not None else deadline - now
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                if status_at is not None:
                    break
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise RuntimeError("the explorer ended before drawing: %r" % bytes(seen[-400:]))
            last_byte = time.perf_counter()
            seen += chunk
            # crossterm may ask where the cursor is; answer as a terminal would.
            if b"\x1b[6n" in chunk:
                os.write(fd, b"\x1b[1;1R")
            if status_at is None and STATUS_TEXT in seen:
                status_at = last_byte
        # The last row of the screen must have been drawn too.
        if not re.search(rb"\x1b\[%d;\d+H" % TUI_ROWS, bytes(seen)):
            raise RuntimeError("the first frame did not reach the last row")
        first_frame = last_byte - start
        os.write(fd, b"q")
        # Drain until the child closes the terminal.
        while True:
            ready, _, _ = select.select([fd], [], [], 5.0)
            if not ready:
                break
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        _, status, usage = os.wait4(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError("the explorer exited with %d" % code)
        return first_frame, usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    finally:
        os.close(fd)


def measure_target(name, python, specscope, runs, tmp, env, rows, venv, package):
    a_tail, b_tail, target = TARGETS[name]
    files = {k: os.path.join(tmp, "%s-%s.txt" % (name, k)) for k in "abcdfh"}
    cases = {
        "a": lambda: run_to_file([python] + a_tail, files["a"], env),
        "b": lambda: run_to_file([python, HANDWRITTEN] + b_tail + [files["b"]], os.devnull, env),
        "c": lambda: run_to_file([specscope, "dump", "--format", "dis"] + target, files["c"], env),
        "d": lambda: run_to_file([specscope, "dump", "--format", "json"] + target, files["d"], env),
        "e": lambda: run_tui([specscope] + target, env),
    }
    if package:
        cases["h"] = lambda: run_to_file([package, "dump", "--format", "dis"] + target, files["h"], env)
        package_python = os.path.join(os.path.dirname(package), "python")
        cases["i"] = lambda: run_to_file([package_python] + a_tail, os.devnull, env)
    # The HTML page, and specialist's, in one virtualenv: without it, a
    # .pth file of some installations imports typing before the program
    # (3.11 here), and specscope would see only its functions.
    venv_env = dict(env, VIRTUAL_ENV=venv) if venv else env
    cases["f"] = lambda: run_to_file([specscope, "dump", "--format", "html"] + target, files["f"], venv_env)
    if name == "typing" and venv:
        pages = os.path.join(tmp, "specialist")
        files["g"] = os.path.join(pages, "typing.html")
        stdlib = stdlib_of(os.path.join(venv, "bin", "python"))
        tool = [os.path.join(venv, "bin", "specialist"), "--output", pages, "--targets", "typing.py",
                "-c", "import typing"]
        cases["g"] = lambda: run_to_file(tool, os.devnull, venv_env, cwd=stdlib)
    cases = {k: v for k, v in cases.items() if k in rows}
    times = {k: [] for k in cases}
    cpu = {k: [] for k in cases}
    rss = {k: [] for k in cases}
    for case in cases.values():  # one warm-up round: page cache, .pyc files
        case()
    for _ in range(runs):
        for key, case in cases.items():
            t, c, m = case()
            times[key].append(t)
            cpu[key].append(c)
            rss[key].append(m)
    sizes = {k: os.path.getsize(files[k]) for k in "bcdfg" if k in cases}
    lines = {k: sum(1 for _ in open(files[k])) for k in "bch" if k in cases}
    return times, cpu, rss, sizes, lines


def measure_sampling(specscope, runs, tmp, env):
    """The CPU-bound warm-up dumped with sampling off and on, interleaved:
    per case the wall times, the warm-up times the snapshots report, the
    samples taken and the mean interval achieved."""
    script = os.path.join(tmp, "cpu_bound.py")
    with open(script, "w") as f:
        f.write(SAMPLING_WORKLOAD)
    out = os.path.join(tmp, "sampling.json")
    intervals = {"off": "0", "on": "1"}
    seen = {k: {"wall": [], "warmup": [], "samples": [], "interval": []} for k in intervals}

    def once(key):
        argv = [specscope, "dump", "--format", "json", "--sample-interval", intervals[key],
                script, "--call", "work()", "-n", SAMPLING_CALLS]
        wall, _, _ = run_to_file(argv, out, env)
        with open(out) as f:
            doc = json.load(f)
        return wall, doc["warmup"]["call_seconds"], doc["sampling"]

    for key in intervals:  # one warm-up round
        once(key)
    for _ in range(runs):
        for key in intervals:
            wall, warmup, sampling = once(key)
            seen[key]["wall"].append(wall)
            seen[key]["warmup"].append(warmup)
            if sampling is not None:
                seen[key]["samples"].append(sampling["total"])
                seen[key]["interval"].append(sampling["interval_ms"])
    return seen


def measure_why(specscope, runs, tmp, env):
    """The CPU-bound warm-up dumped with --why: per run the warm-up's time
    and the observed second run's, from the same snapshot."""
    script = os.path.join(tmp, "cpu_bound_why.py")
    with open(script, "w") as f:
        f.write(SAMPLING_WORKLOAD)
    out = os.path.join(tmp, "why.json")
    seen = {"warmup": [], "observed": [], "ratio": [], "wall": []}

    def once():
        argv = [specscope, "dump", "--format", "json", "--sample-interval", "0", "--why",
                script, "--call", "work()", "-n", SAMPLING_CALLS]
        wall, _, _ = run_to_file(argv, out, env)
        with open(out) as f:
            doc = json.load(f)
        return wall, doc["warmup"]["call_seconds"], doc["why"]["seconds"]

    once()
    for _ in range(runs):
        wall, warmup, observed = once()
        seen["wall"].append(wall)
        seen["warmup"].append(warmup)
        seen["observed"].append(observed)
        seen["ratio"].append(observed / warmup)
    return seen


def report_why(seen):
    med = {k: statistics.median(v) for k, v in seen.items()}
    q = statistics.quantiles(seen["ratio"], n=4) if len(seen["ratio"]) > 1 else [seen["ratio"][0]] * 3
    print("\nwhy (the CPU-bound warm-up: work() x %s, then observed again with --why)" % SAMPLING_CALLS)
    print("  warm-up %.1f ms, observed second run %.1f ms, wall %.1f ms (medians)"
          % (ms(med["warmup"]), ms(med["observed"]), ms(med["wall"])))
    print("  observed / warm-up, same invocation: %.2f x (quartiles %.2f–%.2f)" % (med["ratio"], q[0], q[2]))
    return med["ratio"]


def report_sampling(seen):
    med = {k: {m: statistics.median(v) if v else 0.0 for m, v in d.items()} for k, d in seen.items()}
    q = {k: statistics.quantiles(d["warmup"], n=4) if len(d["warmup"]) > 1 else [d["warmup"][0]] * 3
         for k, d in seen.items()}
    print("\nsampling (a CPU-bound warm-up: work() x %s)" % SAMPLING_CALLS)
    print("  %-33s %9s  %-15s %9s  %7s  %11s" % ("", "warm-up ms", "quartiles", "wall ms", "samples", "interval ms"))
    labels = {"off": "--sample-interval 0", "on": "--sample-interval 1 (default)"}
    for k in ("off", "on"):
        print("  %-33s %9.1f  %7.1f–%-7.1f %9.1f  %7d  %11s" % (
            labels[k], ms(med[k]["warmup"]), ms(q[k][0]), ms(q[k][2]), ms(med[k]["wall"]), med[k]["samples"],
            "%.3f" % med[k]["interval"] if seen[k]["interval"] else "-"))
    ratio = med["on"]["warmup"] / med["off"]["warmup"]
    print("  warm-up sampled / unsampled: %.3f x (wall: %.3f x)" % (ratio, med["on"]["wall"] / med["off"]["wall"]))
    return ratio, med["on"]["interval"]


def ms(seconds):
    return seconds * 1e3


def report_target(name, times, cpu, rss, sizes, lines):
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpu.items()}
    q = {k: statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3 for k, v in times.items()}
    peak = {k: max(v) / 1024 for k, v in rss.items()}
    labels = {
        "a": "a  workload alone",
        "b": "b  workload + dis.dis to a file",
        "c": "c  specscope dump --format dis",
        "d": "d  specscope dump --format json",
        "e": "e  explorer, first frame",
        "f": "f  specscope dump --format html",
        "g": "g  specialist 0.7, its page",
        "h": "h  package: dump --format dis",
        "i": "i  workload alone, h's venv",
    }
    def ratio(x, base):
        return "%6.2f" % (x / base) if base else "%6s" % "–"

    rows = []
    for k in "abcdefghi":
        if k not in med:
            continue
        extra = ""
        if k in lines:
            extra = "%d lines" % lines[k]
        if k in sizes and k in "dfg":
            extra = "%d bytes" % sizes[k]
        rows.append(
            ("  %-33s %9.1f  %7.1f–%-7.1f %s  %s  %7.1f  %s  %7.1f  %s"
             % (labels[k], ms(med[k]), ms(q[k][0]), ms(q[k][2]), ratio(med[k], med.get("a")),
                ratio(med[k], med.get("b")), ms(cpu[k]), ratio(cpu[k], cpu.get("b")), peak[k], extra)).rstrip()
        )
    print("\n%s" % name)
    print("  %-33s %9s  %-15s %6s  %6s  %7s  %6s  %7s" % ("", "median ms", "quartiles", "/ a", "/ b", "cpu ms", "cpu/b", "peak MB"))
    for r in rows:
        print(r)
    return med, cpu, peak, sizes


def verdict(ok):
    return "met" if ok else "MISSED"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default="3.11,3.12,3.13", help="versions, comma-separated")
    parser.add_argument("-n", "--runs", type=int, default=15, help="runs of each case (default 15)")
    parser.add_argument("--frames", type=int, default=300, help="frames drawn per frame figure")
    parser.add_argument("--no-build", action="store_true", help="use target/py3.X/release/specscope as it is")
    parser.add_argument("--interpreter", action="append", default=[], metavar="VER=PATH")
    parser.add_argument("--targets", default="demo,typing,sampling")
    parser.add_argument("--rows", default="abcdefghi", help="which rows to run (default all: abcdefghi)")
    parser.add_argument("--no-frame", action="store_true", help="leave out cargo bench --bench frame")
    args = parser.parse_args()
    given = dict(item.split("=", 1) for item in args.interpreter)
    env = child_env()
    print("machine: %s" % machine())
    print("runs: %d per case, interleaved %s, after one warm-up round; medians of wall time and of CPU time"
          % (args.runs, " ".join(args.rows)))
    print("(user + system; for e the whole session); peak RSS is the largest ru_maxrss")
    print(GOALS)
    summary = []
    for version in args.python.split(","):
        python = find_interpreter(version, given)
        if args.no_build:
            specscope = os.path.join(ROOT, "target", "py" + version, "release", "specscope")
        else:
            specscope = build(version, python)
        venv = specialist_venv(version, python) if "g" in args.rows else None
        package = package_venv(version, python, not args.no_build) if set("hi") & set(args.rows) else None
        print("\n=== Python %s  (%s)" % (version, python))
        frames, info = ({}, []) if args.no_frame else frame_bench(version, python, args.frames)
        sampling = None
        why = None
        with tempfile.TemporaryDirectory(prefix="specscope-bench-") as tmp:
            if "large" in args.targets.split(","):
                add_large_target(tmp)
            results = {}
            for name in args.targets.split(","):
                if name == "sampling":
                    sampling = report_sampling(measure_sampling(specscope, args.runs, tmp, env))
                    continue
                if name == "why":
                    why = report_why(measure_why(specscope, args.runs, tmp, env))
                    continue
                results[name] = report_target(
                    name, *measure_target(name, python, specscope, args.runs, tmp, env, args.rows, venv, package))
        if info:
            print("\nframe drawing (cargo bench --bench frame)")
        for line in info:
            print("  " + line)
        checks = []
        if "demo" in results and set("ace") <= set(args.rows):
            med, cpu, peak, _ = results["demo"]
            checks.append(
                ("c <= 1.3 x a (demo)", "%.2f x (cpu %.2f x)" % (med["c"] / med["a"], cpu["c"] / cpu["a"]), med["c"] <= 1.3 * med["a"])
            )
            checks.append(("e <= a + 80 ms (demo)", "a + %.1f ms" % ms(med["e"] - med["a"]), med["e"] - med["a"] <= 0.080))
            checks.append(("peak RSS of c <= 60 MB (demo)", "%.1f MB" % peak["c"], peak["c"] <= 60))
            checks.append(("peak RSS of the explorer <= 60 MB (demo)", "%.1f MB" % peak["e"], peak["e"] <= 60))
        if "demo" in results and "h" in results["demo"][0] and "a" in results["demo"][0]:
            med, cpu, _, _ = results["demo"]
            checks.append(
                ("h <= 1.2 x a (demo, the package)", "%.2f x (cpu %.2f x)" % (med["h"] / med["a"], cpu["h"] / cpu["a"]), med["h"] <= 1.2 * med["a"])
            )
            if "i" in med:
                checks.append(
                    ("h <= 1.2 x i (demo, both in the package's venv)", "%.2f x (cpu %.2f x)" % (med["h"] / med["i"], cpu["h"] / cpu["i"]), med["h"] <= 1.2 * med["i"])
                )
        if "typing" in results:
            med, cpu, _, sizes = results["typing"]
            if "b" in med and "c" in med:
                checks.append(
                    ("c <= 0.4 x b (typing)", "%.2f x (cpu %.2f x)" % (med["c"] / med["b"], cpu["c"] / cpu["b"]), med["c"] <= 0.4 * med["b"])
                )
            if "a" in med and "e" in med:
                # typing has about 400 code objects: the explorer's first
                # frame after the program ended.
                checks.append(("e <= a + 300 ms (typing)", "a + %.0f ms" % ms(med["e"] - med["a"]), med["e"] - med["a"] <= 0.300))
            if "f" in sizes:
                checks.append(("f's page <= 1 MB (typing)", "%d bytes" % sizes["f"], sizes["f"] <= 1_000_000))
            if "f" in med and "g" in med:
                checks.append(
                    ("f <= g: html page vs specialist 0.7 (typing)",
                     "%.2f x (cpu %.2f x); %d / %d bytes" % (med["f"] / med["g"], cpu["f"] / cpu["g"], sizes["f"], sizes["g"]),
                     med["f"] <= med["g"])
                )
        if sampling is not None:
            ratio, interval = sampling
            checks.append(
                ("warm-up sampled <= 1.10 x unsampled", "%.3f x (every %.2f ms)" % (ratio, interval), ratio <= 1.10)
            )
        if why is not None:
            checks.append(("warm-up observed by --why <= 3 x warm-up", "%.2f x" % why, why <= 3.0))
        if frames:
            worst = max(frames[k][0] for k in ("frame_top", "frame_middle", "frame_end"))
            checks.append(
                ("one 200x60 frame <= 5 ms (10,000 instructions)", "%.2f ms (worst median)" % worst, worst <= 5.0)
            )
        for key, what in (("large_code", "2.4 MB of code"), ("large_comments", "60 MB of comments")):
            if key + "_first_frame" in frames:
                first, last = frames[key + "_first_frame"][0], frames[key + "_last_line"][0]
                checks.append(
                    ("first frame once collected <= 1 s (%s)" % what, "%.0f ms (last line %.0f ms)" % (first, last),
                     max(first, last) <= 1000)
                )
        print("\ntargets, Python %s" % version)
        for what, figure, ok in checks:
            print("  %-47s %-40s %s" % (what, figure, verdict(ok)))
            summary.append((version, what, figure, ok))
    print("\nsummary")
    for version, what, figure, ok in summary:
        print("  %-5s %-47s %-40s %s" % (version, what, figure, verdict(ok)))


if __name__ == "__main__":
    main()
