"""The layout holds (docs/style.md): what each import loads, no import cycles, rooms that import one way, small
and named apart, no private names across modules, one API table; sizes are judged, not capped."""

import ast
import json
import pathlib
import subprocess
import sys
import warnings

import pytest

from handgrad.types import API, ARGUMENTS, PART_A, PART_B, SHAPES
from support import ROOT

PACKAGES = ("handgrad", "reference")


def _loaded(statement: str) -> set[str]:
    """The top-level modules and project modules a fresh interpreter holds after ``statement``."""
    code = f"{statement}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement, absent", [
    ("import handgrad; handgrad.backprop", ("jax", "hypothesis", "reference")),
    ("import reference; reference.backprop", ("hypothesis", "reference.compare")),
    ("import reference.compare.exercise.strategies as S; S.problems()", ("jax", "jaxlib")),
])
def test_an_import_loads_only_what_it_needs(statement, absent):
    loaded = _loaded(statement)
    for name in absent:
        assert name not in loaded, f"{statement!r} loads {name}"


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: pathlib.Path, modules: dict) -> list[tuple[str, str | None]]:
    """(module imported, name taken from it or None) for every import in the file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((sub, None) if sub in modules else (base, a.name))
    return [(m, n) for m, n in found if m.split(".")[0] in PACKAGES]


def test_no_import_cycles():
    modules = _modules()
    graph = {name: {m for m, _ in _imports(name, path, modules) if m in modules and m != name}
             for name, path in modules.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def _private(module: str) -> bool:
    return any(part.startswith("_") and part != "__init__" for part in module.split("."))


def test_no_module_imports_another_modules_private_names():
    modules = _modules()
    offences = []
    for name, path in modules.items():
        own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for module, taken in _imports(name, path, modules):
            if taken and taken.startswith("_") and module != name:
                offences.append(f"{name} takes {module}.{taken}")
            if _private(module) and module.rpartition(".")[0] != own_package:
                offences.append(f"{name} imports the private module {module}")
    assert not offences, offences


def test_one_table_of_the_api():
    import handgrad
    import reference
    from reference.compare.sandbox.interface import TABLE

    assert handgrad.__all__ == reference.__all__ == list(API)
    assert set(ARGUMENTS) == set(PART_A) | set(PART_B)
    outputs = {k for k in SHAPES if k.partition(".")[0] in PART_B}
    assert set(TABLE.sweep_fields) == outputs


def test_the_usage_string_names_every_option():
    from reference.compare import cli

    options = {o for action in cli.build_parser()._actions for o in action.option_strings if o.startswith("--")}
    missing = {o for o in options - {"--help"} if o not in cli.__doc__}
    assert not missing, missing


#: Sizes that ask for a second look (a warning) and sizes no idea needs (a failure). Below the first, judgment
#: decides: split by meaning, never to meet a number (docs/style.md).
LOOK_AGAIN, TOO_LONG = {"file": 450, "function": 60}, {"file": 800, "function": 120}


def _sizes() -> list[tuple[str, str, int]]:
    """(what, kind, lines) for every module and function of the packages."""
    out = []
    for name, path in _modules().items():
        text = path.read_text()
        out.append((name, "file", text.count("\n")))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((f"{name}.{node.name}", "function", node.end_lineno - node.lineno + 1))
    return out


def test_sizes_are_a_matter_of_judgment():
    """A long module or function is named in a warning, for a second look; only one past all reason fails."""
    sizes = _sizes()
    for what, kind, lines in sizes:
        if lines > LOOK_AGAIN[kind]:
            warnings.warn(f"{what}: {lines} lines; does this {kind} hold one idea? (docs/style.md)", stacklevel=1)
    too_long = [f"{what}: {lines} lines" for what, kind, lines in sizes if lines > TOO_LONG[kind]]
    assert not too_long, too_long


COMPARE = ROOT / "reference" / "compare"
#: A room holds about a dozen modules; past that it is two rooms.
ROOM_MODULES = 12


def _room(module: str) -> str | None:
    """The room of a comparator module: its package under reference.compare, or the module itself at the top."""
    parts = module.split(".")
    return parts[2] if module.startswith("reference.compare.") else None


def test_imports_between_rooms_run_one_way():
    """The comparator's rooms (its packages, and the modules beside them) import each other without a loop:
    each room stands above what it uses (docs/internals.md: the code at a glance)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if _room(name):
            used = {_room(m) for m, _ in _imports(name, path, modules) if m in modules}
            graph.setdefault(_room(name), set()).update(used - {None, _room(name)})
    loops, done = [], set()

    def visit(room, stack):
        for nxt in sorted(graph.get(room, ())):
            if nxt in stack:
                loops.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, stack + [nxt])
        done.add(room)

    for room in sorted(graph):
        visit(room, [room])
    assert not loops, loops


def test_every_room_is_small_and_says_what_it_holds():
    """No package holds more than ROOM_MODULES modules, and each one's __init__ says in words what lives there."""
    crowded, silent = [], []
    for package in [COMPARE, *sorted(p.parent for p in COMPARE.rglob("__init__.py"))]:
        count = len([p for p in package.glob("*.py") if p.name != "__init__.py"])
        if count > ROOM_MODULES:
            crowded.append(f"{package.relative_to(ROOT)}: {count} modules")
        if not ast.get_docstring(ast.parse((package / "__init__.py").read_text())):
            silent.append(str(package.relative_to(ROOT)))
    assert not crowded, crowded
    assert not silent, silent


def test_no_two_names_differ_only_by_a_suffix():
    """batch, batch_pool, batch_worker, batches: four names a reader cannot tell apart. A module's or a
    package's name is never another's with ``s`` or ``_something`` added."""
    names = {p.stem for p in COMPARE.rglob("*.py") if p.name != "__init__.py"}
    names |= {p.parent.name for p in COMPARE.rglob("__init__.py")}
    clashes = sorted((a, b) for a in names for b in names if a != b and (b == a + "s" or b.startswith(a + "_")))
    assert not clashes, clashes


def test_the_workers_view_holds_every_module_the_worker_imports():
    """The worker's modules are copied into its view (sandbox/view.WORKER_FILES): each project module
    worker_side.py imports, directly or not, must be among them, or a submission's worker fails to start."""
    import glob

    from reference.compare.sandbox.view import WORKER_FILES

    held = {str(pathlib.Path(p).relative_to(ROOT)) for pattern in WORKER_FILES for p in glob.glob(str(ROOT / pattern))}
    modules, todo, seen = _modules(), ["reference.compare.sandbox.worker_side"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = modules[name]
        assert str(path.relative_to(ROOT)) in held, f"{name} is imported by the worker but not in its view"
        parents = name.split(".")
        for i in range(1, len(parents)):  # a package's __init__ runs first
            todo.append(".".join(parents[:i]))
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                names += [f"{node.module}.{a.name}" for a in node.names]
            todo += [n for n in names if n in modules]
