"""The Python half of specscope's collector.

specscope embeds CPython and loads this module from its own binary. `run`
takes a request (plain data: dicts, lists, strings, numbers), runs the
target program, warms it up with `--call`, and returns the raw snapshot as
plain data of the same kinds, which Rust reads without JSON text in between
(src/collect/python/objects.rs). Everything here is plain data gathering;
decoding of counters and cache values happens in Rust.

Each run is a `_Session`, in four steps: resolve the target, execute it
(and its warm-up), select the code objects asked for, describe them. What
outlives a run (the run the watchdog may end, the code objects of the last
collection, an audit hook) is kept in `_lasting`.

Rust decodes the instructions from the bytes described here. For a Python
version that decoder does not know, and for tests that compare it with
`dis`, `dis` itself builds them: that half is `assets/collector_dis.py`,
loaded only when needed (see `_dis_path`), so that a run never imports `dis`
otherwise.

The module works with private copies of the standard modules it imports
once a program ran, and keeps its own references to everything else it
uses, so that a program which replaces or patches them (or `print`, or
`sys.stdout`) cannot change what is collected, and so that collecting does
not run, and so change, the code objects of the very `dis` module a user
may be looking at.
"""

import io as _io
import builtins as _builtins
import codecs as _codecs
import os as _os
import _signal  # the C module: the signal package imports enum, costing start-up time
import _thread
import gc as _gc
import marshal as _marshal
import sys as _sys
import time as _time
from _operator import index as _index
from _functools import partial as _partial
import _stat
import faulthandler as _faulthandler

# A program may rebind what the collector uses (`types.CodeType = int`,
# `time.perf_counter = None`, `builtins.repr = ...`, `os.dup2 = ...`,
# `importlib.import_module = ...`): the collector keeps references of its own,
# taken when it loads, before any program runs. Its functions look their
# builtins up in a copy of the builtins dict.
#
# The types it checks objects against are taken from objects of each kind,
# as the `types` module takes them, and imports go straight to the import
# system's `_gcd_import`, which `importlib.import_module` calls: neither
# `types` nor `importlib` is imported at start-up (python does not import
# them to run a script, and importing them costs start-up time).
def _function():
    pass


class _Instance:
    def method(self):
        pass


_types = type(_sys.implementation)(
    SimpleNamespace=type(_sys.implementation),
    CodeType=type(_function.__code__),
    FunctionType=type(_function),
    MethodType=type(_Instance().method),
    MemberDescriptorType=type(type(_function).__globals__),
    ModuleType=type(_sys),
)
del _function, _Instance
_time = _types.SimpleNamespace(**vars(_time))
__builtins__ = dict(vars(_builtins))
_import_module = _sys.modules["_frozen_importlib"]._gcd_import


def _make_id():
    """id() without its audit event (a program's audit hook may raise on
    every event): CPython's default hash, `object.__hash__`, is the address
    rotated right by 4 bits, which this rotates back. Checked against id()
    here, before any program runs; id() itself where they disagree."""
    bits = 8 * tuple.__itemsize__
    mask = (1 << bits) - 1
    hash_of = object.__hash__

    def address(obj):
        rotated = hash_of(obj) & mask
        return ((rotated << 4) | (rotated >> (bits - 4))) & mask

    samples = (object(), address, [], _sys)
    return address if all(address(s) == id(s) for s in samples) else id


__builtins__["id"] = _make_id()
_dup, _dup2, _close = _os.dup, _os.dup2, _os.close
_getswitchinterval, _setswitchinterval = _sys.getswitchinterval, _sys.setswitchinterval


def _fresh(*names):
    """Fresh copies of modules (and their submodules), imported next to the
    shared ones; `sys.modules` is left as it was."""

    def ours(name):
        return any(name == n or name.startswith(n + ".") for n in names)

    saved = {n: m for n, m in _sys.modules.items() if ours(n)}
    for name in saved:
        del _sys.modules[name]
    try:
        return [_import_module(n) for n in names]
    finally:
        for name in [n for n in _sys.modules if ours(n)]:
            del _sys.modules[name]
        _sys.modules.update(saved)


class _Lasting:
    """What the collector keeps for as long as the interpreter lives, from
    one run to the next."""

    def __init__(self):
        # The run under way, or the last one: `take_over` ends it.
        self.session = None
        # Code objects of the last collection, kept so that tests can
        # disassemble the very objects that were collected, in the same
        # interpreter (`reference_dis`).
        self.last_code_objects = []
        # An audit hook cannot be removed: the one that keeps the code the
        # program executes, for MODULE:PAT, PATH:PAT and <NAME>:PAT
        # (`_record_exec`), is added once, by the first run that needs it.
        self.exec_hook_added = False
        # Nor can fork hooks: the ones that stop specscope's threads while
        # the program forks (`before_fork`) are added by the first run.
        self.fork_hooks_added = False
        # Source of targets that have no file (the demo, lessons, -c), for
        # tracebacks: {filename: lines}.
        self.unlisted_sources = {}
        # Private copies of standard modules (see `_lazy`), fcntl's and
        # resource's functions (see `_high_dup`), the dis half (see
        # `_dis_path`) and importlib.util (see `_find_module`), each made
        # or imported the first time it is needed.
        self.private_modules = {}
        self.fd_tools = None
        self.dis_path = None
        self.importlib_util = None
        # Text of other modules' files read without linecache (see
        # `_module_source`): {filename: text}.
        self.sources = {}


_lasting = _Lasting()


# The modules each private copy of a standard module (see `_lazy`) is
# imported together with.
_IMPORTED_WITH = {"traceback": ("linecache", "traceback")}


def _lazy(name):
    """A private copy of a standard module, imported the first time it is
    needed (start-up time counts) and kept out of `sys.modules`: a program
    that replaces `linecache` or `traceback`, or patches their
    functions, changes nothing the collector does with them."""
    modules = _lasting.private_modules
    module = modules.get(name)
    if module is None:
        names = _IMPORTED_WITH.get(name, (name,))
        modules.update(zip(names, _fresh(*names)))
        module = modules[name]
    return module


def _plain_copy(value):
    """A copy of plain data (dicts, lists, and what they hold) that later
    changes to `value` leave as it is."""
    kind = type(value)
    if kind is dict:
        return {key: _plain_copy(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_plain_copy(item) for item in value]
    return value


# Code flags (Include/cpython/code.h).
_CO_OPTIMIZED = 0x1
_CO_NEWLOCALS = 0x2
_CO_GENERATOR = 0x20
_CO_COROUTINE = 0x80
_CO_ASYNC_GENERATOR = 0x200

# This interpreter's version, as the opcode tables name the version they
# were made for.
_VERSION = "%d.%d.%d" % _sys.version_info[:3]
# `python -c` registers the command's text with linecache from 3.13 on.
_DASH_C_IN_LINECACHE = _sys.version_info >= (3, 13)

# Every cache field but the counter, in any version: the resolver says what
# each one holds in the form that wrote it (see `_Resolver._roles`).
_RESOLVED = ("version", "type_version", "func_version", "module_keys_version",
             "builtin_keys_version", "keys_version", "index", "descr",
             "dict_offset", "min_args", "mask")


class _OpcodeFacts:
    """The opcode facts of this version, as the collector uses them, from
    a table of them: the one the build script made (the request carries
    it), or one read from `dis` (see `DisPath.op_table` in the dis half).
    `cache_layouts` corrects `cache_format` where the interpreter's C struct
    differs from `opcode._cache_format`."""

    def __init__(self, table, cache_layouts):
        self.table = table
        self.names = list(table["names"])
        self.opmap = dict(table["opmap"])
        self.cache_format = {k: [tuple(f) for f in v] for k, v in table["cache_format"].items()}
        for base, layout in cache_layouts.items():
            self.cache_format[base] = [tuple(field) for field in layout]
        self.families = {k: list(v) for k, v in table["families"].items()}
        # Opcodes with cache fields that name something (a class, a global, ...).
        self.resolvable = {}
        for op, name in enumerate(self.names):
            layout = self.cache_format.get(name, ())
            if any(f in _RESOLVED for f, _ in layout):
                self.resolvable[op] = layout
        # The same as a `bytes.translate` table: 1 for those opcodes (CACHE,
        # 0, is never one), 0 for the others.
        self.resolvable_mask = bytes(1 if op and op in self.resolvable else 0 for op in range(256))


class TargetError(Exception):
    """The target cannot be run at all: missing, unreadable, not Python."""

    def __init__(self, kind, message, **detail):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail

    def as_error(self, **more):
        """The error as the reply states it."""
        return dict(kind=self.kind, message=self.message, **more, **self.detail)


class _Stop(BaseException):
    """Raised into the program to stop it: timeout, os._exit, os.exec*.
    `exit`: for an exit, the report's "exit" without its phase."""

    def __init__(self, reason, status=None, code=None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.exit = None
        if reason in _ABRUPT:
            self.exit = {"how": reason, "status": status}
            if code is not None:
                self.exit["code"] = code


# The exits that end the process at once under python: no atexit handler
# runs, and the run is not done again for --why.
_ABRUPT = ("os._exit", "os.exec")


# ---------------------------------------------------------------- output capture


class _Output:
    """Collects what the program writes, up to a limit; counts the rest.

    While the program runs (from `open` to `close`), specscope's Rust side
    holds the output (`src/capture.rs`): what the program writes to
    `sys.stdout` and `sys.stderr` and, through a pipe drained by a reader
    thread, what it or its children write to file descriptors 1 and 2, in
    the order written. Output past the limit is counted as it is written,
    never held; and if the program crashes the interpreter, what it wrote
    so far still reaches specscope's stderr. A problem the Rust side met
    joins `problems`."""

    def __init__(self, limit, problems):
        self.limit = limit
        self.problems = problems
        self.kept = 0
        self.dropped = 0
        # [stream, [text, ...]]: joined once, when read (appending to one
        # growing string costs time quadratic in the output's size).
        self._parts = []
        self._held = False  # by the Rust side

    @property
    def chunks(self):
        """[[stream, text]] in the order written, a stream's consecutive writes joined."""
        return [[stream, "".join(parts)] for stream, parts in self._parts]

    def open(self, pipe, stderr):
        """From now on the Rust side holds the output: `pipe` is the read end
        of the pipe file descriptors 1 and 2 write to (handed over), `stderr`
        specscope's own stderr, for a crash report."""
        capture_start(pipe, stderr, self.limit)
        self._held = True

    def close(self):
        """Takes the output back from the Rust side, the pipe read to its end."""
        if not self._held:
            return
        self._held = False
        chunks, kept, dropped, problem = capture_finish()
        for stream, text in chunks:
            self._keep(stream, text)
        self.kept += kept
        self.dropped += dropped
        if problem:
            self.problems.append(problem)

    def _keep(self, stream, text):
        if self._parts and self._parts[-1][0] == stream:
            self._parts[-1][1].append(text)
        else:
            self._parts.append([stream, [text]])

    def add(self, stream, text):
        if not text:
            return
        # Lone surrogates cannot travel as UTF-8: show them escaped.
        data = text.encode("utf-8", "backslashreplace")
        if self._held:
            capture_write(stream, data)
            return
        size = len(data)
        room = self.limit - self.kept
        if room <= 0:
            self.dropped += size
            return
        if size > room:
            text = data[:room].decode("utf-8", "ignore")
            kept = len(text.encode("utf-8"))
            self.dropped += size - kept
            size = kept
        else:
            text = data.decode("utf-8")
        self.kept += size
        self._keep(stream, text)


class _Sink(_io.BufferedIOBase):
    """The binary layer under the program's `sys.stdout` and `sys.stderr`.
    Nothing is buffered: bytes written to `sys.stdout.buffer` and text join
    the captured output in the order they were written. `fileno()` is the
    file descriptor underneath (redirected while the program runs), so
    `faulthandler`, `os.write(sys.stdout.fileno(), ...)` and children work."""

    def __init__(self, output, name, fd, encoding):
        self._output = output
        self._stream = name
        self._fd = fd
        self._decode = _codecs.getincrementaldecoder(encoding)("backslashreplace").decode
        # What `print` calls: the program's trace function, profiler and
        # sys.monitoring see none of this Python code, as under python.
        self.write = _partial(without_hooks, self._write)

    @property
    def name(self):
        return "<%s>" % self._stream

    def writable(self):
        return True

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def _write(self, data):
        if self.closed:
            raise ValueError("write to closed file")
        with memoryview(data) as view:
            chunk = view.tobytes()
        self._output.add(self._stream, self._decode(chunk))
        return len(chunk)

    def finish(self):
        """Keeps what is left of an incomplete character at the end."""
        self._output.add(self._stream, self._decode(b"", True))


# Encodings of the interpreter's own standard streams (PYTHONIOENCODING,
# the locale, UTF-8 mode), read before any program runs: the program's
# streams are made like them, as python would make them.
_STDIO = {
    name: (getattr(stream, "encoding", None) or "utf-8", getattr(stream, "errors", None) or errors)
    for name, stream, errors in (
        ("stdin", _sys.__stdin__, "strict"),
        ("stdout", _sys.__stdout__, "strict"),
        ("stderr", _sys.__stderr__, "backslashreplace"),
    )
}


# The interpreter's own stdout and stderr, whatever the program does to
# sys.__stdout__.
_INTERPRETER_STREAMS = tuple(st for st in (_sys.__stdout__, _sys.__stderr__) if st is not None)


def _writer(output, name, fd):
    """A text stream like python's sys.stdout / sys.stderr, writing into output."""
    encoding, errors = _STDIO[name]
    stream = _io.TextIOWrapper(
        _Sink(output, name, fd, encoding), encoding=encoding, errors=errors, newline="\n", write_through=True
    )
    stream.mode = "w"
    return stream


def _reader():
    """A text stream like python's sys.stdin, reading file descriptor 0."""
    encoding, errors = _STDIO["stdin"]
    raw = _io.FileIO(0, "r", closefd=False)
    raw.name = "<stdin>"
    stream = _io.TextIOWrapper(_io.BufferedReader(raw), encoding=encoding, errors=errors, newline="\n")
    stream.mode = "r"
    return stream


def _high_dup(fd):
    """A copy of fd (close-on-exec) numbered above what a program closes when
    it closes the descriptors it did not open (`os.closerange(3, 1024)`, or
    up to `os.sysconf("SC_OPEN_MAX")`): above the soft limit on open files,
    which is raised for a moment to make it, or else just under it. (The
    native module's `high_dup` does it; this, with fcntl and resource, when
    the collector runs without it.)"""
    try:
        copy = high_dup(fd)
        if copy is not None:
            return copy
        if _lasting.fd_tools is None:
            import fcntl
            import resource

            _lasting.fd_tools = (fcntl.fcntl, fcntl.F_DUPFD_CLOEXEC, resource.getrlimit, resource.setrlimit,
                                 resource.RLIMIT_NOFILE, resource.RLIM_INFINITY)
        fcntl, dupfd, getrlimit, setrlimit, nofile, infinity = _lasting.fd_tools
        soft, hard = getrlimit(nofile)
        ceiling = 1 << 16  # a bigger descriptor table costs memory
        if soft != infinity and soft < ceiling and (hard == infinity or hard > soft):
            setrlimit(nofile, (soft + 64 if hard == infinity else min(hard, soft + 64), hard))
            try:
                return fcntl(fd, dupfd, soft)
            finally:
                setrlimit(nofile, (soft, hard))
        top = ceiling if soft == infinity else min(soft, ceiling)
        return fcntl(fd, dupfd, max(3, top - 64))
    except (ImportError, OSError, ValueError):
        return _dup(fd)


class _Captured:
    """Redirects Python-level and fd-level output and stdin while the
    session's program runs, into the session's output."""

    def __init__(self, session, stdin=None):
        self.session = session
        self.output = session.output
        # An open file descriptor to feed the program's stdin (closed
        # here), or None: end-of-file.
        self.stdin = stdin

    def __enter__(self):
        s = _sys
        self.session.captures.append(self)
        self.saved = (s.stdout, s.stderr, s.stdin, s.argv, list(s.path))
        for stream in (s.stdout, s.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        self.saved_fds = []
        for fd in (0, 1, 2):
            try:
                self.saved_fds.append((fd, _high_dup(fd)))
            except OSError:  # not open
                pass
        saved = dict(self.saved_fds)
        source = self.stdin if self.stdin is not None else _os.open(_os.devnull, _os.O_RDONLY)
        sink = self._output_sink(saved.get(2, -1))
        for fd, target in ((0, source), (1, sink), (2, sink)):
            if fd in saved:
                try:
                    _dup2(target, fd)
                except OSError:
                    pass
        _close(source)
        _close(sink)
        s.stdout = _writer(self.output, "stdout", 1)
        s.stderr = _writer(self.output, "stderr", 2)
        self.streams = (s.stdout, s.stderr)
        self.sinks = (s.stdout.buffer, s.stderr.buffer)
        s.stdin = _reader()
        return self

    def _output_sink(self, stderr):
        """What the program's file descriptors 1 and 2 become: the write end
        of a pipe whose read end the Rust side drains (see `_Output`), both
        ends numbered high (see `_high_dup`); /dev/null if there is no pipe
        to be had (a problem then)."""
        try:
            read, write = _os.pipe()
            try:
                pipe, sink = _high_dup(read), _high_dup(write)
            finally:
                _close(read)
                _close(write)
        except OSError as e:
            self.session.problems.append("no pipe could be made for the program's output (%s)" % e.strerror)
            return _os.open(_os.devnull, _os.O_WRONLY)
        # Python's faulthandler, if enabled (PYTHONFAULTHANDLER), goes over
        # the crash handler that `open` installs: it writes its traceback
        # (into the pipe, on file descriptor 2) and hands the signal on.
        # One the program enables itself goes over it anyway.
        fault_handler = _faulthandler.is_enabled()
        if fault_handler:
            _faulthandler.disable()
        try:
            self.output.open(pipe, stderr)
        except OSError as e:
            _close(sink)
            self.session.problems.append("the program's output could not be captured (%s)" % e.strerror)
            return _os.open(_os.devnull, _os.O_WRONLY)
        finally:
            if fault_handler:
                _faulthandler.enable(2, all_threads=True)
        return sink

    def __exit__(self, *exc):
        s = _sys
        # Text the program left in its streams (or in the interpreter's own,
        # sys.__stdout__), while the file descriptors still point here. (Not
        # the interpreter's when the run is taken over from another thread:
        # the program's blocked or parked thread may hold their locks.)
        others = () if self.session.elsewhere else _INTERPRETER_STREAMS
        for stream in self.streams + others:
            try:
                stream.flush()
            except Exception:
                pass
        for sink in self.sinks:
            try:
                sink.finish()
            except Exception:
                pass
        # The file descriptors first: whatever fails after this, specscope's
        # own output reaches the terminal again.
        # (Each taken off the list first: if the run is taken over in the
        # middle of this, `take_over` ends what is left, never twice.)
        while self.saved_fds:
            fd, saved = self.saved_fds.pop()
            try:
                _dup2(saved, fd)
                _close(saved)
            except OSError as e:
                self.session.problems.append(
                    "the program closed specscope's copy of file descriptor %d (%s)" % (fd, e.strerror))
        s.stdout, s.stderr, s.stdin, s.argv = self.saved[:4]
        try:
            s.path[:] = self.saved[4]
        except Exception:  # the program made sys.path something else
            s.path = list(self.saved[4])
        # What is left in the pipe, now that the program's file descriptors
        # no longer write to it.
        self.output.close()
        if self in self.session.captures:
            self.session.captures.remove(self)
        return False


# ---------------------------------------------------------------- running


# The largest source specscope reads (the README says why). Python itself
# would run a larger file, but specscope holds its text about three times
# over while it hands it to the views; above this it refuses (exit 3).
_SOURCE_LIMIT = 64 << 20


def _too_large(size, path):
    """The refusal of a source of `size` bytes (None: more than the limit)."""
    limit = _SOURCE_LIMIT >> 20
    shown = "%.1f MiB" % (size / (1 << 20)) if size is not None else ""
    if not shown or shown == "%d.0 MiB" % limit:
        shown = "more than %d MiB" % limit
    return TargetError(
        "too_large",
        "%s is %s; specscope reads sources of up to %d MiB (it holds the text in memory several "
        "times over while collecting and showing it), so it does not run this one" % (path, shown, limit),
        path=path,
    )


def _over_limit(path):
    """Whether another module's file is too large to carry in `files`."""
    try:
        return _os.stat(path).st_size > _SOURCE_LIMIT
    except Exception:
        return False


def _read_source(path):
    """The text of a target's file, decoded as python would (its coding
    cookie or UTF-8); a TargetError when there is none to run."""
    if not _os.path.exists(path):
        raise TargetError("missing", "no such file: %s" % path, path=path)
    if _os.path.isdir(path):
        raise TargetError("directory", "%s is a folder, not a Python file" % path, path=path)
    try:
        st = _os.stat(path)
        mode = st.st_mode
    except OSError as e:
        raise TargetError("unreadable", "cannot read %s: %s" % (path, e.strerror), path=path)
    if not _stat.S_ISREG(mode):
        # Reading a named pipe waits for a writer, /dev/zero never ends.
        what = ("a named pipe (FIFO)" if _stat.S_ISFIFO(mode) else "a socket" if _stat.S_ISSOCK(mode)
                else "a device" if _stat.S_ISCHR(mode) or _stat.S_ISBLK(mode) else "not a regular file")
        raise TargetError("special", "%s is %s, not a Python file: give a regular file" % (path, what), path=path)
    if st.st_size > _SOURCE_LIMIT:
        raise _too_large(st.st_size, path)
    try:
        with open(path, "rb") as f:
            data = f.read(_SOURCE_LIMIT + 1)
    except OSError as e:
        raise TargetError("unreadable", "cannot read %s: %s" % (path, e.strerror), path=path)
    if len(data) > _SOURCE_LIMIT:  # it grew since, or its size was not known
        raise _too_large(None, path)
    try:
        return _decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as e:
        raise TargetError("encoding", "%s is not valid source text: %s" % (path, e), path=path)


def _decode_source(data):
    """Source bytes decoded as python decodes them (`tokenize.detect_encoding`:
    a coding cookie in the first two lines, else UTF-8, a BOM dropped)."""
    text = _plain_source(data)
    if text is not None:
        return text
    encoding, _ = __import__("tokenize").detect_encoding(_io.BytesIO(data).readline)
    return data.decode(encoding)


def _plain_source(data):
    """Source bytes decoded without `tokenize`, when that is sure to decode
    them the same way: when neither of its first two lines names a coding
    (no cookie can be there) and both are UTF-8 (so reading them raises
    nothing). None otherwise. (Importing tokenize, and with it re and
    enum, costs more start-up time than a short program runs.)"""
    end = data.find(b"\n")
    if end >= 0:
        end = data.find(b"\n", end + 1)
    head = data if end < 0 else data[: end + 1]
    if b"coding" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data.decode("utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8")


def _module_source(filename):
    """The text of another module's file, as `"".join(linecache.getlines(filename))`
    gives it, without importing linecache (and tokenize, re and enum) when
    the file is plainly UTF-8 (see `_plain_source`): line endings made
    `\\n`, one added at the end. Read once per file, as linecache does, and
    from linecache's cache where that already holds it."""
    cache = _lasting.sources
    text = cache.get(filename)
    if text is not None:
        return text
    linecache = _lasting.private_modules.get("linecache")
    if linecache is None and _os.path.isabs(filename):
        # (linecache searches sys.path for relative names, and versions
        # differ on empty files: both are left to it.)
        try:
            with open(filename, "rb") as f:
                data = f.read()
        except (OSError, ValueError):
            data = b""
        try:
            text = _plain_source(data) if data else None
        except UnicodeDecodeError:
            text = None
        if text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            text = cache[filename] = text if text.endswith("\n") else text + "\n"
            return text
    return "".join(_lazy("linecache").getlines(filename))


def _position(value):
    """A line or column (counted from 1) of a SyntaxError, or None: CPython
    gives -1 or 0 for some (IndentationError's and TabError's end_offset)."""
    return value if type(value) is int and 0 < value < 1 << 31 else None


def _compile(source, filename):
    try:
        return compile_source(source, filename, "exec")
    except SyntaxError as e:  # IndentationError and TabError too
        text = e.text if type(e.text) is str else ""
        where = e.filename if type(e.filename) is str and e.filename else filename
        raise TargetError(
            "syntax",
            "%s: %s" % (_class_name(type(e)), _safe_str(e.msg)),
            path=where,
            line=_position(e.lineno),
            col=_position(e.offset),
            end_col=_position(getattr(e, "end_offset", None)),
            text=text.rstrip("\n"),
        )
    except ValueError as e:  # source with NUL bytes
        raise TargetError("syntax", "cannot compile %s: %s" % (filename, e), path=filename)
    except (RecursionError, MemoryError, OverflowError) as e:
        raise TargetError("syntax", "cannot compile %s: %s: %s (nested too deeply, or too large)"
                          % (filename, _class_name(type(e)), _safe_str(e)), path=filename)


def _resolve_target(target):
    """Returns (module code, filename, source, argv0, sys.path[0])."""
    kind = target["kind"]
    if kind in ("demo", "example"):
        filename = target["filename"]
        source = target["source"]
        return _compile(source, filename), filename, source, filename, ""
    if kind == "code":
        source = target["code"]
        return _compile(source, "<string>"), "<string>", source, "-c", ""
    if kind == "script":
        path = target["path"]
        if "path_bytes" in target:
            # A path that is not UTF-8: as python names it (surrogateescape).
            path = _os.fsdecode(bytes(target["path_bytes"]))
        source = _read_source(path)
        folder = _os.path.dirname(_os.path.abspath(path))
        # As python names the script (`__file__`, its code's file name):
        # absolute, the path given joined to the working folder as it is
        # (`./a.py` stays `/cwd/./a.py`); `sys.argv[0]` is the path given.
        filename = _os.path.join(_os.getcwd(), path)
        return _compile(source, filename), filename, source, path, folder
    if kind == "module":
        # Found by _find_module once the program's output is captured:
        # importing the packages around the module runs their code.
        return None, "-m", "", "-m", _os.getcwd()
    raise TargetError("request", "unknown target kind %r" % kind)


def _find_module(name):
    """What `python -m name` runs: (code, path, source, spec). As in runpy, the
    parent packages are imported first (and a package's own __init__ when
    name is a package), which runs their code: called while the program's
    output is captured and --timeout holds. A missing module or parent is a
    TargetError; an exception raised by a package's own code is the
    program's, and goes up."""
    if _lasting.importlib_util is None:
        # Before any package code runs.
        _lasting.importlib_util = _import_module("importlib.util")
    importlib_util = _lasting.importlib_util

    def find(mod_name):
        parent = mod_name.rpartition(".")[0]
        if parent:
            try:
                __import__(parent)
            except ImportError as e:
                if e.name is None or (e.name != parent and not parent.startswith(e.name + ".")):
                    raise
                raise TargetError("module", "no module named %s (no package %s)" % (name, e.name), module=name)
        try:
            return importlib_util.find_spec(mod_name)
        except Exception as e:
            raise TargetError("module", "cannot find module %s: %s" % (name, e), module=name)

    if not name or name.startswith("."):
        raise TargetError("module", "no module named %s (relative names are not supported)" % name, module=name)
    spec = find(name)
    if spec is not None and spec.submodule_search_locations is not None:
        spec = find(name + ".__main__")
    if spec is None or spec.origin is None or not spec.has_location:
        raise TargetError("module", "no module named %s" % name, module=name)
    path = spec.origin
    source = _read_source(path)
    return _compile(source, path), path, source, spec


def _register_sources(cache):
    """Puts the source of targets that have no file into a linecache's
    cache. (linecache is imported only when a traceback needs it: importing
    it, and tokenize, and re, costs more start-up time than a short program
    runs.)"""
    for filename, lines in _lasting.unlisted_sources.items():
        cache[filename] = (sum(map(len, lines)), None, lines, filename)


# An exception's traceback, read and set without calling anything its
# class may have overridden.
_exc_traceback = BaseException.__dict__["__traceback__"].__get__
_with_traceback = BaseException.with_traceback


def _safe_str(obj):
    """str(obj), or what python prints when that raises."""
    try:
        return str(obj)
    except BaseException:
        return "<exception str() failed>"


def _error_text(error):
    return "%s: %s" % (_class_name(type(error)), _safe_str(error))


def _format_exception(exc):
    """The traceback python would print for exc; a plainer one, written here,
    when the traceback module cannot (the program broke what it imports)."""
    try:
        # traceback's own copy of linecache is made with it.
        traceback = _lazy("traceback")
        _register_sources(_lazy("linecache").cache)
        return "".join(traceback.format_exception(type(exc), exc, _exc_traceback(exc)))
    except BaseException:
        pass
    lines = ["Traceback (most recent call last):\n"]
    try:
        tb = _exc_traceback(exc)
        while tb is not None:
            code = tb.tb_frame.f_code
            lines.append('  File "%s", line %s, in %s\n' % (code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
    except BaseException:
        lines.append("  (its frames could not be read)\n")
    lines.append("%s: %s\n" % (_class_name(type(exc)), _safe_str(exc)))
    return "".join(lines)


def _trim_traceback(exc):
    """Drops the collector's own frames from the front of a traceback."""
    try:
        return _trimmed(exc)
    except BaseException:  # an audit hook refused to show the frames
        return exc


def _raised_in_c(exc):
    """An exception that python would raise from C, where the collector
    stands in for that C code with a call of its own (`sys.excepthook`,
    `threading._shutdown`): without the collector's frames, and with no
    traceback at all when none of the program's is left, as python prints
    it then (the exception's line alone)."""
    exc = _trim_traceback(exc)
    try:
        tb = _exc_traceback(exc)
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        return _with_traceback(exc, tb)
    except BaseException:
        return exc


def _trimmed(exc):
    tb = _exc_traceback(exc)
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    # And from the end: the program called something the collector stands
    # in for (os._exit), which python runs in C, without a frame.
    last = None
    at = tb
    while at is not None:
        if at.tb_frame.f_code.co_filename != __file__:
            last = at
        at = at.tb_next
    if last is not None:
        last.tb_next = None
    return _with_traceback(exc, tb)


class _Guard:
    """Ctrl-C, --timeout and os._exit become exceptions inside the session's
    program (see `_Session.on_sigint` and `_Session.on_alarm`). A program
    that does not let them stop it (it ignores SIGALRM, cancels the timer,
    catches BaseException) is ended by the native watchdog instead: see
    `take_over`."""

    def __init__(self, session, timeout):
        self.session = session
        self.timeout = timeout

    def __enter__(self):
        self.saved_exit = _os._exit
        session = self.session
        parent_pid = session.parent_pid

        def _exit(status):
            # os._exit's own checks: a status that is not an int, or does
            # not fit in a C int, raises as it would under python.
            status = _index(status)
            if not -(1 << 31) <= status < 1 << 31:
                raise OverflowError("Python int too large to convert to C int")
            if _os.getpid() != parent_pid:
                # A child the program forked ends here, as under python:
                # no `finally` of its code runs.
                _os_exit(status)
            _end_here(session, _Stop("os._exit", status))

        self.saved_exec = (_os.execv, _os.execve)
        real_execv, real_execve = self.saved_exec

        def execv(*args):
            return _exec_instead(session, "os.execv", real_execv, args)

        def execve(*args):
            return _exec_instead(session, "os.execve", real_execve, args)

        # In `posix` too, where `os` has them from, and named as theirs: the
        # program finds the same function in both, and pickle (which names a
        # function by its module and name) names the real one.
        self.posix = _sys.modules.get(_os.name)
        for function in (_exit, execv, execve):
            function.__qualname__ = function.__name__
            function.__module__ = _os.name
        self._put(_exit, execv, execve)
        self.saved_int = None
        self.saved_alarm = None
        self.session.interrupted = False
        try:
            self.saved_int = _signal.signal(_signal.SIGINT, self.session.on_sigint)
            sigint_watch()
            if self.timeout:
                self.saved_alarm = _signal.signal(_signal.SIGALRM, self.session.on_alarm)
                _signal.setitimer(_signal.ITIMER_REAL, self.timeout)
        except ValueError:  # not the main thread: no signals
            pass
        if self.timeout:
            watch(self.timeout)
        return self

    def _put(self, _exit, execv, execve):
        for module in (_os, self.posix):
            if module is not None:
                module._exit, module.execv, module.execve = _exit, execv, execve

    def __exit__(self, *exc):
        self._put(self.saved_exit, *self.saved_exec)
        try:
            if self.timeout:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
                if self.saved_alarm is not None:
                    _signal.signal(_signal.SIGALRM, self.saved_alarm)
            if self.saved_int is not None:
                _signal.signal(_signal.SIGINT, self.saved_int)
        except ValueError:
            pass
        return False


def _end_here(session, stop):
    """Ends the run with `stop` (an exit) at once, from the thread that
    asked, as the process would end under python: no `finally` block of the
    program runs, nor its exit handlers (the native module's `exit_now`
    never returns while the run is on). Without the native module, or when
    the process goes on after specscope (the package's `main()` in a
    session), `stop` is raised there instead."""
    session.ended_elsewhere = stop.exit
    exit_now()
    raise stop


def _exec_instead(session, name, real, args):
    """`os.execv` and `os.execve` (which os.execl*, execvp* and execvpe call)
    while the program runs. Under python the process becomes another
    program and nothing of this one is left; here the run ends there, as
    for `os._exit`, and what was collected is shown. The call goes to the
    real function where that would fail, so that the program gets the error
    python gives (`os.execvp` tries one folder of PATH after another): bad
    arguments, a file that is missing or not executable; and in a child
    the program forked, which becomes that program as under python."""
    if _os.getpid() != session.parent_pid or len(args) < 2:
        return real(*args)
    path, argv = args[0], args[1]
    if type(argv) not in (list, tuple) or not argv or not argv[0]:
        return real(*args)
    if not isinstance(path, int):
        try:
            if not _os.access(path, _os.X_OK) or _os.path.isdir(path):
                return real(*args)
        except (TypeError, ValueError):
            return real(*args)
    shown = _os.fsdecode(path) if isinstance(path, bytes) else path
    _end_here(session, _Stop("os.exec", 0, "%s(%s)" % (name, _safe_repr(shown))))


def _safe_repr(obj):
    """repr(obj) of a plain value, or what python prints when that raises."""
    try:
        return repr(obj)
    except BaseException:
        return "<unprintable %s object>" % _class_name(type(obj))


def _exit_status(code):
    """The status python exits with for `sys.exit(code)`, and the code as
    the report shows it where that is not the status itself: None is 0; an
    int (True too) is itself, or -1 where it does not fit in a C long (as
    CPython's PyLong_AsLong fails); anything else is 1."""
    if code is None:
        return 0, None
    if isinstance(code, int):
        value = _index(code)
        fits = -(1 << 63) <= value < 1 << 63
        if type(code) is int and fits:
            return value, None
        return (value if fits else -1), _short_repr(code)
    return 1, _short_repr(code)


def _short_repr(obj, limit=80):
    try:
        text = repr(obj)
    except BaseException:
        return "<%s object>" % _class_name(type(obj))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frames_of(frame):
    """The frames of a thread's stack, outermost first, from its innermost."""
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    return frames


def _traceback_frames(exc):
    """The frames an exception went through, outermost first."""
    frames = []
    try:
        tb = _exc_traceback(exc)
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
    except Exception:  # an audit hook refused to show them
        pass
    return frames


# ---------------------------------------------------------------- code objects


def _walk(code, parent, out):
    index = len(out)
    out.append((code, parent))
    for const in code.co_consts:
        if isinstance(const, _types.CodeType):
            _walk(const, index, out)


def _kind(code):
    flags = code.co_flags
    if code.co_name == "<module>":
        return "module"
    if flags & _CO_ASYNC_GENERATOR:
        return "async_generator"
    if flags & _CO_COROUTINE:
        return "coroutine"
    if code.co_name == "<lambda>":
        return "lambda"
    if code.co_name in ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"):
        return "comprehension"
    if flags & _CO_GENERATOR:
        return "generator"
    if not flags & (_CO_OPTIMIZED | _CO_NEWLOCALS):
        return "class"
    return "function"


def _exception_table(code):
    """co_exceptiontable as [start, end, target, depth, lasti] rows.

    Each entry is four numbers written in 6-bit groups, most significant
    first, bit 6 meaning "more follows"; offsets count code units.
    """
    data = code.co_exceptiontable
    rows = []
    at = 0

    def number():
        nonlocal at
        byte = data[at]
        at += 1
        value = byte & 63
        while byte & 64:
            byte = data[at]
            at += 1
            value = (value << 6) | (byte & 63)
        return value

    try:
        while at < len(data):
            start = number() * 2
            end = start + number() * 2
            target = number() * 2
            depth_lasti = number()
            rows.append({"start": start, "end": end, "target": target,
                         "depth": depth_lasti >> 1, "lasti": bool(depth_lasti & 1)})
    except IndexError:
        pass
    return rows


# Reads that run no code of the object read: no descriptor, property,
# __getattr__ or metaclass method of a user's class is ever called by the
# resolver. (`getattr(obj, ...)`, `vars(obj)` and `isinstance(obj, ...)` all
# can; these go straight to the C slots of the built-in types.)
_class_dict = type.__dict__["__dict__"].__get__
_class_mro = type.__dict__["__mro__"].__get__
_class_name = type.__dict__["__name__"].__get__
_class_qualname = type.__dict__["__qualname__"].__get__
_class_module = type.__dict__["__module__"].__get__
_func_qualname = _types.FunctionType.__dict__["__qualname__"].__get__
_func_module = _types.FunctionType.__dict__["__module__"].__get__
_module_dict = _types.ModuleType.__dict__["__dict__"].__get__
_property_fget = property.__dict__["fget"].__get__
_wrapped_func = {t: t.__dict__["__func__"].__get__ for t in (staticmethod, classmethod)}
# Bytes in a pointer (a tuple item is one). `ob_type` is the last field of
# the object header; CPython's MANAGED_DICT_OFFSET is 3 pointers before the
# object (1 in a free-threaded build).
_POINTER = tuple.__itemsize__
_TYPE_POINTER_OFFSET = object.__basicsize__ - _POINTER
_MANAGED_DICT_OFFSET = (-1 if "t" in getattr(_sys, "abiflags", "") else -3) * _POINTER


def _is_class(obj):
    return issubclass(type(obj), type)


def _mro(cls):
    return _class_mro(cls) or (cls,)


class _Resolver:
    """Says what cache values refer to, by matching live candidates.

    What each field of each specialized form holds comes from one table
    (`_roles`), read off the interpreter source of each Python version: the
    same `dis` field can hold a type version in one form and an index, an
    offset or a function version in another. Type versions are matched
    against every class reachable from `object`, function versions against
    functions in loaded modules and classes, and `descr` pointers against the
    attributes of the class the instruction checks. An address is only ever
    compared with `id()` of a live object, never followed, and no code of the
    objects looked at is run. `namespaces`: the globals of the code
    objects being described, where candidates are looked for first.
    """

    _role_table = None

    def __init__(self, namespaces):
        self._namespaces = namespaces
        self._native = _sys.modules.get("_specscope_collector")
        self._types = None
        self._types_complete = False
        self._funcs = None
        self._scanned_all = False
        self._memo = {}
        self._module_memo = {}

    @classmethod
    def _roles(cls):
        """Specialized form -> {dis cache field: what it holds}, for the
        running Python; None for a version whose layouts are not known here.
        The one place where the Python version decides what a field means
        (sources: `Python/specialize.c` of each version, with 3.11's
        `Python/ceval.c` or 3.12+'s `Python/bytecodes.c` and the cache structs
        of `Include/internal/pycore_code.h`). Fields a form does not name are
        not read by it."""
        if cls._role_table is not None:
            return cls._role_table or None
        version = _sys.version_info[:2]
        roles = {}
        if version == (3, 11):
            # _PyAttrCache {counter, version[2], index}; LOAD_METHOD_MODULE
            # writes that struct over _PyLoadMethodCache {counter,
            # type_version[2], dict_offset, keys_version[2], descr[4]}.
            for form, role in (("INSTANCE_VALUE", "values_index"), ("WITH_HINT", "hint"), ("SLOT", "slot")):
                roles["LOAD_ATTR_" + form] = roles["STORE_ATTR_" + form] = {"version": "type", "index": role}
            roles["LOAD_ATTR_MODULE"] = {"version": "module_keys", "index": "module_index"}
            roles["LOAD_METHOD_MODULE"] = {"type_version": "module_keys", "dict_offset": "module_index"}
            roles["LOAD_METHOD_CLASS"] = {"type_version": "type", "descr": "descr"}
            roles["LOAD_METHOD_NO_DICT"] = {"type_version": "type", "descr": "descr"}
            roles["LOAD_METHOD_WITH_VALUES"] = {"type_version": "type", "keys_version": "shared_keys", "descr": "descr"}
            roles["LOAD_METHOD_WITH_DICT"] = {"type_version": "type", "dict_offset": "dict_offset",
                                              "keys_version": "dict_keys", "descr": "descr"}
            roles["BINARY_SUBSCR_GETITEM"] = {"type_version": "type", "func_version": "getitem_version"}
            for form in ("CALL_PY_EXACT_ARGS", "CALL_PY_WITH_DEFAULTS"):
                roles[form] = {"func_version": "call_version", "min_args": "min_args"}
            for form in ("COMPARE_OP_FLOAT_JUMP", "COMPARE_OP_INT_JUMP", "COMPARE_OP_STR_JUMP"):
                roles[form] = {"mask": "mask"}
        elif version in ((3, 12), (3, 13)):
            # dis shows LOAD_ATTR as {counter, version[2], keys_version[2],
            # descr[4]}: _PyLoadMethodCache. The forms that use _PyAttrCache
            # {counter, version[2], index} keep their index (or offset) in
            # the first unit of `keys_version`.
            for form, role in (("INSTANCE_VALUE", "values_index"), ("WITH_HINT", "hint"), ("SLOT", "slot")):
                roles["LOAD_ATTR_" + form] = {"version": "type", "keys_version": role}
                roles["STORE_ATTR_" + form] = {"version": "type", "index": role}
            roles["LOAD_ATTR_MODULE"] = {"version": "module_keys", "keys_version": "module_index"}
            roles["LOAD_ATTR_CLASS"] = {"version": "type", "descr": "descr"}
            roles["LOAD_ATTR_PROPERTY"] = {"version": "type", "keys_version": "getter_version", "descr": "descr"}
            roles["LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN"] = {"version": "type", "keys_version": "getattribute_version",
                                                          "descr": "descr"}
            roles["LOAD_ATTR_METHOD_WITH_VALUES"] = {"version": "type", "keys_version": "shared_keys", "descr": "descr"}
            roles["LOAD_ATTR_METHOD_NO_DICT"] = {"version": "type", "descr": "descr"}
            calls = ["CALL_PY_EXACT_ARGS", "CALL_BOUND_METHOD_EXACT_ARGS"]
            if version == (3, 12):
                roles["LOAD_ATTR_METHOD_LAZY_DICT"] = {"version": "type", "descr": "descr"}
                calls.append("CALL_PY_WITH_DEFAULTS")
            else:
                # 3.13 keeps the dict offset (plus 3 pointers) in the union
                # with keys_version.
                roles["LOAD_ATTR_METHOD_LAZY_DICT"] = {"version": "type", "keys_version": "lazy_dict_offset",
                                                       "descr": "descr"}
                roles["LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES"] = dict(roles["LOAD_ATTR_METHOD_WITH_VALUES"])
                roles["LOAD_ATTR_NONDESCRIPTOR_NO_DICT"] = dict(roles["LOAD_ATTR_METHOD_NO_DICT"])
                calls += ["CALL_PY_GENERAL", "CALL_BOUND_METHOD_GENERAL"]
                roles["CALL_ALLOC_AND_ENTER_INIT"] = {"func_version": "type"}
                roles["TO_BOOL_ALWAYS_TRUE"] = {"version": "type"}
            for form in calls:
                roles[form] = {"func_version": "call_version"}
        else:
            cls._role_table = {}
            return None
        roles["LOAD_GLOBAL_MODULE"] = {"index": "globals_index", "module_keys_version": "globals_keys"}
        roles["LOAD_GLOBAL_BUILTIN"] = {"index": "builtins_index", "module_keys_version": "globals_keys",
                                        "builtin_keys_version": "builtins_keys"}
        cls._role_table = roles
        return roles

    # ------------------------------------------------------------ candidates

    def _type_version(self, cls):
        try:
            return self._native.type_version(cls)
        except Exception:
            return 0

    def cls(self, version):
        if not version:
            return None
        if self._types is None:
            # First the classes in sight: the namespaces being looked at,
            # their classes' bases, and the builtins.
            self._types = {}
            near = []
            for space in list(self._namespaces) + [_module_dict(_builtins)]:
                for value in list(space.values()):
                    if _is_class(value):
                        near.extend(_mro(value))
                    else:
                        near.append(type(value))
            self._add_types(near)
            self._types_complete = False
        if version not in self._types and not self._types_complete:
            # Then every class there is.
            self._types_complete = True
            try:
                every = self._native.subclass_versions()
            except Exception:
                every = None
            if every is not None:
                every.update(self._types)  # what was found first stays
                self._types = every
                return every.get(version)
            classes = []
            stack, seen = [object], set()
            while stack:
                t = stack.pop()
                if id(t) in seen:
                    continue
                seen.add(id(t))
                classes.append(t)
                try:
                    stack.extend(type.__subclasses__(t))
                except Exception:
                    pass
            self._add_types(classes)
        return self._types.get(version)

    def _add_types(self, classes):
        try:
            versions = self._native.type_versions(classes)
        except Exception:
            versions = [self._type_version(t) for t in classes]
        found = self._types
        for v, t in zip(versions, classes):
            if v and v not in found:
                found[v] = t

    def func(self, version):
        if not version:
            return None
        if self._funcs is None:
            self._funcs = {}
            self._scan(list(self._namespaces))
            self._scanned_all = False
        if version not in self._funcs and not self._scanned_all:
            # Not in the namespaces being looked at: every loaded module.
            self._scanned_all = True
            self._scan([_module_dict(m) for m in list(_sys.modules.values())
                        if issubclass(type(m), _types.ModuleType)])
        return self._funcs.get(version)

    @staticmethod
    def _functions_in(attr):
        """The Python functions a class attribute holds (itself, a wrapped
        function, a property's accessors)."""
        kind = type(attr)
        if kind is _types.FunctionType:
            return [attr]
        for wrapper, unwrap in _wrapped_func.items():
            if issubclass(kind, wrapper):
                return [unwrap(attr)]
        if issubclass(kind, property):
            getter = _property_fget(attr)
            return [getter] if type(getter) is _types.FunctionType else []
        return []

    def _scan(self, spaces):
        try:
            held = self._native.held_function_versions(spaces)
        except Exception:
            held = None
        if held is not None:
            held.update(self._funcs)  # what was found first stays
            self._funcs = held
            return
        candidates = []
        for space in spaces:
            for value in list(space.values()):
                if type(value) is _types.FunctionType:
                    candidates.append(value)
                elif _is_class(value):
                    for attr in list(_class_dict(value).values()):
                        candidates.extend(self._functions_in(attr))
        versions = self._function_versions(candidates)
        found = self._funcs
        for v, f in zip(versions, candidates):
            if v and v not in found:
                found[v] = f

    def _function_versions(self, functions):
        try:
            return self._native.function_versions(functions)
        except Exception:
            return [0] * len(functions)

    def _class_attr(self, cls, name):
        """(defining class, value) of `name` looked up along cls's MRO,
        as the interpreter finds it (no descriptor is called)."""
        if cls is None or not name:
            return None, None
        for klass in _mro(cls):
            space = _class_dict(klass)
            for key, value in list(space.items()):
                if type(key) is str and key == name:
                    return klass, value
        return None, None

    def _owner_class(self, fields):
        return self.cls(fields.get("version") or fields.get("type_version"))

    # -------------------------------------------------------------- meanings

    def describe(self, base, opname, name, value, arg_name, fields, namespace, key=None):
        """What cache field `name` (holding `value`) of an instruction whose
        live opname is `opname` (a form of `base`) refers to. `arg_name` is
        the name the instruction's argument gives (the global, or the
        attribute), `fields` all of its cache fields, `namespace` the globals
        of the code; `key`, when the caller has it, is `(id(namespace),
        sorted fields)`, the same for each field of an instruction."""
        # The same values come back again and again (one class's version in
        # every attribute access, one module's keys version in every global).
        if key is None:
            key = (id(namespace), tuple(sorted(fields.items())))
        key = (base, opname, name, arg_name) + key
        try:
            return self._memo[key]
        except KeyError:
            text = self._memo[key] = self._describe(base, opname, name, value, arg_name, fields, namespace)
            return text

    def _describe(self, base, opname, name, value, arg_name, fields, namespace):
        if name == "counter":
            return None
        roles = self._roles()
        if roles is None:
            if not value:
                return None
            return "%d: what %s keeps in %s on Python %d.%d is not known to this build" % (
                (value, opname, name) + tuple(_sys.version_info[:2]))
        role = roles.get(opname, {}).get(name)
        if role is None:
            # The generic (or 3.11 adaptive) form reads nothing but the
            # counter; a specialized form reads only its own fields.
            if not value:
                return None
            return "not read by %s: left from an earlier specialization (or attempt)" % opname
        return self._role_texts[role](self, opname, value, arg_name, fields, namespace)

    # One method per role: (opname, value, arg_name, fields, namespace) -> text.

    def _type_role(self, opname, value, arg_name, fields, namespace):
        return self._type_text(value)

    def _module_keys_role(self, opname, value, arg_name, fields, namespace):
        # The module is the one holding the name at the entry the same
        # instruction caches.
        index = [fields[f] for f, role in self._roles()[opname].items() if role == "module_index" and f in fields]
        modules = self._modules_holding(arg_name, index[0] & 0xFFFF) if arg_name and index else []
        if len(modules) == 1:
            return "keys version of module %s's dict" % modules[0]
        return "keys version of the module's dict"

    def _globals_keys_role(self, opname, value, arg_name, fields, namespace):
        return "keys version of the globals of module %s" % namespace.get("__name__", "?")

    def _builtins_keys_role(self, opname, value, arg_name, fields, namespace):
        return "keys version of the builtins dict"

    def _globals_index_role(self, opname, value, arg_name, fields, namespace):
        return self._global_text("namespace", value, arg_name, namespace)

    def _builtins_index_role(self, opname, value, arg_name, fields, namespace):
        return self._global_text("builtins", value, arg_name, namespace)

    def _shared_keys_role(self, opname, value, arg_name, fields, namespace):
        cls = self._owner_class(fields)
        if cls is not None:
            return "keys version of the shared keys of %s instances" % _qualname(cls)
        return "keys version of the instances' shared keys"

    def _dict_keys_role(self, opname, value, arg_name, fields, namespace):
        cls = self._owner_class(fields)
        text = "keys version of the instance's __dict__ keys"
        if cls is not None:
            text = "keys version of the __dict__ keys of %s instances" % _qualname(cls)
        return text + (" (%s is not among them)" % arg_name if arg_name else "")

    def _values_index_role(self, opname, value, arg_name, fields, namespace):
        index, rest = self._first_unit(value)
        return "index %d of the instance's values%s%s" % (index, self._key(arg_name), rest)

    def _hint_role(self, opname, value, arg_name, fields, namespace):
        index, rest = self._first_unit(value)
        return "index %d of the entries of the instance's __dict__%s%s" % (index, self._key(arg_name), rest)

    def _module_index_role(self, opname, value, arg_name, fields, namespace):
        index, rest = self._first_unit(value)
        modules = self._modules_holding(arg_name, index) if arg_name else []
        if len(modules) == 1:
            where = "module %s's dict" % modules[0]
        elif modules:
            where = "the dict of a module (%s)" % " or ".join(modules[:3])
        else:
            where = "the module's dict"
        return "entry %d of %s%s%s" % (index, where, self._key(arg_name), rest)

    def _slot_role(self, opname, value, arg_name, fields, namespace):
        offset, rest = self._first_unit(value)
        if arg_name == "__class__" and offset == _TYPE_POINTER_OFFSET:
            return "the object's type pointer (__class__) at byte offset %d%s" % (offset, rest)
        owner, attr = self._class_attr(self._owner_class(fields), arg_name)
        if owner is not None and type(attr) is _types.MemberDescriptorType:
            return "slot %s of %s at byte offset %d%s" % (arg_name, _qualname(owner), offset, rest)
        if arg_name:
            return "slot %s at byte offset %d%s" % (arg_name, offset, rest)
        return "a slot at byte offset %d%s" % (offset, rest)

    def _dict_offset_role(self, opname, value, arg_name, fields, namespace):
        # 3.11 reads the unit as a signed 16-bit offset.
        offset = value - 0x10000 if value >= 0x8000 else value
        if offset == _MANAGED_DICT_OFFSET:
            return "the managed __dict__ pointer, at byte offset %d" % offset
        return "the __dict__ pointer, at byte offset %d" % offset

    def _lazy_dict_offset_role(self, opname, value, arg_name, fields, namespace):
        # 3.13 stores tp_dictoffset - MANAGED_DICT_OFFSET in the first unit.
        stored, rest = self._first_unit(value)
        offset = stored + _MANAGED_DICT_OFFSET
        which = "the managed __dict__ pointer" if offset == _MANAGED_DICT_OFFSET else "the __dict__ pointer"
        return "%s, at byte offset %d (stored plus %d)%s" % (which, offset, -_MANAGED_DICT_OFFSET, rest)

    def _call_version_role(self, opname, value, arg_name, fields, namespace):
        if not value:
            return "not set"
        f = self.func(value)
        if f is None:
            return "function version %d: no live function found with it" % value
        return "function %s" % _qualname(f)

    def _getitem_version_role(self, opname, value, arg_name, fields, namespace):
        f = self._function_of(value, self._owner_class(fields), "__getitem__")
        if f is None:
            return "function version %d of __getitem__: no live function has it" % value
        return "function %s" % _qualname(f)

    def _getter_version_role(self, opname, value, arg_name, fields, namespace):
        f = self._function_of(value, self._owner_class(fields), arg_name)
        if f is None:
            return "function version %d of a property getter: no live function has it" % value
        return "function version of getter %s" % _qualname(f)

    def _getattribute_version_role(self, opname, value, arg_name, fields, namespace):
        f = self._function_of(value, self._owner_class(fields), "__getattribute__")
        if f is None:
            return "function version %d of a __getattribute__: no live function has it" % value
        return "function version of %s" % _qualname(f)

    def _descr_role(self, opname, value, arg_name, fields, namespace):
        return self._descr_text(value, fields)

    def _min_args_role(self, opname, value, arg_name, fields, namespace):
        return "%d parameter%s without a default" % (value, "" if value == 1 else "s")

    def _mask_role(self, opname, value, arg_name, fields, namespace):
        # 3.11 COMPARE_OP_*_JUMP: bits 1, 2, 4 say when to jump (left <, ==,
        # > right); shifted up 3 for a backward jump.
        direction, bits = ("back", value >> 3) if value >> 3 else ("forward", value)
        cases = ["left %s right" % op for bit, op in ((1, "<"), (2, "=="), (4, ">")) if bits & bit]
        if not cases:
            return "never jump"
        return "jump %s when %s" % (direction, " or ".join(cases))

    _role_texts = {
        "type": _type_role,
        "module_keys": _module_keys_role,
        "globals_keys": _globals_keys_role,
        "builtins_keys": _builtins_keys_role,
        "globals_index": _globals_index_role,
        "builtins_index": _builtins_index_role,
        "shared_keys": _shared_keys_role,
        "dict_keys": _dict_keys_role,
        "values_index": _values_index_role,
        "hint": _hint_role,
        "module_index": _module_index_role,
        "slot": _slot_role,
        "dict_offset": _dict_offset_role,
        "lazy_dict_offset": _lazy_dict_offset_role,
        "call_version": _call_version_role,
        "getitem_version": _getitem_version_role,
        "getter_version": _getter_version_role,
        "getattribute_version": _getattribute_version_role,
        "descr": _descr_role,
        "min_args": _min_args_role,
        "mask": _mask_role,
    }

    # --------------------------------------------------------------- helpers

    @staticmethod
    def _first_unit(value):
        """A 16-bit index or offset kept in the first unit of a wider dis
        field, and a note on what the other unit holds if it is not zero."""
        low, high = value & 0xFFFF, value >> 16
        if high:
            return low, " (the second unit, %d, is left from an earlier specialization)" % high
        return low, ""

    @staticmethod
    def _key(name):
        return ": %s" % name if name else ""

    def _function_of(self, version, cls, attr):
        """The function with this version: the one `cls` finds for `attr`
        (a function, or a property's getter) if it has it, else any."""
        if not version:
            return None
        _, found = self._class_attr(cls, attr)
        if found is not None:
            for f in self._functions_in(found)[:1]:
                if self._function_versions([f])[0] == version:
                    return f
        return self.func(version)

    def _modules_holding(self, name, index):
        """Names of the loaded modules whose dict holds `name` at entry
        `index`: exactly there, or, when none does, earlier in iteration
        order (deleted entries leave gaps in the entry table)."""
        key = (name, index)
        if key in self._module_memo:
            return self._module_memo[key]
        try:
            held = self._native.module_positions(list(_sys.modules.values()), name)
        except Exception:
            held = None
        if held is not None:
            exact = [title for title, position in held if position == index]
            near = [title for title, position in held if position < index]
            found = self._module_memo[key] = exact or near
            return found
        exact, near, seen = [], [], set()
        for module in list(_sys.modules.values()):
            # LOAD_ATTR_MODULE only specializes for exact module objects.
            if type(module) is not _types.ModuleType or id(module) in seen:
                continue
            seen.add(id(module))
            title, position = None, None
            for i, (k, v) in enumerate(list(_module_dict(module).items())):
                if type(k) is str:
                    if k == name and position is None:
                        position = i
                    elif k == "__name__":
                        title = v
            if position is None or type(title) is not str:
                continue
            if position == index:
                exact.append(title)
            elif position < index:
                near.append(title)
        found = self._module_memo[key] = exact or near
        return found

    def _type_text(self, value):
        if not value:
            return "not set"
        cls = self.cls(value)
        if cls is None:
            return "type version %d: no live class has it now" % value
        return "type version of %s" % _qualname(cls)

    def _global_text(self, where, index, wanted, namespace):
        if where == "builtins":
            space, where = _module_dict(_builtins), "builtins"
        else:
            space, where = namespace, "the module's globals"
        keys = list(space)
        if 0 <= index < len(keys) and type(keys[index]) is str and keys[index] == wanted:
            return "entry %d of %s: %s" % (index, where, wanted)
        return "entry %d of %s (not matched to a name)" % (index, where)

    def _descr_text(self, address, fields):
        if not address:
            return "not set"
        cls = self._owner_class(fields)
        if cls is not None:
            for klass in _mro(cls):
                for attr_name, attr in list(_class_dict(klass).items()):
                    if id(attr) == address:
                        return "%s.%s (%s)" % (_qualname(klass), attr_name, _class_name(type(attr)))
                    if issubclass(type(attr), property):
                        getter = _property_fget(attr)
                        if getter is not None and id(getter) == address:
                            return "getter of %s.%s (%s)" % (_qualname(klass), attr_name, _class_name(type(getter)))
        return "object at %#x: not found among the class's attributes" % address


def _qualname(obj):
    """`module.qualname` of a class or function (no module for builtins and
    __main__), read without running any code of the object."""
    try:
        if _is_class(obj):
            module, name = _class_module(obj), _class_qualname(obj)
        elif type(obj) is _types.FunctionType:
            module, name = _func_module(obj), _func_qualname(obj)
        else:
            return "a %s object" % _class_name(type(obj))
    except Exception:
        return "?"
    if type(module) is str and module not in ("builtins", "__main__"):
        return "%s.%s" % (module, name)
    return name


def _release_tool(tool, code_objects, event):
    """Gives a sys.monitoring tool id back: its local events off on every
    code object it watched, its callback for `event` removed, the id freed.
    Each step is tried on its own: the program may have freed the id or
    turned the events off itself."""
    mon = _sys.monitoring
    for code in code_objects:
        try:
            mon.set_local_events(tool, code, 0)
        except Exception:
            pass
    for step in (lambda: mon.register_callback(tool, event, None),
                 lambda: mon.free_tool_id(tool)):
        try:
            step()
        except Exception:
            pass


class _Starts:
    """Which code objects started running, seen without changing what the
    interpreter specializes.

    3.11: the code object's own warm-up count (`co_warmup`, read by the
    native module), which the first call moves. 3.12: a `sys.monitoring`
    PY_START callback, set as a local event on each of the target's code
    objects before it runs; the callback disables itself at its first call,
    which puts the plain RESUME back. Instrumenting a 3.12 code object also
    undoes its superinstructions (`_Py_Instrument` in
    Python/instrumentation.c), so code objects holding one are not watched:
    for them only the counters can tell. 3.13 writes RESUME_CHECK at the
    first execution; Rust reads that from the live bytecode.
    """

    WARMUP_311_NEVER = -8

    def __init__(self):
        self.started = {}
        self.watched = {}
        self.tool = None

    def start(self, codes, names):
        """Watches `codes` (a 3.12 code object holding a superinstruction,
        named in `names` with a double underscore, is left alone)."""
        mon = getattr(_sys, "monitoring", None)
        if mon is None or _sys.version_info[:2] != (3, 12):
            return
        for tool in (4, 3):
            if mon.get_tool(tool) is None:
                break
        else:
            return
        started = self.started
        disable = mon.DISABLE

        def on_start(code, offset):
            started[id(code)] = code
            return disable

        try:
            mon.use_tool_id(tool, "specscope")
            mon.register_callback(tool, mon.events.PY_START, on_start)
        except Exception:
            return
        self.tool = tool
        for code in codes:
            live = code._co_code_adaptive
            if any("__" in names[op] for op in live[::2]):
                continue
            try:
                mon.set_local_events(tool, code, mon.events.PY_START)
            except Exception:
                continue
            self.watched[id(code)] = code

    def stop(self):
        tool, self.tool = self.tool, None
        if tool is None:
            return
        _release_tool(tool, self.watched.values(), _sys.monitoring.events.PY_START)

    def ran(self, code):
        """True or False when known, None when this version cannot say."""
        if _sys.version_info[:2] == (3, 11):
            native = _sys.modules.get("_specscope_collector")
            try:
                warmup = native.code_warmup(code, code.co_flags)
            except Exception:
                return None
            return None if warmup is None else warmup != self.WARMUP_311_NEVER
        if id(code) in self.watched:
            return id(code) in self.started
        return None


def _header(code, parent, executed, starts):
    """What both ways of describing a code object say about it first."""
    ran = starts.ran(code)
    return {
        "ran_seen": ran,
        "qualname": getattr(code, "co_qualname", code.co_name),
        "name": code.co_name,
        "filename": code.co_filename,
        "first_line": code.co_firstlineno,
        "repr": repr(code),
        "kind": _kind(code),
        "parent": parent,
        "executed": executed,
    }


def _bare(code, parent, executed):
    """What is said of a code object whose description failed."""
    return {
        "ran_seen": None,
        "qualname": getattr(code, "co_qualname", code.co_name),
        "name": code.co_name,
        "filename": code.co_filename,
        "first_line": code.co_firstlineno,
        "repr": "<code object %s>" % code.co_name,
        "kind": _kind(code),
        "parent": parent,
        "executed": executed,
        "exception_table": [],
        "instructions": [],
    }


# ---------------------------------------------------------------- raw bytecode
#
# The usual way: instead of building dis's Instruction objects, hand Rust the
# bytes and the tables dis would consult, and let it decode (src/decode.rs).
# The dis way (`_describe`) stays for versions the decoder does not know, and
# as the reference the decoder is tested against.

# How the argument of each kind of name-taking opcode (the table's "kind")
# indexes co_names: LOAD_GLOBAL and 3.12+ LOAD_ATTR keep a flag in the low
# bit, LOAD_SUPER_ATTR two.
_NAME_SHIFT = {"name": 0, "global": 1, "attr": 1, "super_attr": 2}


def _localsplus(code):
    """The names of the code's fast locals, cells and free variables, in the
    order the interpreter numbers them (as dis names LOAD_FAST's argument)."""
    names = []
    bound = len(code.co_varnames) + len(code.co_cellvars) + len(code.co_freevars)
    for i in range(bound):
        try:
            names.append(code._varname_from_oparg(i))
        except Exception:
            break
    return names


def _raw_code(code, ops, namespace, resolver):
    """One code object's instructions as bytes and tables, for Rust to
    decode, with what the cache entries that name something refer to."""
    return {
        "exception_table": _exception_table(code),
        "bytes": {
            "code": code.co_code.hex(),
            "live": code._co_code_adaptive.hex(),
            "consts": [repr(c) for c in code.co_consts],
            "names": list(code.co_names),
            "locals": _localsplus(code),
            "linetable": code.co_linetable.hex(),
            "first_line": code.co_firstlineno,
            "meanings": {} if resolver is None else _cache_meanings(code, ops, namespace, resolver),
        },
    }


def _cache_meanings(code, ops, namespace, resolver):
    """{offset: {field: text}}: what only live objects can tell, what cache
    values refer to. Only specialized (or, on 3.11, adaptive) instructions
    are looked at: they are the offsets where the live opcode is a form of
    the base one. In co_code a cache unit reads 0 (CACHE) and arguments sit
    at odd offsets, so no walk over the instruction boundaries is needed."""
    table = ops.table
    deop, names, kinds = table["deop"], ops.names, table["kind"]
    resolvable = ops.resolvable
    base_code = code.co_code
    live = code._co_code_adaptive
    co_names = code.co_names
    meanings = {}
    extended_op = table["extended_arg"]
    # The units whose base opcode has such fields are found with bytes
    # methods; only they are looked at one by one.
    units = []
    candidates = base_code[::2].translate(ops.resolvable_mask)
    u = candidates.find(1)
    while u >= 0:
        b, l = base_code[2 * u], live[2 * u]
        if b != l and deop[l] == b:
            units.append(2 * u)
        u = candidates.find(1, u + 1)
    space_id = id(namespace)
    for offset in units:
        op = base_code[offset]
        arg = base_code[offset + 1]
        back = offset - 2
        shift = 8
        while back >= 0 and base_code[back] == extended_op:
            arg |= base_code[back + 1] << shift
            shift += 8
            back -= 2
        layout = resolvable.get(op)
        if layout is None:
            continue
        fields = {}
        unit = offset + 2
        for field, size in layout:
            value = 0
            for i in range(size):
                value |= (live[unit] | (live[unit + 1] << 8)) << (16 * i)
                unit += 2
            fields[field] = value
        if not any(fields[f] for f in fields if f in _RESOLVED):
            continue
        liveop = names[live[offset]]
        # The name the argument gives (global or attribute), decoded as dis
        # does for this opcode.
        shift = _NAME_SHIFT.get(kinds[op])
        arg_name = None
        if shift is not None and 0 <= arg >> shift < len(co_names):
            arg_name = co_names[arg >> shift]
        found = {}
        key = (space_id, tuple(sorted(fields.items())))
        for field in fields:
            if field in _RESOLVED:
                try:
                    text = resolver.describe(names[op], liveop, field, fields[field], arg_name, fields, namespace, key)
                except Exception as e:  # a candidate object misbehaved; say so
                    text = "unresolved (%s)" % type(e).__name__
                if text is not None:
                    found[field] = text
        if found:
            meanings[str(offset)] = found
    return meanings


def _describe(code, ops, namespace, resolver):
    """One code object's instructions as dis builds them (see the dis half)."""
    table = _exception_table(code)
    handlers = {entry["target"] for entry in table}
    return {
        "exception_table": table,
        "instructions": _dis_path().instructions(code, ops, handlers, resolver, namespace),
    }


# ---------------------------------------------------------------- the dis half

# The dis half of the collector (assets/collector_dis.py), compiled and
# marshalled by the build script: whoever loads this module puts it here
# (src/collect/python.rs).
_DIS_PATH_CODE = None
# The build's opcode tables (`DisPath.op_table` of the linked interpreter),
# marshalled, put here the same way.
_OPTABLE_CODE = None
# Taken now: a program may replace `marshal.loads`.
_marshal_loads = _marshal.loads


def _dis_path():
    """The dis half's `DisPath`, loaded the first time it is needed: for a
    Python version the Rust decoder does not know, and for the tests that
    compare the decoder with dis. (Importing dis costs more start-up time
    than a short program runs.)"""
    if _lasting.dis_path is None:
        if _DIS_PATH_CODE is None:
            raise RuntimeError("the dis half of the collector was not loaded with it")
        module = _types.ModuleType("_specscope_collector_dis")
        module.__builtins__ = __builtins__
        exec(_marshal.loads(_DIS_PATH_CODE), vars(module))
        _lasting.dis_path = module.DisPath(_fresh)
    return _lasting.dis_path


# ---------------------------------------------------------------- selecting
#
# What -f patterns reach (the README's "Choosing code objects" says it for
# users). A pattern without a colon looks in the target; with one, the part
# before the last colon says where to look:
#
#   QUAL             the target's code objects, and the functions made at
#                    run time from strings that the target holds
#   MODULES:QUAL     the same for each imported module MODULES matches
#   PATH:QUAL        the code objects whose file is one PATH matches (a
#                    PATH has a "/" or ends in ".py")
#   <NAME>:QUAL      code compiled at run time under a name in angle
#                    brackets that <NAME> matches (`<string>`)
#
# QUAL is a `_Glob` of qualnames; MODULES and PATH are `_NameGlob`s.

# Code objects compiled from strings that one run keeps for PATH and <NAME>
# patterns: past this, a program that evaluates strings in a loop would keep
# every one of them alive. Modules' top-level code is always kept.
_EXEC_KEPT = 10000

_GLOB_CHARS = "*?["

_func_dict = _types.FunctionType.__dict__["__dict__"].__get__
_method_func = _types.MethodType.__dict__["__func__"].__get__
_property_parts = tuple(property.__dict__[part].__get__ for part in ("fget", "fset", "fdel"))


def _main_objects(code, namespace):
    """The target's own code objects in dis order: (code, parent, executed,
    namespace, qualname)."""
    found = []
    _walk(code, None, found)
    return [(c, p, i == 0, namespace, c.co_qualname) for i, (c, p) in enumerate(found)]


def _parse_pattern(pattern):
    """(kind, where, qual) of a -f pattern: kind is "target", "module",
    "file" or "name" (a name in angle brackets); qual "*" when left empty."""
    if ":" not in pattern:
        return "target", None, pattern
    # Qualnames hold no colon; a path may.
    where, _, qual = pattern.rpartition(":")
    qual = qual or "*"
    if where[:1] == "<" and where[-1:] == ">":
        return "name", where, qual
    if "/" in where or where.endswith(".py"):
        return "file", where, qual
    return "module", where, qual


def _is_pseudo(filename):
    """A file name in angle brackets, as Python names code compiled from a
    string (`<string>` is exec's, eval's and compile's own), but not a
    frozen module's (`<frozen posixpath>`)."""
    return filename[:1] == "<" and filename[-1:] == ">" and not filename.startswith("<frozen ")


def _functions_held(namespace, module_name):
    """The functions a module holds, as (qualname, function): in its
    globals, and in the classes it defines (methods, static and class
    methods, properties and cached properties, nested classes), down each
    function's `__wrapped__` chain, named as the outermost function
    (dataclasses wraps the `__repr__` it makes). Read without running any
    code of the objects."""
    found = []
    seen = set()
    functools = dict.get(_sys.modules, "functools")
    cached_property = dict.get(_module_dict(functools), "cached_property") \
        if type(functools) is _types.ModuleType else None

    def visit(obj, depth, name):
        if depth > 4 or id(obj) in seen:
            return
        seen.add(id(obj))
        kind = type(obj)
        if kind is _types.FunctionType:
            name = name or _func_qualname(obj)
            found.append((name, obj))
            wrapped = dict.get(_func_dict(obj), "__wrapped__")
            if wrapped is not None:
                visit(wrapped, depth + 1, name)
        elif kind is _types.MethodType:
            visit(_method_func(obj), depth + 1, name)
        elif issubclass(kind, staticmethod):
            visit(_wrapped_func[staticmethod](obj), depth + 1, name)
        elif issubclass(kind, classmethod):
            visit(_wrapped_func[classmethod](obj), depth + 1, name)
        elif issubclass(kind, property):
            for part in _property_parts:
                visit(part(obj), depth + 1, None)
        elif kind is cached_property:
            # A class of functools, not the program's: its instance dict
            # is read as object's own __dict__ is.
            visit(dict.get(object.__getattribute__(obj, "__dict__"), "func"), depth + 1, None)
        elif _is_class(obj):
            try:
                module = _class_module(obj)
            except Exception:
                return
            if type(module) is str and module == module_name:
                for value in list(_class_dict(obj).values()):
                    visit(value, depth + 1, None)

    for value in list(dict.values(namespace)):
        visit(value, 0, None)
    return found


def _module_code_objects(module, name, captured):
    """Every code object of an imported module's file, as (code, parent) in
    dis order: from its top-level code when the run recorded it executing
    (`captured`: {filename: code}), else from the functions and classes the
    module holds (it was imported before the collection began: its
    top-level code is gone, but every function and class body still holds
    its code object)."""
    filename = dict.get(_module_dict(module), "__file__")
    top = captured.get(filename) if type(filename) is str else None
    out = []
    if top is not None:
        _walk(top, None, out)
        return out
    roots = {}
    for _, function in _functions_held(_module_dict(module), name):
        code = function_code(function)[0]
        if code.co_filename == filename:
            roots.setdefault(id(code), code)
    for code in sorted(roots.values(), key=lambda c: c.co_firstlineno):
        _walk(code, None, out)
    return out


def _merged(lists):
    """Lists of (code, parent, executed, namespace, qualname), each with
    parents indexing itself, as one list, each code object once."""
    out = []
    placed = set()
    for objects in lists:
        index = {}
        for i, (code, parent, executed, space, name) in enumerate(objects):
            if id(code) in placed:
                continue
            placed.add(id(code))
            index[i] = len(out)
            out.append((code, index.get(parent) if parent is not None else None, executed, space, name))
    return out


def _registered_source(filename):
    """The text a program registered with its linecache for a file name in
    angle brackets (attrs does, for the methods it makes), or None. Read
    from the cache's dict, running no code of the program's; what specscope
    registered for its own targets (-c, the demo) is not the program's."""
    try:
        shared = dict.get(_sys.modules, "linecache")
        if not issubclass(type(shared), _types.ModuleType):
            return None
        cache = dict.get(_module_dict(shared), "cache")
        entry = dict.get(cache, filename) if type(cache) is dict else None
        if type(entry) is not tuple or len(entry) != 4:
            return None
        lines = entry[2]
        if type(lines) is not list or lines is _lasting.unlisted_sources.get(filename):
            return None
        if not all(type(line) is str for line in lines):
            return None
        return "".join(lines) or None
    except Exception:
        return None


class _Glob:
    """`fnmatch.fnmatchcase` for -f patterns, written here without fnmatch
    or re (a program may replace them, or the builtins they use): `*`
    matches any run of characters, dots too; `?` one character; `[seq]` one
    of seq, with ranges such as `a-z`, `[!seq]` one that is not, `]` first
    in seq is itself; a `[` without its `]` is itself."""

    def __init__(self, pattern):
        tokens = []
        i, n = 0, len(pattern)
        while i < n:
            c = pattern[i]
            i += 1
            if c == "*":
                if not tokens or tokens[-1] != ("*",):
                    tokens.append(("*",))
            elif c == "?":
                tokens.append(("?",))
            elif c == "[":
                j = i
                if j < n and pattern[j] == "!":
                    j += 1
                if j < n and pattern[j] == "]":
                    j += 1
                while j < n and pattern[j] != "]":
                    j += 1
                if j >= n:
                    tokens.append(("char", "["))
                    continue
                body, i = pattern[i:j], j + 1
                negate = body[:1] == "!"
                if negate:
                    body = body[1:]
                ranges = []
                k = 0
                while k < len(body):
                    if k + 2 < len(body) and body[k + 1] == "-":
                        ranges.append((body[k], body[k + 2]))
                        k += 3
                    else:
                        ranges.append((body[k], body[k]))
                        k += 1
                tokens.append(("set", negate, ranges))
            else:
                tokens.append(("char", c))
        self.tokens = tokens
        # Most patterns are plain text and stars (`*`, `Point.*`): those
        # are matched with string methods, the text between stars found
        # left to right (the glob of `_NameGlob` calls this for every
        # qualname of every module it looks at).
        self.pieces = None
        if all(t[0] == "char" or t == ("*",) for t in tokens):
            pieces = [""]
            for t in tokens:
                if t == ("*",):
                    pieces.append("")
                else:
                    pieces[-1] += t[1]
            self.pieces = pieces

    @staticmethod
    def _one(token, c):
        kind = token[0]
        if kind == "?":
            return True
        if kind == "char":
            return token[1] == c
        inside = any(low <= c <= high for low, high in token[2])
        return inside != token[1]

    def matches(self, name):
        """Each token but `*` takes one character; on a mismatch, the last
        `*` takes one more and matching goes on from there."""
        pieces = self.pieces
        if pieces is not None:
            return self._plain_matches(pieces, name)
        tokens = self.tokens
        t = at = 0
        star, resume = -1, 0
        while at < len(name):
            if t < len(tokens) and tokens[t] == ("*",):
                star, resume = t, at
                t += 1
            elif t < len(tokens) and self._one(tokens[t], name[at]):
                t += 1
                at += 1
            elif star >= 0:
                t, resume = star + 1, resume + 1
                at = resume
            else:
                return False
        while t < len(tokens) and tokens[t] == ("*",):
            t += 1
        return t == len(tokens)


    @staticmethod
    def _plain_matches(pieces, name):
        """Matching a glob of text and stars: `pieces` is the text before,
        between and after the stars."""
        if len(pieces) == 1:
            return name == pieces[0]
        first, last = pieces[0], pieces[-1]
        end = len(name) - len(last)
        if end < len(first) or not name.startswith(first) or not name.endswith(last):
            return False
        at = len(first)
        for piece in pieces[1:-1]:
            at = name.find(piece, at, end)
            if at < 0:
                return False
            at += len(piece)
        return True


class _NameGlob:
    """A glob of names made of components: dotted module names (`pkg.sub`)
    or paths (`/src/app/models.py`). `*`, `?` and `[seq]` match within one
    component, as in `_Glob`; `**` as a whole component matches any number
    of components, none included (`pkg.**` is pkg and everything in it,
    `**.models` every module called models)."""

    def __init__(self, pattern, separator):
        self.separator = separator
        self.parts = [None if part == "**" else _Glob(part) for part in pattern.split(separator)]

    def matches(self, name):
        names = name.split(self.separator)
        at = {0}  # how many components the parts so far can have taken
        for part in self.parts:
            if part is None:
                at = set(range(min(at), len(names) + 1))
            else:
                at = {i + 1 for i in at if i < len(names) and part.matches(names[i])}
            if not at:
                return False
        return len(names) in at


def _path_glob(where, cwd):
    """The `_NameGlob` of a PATH pattern: absolute (relative ones are from
    the folder specscope started in), with symbolic links resolved in its
    part before the first glob character, as file names are (see
    `_Reach.real`). A folder stands for every file under it."""
    path = _os.path.normpath(_os.path.join(cwd, _os.path.expanduser(where)))
    parts = path.split("/")
    literal = 0
    while literal < len(parts) and parts[literal] != "**" and not any(ch in parts[literal] for ch in _GLOB_CHARS):
        literal += 1
    head = _os.path.realpath("/".join(parts[:literal]) or "/")
    rest = parts[literal:]
    if not rest and _os.path.isdir(head):
        rest = ["**"]
    return _NameGlob("/".join([head.rstrip("/")] + rest) if rest else head, "/")


class _Executed:
    """The code objects a run executed while it recorded them, in order,
    each once (see `_record_exec`)."""

    def __init__(self):
        self.codes = {}

    def keep(self, code):
        codes = self.codes
        if id(code) in codes:
            return
        if len(codes) >= _EXEC_KEPT and (code.co_name != "<module>" or code.co_filename[:1] == "<"):
            return
        codes[id(code)] = code


def _record_exec(event, args):
    """The audit hook behind MODULE, PATH and <NAME> patterns: keeps each
    code object the program executes while a session records them (the
    top-level code of the modules it imports, and code compiled from
    strings that it passes to exec or eval), which nothing else holds once
    it ran."""
    if event == "exec":
        session = _lasting.session
        if session is not None and session.recording:
            code = args[0]
            if type(code) is _types.CodeType:
                session.executed.keep(code)


class _Reach:
    """What -f patterns reach once the program ran: the target's code
    objects (`main_objects`, from `_main_objects`) and the functions it made
    at run time, the modules in sys.modules, the files code came from, and
    the code objects the program executed while the collector recorded them
    (`executed`: modules' top-level code, code compiled from strings).
    `target_file` is the target's file name, a file on disk when
    `target_is_file`; `cwd` the folder specscope started in. Each scope's
    code objects are listed once, as (code, parent, executed, namespace,
    qualname), parents indexing the list."""

    def __init__(self, main_objects, namespace, target_file=None, target_is_file=False, executed=(), cwd="/"):
        self.main_objects = main_objects
        self.namespace = namespace
        self.target_file = target_file
        self.target_is_file = target_is_file
        self.executed = list(executed)
        self.cwd = cwd
        self.tree = {id(entry[0]) for entry in main_objects}
        self.captured = {}
        for code in self.executed:
            if code.co_name == "<module>":
                self.captured.setdefault(code.co_filename, code)
        self._sources = {}
        self._real = {}
        self._modules = None
        self._module_files = None
        self._files = None
        self._run_time_names = None

    # Scopes, each a list of code objects (kept: the flags of `_select`
    # line up with them).

    def _source(self, key, build):
        objects = self._sources.get(key)
        if objects is None:
            objects = self._sources[key] = build()
        return objects

    def target(self):
        return self._source(("target",), lambda: _merged([self.main_objects, self._target_made()]))

    def module(self, name, module):
        def build():
            space = _module_dict(module)
            own = [(c, p, False, space, c.co_qualname) for c, p in _module_code_objects(module, name, self.captured)]
            made = self.made_at_run_time(space, name, {id(entry[0]) for entry in own})
            return _merged([own, made])

        return self._source(("module", name), build)

    def file(self, path):
        def build():
            lists = []
            for kind, value in self.files()[path]:
                if kind == "target":
                    lists.append(self.main_objects)
                elif kind == "module":
                    name, module = value
                    space = _module_dict(module)
                    lists.append([(c, p, False, space, c.co_qualname)
                                  for c, p in _module_code_objects(module, name, self.captured)])
                else:
                    lists.append(self._compiled(value))
            return _merged(lists)

        return self._source(("file", path), build)

    def name(self, filename):
        def build():
            lists = []
            if filename == self.target_file and not self.target_is_file:
                lists.append(self.main_objects)
            lists.extend(self._compiled(code) for code in self.executed if code.co_filename == filename)
            return _merged(lists)

        return self._source(("name", filename), build)

    def _compiled(self, code):
        """The code objects of an executed code object, named as the target
        names the functions it made of them."""
        names = self._target_names()
        tree = []
        _walk(code, None, tree)
        return [(c, p, False, {}, names.get(id(c)) or c.co_qualname) for c, p in tree]

    # What there is to reach.

    def modules(self):
        """[(name, module)] of sys.modules, by name; neither the collector's
        modules nor `__main__` (the program's own is the target)."""
        if self._modules is None:
            found = []
            try:
                items = list(dict.items(_sys.modules))
            except Exception:
                items = []
            for name, module in items:
                if type(name) is str and issubclass(type(module), _types.ModuleType) \
                        and name != "__main__" and not name.startswith("_specscope"):
                    found.append((name, module))
            found.sort(key=lambda item: item[0])
            self._modules = found
        return self._modules

    def module_files(self):
        """The files of the modules and of the target."""
        if self._module_files is None:
            files = set()
            for _, module in self.modules():
                filename = dict.get(_module_dict(module), "__file__")
                if type(filename) is str:
                    files.add(filename)
            if self.target_is_file:
                files.add(self.target_file)
            self._module_files = files
        return self._module_files

    def real(self, filename):
        """A file name as an absolute path, symbolic links resolved."""
        path = self._real.get(filename)
        if path is None:
            path = self._real[filename] = _os.path.realpath(_os.path.join(self.cwd, filename))
        return path

    def files(self):
        """{path: [(kind, what)]}: each file code of the run came from (the
        target's, the modules', the executed code's), by real path."""
        if self._files is None:
            files = {}

            def add(filename, origin):
                if type(filename) is str and filename and filename[:1] != "<":
                    files.setdefault(self.real(filename), []).append(origin)

            if self.target_is_file:
                add(self.target_file, ("target", None))
            for name, module in self.modules():
                add(dict.get(_module_dict(module), "__file__"), ("module", (name, module)))
            for code in self.executed:
                add(code.co_filename, ("code", code))
            self._files = files
        return self._files

    def names(self):
        """The names in angle brackets code was compiled under."""
        found = {code.co_filename for code in self.executed if _is_pseudo(code.co_filename)}
        if not self.target_is_file and type(self.target_file) is str and _is_pseudo(self.target_file):
            found.add(self.target_file)
        return sorted(found)

    def shown(self, path):
        """A path as a candidate shows it: from the starting folder when
        inside it."""
        try:
            relative = _os.path.relpath(path, self.real("."))
        except ValueError:
            return path
        return path if relative.startswith("..") else relative

    # Functions made at run time.

    def made_at_run_time(self, namespace, module_name, own):
        """The code objects of the functions made at run time from strings
        that a module holds (see `_functions_held`): dataclasses' and
        namedtuple's methods, attrs', functions a program exec'd into its
        globals. Their code is not the module's own (`own`, ids) and comes
        from no file: its file name is in angle brackets, or is neither a
        module's nor a file on disk. Each is named as its function is
        (`P.__init__`, not `__create_fn__.<locals>.__init__`), and so are
        the code objects nested in it."""
        files = self.module_files()
        out = []
        for name, function in _functions_held(namespace, module_name):
            code, globals_ = function_code(function)
            filename = code.co_filename
            if id(code) in own or filename.startswith("<frozen "):
                continue
            if not _is_pseudo(filename) and (filename in files or _os.path.isfile(_os.path.join(self.cwd, filename))):
                continue
            space = globals_ if type(globals_) is dict else namespace
            tree = []
            _walk(code, None, tree)
            base = len(out)
            prefix = code.co_qualname + "."
            for c, p in tree:
                qual = c.co_qualname
                shown = name if c is code else name + qual[len(prefix) - 1:] if qual.startswith(prefix) else qual
                out.append((c, None if p is None else base + p, False, space, shown))
        return out

    def _target_made(self):
        namespace = self.namespace
        return self.made_at_run_time(namespace, dict.get(namespace, "__name__"), self.tree)

    def _target_names(self):
        if self._run_time_names is None:
            self._run_time_names = {id(entry[0]): entry[4] for entry in self.target()}
        return self._run_time_names

    # Patterns.

    def scopes(self, kind, where):
        """[(label, objects)]: what a pattern's scope names, each with the
        label its candidates carry; [] when it names nothing."""
        literal = where is not None and not any(ch in where for ch in _GLOB_CHARS)
        if kind == "target":
            return [("", self.target())]
        if kind == "module":
            glob = _NameGlob(where, ".")
            return [(name + ":", self.module(name, module)) for name, module in self.modules() if glob.matches(name)]
        if kind == "file":
            glob = _path_glob(where, self.cwd)
            return [((where if literal else self.shown(path)) + ":", self.file(path))
                    for path in sorted(self.files()) if glob.matches(path)]
        glob = _Glob(where)
        return [(name + ":", self.name(name)) for name in self.names() if glob.matches(name)]

    def scope_candidates(self, kind, qual):
        """What a pattern whose scope names nothing might have meant, as
        patterns: each imported module (and package, with `.*` and `.**`),
        each file, each name in angle brackets."""
        tail = ":" + qual
        if kind == "module":
            names = [name for name, _ in self.modules()]
            parents = {name.rpartition(".")[0] for name in names if "." in name}
            out = [name + tail for name in names]
            out += [name + ".**" + tail for name, module in self.modules()
                    if "__path__" in _module_dict(module)]
            out += [name + ".*" + tail for name in parents]
            return out
        if kind == "file":
            return [self.shown(path) + tail for path in self.files()]
        return [name + tail for name in self.names()]


def _select(patterns, reach):
    """Applies -f patterns to what `reach` (a `_Reach`) reaches. Returns
    [(code, parent, executed, namespace, qualname)], misses. Scopes come in
    the order patterns first name them, their code objects in dis order,
    each code object once; a parent is an index into the list when the
    parent was chosen too. A miss says whether its scope named nothing
    ("module", "file") or its qualnames matched nothing ("code")."""
    if not patterns:
        return reach.main_objects, []
    scopes = {}  # id(objects) -> [objects, flags]
    misses = []
    for pattern in patterns:
        kind, where, qual = _parse_pattern(pattern)
        found = reach.scopes(kind, where)
        if not found:
            misses.append({"pattern": pattern, "missing": "module" if kind == "module" else "file",
                           "candidates": sorted(set(reach.scope_candidates(kind, pattern.rpartition(":")[2])))})
            continue
        glob = _Glob(qual)
        hit = False
        names = []
        for label, objects in found:
            flags = scopes.setdefault(id(objects), [objects, [False] * len(objects)])[1]
            for i, entry in enumerate(objects):
                if glob.matches(entry[4]):
                    flags[i] = True
                    hit = True
            names.extend(label + entry[4] for entry in objects)
        if not hit:
            # specscope picks the close ones, the same way for every name.
            misses.append({"pattern": pattern, "missing": "code", "candidates": sorted(set(names))})
    chosen = []
    placed = {}
    for objects, flags in scopes.values():
        index = {}
        for i, (code, parent, executed, space, name) in enumerate(objects):
            if not flags[i]:
                continue
            if id(code) in placed:
                index[i] = placed[id(code)]
                continue
            index[i] = placed[id(code)] = len(chosen)
            chosen.append((code, index.get(parent) if parent is not None else None, executed, space, name))
    return chosen, misses


# ---------------------------------------------------------------- why (--why)
#
# What `--why` observes lives in the why part of the collector
# (assets/collector_why.py), compiled and marshalled by the build script
# and put here by whoever loads this module (src/collect/python.rs). It is
# run in this module's namespace the first time `--why` needs it, so that
# every other run leaves it unloaded (start-up time counts).
_WHY_CODE = None
_exec = exec
_namespace = globals()


def _load_why():
    """Defines the why part's names in this module, once."""
    if "_Observer" not in _namespace:
        if _WHY_CODE is None:
            raise RuntimeError("the why part of the collector was not loaded with it")
        _exec(_marshal_loads(_WHY_CODE), _namespace)


# ---------------------------------------------------------------- a run


# The loaders python gives `__main__`, taken while the import system is
# the interpreter's own.
_BuiltinImporter = _builtins.__loader__
_SourceFileLoader = _sys.modules["_frozen_importlib_external"].SourceFileLoader


def _fresh_main(kind, filename):
    """A `__main__` module as python makes one: `add_main_module` (in
    Python/pylifecycle.c) gives it `__annotations__`, `__builtins__` and the
    builtin importer as `__loader__`; for a script `_PyRun_SimpleFileObject`
    adds `__file__`, `__cached__` (None) and a SourceFileLoader, in that
    order. -m adds its own (see `_Session._find_module`)."""
    main = _types.ModuleType("__main__")
    namespace = main.__dict__
    namespace["__loader__"] = _BuiltinImporter
    namespace["__annotations__"] = {}
    namespace["__builtins__"] = _builtins
    if kind == "script":
        namespace["__file__"] = filename
        namespace["__cached__"] = None
        namespace["__loader__"] = _SourceFileLoader("__main__", filename)
    elif kind != "code" and kind != "module":
        namespace["__file__"] = filename  # the demo, a lesson
    return main


class _Discard:
    """A text stream that keeps nothing."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text):
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


# Taken now: while the program runs, `os._exit` is `_Guard`'s, which raises.
_os_exit = _os._exit


def _child_exit(report):
    """Ends a forked child of the program the way its own code would have
    ended it under python, without a dump."""
    status = 0
    ended = report.get("exit")
    if ended is not None:
        status = ended.get("status", 0)
    elif report.get("exception") is not None or report.get("stopped") is not None:
        status = 1
    if not isinstance(status, int) or not 0 <= status <= 255:
        status = 1
    _os_exit(status)


class _Sampling:
    """Where the program runs, sampled about every `interval_ms`
    milliseconds while the program and its warm-up run (`sample_start` and
    the rest, src/collect/python/sampler.rs), and what the samples found.

    A thread that waits for the interpreter gets it only after the switch
    interval (5 ms unless the program changed it): while sampling, a longer
    switch interval is lowered to half the sampling interval (the sampler
    asks that much ahead of each sample, plus the time the program takes to
    let go), and put back when sampling stops, unless the program set one
    of its own meanwhile."""

    def __init__(self, interval_ms, problems):
        self.interval_ms = interval_ms if interval_ms and interval_ms > 0 else 0
        self.problems = problems
        self.running = False
        self.outcome = None  # {"interval_ms", "total"} once sampling stopped
        self.switch = None  # (the switch interval before, the one set here)

    def start(self):
        if not self.interval_ms or self.running or self.outcome is not None:
            return
        try:
            before, wanted = _getswitchinterval(), self.interval_ms / 2000.0
            if before > wanted:
                _setswitchinterval(wanted)
                self.switch = (before, _getswitchinterval())
            sample_start(self.interval_ms)
        except Exception as e:
            self._restore()
            self.problems.append("sampling could not start: %s" % _error_text(e))
            return
        self.running = True

    def stop(self):
        if not self.running:
            return
        self.running = False
        total, interval_ms = sample_stop()
        self.outcome = {"interval_ms": interval_ms, "total": total}
        self._restore()

    def _restore(self):
        switch, self.switch = self.switch, None
        if switch is not None and _getswitchinterval() == switch[1]:
            _setswitchinterval(switch[0])

    def pause(self, paused):
        if self.running:
            sample_pause(paused)

    def report(self):
        """How the run was sampled; None when it was not."""
        return self.outcome

    def counts(self, codes):
        """Per code object, its samples as [[offset, samples], ...]."""
        if self.running or self.outcome is not None:
            return sample_counts(codes)
        return [[] for _ in codes]

    def clear(self):
        sample_clear()


class _Session:
    """One run of a program, from the request to the reply.

    `run` makes one per request and takes four steps: `resolve` (the opcode
    facts and the target), `execute` (the program, its warm-up and its exit
    handlers, with its output captured, under `_Guard`), `select` (the code
    objects -f asks for) and `describe` (them, and how the run went, for
    the reply). When the program will not stop, `take_over` ends the run
    from wherever `execute` is, and builds the same reply."""

    def __init__(self, request):
        self.request = request
        self.kind = request["target"]["kind"]
        self.patterns = request.get("patterns", ())
        self.call = request.get("call")
        self.calls = request.get("calls", 0)
        self.then = request.get("then")
        self.then_calls = request.get("then_calls", 0)
        # "rust": bytes and tables for src/decode.rs; "dis": dis's own instructions.
        self.decoder = request.get("decoder", "dis")
        self.parent_pid = _os.getpid()
        # The exit the program asked for (os._exit, an os.exec function;
        # see `_end_here`): the run's end when it is taken over for it.
        self.ended_elsewhere = None
        # What went wrong while collecting, in words (the program broke
        # something the collector needs): shown with whatever could still
        # be collected.
        self.problems = []
        self.ops = None  # `_OpcodeFacts`
        # The target: its module code (None for -m until it is found), its
        # file and text, its argv[0], its sys.path[0].
        self.code = None
        self.filename = self.source = self.argv0 = self.path0 = None
        # A file descriptor the program reads as its stdin (None: end-of-file).
        self.stdin = None
        # The program's __main__ module, the one it replaces, and the globals
        # the target's code runs in (a package's when -m stopped in one: see
        # `_adopt`).
        self.main = self.saved_main = self.namespace = None
        self.output = _Output(request.get("output_limit", 1 << 20), self.problems)
        self.report = {
            "calls_done": 0,
            "then_calls_done": 0,
            "warmup_seconds": 0.0,
            "program_seconds": 0.0,
            "recording_seconds": 0.0,
        }
        self.steps = []  # snapshots recorded during the warm-up (--steps)
        self.missing = None  # -m named no module: its TargetError
        # The code the program executes: the top-level code of the modules
        # it imports, code compiled from strings (see `_record_exec`).
        self.recording = False
        self.executed = _Executed()
        # Code objects of specscope's own that the program's part runs (the
        # compiled --call and --then): not the program's.
        self.own_codes = []
        # The folder specscope started in, for PATH patterns.
        try:
            self.cwd = _os.getcwd()
        except OSError:
            self.cwd = "/"
        self.captures = []  # the _Captured in effect, innermost last
        self.starts = _Starts()
        # Where the run is, for the signal handlers and `take_over`.
        self.under_way = False  # the program's part is set up: it can be taken over
        self.thread = None  # the thread the program runs on
        self.started = 0.0
        self.phase = "program"
        self.phase_started = 0.0
        self.in_phase = 0
        self.alarm_missed = False
        # SIGINT arrived while the program ran: a KeyboardInterrupt that the
        # program raises itself is an exception of the program, not Ctrl-C.
        self.interrupted = False
        self.taking_over = False
        self.elsewhere = False  # taken over from another thread than the program's
        self.reply = None  # what `run` returned, once it did
        # --why's second run, while it runs (see `observe`), and the
        # program's output that it set aside.
        self.observing = None
        self.saved_output = None
        # Milliseconds between samples of where the program runs (0: none);
        # the switch interval it replaced, and the one it set, while it
        # samples (see `_Sampling`).
        self.sampling = _Sampling(request.get("sample_interval_ms", 0), self.problems)

    def run(self):
        """The reply (plain data): the snapshot, or why there is none."""
        try:
            self.resolve()
        except TargetError as e:
            return {"error": e.as_error()}
        self.execute()
        return self.finish()

    def finish(self):
        """The end of `run` once the program's part is over, and of
        `take_over`: select and describe, from where the run is."""
        self.reply = self._reply()

        return self.reply

    # ---------------------------------------------------------------- resolve

    def resolve(self):
        """The opcode facts of this version, the target's code, and the
        program's stdin; a TargetError when the target cannot be run."""
        self.ops = self._opcode_facts()
        self.code, self.filename, self.source, self.argv0, self.path0 = _resolve_target(self.request["target"])
        self.stdin = self._open_stdin()

    def _opcode_facts(self):
        """From the table the build made (`_OPTABLE_CODE`, when the request
        asks for the Rust decoder, which reads the same table), or else from
        dis."""
        table = None
        if self.decoder == "rust" and _OPTABLE_CODE is not None:
            table = _marshal_loads(_OPTABLE_CODE)
        if table is None or table.get("version") != _VERSION:
            # No table made for this very version: dis reads the
            # instructions, and its tables are read here.
            self.decoder = "dis"
            table = _dis_path().op_table()
        return _OpcodeFacts(table, self.request.get("cache_layouts", {}))

    def _open_stdin(self):
        """--stdin FILE, opened; None: end-of-file."""
        path = self.request.get("stdin")
        if path is None:
            return None
        try:
            return _os.open(path, _os.O_RDONLY)
        except OSError as e:
            raise TargetError("stdin", "cannot read --stdin %s: %s" % (path, e.strerror), path=path)

    # ---------------------------------------------------------------- execute

    def execute(self):
        """Runs the program as python would run it, then its warm-up and its
        exit handlers; how each ended goes into the report."""
        self._record_executed()
        if not _lasting.fork_hooks_added:
            _os.register_at_fork(before=before_fork, after_in_parent=after_fork_in_parent)
            _lasting.fork_hooks_added = True
        self._keep_source_for_tracebacks()
        self._make_main()
        # From here `take_over` can end the run.
        self.thread = _thread.get_ident()
        self.started = _time.perf_counter()
        self.under_way = True
        with _Captured(self, self.stdin), _Guard(self, self.request.get("timeout")):
            self._run_program()

    def _record_executed(self):
        """Starts keeping the code the program executes, for MODULE:PAT,
        PATH:PAT and <NAME>:PAT (the audit hook is added at the first run
        that asks: patterns without a colon need none)."""
        if any(":" in p for p in self.patterns) and not _lasting.exec_hook_added:
            _sys.addaudithook(_record_exec)
            _lasting.exec_hook_added = True
        self.recording = True

    def _keep_source_for_tracebacks(self):
        """The source of a target that has no file (the demo, a lesson,
        -c), where linecache finds it for tracebacks and warnings. -c as
        python does it: from 3.13 on it registers the command's text with
        linecache before it runs it (`run_mod` in Python/pythonrun.c),
        earlier versions keep none (their tracebacks show no lines)."""
        if self.code is None or _os.path.exists(self.filename):
            return
        if self.kind == "code":
            if not _DASH_C_IN_LINECACHE:
                return
            # linecache._register_code's entry, with the list kept here too
            # (see `_registered_source`).
            lines = [line + "\n" for line in self.source.splitlines()]
            _lasting.unlisted_sources[self.filename] = lines
            try:
                __import__("linecache").cache[self.filename] = (len(self.source), None, lines, self.filename)
            except Exception:
                pass
            return
        _lasting.unlisted_sources[self.filename] = self.source.splitlines(True)
        shared = _sys.modules.get("linecache")
        if shared is not None:
            try:
                _register_sources(shared.cache)
            except Exception:
                pass

    def _make_main(self):
        """A fresh `__main__` for the program, as python makes one."""
        main = _fresh_main(self.kind, self.filename)
        self.saved_main = _sys.modules.get("__main__")
        self.main, self.namespace = main, main.__dict__

    def _set_argv(self):
        """`sys.argv`, and `sys.orig_argv` as python's command line would
        give it: the interpreter, then the script, `-c CODE` or `-m MODULE`,
        then the program's arguments."""
        args = list(self.request.get("args", ()))
        _sys.argv[:] = [self.argv0] + args
        target = self.request["target"]
        if self.kind == "code":
            given = ["-c", self.source]
        elif self.kind == "module":
            given = ["-m", target["module"]]
        else:
            given = [self.filename]
        _sys.orig_argv = [_sys.executable] + given + args

    def _run_program(self):
        """The program's part of the run, with its output captured."""
        self._set_argv()
        _sys.path.insert(0, self.path0)
        started = _time.perf_counter()
        found = self.code is not None or (self._run_phase(self._find_module, "program") and self.code is not None)
        _sys.modules["__main__"] = self.main
        tree = []
        if found:
            _walk(self.code, None, tree)
        self.starts.start([c for c, _ in tree], self.ops.names)
        self.sampling.start()
        try:
            ok = found and self._run_phase(lambda: with_hooks(exec, self.code, self.namespace), "program")
            self.report["program_seconds"] = _time.perf_counter() - started
            if ok and self.call:
                ok = self._warm_up("call", self.call, self.calls, "calls_done")
            if ok and self.call and self.then:
                self._warm_up("then", self.then, self.then_calls, "then_calls_done")
            self._join_threads()
            self.sampling.stop()
            self._run_atexit()
        finally:
            self.phase = "collection"
            self._end_program()

    def _find_module(self):
        """-m: finds the module, importing its packages as python does."""
        try:
            self.code, self.filename, self.source, spec = _find_module(self.request["target"]["module"])
        except TargetError as e:
            self.missing = e
            return
        except BaseException as e:
            if isinstance(e, _Stop) or (isinstance(e, KeyboardInterrupt) and self.interrupted):
                self._adopt(_traceback_frames(e))
            raise
        main = self.main
        self.argv0 = _sys.argv[0] = main.__file__ = self.filename
        # As runpy sets them: relative imports in the module work.
        main.__spec__, main.__loader__, main.__package__ = spec, spec.loader, spec.parent
        main.__cached__ = spec.cached

    def _adopt(self, frames):
        """-m stopped while its packages were imported (--timeout, Ctrl-C,
        os._exit): what ran is the package code that was running, the
        outermost module-level code of the program in `frames` (a package's
        `__init__`), shown as the target."""
        if self.code is not None or self.kind != "module":
            return
        for frame in frames:
            running = frame.f_code
            if running.co_name == "<module>" and running.co_filename != __file__ \
                    and not running.co_filename.startswith("<frozen "):
                try:
                    text = _read_source(running.co_filename)
                except TargetError:
                    text = ""
                self.code, self.filename, self.source = running, running.co_filename, text
                self.namespace = frame.f_globals
                return

    def _warm_up(self, name, expr, total, counter_key):
        """Evaluates expr total times (--call, --then), recording the
        asked-for steps. Returns False if the run must stop."""
        report = self.report
        try:
            compiled = compile_source(expr, "<%s>" % name, "eval")
        except SyntaxError as e:
            report["exception"] = {
                "phase": name,
                "type": "SyntaxError",
                "message": "--%s %r: %s" % (name, expr, e.msg),
                "traceback": "",
            }
            return False
        except Exception as e:  # an audit hook of the program refused it
            report["exception"] = {"phase": name, "type": _class_name(type(e)),
                                   "message": "--%s %r: %s" % (name, expr, _safe_str(e)), "traceback": ""}
            return False
        self.own_codes.append(compiled)
        # The first evaluation of --then starts where --call ended: no step 0.
        step_marks = sorted(set(self.request.get("steps", ())))
        marks = [m for m in step_marks if m <= total and (m or name == "call")]
        if (step_marks or self.then) and total not in marks:
            marks.append(total)
        namespace = self.namespace

        def warm():
            done = 0
            for mark in marks:
                while done < mark:
                    with_hooks(eval, compiled, namespace)
                    done += 1
                    report[counter_key] = done
                self._record_step(name, done)
            while done < total:
                with_hooks(eval, compiled, namespace)
                done += 1
                report[counter_key] = done

        started = _time.perf_counter()
        ok = self._run_phase(warm, name)
        report["warmup_seconds"] += _time.perf_counter() - started
        return ok

    def _record_step(self, phase, count):
        """A snapshot of the selected code objects during the warm-up."""
        started = _time.perf_counter()
        self.sampling.pause(True)
        try:
            chosen, _ = self.select()
            _, unkept = self._files(chosen)
            self.steps.append({"phase": phase, "calls": count,
                               "code_objects": self._code_objects(chosen, self.namespace, unkept)})
        except Exception as e:
            self.problems.append("recording a step failed: %s" % _error_text(e))
            return
        finally:
            self.sampling.pause(False)
            # Recording is not warm-up: keep it out of the warm-up time.
            self.report["recording_seconds"] += _time.perf_counter() - started

    def _run_phase(self, fn, phase):
        """Runs fn(), a phase of the program; records how it ended. Returns
        False if the run must stop."""
        report = self.report
        self.phase = phase
        self.phase_started = _time.perf_counter()
        self.in_phase += 1
        uncaught = None
        try:
            if self.alarm_missed:
                self.alarm_missed = False
                raise _Stop("timeout")
            fn()
            return True
        except SystemExit as e:
            code = e.code
            status, shown = _exit_status(code)
            report["exit"] = {"phase": phase, "how": "sys.exit", "status": status}
            if shown is not None:
                report["exit"]["code"] = shown
            if code is not None and not isinstance(code, int):
                # python prints such an exit code to stderr before it exits.
                try:
                    _sys.stderr.write(_safe_str(code) + "\n")
                except BaseException:
                    pass
            return False
        except _Stop as e:
            self._record_stop(phase, e)
            return False
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt) and self.interrupted:
                self._record_stop(phase, e)
                return False
            shown = _trim_traceback(e)
            report["exception"] = {
                "phase": phase,
                "type": _class_name(type(e)),
                "message": _safe_str(e),
                "traceback": _format_exception(shown),
            }
            if phase != "atexit":
                uncaught = (shown, report["exception"]["traceback"])
            return False
        finally:
            try:
                if uncaught is not None:
                    # Out of the except clause: as under python, the hook
                    # runs with no exception being handled.
                    self._program_excepthook(*uncaught)
            finally:
                self.in_phase -= 1

    def _program_excepthook(self, exc, traceback_text):
        """An uncaught exception as python ends with one (`_PyErr_PrintEx` in
        Python/pythonrun.c): when the program replaced `sys.excepthook`,
        python calls it, and what it prints is the program's output; when
        the hook raises, python prints that and then the original traceback.
        (specscope's report shows the traceback either way; python's own
        hook would print only that. A child the program forked has no
        report: there python's hook prints it, as under python.)"""
        try:
            hook = _sys.excepthook
            if hook is _sys.__excepthook__:
                if _os.getpid() != self.parent_pid:
                    _sys.stderr.write(traceback_text)
                    _sys.stderr.flush()
                return
        except Exception:
            return
        try:
            with_hooks(hook, type(exc), exc, _exc_traceback(exc))
        except BaseException as error:
            if isinstance(error, _Stop) or (isinstance(error, KeyboardInterrupt) and self.interrupted):
                return  # --timeout or Ctrl-C in the hook: the run ends as it would have
            try:
                _sys.stderr.write("Error in sys.excepthook:\n" + _format_exception(_raised_in_c(error))
                                  + "\nOriginal exception was:\n" + traceback_text)
                _sys.stderr.flush()
            except BaseException:
                pass

    def _join_threads(self):
        """Waits for the program's threads as python does when it ends,
        before its exit handlers, when the process ends after specscope (the
        binary, the package's command): `wait_for_thread_shutdown` (in
        Python/pylifecycle.c) calls `threading._shutdown()`, which runs the
        callbacks registered with `threading._register_atexit` (an idle
        ThreadPoolExecutor's workers end on them) and joins every thread that
        is not a daemon. Not after os._exit, an exec, --timeout or Ctrl-C; a
        thread that never ends keeps the run going, as it keeps python, until
        --timeout or Ctrl-C. What `_shutdown` raises is printed as python
        prints it ("Exception ignored ...")."""
        report = self.report
        threading = _sys.modules.get("threading")
        if threading is None or "stopped" in report or report.get("exit", {}).get("how") in _ABRUPT:
            return
        if not ends_process():
            # The process goes on (the package's main() in a session): its
            # threading module must not be shut down, and the program's
            # threads run on, as for any code the session runs.
            return

        def shutdown():
            try:
                threading._shutdown()
            except Exception as e:
                try:
                    # As `wait_for_thread_shutdown` words it (3.13 names
                    # the shutdown, earlier versions the module).
                    where = ("on threading shutdown:" if _sys.version_info >= (3, 13)
                             else "in: %s" % _safe_repr(threading))
                    _sys.stderr.write("Exception ignored %s\n%s" % (where, _format_exception(_raised_in_c(e))))
                    _sys.stderr.flush()
                except BaseException:
                    pass

        progress_start("specscope: waiting for the program's threads to end, as python does (Ctrl-C stops)")
        try:
            # 3.13 waits in C (`_thread._shutdown`), which prints what the
            # wait raises as unraisable and goes on.
            self._run_phase_taking_stops(lambda: with_hooks(shutdown), "threads")
        finally:
            progress_stop()

    def _run_atexit(self):
        """Runs the exit handlers the program registered with atexit, as python
        does when it ends (but not after os._exit, --timeout or Ctrl-C). As in
        python, an exception in one handler is printed (to the captured stderr)
        and the next one runs; os._exit, --timeout and Ctrl-C in a handler end
        them all."""
        report = self.report
        atexit = _sys.modules.get("atexit")  # never imported: nothing registered
        if atexit is None or "stopped" in report or report.get("exit", {}).get("how") in _ABRUPT:
            return
        try:
            # Unregistering from a handler is allowed: after a stop, the
            # rest are skipped.
            self._run_phase_taking_stops(lambda: with_hooks(atexit._run_exitfuncs), "atexit",
                                         on_stop=atexit._clear)
        finally:
            atexit._clear()

    def _run_phase_taking_stops(self, fn, phase, on_stop=None):
        """`_run_phase` for a phase whose C code prints what the program's
        code raises as unraisable and goes on (atexit runs each handler so,
        3.13 waits for threads so): a --timeout, Ctrl-C or exit that reaches
        `sys.unraisablehook` there ends the phase in the report as a raised
        one would, and `on_stop` runs."""
        previous = _sys.unraisablehook

        def unraisable(info):
            stop = info.exc_value
            if isinstance(stop, (_Stop, KeyboardInterrupt)):
                if on_stop is not None:
                    on_stop()
                self._record_stop(phase, stop)
            else:
                previous(info)

        _sys.unraisablehook = unraisable
        try:
            self._run_phase(fn, phase)
        finally:
            _sys.unraisablehook = previous

    def _record_stop(self, phase, stop):
        """How `phase` ended, in the report, for a stop: Ctrl-C's
        KeyboardInterrupt, or a `_Stop` (--timeout, or an exit)."""
        if isinstance(stop, KeyboardInterrupt):
            self.report["stopped"] = {"phase": phase, "reason": "interrupt"}
        elif stop.exit is not None:
            self.report["exit"] = dict(phase=phase, **stop.exit)
        else:
            self.report["stopped"] = {"phase": phase, "reason": stop.reason}

    def _end_program(self):
        """What ends the program's part of a run, whether it ended or was taken over."""
        self.sampling.stop()
        self.starts.stop()
        self.recording = False
        if self.saved_main is not None:
            _sys.modules["__main__"] = self.saved_main

    # ---------------------------------------------------------------- signals

    def on_sigint(self, signum, frame):
        """Ctrl-C while the program runs: a KeyboardInterrupt in it. A SIGINT
        the program sent itself (`signal.raise_signal`, `os.kill` of its own
        pid) is only that, as under python's own handler: not Ctrl-C, and
        never the second one."""
        if self.taking_over:
            return
        if sigint_origin() == "self":
            raise KeyboardInterrupt
        if self.interrupted:
            # A second Ctrl-C: the program went on after the first (it caught
            # KeyboardInterrupt). The native side ends the run from here and
            # never comes back (without it, this is one more KeyboardInterrupt).
            stop_now("interrupt")
        self.interrupted = True
        raise KeyboardInterrupt

    def on_alarm(self, signum, frame):
        """--timeout: the phase running stops."""
        if self.taking_over:
            return
        if not self.in_phase:
            # Between the program's phases (specscope setting the run up or
            # winding it down): the next phase, if any, stops at once.
            self.alarm_missed = True
            return
        raise _Stop("timeout")

    def take_over(self, reason):
        """See the module's `take_over`."""
        if self.reply is not None:
            if self.observing is not None:
                # --why's second run would not stop: the snapshot (taken
                # before it) with what was observed until now.
                self.reply = self._observed_so_far(reason)
            return self.reply
        if not self.under_way:
            return None
        self.taking_over = True
        self.elsewhere = _thread.get_ident() != self.thread
        try:
            _gc.disable()  # no gc callback of the program runs from here
        except Exception:
            pass
        self._quiet_signals()
        phase = self.phase
        report = self.report
        now = _time.perf_counter()
        if phase == "program":
            report["program_seconds"] = now - self.started
        elif phase in ("call", "then"):
            report["warmup_seconds"] += now - self.phase_started
        try:
            self._adopt(_frames_of(_sys._current_frames().get(self.thread)))
        except Exception:  # an audit hook of the program refused it
            pass
        self._close_captures()
        self._end_program()
        if reason == "exit":
            report["exit"] = dict(phase=phase, **self.ended_elsewhere)
            report.pop("stopped", None)
        elif report.get("stopped") is None:
            report["stopped"] = {"phase": phase, "reason": reason}
        return self.finish()

    def _close_captures(self):
        """Ends the captures still open, innermost first, when a run is
        taken over: an exit that fails is left behind, not retried."""
        captures = self.captures
        while captures:
            capture = captures[-1]
            try:
                capture.__exit__(None, None, None)
            except Exception:
                pass
            if captures and captures[-1] is capture:
                captures.pop()

    def _quiet_signals(self):
        """While a run is taken over, no timer goes off and no signal handler of
        the program runs: the interval timers stop, and on the program's own
        thread its handlers are set aside (Ctrl-C then ends specscope at once).
        Elsewhere they cannot run: Python runs them on that thread only."""
        for which in (_signal.ITIMER_REAL, _signal.ITIMER_VIRTUAL, _signal.ITIMER_PROF):
            try:
                _signal.setitimer(which, 0)
            except Exception:
                pass
        if self.elsewhere:
            return
        try:
            for number in _signal.valid_signals():
                if callable(_signal.getsignal(number)):
                    _signal.signal(number, _signal.SIG_DFL if number == _signal.SIGINT else _signal.SIG_IGN)
        except Exception:
            pass

    # ---------------------------------------------------------------- select

    def select(self):
        """The code objects -f asks for: ([(code, parent, executed,
        namespace, qualname)], misses); none when importing the packages of
        -m failed."""
        if self.code is None:
            return [], []
        main = _main_objects(self.code, self.namespace)
        if not self.patterns:
            return main, []
        own = {id(c) for c in self.own_codes}
        own.add(id(self.code))
        executed = [c for c in self.executed.codes.values() if id(c) not in own]
        reach = _Reach(main, self.namespace, self.filename, self.kind in ("script", "module"), executed, self.cwd)
        return _select(self.patterns, reach)

    # ---------------------------------------------------------------- describe

    def _reply(self):
        # From here on only specscope's own code runs, but the program's audit
        # hooks and gc callbacks may still fire (choosing and describing code
        # objects opens files, compiles, allocates): what they print goes
        # nowhere, never onto the dump or the explorer.
        _sys.stdout = _sys.stderr = _Discard()
        report = self.report
        if _os.getpid() != self.parent_pid:
            # A child the program forked (os.fork, multiprocessing's fork) got
            # here: only the original process collects and prints.
            _child_exit(report)
        report["warmup_seconds"] = max(0.0, report["warmup_seconds"] - report.pop("recording_seconds", 0.0))
        report["output"] = self.output.chunks
        report["output_dropped_bytes"] = self.output.dropped
        if self.missing is not None:
            # -m named no module: the message, and what the packages printed.
            return {"error": self.missing.as_error(output=self.output.chunks)}
        try:
            selected, misses = self.select()
        except Exception as e:
            self.problems.append("choosing the code objects failed: %s" % _error_text(e))
            selected, misses = [], []
        self.executed = _Executed()
        _lasting.last_code_objects = [entry[0] for entry in selected]
        try:
            snapshot = self.describe(selected, misses)
            if self.request.get("why") and self.code is not None and self._may_observe():
                # The snapshot is what it was before observing: were the run
                # taken over while the program runs again, it is the reply.
                self.reply = _plain_copy(snapshot)
                try:
                    salvage(self.reply)
                except Exception as e:
                    self.problems.append("keeping the snapshot for a crash failed: %s" % _error_text(e))
                snapshot["why"] = self.observe(selected, snapshot)
            return snapshot
        finally:
            self.sampling.clear()

    def _may_observe(self):
        """Whether the program can run again: its first run was not stopped
        and did not end the process."""
        report = self.report
        return report.get("stopped") is None and (report.get("exit") or {}).get("how") not in _ABRUPT

    # ---------------------------------------------------------------- why

    def _why_sites(self, selected):
        """[(code, offsets)]: per selected code object, the sites where
        specialization failed, as the snapshot's counters say (every site
        with an inline cache for `--why-all`). The same reading of the
        counters as `decode_counter` in src/model/version.rs: on 3.12+ the
        generic form with a backoff above the warm-up's 1; on 3.11 an
        *_ADAPTIVE form with any backoff, or BINARY_OP and COMPARE_OP put
        back for good in a quickened code object."""
        every = self.request.get("why") == "all"
        v311 = _sys.version_info[:2] == (3, 11)
        ops = self.ops
        deopt = {}
        for base, members in ops.families.items():
            for member in members:
                deopt[member] = base
        names = ops.names
        out = []
        for entry in selected:
            code = entry[0]
            live = code._co_code_adaptive
            quickened = live != code.co_code
            offsets = []
            i = 0
            while i < len(live):
                name = names[live[i]]
                base = deopt.get(name, name)
                size = sum(s for _, s in ops.cache_format.get(base, ()))
                if size and base in ops.families:
                    backoff = live[i + 2] & 15
                    if every:
                        failing = True
                    elif v311:
                        failing = (name.endswith("_ADAPTIVE") and backoff >= 1) or \
                            (name == base and quickened and base in ("BINARY_OP", "COMPARE_OP"))
                    else:
                        failing = name == base and backoff >= 2
                    if failing:
                        offsets.append(i)
                i += 2 + 2 * size
            if offsets:
                out.append((code, offsets))
        return out

    def observe(self, selected, snapshot):
        """--why: runs the warm-up again (the program, when there is no
        --call) with each selected code object's unspecialized sites
        watched, and says what reached them. The program's output of this
        second run is not kept."""
        started = _time.perf_counter()
        _load_why()
        outcome = {"scope": self.request.get("why"), "per_site": WHY_PER_SITE, "ended": "completed",
                   "again": "call" if self.call else "program", "seconds": 0.0, "sites": []}
        try:
            observer = _Observer(self._why_sites(selected), _sys.version_info[:2])
        except Exception as e:
            outcome["ended"] = "could not start: %s" % _error_text(e)
            return outcome
        if not observer.codes:
            return outcome
        # Watching lasts as long as the first warm-up took (and a tenth of
        # a second), then the run goes on unwatched: however slow watching
        # makes the code (while a trace function is set, 3.11 runs every
        # instruction of the thread through its tracing path, in generic
        # form), the second run stays within about twice the first.
        first = self.report["warmup_seconds"] if self.call else self.report["program_seconds"]
        observer.deadline = _time.perf_counter() + first + 0.1
        watching = _Watching(observer)
        try:
            watching.start()
        except Exception as e:
            # Every sys.monitoring tool id taken, a replaced sys.settrace:
            # nothing to watch with, so the program does not run again.
            watching.stop()
            outcome["ended"] = "could not watch: %s" % _error_text(e)
            return outcome
        self.observing = (observer, watching, selected, snapshot, outcome, started)
        self.saved_output = self.output
        self.output = _Output(0, [])
        try:
            with _Captured(self, None), _Guard(self, self.request.get("timeout")):
                self.in_phase += 1
                left = observer.left
                progress_start("specscope --why: running the warm-up again, watching %d site%s"
                               % (left, "" if left == 1 else "s"))
                status = 0  # how a child the program forks here ends
                try:
                    with_hooks(self._run_again)
                except _Stop as e:
                    outcome["ended"] = "stopped: " + e.reason
                    status = e.status if e.exit is not None else 1
                except SystemExit as e:
                    outcome["ended"] = "completed"
                    status = e.code if isinstance(e.code, int) else int(e.code is not None)
                except KeyboardInterrupt:
                    outcome["ended"] = "stopped: interrupt"
                    status = 1
                except BaseException as e:
                    outcome["ended"] = "raised %s" % _class_name(type(e))
                    status = 1
                finally:
                    if _os.getpid() != self.parent_pid:
                        # A child the program forked in its second run got
                        # here: it ends as in the first run, without a dump.
                        _child_exit({"exit": {"status": status}})
                    self.in_phase -= 1
                    watching.stop()
                    progress_stop()
        except BaseException as e:
            outcome["ended"] = "failed: %s" % _error_text(e)
        finally:
            self.output = self.saved_output
            self.observing = None
        outcome["seconds"] = _time.perf_counter() - started
        if observer.cut_short and outcome["ended"] == "completed":
            outcome["ended"] = "completed; watching stopped after as long as the first run took"
        found = observer.report()
        outcome["sites"] = [found.get(id(entry[0]), []) for entry in selected]
        return outcome

    def _observed_so_far(self, reason):
        """The reply when the second run of --why is taken over: its
        captures ended, the snapshot with the evidence so far."""
        observer, watching, selected, snapshot, outcome, started = self.observing
        self.observing = None
        self.taking_over = True
        self.elsewhere = _thread.get_ident() != self.thread
        for step in (watching.stop, progress_stop):
            try:
                step()
            except Exception:
                pass
        self._close_captures()
        self.output = self.saved_output
        outcome["ended"] = "stopped: " + (self.ended_elsewhere["how"] if reason == "exit" else reason)
        outcome["seconds"] = _time.perf_counter() - started
        found = observer.report()
        outcome["sites"] = [found.get(id(entry[0]), []) for entry in selected]
        snapshot["why"] = outcome
        return snapshot

    def _run_again(self):
        """The warm-up again: --call (and --then) as many times as before,
        or the program itself, as __main__ in a fresh module."""
        self._set_argv()
        if self.call:
            compiled = compile_source(self.call, "<call>", "eval")
            for _ in range(self.calls):
                eval(compiled, self.namespace)
            if self.then:
                compiled = compile_source(self.then, "<then>", "eval")
                for _ in range(self.then_calls):
                    eval(compiled, self.namespace)
            return
        main = _fresh_main(self.kind, self.filename)
        if self.kind == "module":
            main.__file__ = self.filename
        for name in ("__spec__", "__loader__", "__package__", "__cached__"):
            if name in self.namespace:
                setattr(main, name, self.namespace[name])
        saved = _sys.modules.get("__main__")
        _sys.modules["__main__"] = main
        try:
            exec(self.code, main.__dict__)
        finally:
            _sys.modules["__main__"] = saved

    def describe(self, selected, misses):
        """The snapshot: the selected code objects described, the files they
        come from, and how the run went."""
        report = self.report
        if self.request.get("bytecode_only"):
            # Only dis's text wanted: it shows no source.
            files, unkept = {}, {id(entry[0]) for entry in selected}
        else:
            files, unkept = self._files(selected)
        snapshot = {
            "python": {
                "version": _VERSION,
                "full_version": _sys.version,
                "families": self.ops.families,
            },
            "target": {"kind": self.kind, "filename": self.filename,
                       "argv": [self.argv0] + list(self.request.get("args", ()))},
            "call": self.call,
            "calls": self.calls,
            "then": self.then if self.call else None,
            "then_calls": self.then_calls if self.call and self.then else 0,
            "steps": self.steps,
            "files": files,
            "code_objects": self._code_objects(selected, self.main.__dict__, unkept),
            "run": report,
            "misses": misses,
            "optable": None,
            "sampling": self.sampling.report(),
        }
        if self.problems:
            report["collection_error"] = "; ".join(dict.fromkeys(self.problems))
        return snapshot

    def _files(self, selected):
        """{filename: source} of the selected code objects, and the ids of
        those whose source is not there: code made at run time from a
        string no one kept (its name is the target's own, `<string>` for
        -c, or the program registered none with linecache), a file above
        the source limit (left out) or one that cannot be read."""
        files = {}
        unkept = set()
        missing = set()
        target = None  # ids of the target's code objects, when needed
        for entry in selected:
            c = entry[0]
            filename = c.co_filename
            if filename == self.filename:
                if self.kind not in ("script", "module"):
                    if target is None:
                        tree = []
                        if self.code is not None:
                            _walk(self.code, None, tree)
                        target = {id(code) for code, _ in tree}
                    if id(c) not in target:
                        unkept.add(id(c))
                        continue
                files[filename] = self.source
            elif filename in files:
                pass
            elif filename in missing:
                unkept.add(id(c))
            elif _is_pseudo(filename):
                text = _registered_source(filename)
                if text is None:
                    missing.add(filename)
                    unkept.add(id(c))
                else:
                    files[filename] = text
            elif _over_limit(filename):
                missing.add(filename)
                unkept.add(id(c))
            else:
                try:
                    files[filename] = _module_source(filename)
                except Exception as e:
                    files[filename] = ""
                    self.problems.append("reading %s failed: %s" % (filename, _error_text(e)))
                if not files[filename] and not _os.path.isfile(_os.path.join(self.cwd, filename)):
                    # A frozen module's name, a file that is gone.
                    missing.add(filename)
                    unkept.add(id(c))
        return files, unkept

    def _code_objects(self, selected, main_namespace, unkept):
        """Each selected code object described (`unkept`: ids of those whose
        source is not in the files); one whose description fails is kept
        bare, and the failure is a problem."""
        described = []
        try:
            spaces = {id(main_namespace): main_namespace}
            for entry in selected:
                spaces[id(entry[3])] = entry[3]
            # Only dis's text wanted: no one reads what cache entries refer to.
            resolver = None if self.request.get("bytecode_only") else _Resolver(list(spaces.values()))
            samples = self.sampling.counts([entry[0] for entry in selected])
            for (c, p, e, space, name), found in zip(selected, samples):
                try:
                    one = self._describe_code(c, p, e, space, resolver)
                    if found:
                        one["samples"] = found
                except BaseException as error:
                    # Something of the program's broke the description (an
                    # audit hook that raises, a replaced module): keep the code
                    # object, without its instructions, and say what happened.
                    self.problems.append("describing %s failed: %s" % (c.co_name, _error_text(error)))
                    one = _bare(c, p, e)
                one["qualname"] = name
                one["source_kept"] = id(c) not in unkept
                described.append(one)
            return described
        except BaseException as error:
            self.problems.append("describing the code objects failed: %s" % _error_text(error))
            rest = [dict(_bare(c, p, e), qualname=name, source_kept=id(c) not in unkept)
                    for c, p, e, _, name in selected[len(described):]]
            return described + rest

    def _describe_code(self, code, parent, executed, namespace, resolver):
        # Looked up at each call, as a program that breaks the collector finds them.
        describe = _raw_code if self.decoder == "rust" else _describe
        described = _header(code, parent, executed, self.starts)
        described.update(describe(code, self.ops, namespace, resolver))
        return described


# ---------------------------------------------------------------- entry points
#
# Rust calls `run`, `take_over` and `reference_dis`; the native module
# replaces `with_hooks`, `watch`, `stop_now`, `function_code`, `high_dup`
# and the `sample_*` functions once this module is loaded.


def run(request):
    """Runs the program the request names and returns the reply, plain
    data: the raw snapshot src/collect/raw.rs reads, or an error."""
    session = _Session(request)
    _lasting.session = session
    return session.run()


def with_hooks(fn, *args):
    """Calls fn(*args), the program's own code, with the program's trace and
    profile functions and sys.monitoring events in effect. The native module
    replaces this: the collector runs with those hooks suspended (they would
    run on its frames, and may raise), and only the program's code sees them.
    """
    return fn(*args)


def without_hooks(fn, *args):
    """Calls fn(*args), specscope's own code that the program's code calls,
    with the program's hooks held off. The native module replaces this."""
    return fn(*args)


def watch(seconds):
    """Arms the watchdog for a run that must end `seconds` from now. The
    native module replaces this (src/collect/python/watchdog.rs): when the
    run outlives that by a fifth, because the program did not let `_Guard`
    stop it (it ignores SIGALRM, cancels the timer, catches BaseException),
    the watchdog ends the run through `take_over`. Without the native
    module, nothing."""


def before_fork():
    """Before the program forks: the native module replaces this with a
    function that stops specscope's threads (the output reader, the
    sampler, the watchdog) until `after_fork_in_parent`, so that the program
    forks with no thread but its own, as under python. Without it there are
    none."""


def after_fork_in_parent():
    """After the program forked, in the process that forked: the threads
    `before_fork` stopped start again (the native module replaces this)."""


def compile_source(source, filename, mode):
    """`compile(source, filename, mode, dont_inherit=True)`. The native
    module replaces this with the same compilation without `compile()`'s
    check for an AST, which on 3.12 and 3.13 makes the `_ast` module's
    classes at its first call (src/collect/python.rs)."""
    return compile(source, filename, mode, dont_inherit=True)


def function_code(function):
    """(code, globals) of a function. The native module replaces this
    with a read that raises no audit event: reading `__code__` or
    `__globals__` does, and a program's audit hook may refuse it."""
    return function.__code__, function.__globals__


def high_dup(fd):
    """A copy of fd numbered high, as `_high_dup` makes it. The native module
    replaces this (src/collect/capture.rs); without it, None: `_high_dup`
    makes the copy itself."""
    return None


def exit_now():
    """`os._exit` or an `os.exec` function in the program: the native module
    replaces this with a function that ends the run from the calling
    thread, never to return; without it, this returns (and the call raises
    `_Stop` there)."""


def stop_now(reason):
    """Ends the run at once through `take_over`, never to return. The native
    module replaces this; without it, this returns."""


def sigint_watch():
    """Notes where each SIGINT comes from (see `sigint_origin`). The native
    module replaces this."""


def sigint_origin():
    """Where the SIGINT being handled came from: "self" (the process sent
    it to itself) or "outside". The native module replaces this; without
    it, every SIGINT is from outside."""
    return "outside"


def park():
    """Stops the calling thread for good, without the interpreter (another
    thread ends the run). The native module replaces this; without it, no
    other thread ends a run and nothing makes a `_Parked`."""


class _Parked(BaseException):
    """Raised into the program's thread when another thread ends the run
    (a timeout that finds it blocked outside the interpreter, or `os._exit`
    on another thread). On the main thread a pending call parks the thread
    first, and this is never made; on another thread, CPython makes it
    where the thread next runs Python code (3.11: where a handler is found,
    after the frames without one are left), and making it parks the
    thread."""

    def __new__(cls, *args):
        park()
        return super().__new__(cls, *args)


# Sampling (see `_Sampling`): the native module replaces these; without it
# nothing is sampled.


def sample_start(interval_ms):
    """Samples the calling thread every `interval_ms` milliseconds."""


def sample_stop():
    """Stops sampling: (samples taken, mean milliseconds between them)."""
    return 0, 0.0


def sample_pause(paused):
    """Holds sampling off (True) or lets it go on (False)."""


def sample_counts(codes):
    """Per code object, its samples as [[offset, samples], ...]."""
    return [[] for _ in codes]


def sample_clear():
    """Lets go of what the samples found."""


def generic_attribute_access(cls):
    """(gets, sets): whether the class looks attributes up, and sets them,
    the generic way (its tp_getattro and tp_setattro). The native module
    replaces this; without it, (False, False): the __getattribute__ and
    __setattr__ the class lists decide."""
    return False, False


def call_flags(value):
    """The `METH_*` flags of a C function or method descriptor, as text
    ("METH_O"); None for anything else. The native module replaces this;
    without it, None."""
    return None


def salvage(snapshot):
    """Hands the snapshot (plain data) to Rust before --why runs the program
    a second time: should that run crash the interpreter, the crash report
    still shows it (src/collect/capture.rs). The native module replaces
    this; without it, nothing."""


def ends_process():
    """Whether the process ends once specscope is done (the binary, the
    package's command); the native module replaces this."""
    return False


def progress_start(what):
    """Shows `what` is going on in a progress line on specscope's stderr
    (when a terminal) after a second. The native module replaces this."""


def progress_stop():
    """Ends (and clears) the progress line."""


def take_over(reason):
    """Ends a run whose program will not stop, and returns the reply `run`
    would have returned, built the same way from where the run is (None
    when no run is under way).

    The native side calls this on the thread the program runs on, from the
    interpreter's loop wherever the program is, or from another thread
    (when the program's thread is blocked outside the interpreter, or the
    program called `os._exit` there): the program's thread is then parked
    the next time it runs Python code (see `_Parked`). Either way no code
    of the program runs after this. What the captures changed is put back (file
    descriptors, `sys.stdout`, ...), and the run is marked stopped by
    `reason` ("timeout" or "interrupt") in the phase that was running."""
    session = _lasting.session
    return None if session is None else session.take_over(reason)


def reference_dis(fix_cache_values):
    """dis.dis text of each code object of the last collection, in this
    interpreter, as a list (see `DisPath.reference` in the dis half)."""
    return _dis_path().reference(_lasting.last_code_objects, fix_cache_values)
