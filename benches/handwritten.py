"""The hand-written way to see specialized bytecode (row b of the harness).

    python handwritten.py script PATH OUT   run PATH as __main__, then dis every
                                            code object of its file into OUT
    python handwritten.py module NAME OUT   import NAME, then dis every code
                                            object of NAME's file into OUT

Code objects are found as specscope finds them: the top-level code object and
everything reachable through co_consts, in dis order. For a module, the
top-level code object is caught with an audit hook while the import runs; when
the module was imported before this script started (site may import it), that
code is gone, and the functions and class bodies of the module are walked
instead, as specscope does.
"""

import dis
import os
import sys
import types


def walk(code, out):
    out.append(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            walk(const, out)


def write(codes, path):
    with open(path, "w") as f:
        for i, code in enumerate(codes):
            if i:
                f.write("\n")
            f.write("Disassembly of %r:\n" % (code,))
            dis.dis(code, file=f, depth=0, adaptive=True, show_caches=True)


def script(path, out):
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    exec(code, main.__dict__)
    codes = []
    walk(code, codes)
    write(codes, out)


def module_roots(module):
    """Function and class-body code objects of a module whose top level is gone."""
    name = module.__name__
    filename = module.__file__
    seen = set()
    roots = []

    def visit(obj, depth):
        if depth > 4 or id(obj) in seen:
            return
        seen.add(id(obj))
        code = getattr(obj, "__code__", None)
        if isinstance(code, types.CodeType) and code.co_filename == filename:
            roots.append(code)
            return
        if isinstance(obj, (staticmethod, classmethod)):
            visit(obj.__func__, depth + 1)
        elif isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    visit(f, depth + 1)
        elif isinstance(obj, type) and getattr(obj, "__module__", None) == name:
            for value in list(vars(obj).values()):
                visit(value, depth + 1)

    for value in list(vars(module).values()):
        visit(value, 0)
    roots.sort(key=lambda c: c.co_firstlineno)
    return roots


def module(name, out):
    captured = {}

    def hook(event, args):
        if event == "exec" and isinstance(args[0], types.CodeType):
            if args[0].co_name == "<module>":
                captured.setdefault(args[0].co_filename, args[0])

    sys.addaudithook(hook)
    mod = __import__(name)
    for part in name.split(".")[1:]:
        mod = getattr(mod, part)
    top = captured.get(mod.__file__)
    codes = []
    for root in [top] if top is not None else module_roots(mod):
        walk(root, codes)
    write(codes, out)


if __name__ == "__main__":
    kind, what, out = sys.argv[1:4]
    {"script": script, "module": module}[kind](what, out)
