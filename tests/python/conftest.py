"""Loads the collector the way specscope does, minus the native functions:
assets/collector.py as a module, with its dis half and why part compiled and
put on it (as src/collect/python.rs puts the build's copies)."""

import importlib.util
import marshal
import pathlib
import sys

import pytest

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"


def load_collector():
    path = ASSETS / "collector.py"
    spec = importlib.util.spec_from_file_location("specscope_collector_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dis_path = ASSETS / "collector_dis.py"
    code = compile(dis_path.read_text(encoding="utf-8"), str(dis_path), "exec", dont_inherit=True)
    module._DIS_PATH_CODE = marshal.dumps(code)
    why_path = ASSETS / "collector_why.py"
    code = compile(why_path.read_text(encoding="utf-8"), str(why_path), "exec", dont_inherit=True)
    module._WHY_CODE = marshal.dumps(code)
    # The why part's names (`why_operand_sources`, `_Observer`, ...), as
    # --why loads them.
    module._load_why()
    return module


@pytest.fixture(scope="session")
def collector():
    return load_collector()


@pytest.fixture(scope="session")
def dis_path(collector):
    """The collector's dis half, loaded through the collector."""
    return collector._dis_path()


# Where the interpreter's cache structs differ from `opcode._cache_format`
# (the request carries these; see `cache_layout_fixes` in src/model/version.rs):
# 3.13's LOAD_GLOBAL keeps the index last.
CACHE_LAYOUTS = {
    (3, 13): {"LOAD_GLOBAL": [["counter", 1], ["module_keys_version", 1], ["builtin_keys_version", 1], ["index", 1]]},
}


@pytest.fixture(scope="session")
def ops(collector, dis_path):
    """The opcode facts of this Python, as a run gets them."""
    return collector._OpcodeFacts(dis_path.op_table(), CACHE_LAYOUTS.get(sys.version_info[:2], {}))


def code_objects(code):
    """`code` and every code object nested in it."""
    found = [code]
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            found.extend(code_objects(const))
    return found
