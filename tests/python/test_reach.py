"""What -f patterns reach: module globs, file paths, names in angle brackets,
and the functions a program made at run time from strings."""

import collections
import dataclasses
import fnmatch
import functools
import linecache
import os
import sys
import textwrap
import types

import pytest

# ------------------------------------------------------------ parsing


@pytest.mark.parametrize("pattern, parsed", [
    ("Point.*", ("target", None, "Point.*")),
    ("mylib.core:*", ("module", "mylib.core", "*")),
    ("pkg.**:", ("module", "pkg.**", "*")),
    ("src/app/models.py:Model.*", ("file", "src/app/models.py", "Model.*")),
    ("models.py:*", ("file", "models.py", "*")),
    ("/abs/dir:with:colons/x.py:f", ("file", "/abs/dir:with:colons/x.py", "f")),
    ("<string>:P.__init__", ("name", "<string>", "P.__init__")),
    ("<attrs generated init *>:*", ("name", "<attrs generated init *>", "*")),
])
def test_a_pattern_says_where_it_looks_by_its_part_before_the_last_colon(collector, pattern, parsed):
    assert collector._parse_pattern(pattern) == parsed


# ------------------------------------------------------------ globs of names

MODULES = ["pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.deep", "pkgx", "other.pkg", "other.pkg.a", "a.b.models",
           "models", "pkg.models", "pk"]


@pytest.mark.parametrize("glob, selected", [
    ("pkg", ["pkg"]),
    ("pkg.*", ["pkg.a", "pkg.b", "pkg.models", "pkg.sub"]),
    ("pkg.**", ["pkg", "pkg.a", "pkg.b", "pkg.models", "pkg.sub", "pkg.sub.deep"]),
    ("pkg.*.*", ["pkg.sub.deep"]),
    ("pkg*", ["pkg", "pkgx"]),
    ("**.models", ["a.b.models", "models", "pkg.models"]),
    ("**.pkg.*", ["other.pkg.a", "pkg.a", "pkg.b", "pkg.models", "pkg.sub"]),
    ("**", sorted(MODULES)),
    ("*", ["models", "pk", "pkg", "pkgx"]),
    ("pk?", ["pkg"]),
    ("pkg.[ab]", ["pkg.a", "pkg.b"]),
    ("pkg.s**", ["pkg.sub"]),
])
def test_a_module_glob_matches_within_components_and_across_them_only_with_a_whole_double_star(
        collector, glob, selected):
    name_glob = collector._NameGlob(glob, ".")
    assert sorted(m for m in MODULES if name_glob.matches(m)) == selected


def test_without_a_double_star_a_name_glob_is_fnmatch_component_by_component(collector):
    globs = ["*", "a*", "*.b", "a.*", "?.?", "[ab].*", "a.[!b]", "*.*.*", "a*.b*"]
    names = ["a", "b", "a.b", "a.c", "ab.bc", "a.b.c", "x.y", "", "a."]
    for glob in globs:
        for name in names:
            parts, words = glob.split("."), name.split(".")
            expected = len(parts) == len(words) and all(fnmatch.fnmatchcase(w, p) for w, p in zip(words, parts))
            assert collector._NameGlob(glob, ".").matches(name) == expected, (glob, name)


def test_a_path_glob_is_absolute_from_the_starting_folder_with_links_resolved(collector, tmp_path):
    real = tmp_path / "real"
    (real / "app").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    models = str(real / "app" / "models.py")
    cwd = str(tmp_path)
    assert collector._path_glob("link/app/models.py", cwd).matches(models)
    assert collector._path_glob("./link/../real/app/models.py", cwd).matches(models)
    assert collector._path_glob(str(tmp_path / "link" / "app" / "*.py"), "/").matches(models)
    assert collector._path_glob("link/**", cwd).matches(models)
    assert collector._path_glob("**/models.py", cwd).matches(models)
    assert not collector._path_glob("link/*.py", cwd).matches(models), "a star stays within its folder"
    assert collector._path_glob("link/", cwd).matches(models), "a folder: every file under it"
    assert collector._path_glob("link", cwd).matches(models)
    assert not collector._path_glob("link/app/model.py", cwd).matches(models)


# ------------------------------------------------------------ functions made at run time

PROGRAM = textwrap.dedent(r'''
    import collections
    import dataclasses
    import functools

    @dataclasses.dataclass
    class P:
        x: int
        y: int = 0

    N = collections.namedtuple("N", "a b")
    made = eval("lambda v: v")
    exec("def built(v):\n    def inner(w):\n        return w\n    return inner(v)\n")
    built.__qualname__ = "Made.built"
    partial_sum = functools.reduce

    def own(a):
        return a

    class Plain:
        def method(self):
            return 1
''')


def run_program(collector):
    """The program run as __main__ would be, and what -f reaches of it."""
    code = compile(PROGRAM, "program.py", "exec", dont_inherit=True)
    namespace = {"__name__": "__main__"}
    exec(code, namespace)
    return namespace, collector._Reach(collector._main_objects(code, namespace), namespace, "program.py", False)


def test_functions_made_from_strings_are_named_as_their_functions_are(collector):
    namespace, reach = run_program(collector)
    chosen, misses = collector._select(["P.*", "N.*", "<lambda>*", "own"], reach)
    assert misses == []
    names = [name for _, _, _, _, name in chosen]
    assert names[0] == "own", "the target's own code first, in dis order"
    assert set(names[1:]) == {"P.__init__", "P.__repr__", "P.__eq__", "N.__new__", "<lambda>"}
    init = chosen[names.index("P.__init__")][0]
    assert init is namespace["P"].__init__.__code__
    assert init.co_qualname == "__create_fn__.<locals>.__init__"
    assert chosen[names.index("P.__init__")][3] is namespace["P"].__init__.__globals__, "the function's globals"


def test_code_nested_in_a_made_function_takes_its_name_and_its_parent(collector):
    namespace, reach = run_program(collector)
    chosen, _ = collector._select(["Made.*"], reach)
    assert [(name, parent) for _, parent, _, _, name in chosen] == [("Made.built", None),
                                                                    ("Made.built.<locals>.inner", 0)]
    assert chosen[1][0].co_qualname == "built.<locals>.inner"


def test_functions_of_other_files_and_the_target_s_own_are_not_made_at_run_time(collector):
    namespace, reach = run_program(collector)
    made = reach.made_at_run_time(namespace, "__main__", reach.tree)
    files = {code.co_filename for code, _, _, _, _ in made}
    assert files == {"<string>"}
    names = {name for _, _, _, _, name in made}
    assert "own" not in names and "Plain.method" not in names
    assert not any("reduce" in name for name in names)


def test_the_wrapped_repr_of_a_dataclass_is_reached_under_the_name_of_its_wrapper(collector):
    namespace, reach = run_program(collector)
    chosen, _ = collector._select(["P.__repr__"], reach)
    [(code, _, _, _, name)] = chosen
    assert name == "P.__repr__"
    assert code.co_filename == "<string>" and code.co_name == "__repr__"


def test_reading_what_a_module_holds_runs_none_of_its_code(collector):
    ran = []

    class Meta(type):
        def __getattribute__(cls, name):
            ran.append(name)
            return type.__getattribute__(cls, name)

        def __eq__(cls, other):
            ran.append("eq")
            return False

        __hash__ = type.__hash__

    class Sneaky(metaclass=Meta):
        __module__ = "__main__"

        def method(self):
            return 1

        @property
        def value(self):
            return 2

    namespace = {"__name__": "__main__", "Sneaky": Sneaky}
    found = collector._functions_held(namespace, "__main__")
    assert {name for name, _ in found} == {"test_reading_what_a_module_holds_runs_none_of_its_code.<locals>.Sneaky.method",
                                           "test_reading_what_a_module_holds_runs_none_of_its_code.<locals>.Sneaky.value"}
    assert ran == []


def test_what_classes_hold_is_found_through_descriptors_and_wrappers(collector):
    source = textwrap.dedent('''
        import abc, functools

        def deco(f):
            @functools.wraps(f)
            def wrapper(*a):
                return f(*a)
            return wrapper

        class K:
            @functools.cached_property
            def cached(self):
                return 1

            @abc.abstractproperty
            def abstract(self):
                return 2

            @abc.abstractclassmethod
            def made(cls):
                return 3

            @deco
            def decorated(self):
                return 4
    ''')
    namespace = {"__name__": "held"}
    exec(compile(source, "held.py", "exec"), namespace)
    found = {function.__code__.co_qualname for _, function in collector._functions_held(namespace, "held")}
    assert {"K.cached", "K.abstract", "K.made", "K.decorated", "deco", "deco.<locals>.wrapper"} <= found


def test_the_same_code_object_is_chosen_once_where_two_scopes_reach_it(collector):
    namespace, reach = run_program(collector)
    chosen, _ = collector._select(["P.__init__", "<string>:*", "P.*"], reach)
    codes = [id(code) for code, _, _, _, _ in chosen]
    assert len(codes) == len(set(codes))


# ------------------------------------------------------------ modules, files and names in angle brackets


@pytest.fixture
def package(monkeypatch, tmp_path):
    """A package `fakepkg` with submodules, imported (put in sys.modules)."""
    made = {}
    for name in ("fakepkg", "fakepkg.a", "fakepkg.sub", "fakepkg.sub.deep"):
        module = types.ModuleType(name)
        path = tmp_path / (name.replace(".", "/") + ("/__init__.py" if name in ("fakepkg", "fakepkg.sub") else ".py"))
        path.parent.mkdir(parents=True, exist_ok=True)
        source = "def %s_fn(x):\n    return x\n" % name.rpartition(".")[2]
        path.write_text(source)
        module.__file__ = str(path)
        if name in ("fakepkg", "fakepkg.sub"):
            module.__path__ = [str(path.parent)]
        exec(compile(source, str(path), "exec"), vars(module))
        monkeypatch.setitem(sys.modules, name, module)
        made[name] = module
    return made


def reach_of(collector, tmp_path, executed=()):
    code = compile("pass", "main.py", "exec")
    return collector._Reach(collector._main_objects(code, {}), {}, "main.py", False, executed, str(tmp_path))


def test_module_globs_choose_modules_and_their_code(collector, package, tmp_path):
    reach = reach_of(collector, tmp_path)
    chosen, misses = collector._select(["fakepkg.*:*_fn"], reach)
    assert misses == []
    assert [name for *_, name in chosen] == ["a_fn", "sub_fn"]
    chosen, _ = collector._select(["fakepkg.**:*_fn"], reach)
    assert [name for *_, name in chosen] == ["fakepkg_fn", "a_fn", "sub_fn", "deep_fn"]


def test_a_file_path_chooses_the_code_of_that_file(collector, package, tmp_path):
    reach = reach_of(collector, tmp_path)
    chosen, misses = collector._select(["fakepkg/sub/deep.py:*"], reach)
    assert misses == [] and [name for *_, name in chosen] == ["deep_fn"]
    chosen, _ = collector._select([str(tmp_path / "fakepkg" / "**" / "*.py") + ":*"], reach)
    assert {name for *_, name in chosen} == {"fakepkg_fn", "a_fn", "sub_fn", "deep_fn"}


def test_a_scope_that_names_nothing_is_a_miss_with_patterns_it_may_have_meant(collector, package, tmp_path):
    reach = reach_of(collector, tmp_path)
    _, misses = collector._select(["fakepkgg.**:*", "fakepkg/nothere.py:*", "<nothing>:*", "fakepkg.a:b_fn"], reach)
    assert [m["missing"] for m in misses] == ["module", "file", "file", "code"]
    assert "fakepkg.**:*" in misses[0]["candidates"] and "fakepkg.*:*" in misses[0]["candidates"]
    assert "fakepkg.a:*" in misses[0]["candidates"]
    assert "fakepkg/a.py:*" in misses[1]["candidates"], "files inside the starting folder, relative to it"
    assert misses[3]["candidates"] == ["fakepkg.a:a_fn"]


def test_code_compiled_from_strings_is_reached_by_its_name_in_angle_brackets(collector, tmp_path):
    one = compile("def g():\n    return 1\n", "<template page>", "exec")
    two = compile("x = 1\n", "<string>", "exec")
    reach = reach_of(collector, tmp_path, [one, two])
    chosen, misses = collector._select(["<template *>:*"], reach)
    assert misses == [] and [name for *_, name in chosen] == ["<module>", "g"]
    assert chosen[1][1] == 0, "g's parent is the code it was compiled in"


def test_only_so_many_code_objects_compiled_from_strings_are_kept(collector, monkeypatch):
    monkeypatch.setattr(collector, "_EXEC_KEPT", 3)
    executed = collector._Executed()
    strings = [compile("x = %d" % i, "<string>", "exec") for i in range(5)]
    module = compile("y = 1", "/some/module.py", "exec")
    for code in strings + [module, strings[0]]:
        executed.keep(code)
    assert list(executed.codes.values()) == strings[:3] + [module]


# ------------------------------------------------------------ sources


def test_source_registered_with_linecache_is_read_and_specscope_s_own_is_not(collector, monkeypatch):
    lines = ["def __init__(self):\n", "    pass\n"]
    monkeypatch.setitem(linecache.cache, "<generated init X>", (20, None, lines, "<generated init X>"))
    assert collector._registered_source("<generated init X>") == "".join(lines)
    monkeypatch.setitem(linecache.cache, "<lazy>", (lambda: lines,))
    assert collector._registered_source("<lazy>") is None, "a lazy entry would run the program's code"
    ours = ["print('-c program')\n"]
    monkeypatch.setitem(collector._lasting.unlisted_sources, "<string>", ours)
    monkeypatch.setitem(linecache.cache, "<string>", (10, None, ours, "<string>"))
    assert collector._registered_source("<string>") is None
    assert collector._registered_source("<never registered>") is None


@pytest.mark.parametrize("name, pseudo", [("<string>", True), ("<attrs generated init C>", True),
                                          ("<frozen posixpath>", False), ("/a/b.py", False), ("<x", False)])
def test_names_in_angle_brackets_are_code_from_strings_but_frozen_modules_are_not(collector, name, pseudo):
    assert collector._is_pseudo(name) == pseudo
