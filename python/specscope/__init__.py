"""specscope: see what CPython's specializing adaptive interpreter (PEP 659)
did to your code.

The `specscope` command, run inside this interpreter: the `specscope`
script and `python -m specscope` call `console()`. The command runs
the program it is given in this interpreter's world as it is: its
`sys.executable`, its virtualenv, its `sys.path`.
"""

# `_signal`, the C module: `signal` imports `enum`, which would add
# milliseconds to every start.
import _signal
import os
import sys

from ._specscope import __version__, run

__all__ = ["__version__", "console", "main"]


def console():
    """The `specscope` command: runs `specscope` with `sys.argv[1:]` and
    ends the process with its exit code, as the binary does. The process
    ends at once, without the interpreter's way out: what the program left
    behind in this interpreter (threads still running, trace, monitoring
    and audit hooks, gc callbacks) must not run after specscope is done, and
    specscope has already run the program's `atexit` functions as part of
    its run."""
    _run(sys.argv[1:], restore=False, end_process=True)


def main(argv=None):
    """Runs the specscope command line `argv` (default: `sys.argv[1:]`) in
    this interpreter and returns its exit code. What specscope changed of
    the interpreter while the program ran is put back before this returns:
    `sys.argv`, `sys.orig_argv`, `sys.path`, the `sys` streams, `__main__`
    and the signal handlers; what the program itself left behind (threads,
    hooks, imported modules) stays. `console()` is the command that ends
    the process."""
    return _run(sys.argv[1:] if argv is None else list(argv), restore=True, end_process=False)


def _run(args, restore, end_process):
    """specscope writes to the standard file descriptors itself, and sets
    up the program's `__main__`, `sys.argv`, `sys.path` and streams, and
    signal handlers of its own while it runs, as the binary does in the
    interpreter it embeds."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    saved_orig_argv = getattr(sys, "orig_argv", None)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_main = sys.modules.get("__main__")
    saved_signals = {}
    if restore:
        for number in _signal.valid_signals():
            try:
                handler = _signal.getsignal(number)
            except (OSError, ValueError):
                continue
            if handler is not None:
                saved_signals[number] = handler
    # The program's sys.path is what python gives it: its own folder first,
    # then the interpreter's path, without the folder python added for the
    # command that runs specscope (the `specscope` script's, or the current
    # folder for `python -m specscope`).
    if sys.path and not sys.flags.safe_path:
        del sys.path[0]
    # As in the binary, Ctrl-C outside the program's run ends specscope at
    # once; while the program runs, specscope makes it a KeyboardInterrupt
    # in the program. (Only the main thread may set handlers: elsewhere
    # they stay as they are.)
    try:
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    except ValueError:
        pass
    argv = ["specscope", *(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args)]
    try:
        return run(argv, end_process)
    finally:
        if restore:
            sys.argv[:] = saved_argv
            if saved_orig_argv is not None:
                sys.orig_argv = saved_orig_argv
            sys.path[:] = saved_path
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            if saved_main is not None:
                sys.modules["__main__"] = saved_main
            for number, handler in saved_signals.items():
                try:
                    if _signal.getsignal(number) is not handler:
                        _signal.signal(number, handler)
                except (OSError, ValueError, TypeError):
                    pass
