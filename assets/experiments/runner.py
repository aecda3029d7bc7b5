"""Runs the experiments behind the explanation texts.

Each file beside this one holds `EXPERIMENTS`, a list of dicts:

    {
        "form": "BINARY_OP_ADD_INT",        # the specialized opname to reach
        "versions": ["3.12", "3.13"],       # optional: only on these versions
        "setup": "def f(a, b):\\n    return a + b\\n",
        "site": "f",                        # function (dotted path) holding the site
        "base": "BINARY_OP",                # optional: base opname of the site
        "nth": 0,                           # optional: which occurrence of it
        "warm": "f(1, 2)",                  # run until the site shows the form
        "misses": {"float": "f(1.0, 2)"},   # cause id -> statements that miss
        "kept": {"big": "f(2**100, 1)"},    # id -> statements that must not miss
    }

For every cause the setup runs anew in a fresh namespace, so each cause meets
a freshly specialized instruction. A cause is proven when, after the
statements ran once, the site's counter (its first inline-cache entry) or its
live opname changed ("misses"), or when both stayed exactly as they were
("kept").

Run from a shell to try one file: `python runner.py binary_op.py [FORM]`.
"""

import dis as _dis
import sys as _sys

WARM_LIMIT = 300


def _tables():
    names = list(getattr(_dis, "_all_opname", None) or _dis.opname)
    deop = [_dis._deoptop(op) for op in range(256)]
    if hasattr(_dis, "_get_cache_size"):
        caches = [_dis._get_cache_size(names[op]) for op in range(256)]
    else:
        caches = [_dis._inline_cache_entries[op] for op in range(256)]
    return names, deop, caches


_NAMES, _DEOP, _CACHES = _tables()


def version_short():
    return "%d.%d" % _sys.version_info[:2]


def applies(experiment, version=None):
    versions = experiment.get("versions")
    return not versions or (version or version_short()) in versions


def _family_of(form):
    import opcode

    for base, members in opcode._specializations.items():
        if form in members:
            return base
    return None


def _site_code(namespace, path):
    obj = namespace
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    obj = getattr(obj, "__func__", obj)
    obj = getattr(obj, "fget", obj)
    return obj.__code__


def read_site(code, base, nth):
    """(live opname, first cache unit or None, offset) of the nth `base`."""
    live = code._co_code_adaptive
    i = 0
    seen = 0
    while i < len(live):
        op = live[i]
        b = _DEOP[op]
        if _NAMES[b] == base:
            if seen == nth:
                counter = None
                if _CACHES[b]:
                    counter = live[i + 2] | (live[i + 3] << 8)
                return _NAMES[op], counter, i
            seen += 1
        i += 2 * (1 + _CACHES[b])
    raise LookupError("no %s #%d in %s" % (base, nth, code.co_qualname if hasattr(code, "co_qualname") else code.co_name))


class Lab:
    """One experiment set up in a fresh namespace."""

    def __init__(self, experiment):
        self.experiment = experiment
        self.form = experiment["form"]
        self.base = experiment.get("base") or _family_of(self.form)
        if self.base is None:
            raise LookupError("%s is not a specialized form here" % self.form)
        self.nth = experiment.get("nth", 0)
        self.namespace = {"__name__": "__experiment__"}
        exec(compile(experiment["setup"], "<experiment %s>" % self.form, "exec"), self.namespace)
        self.code = _site_code(self.namespace, experiment["site"])
        self.steps = []

    def state(self):
        opname, counter, _ = read_site(self.code, self.base, self.nth)
        return opname, counter

    def run(self, statements, label):
        error = None
        try:
            exec(compile(statements, "<%s>" % label, "exec"), self.namespace)
        except Exception as e:
            error = "%s: %s" % (type(e).__name__, e)
        opname, counter = self.state()
        self.steps.append({"label": label, "opname": opname, "raw": counter, "error": error})
        return opname, counter, error

    def warm(self):
        """Runs `warm` until the site shows the form; True when it did."""
        for n in range(1, WARM_LIMIT + 1):
            opname, _, error = self.run(self.experiment["warm"], "warm %d" % n)
            if opname == self.form:
                return True
            if error is not None:
                return False
        return False


def prove(experiment, kind, cause):
    """Result of one cause: {"proven": bool, "detail": str}."""
    try:
        lab = Lab(experiment)
        if not lab.warm():
            last = lab.steps[-1] if lab.steps else {}
            return {"proven": False, "detail": "never reached %s (the site stayed %s%s)" % (
                experiment["form"], last.get("opname"),
                ", " + last["error"] if last.get("error") else "")}
        before = lab.state()
        statements = experiment[kind][cause]
        opname, counter, error = lab.run(statements, cause)
    except Exception as e:
        return {"proven": False, "detail": "the experiment failed: %s: %s" % (type(e).__name__, e)}
    moved = (opname, counter) != before
    # A "kept" item proves nothing when its statements stopped early.
    proven = moved if kind == "misses" else (not moved and error is None)
    detail = "%s counter %s -> %s %s" % (before[0], before[1], opname, counter)
    if error:
        detail += " (the statements raised %s)" % error
    return {"proven": proven, "detail": detail}


def demo(experiment, misses=None, extra_misses=60):
    """A timeline: warm-up, a hit, then a miss cause repeated until the
    interpreter gives the form up or specializes again."""
    lab = Lab(experiment)
    first = lab.state()
    lab.steps.append({"label": "created", "opname": first[0], "raw": first[1], "error": None})
    reached = lab.warm()
    if reached:
        lab.run(experiment["warm"], "hit")
        causes = experiment.get("misses", {})
        cause = misses if misses in causes else next(iter(causes), None)
        if cause is not None:
            before = lab.state()[1]
            for n in range(1, extra_misses + 1):
                opname, counter, _ = lab.run(causes[cause], "miss %d: %s" % (n, cause))
                # Stop once the interpreter acted: another opname, or the
                # same one specialized anew (its counter back up).
                if opname != experiment["form"] or (
                        counter is not None and before is not None and counter > before):
                    break
                before = counter
    return {"form": experiment["form"], "reached": reached, "steps": lab.steps}


def load(source, name="<experiments>"):
    namespace = {"__name__": "__experiments__"}
    exec(compile(source, name, "exec"), namespace)
    return namespace["EXPERIMENTS"]


def check(files, plan):
    """Runs `plan`: [{"form", "misses": [ids], "kept": [ids]}], with the
    experiments of `files` (name -> source). Returns one result per form."""
    experiments = {}
    for name, source in files.items():
        for experiment in load(source, name):
            if applies(experiment):
                experiments.setdefault(experiment["form"], experiment)
    results = []
    for item in plan:
        experiment = experiments.get(item["form"])
        result = {"form": item["form"], "has_experiment": experiment is not None, "reached": False,
                  "causes": []}
        if experiment is not None:
            try:
                lab = Lab(experiment)
                result["reached"] = lab.warm()
                if not result["reached"]:
                    result["detail"] = "stayed %s" % (lab.steps[-1]["opname"] if lab.steps else "?")
            except Exception as e:
                result["detail"] = "%s: %s" % (type(e).__name__, e)
            for kind in ("misses", "kept"):
                for cause in item.get(kind, []):
                    if cause in experiment.get(kind, {}):
                        outcome = prove(experiment, kind, cause)
                    else:
                        outcome = {"proven": False, "detail": "no experiment for this cause"}
                    outcome.update(kind=kind, id=cause)
                    result["causes"].append(outcome)
        results.append(result)
    return results


def main(argv):
    path = argv[1]
    only = argv[2] if len(argv) > 2 else None
    with open(path) as f:
        experiments = load(f.read(), path)
    failures = 0
    for experiment in experiments:
        if not applies(experiment) or (only and experiment["form"] != only):
            continue
        if _family_of(experiment["form"]) is None and not experiment.get("base"):
            print("%s: not an opname of %s, skipped" % (experiment["form"], version_short()))
            continue
        lab = Lab(experiment)
        reached = lab.warm()
        print("%s: %s" % (experiment["form"], "reached" if reached else "NOT REACHED (%s)" % lab.steps[-1]))
        failures += not reached
        for kind in ("misses", "kept"):
            for cause in experiment.get(kind, {}):
                outcome = prove(experiment, kind, cause)
                failures += not outcome["proven"]
                print("  %-6s %-24s %s  %s" % (kind, cause, "proven" if outcome["proven"] else "FAILED",
                                               outcome["detail"]))
    print("%d failure(s) on %s" % (failures, version_short()))
    return 1 if failures else 0


def call_json(function, arguments):
    """Entry point for specscope: `function` of this module with JSON
    arguments; the result as JSON."""
    import json

    return json.dumps({"check": check, "demo": _demo_by_form}[function](**json.loads(arguments)))


def _demo_by_form(files, form, cause=None):
    for name, source in files.items():
        for experiment in load(source, name):
            if experiment["form"] == form and applies(experiment):
                result = demo(experiment, cause)
                result["setup"] = experiment["setup"]
                result["warm"] = experiment["warm"]
                result["causes"] = experiment.get("misses", {})
                return result
    return None


if __name__ == "__main__":
    _sys.exit(main(_sys.argv))
