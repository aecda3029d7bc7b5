"""specscope: see what CPython's specializing adaptive interpreter (PEP 659)
did to your code.

The `specscope` command, run inside this interpreter: `main()` is what the
`specscope` console script and `python -m specscope` call. The command runs
the program it is given in this interpreter's world as it is: its
`sys.executable`, its virtualenv, its `sys.path`.
"""

import os
import signal
import sys
import threading

from ._specscope import __version__, run

__all__ = ["__version__", "main"]


def main(argv=None):
    """Runs the specscope command line `argv` (default: `sys.argv[1:]`) and
    returns its exit code (the console script raises SystemExit with it).

    specscope writes to the standard file descriptors itself, sets up the
    program's `__main__`, `sys.argv`, `sys.path` and streams, and installs
    signal handlers of its own while it runs, as the binary does in the
    interpreter it embeds. What it changed of this interpreter is put back
    before this returns: `sys.argv`, `sys.path`, the `sys` streams,
    `__main__` and the signal handlers."""
    args = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_main = sys.modules.get("__main__")
    main_thread = threading.current_thread() is threading.main_thread()
    saved_signals = {}
    if main_thread:
        for number in signal.valid_signals():
            try:
                handler = signal.getsignal(number)
            except (OSError, ValueError):
                continue
            if handler is not None:
                saved_signals[number] = handler
    # The program's sys.path is what python gives it: its own folder first,
    # then the interpreter's path, without the folder python added for the
    # command that runs specscope (the console script's, or the current
    # folder for `python -m specscope`).
    if sys.path and not getattr(sys.flags, "safe_path", False):
        del sys.path[0]
    # As in the binary, Ctrl-C outside the program's run ends specscope at
    # once; while the program runs, specscope turns it into a
    # KeyboardInterrupt in the program.
    if main_thread:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return run(["specscope", *(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args)])
    finally:
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        for number, handler in saved_signals.items():
            try:
                if signal.getsignal(number) is not handler:
                    signal.signal(number, handler)
            except (OSError, ValueError, TypeError):
                pass
