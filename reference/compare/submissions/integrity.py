"""Integrity: a submission must not hand in the answer key or an autodiff library's gradients as its own.

Two looks, combined. The grader reads the submission's source (its own reading:
the submission cannot change it) for imports of the watched modules and for
handgrad's answers (``from handgrad import *``, ``from handgrad import
backprop``, ``handgrad.backprop``); the worker reports which watched modules its
process imported at run time (the submission could hide that: the static look
is the one it cannot). The types ``Params, Lambdas, Activations, Gradients``
stay free to import from handgrad. A notebook is read as its loader gives it to
the worker, without its self-checks (``import reference``,
``reference.check(globals())``: :mod:`reference.compare.submissions.self_checks`);
the entry names the ones dropped.

A module of the submission's own, a file of its folder that the grader stages
beside it (``autograd.py``, a helper of three lines), is its code, not the
installed package it is named like: the folder comes first on the worker's
``sys.path``, so ``import autograd`` there runs that file. The grader decides so
from the files it stages (:func:`~.local_modules.local_imports`),
never from what the submission's process says; the file's own imports are checked
as the submission's are, and its importing the name it bears (the way to the
installed package past itself) stays a finding. ``handgrad`` and ``reference``
are never the submission's own: the worker has imported them before it.

>>> findings_in_source("import jax.numpy as jnp\\nfrom handgrad import Params\\n")
['imports jax (an autodiff library)']
"""

from __future__ import annotations

import ast
import pathlib

from handgrad.types import PART_A, PART_B
from reference.compare.submissions.local_modules import local_imports
from reference.compare.submissions.notebook import MOST_CODE, dropped_self_checks, notebook_source

__all__ = ["AUTODIFF", "ANSWER_KEY", "findings_in_source", "findings_in_files", "self_checks_dropped", "integrity",
           "dropped_note", "TRUSTED", "own_modules"]

AUTODIFF = ("jax", "torch", "tensorflow", "autograd")
ANSWER_KEY = ("handgrad.network", "handgrad.functions", "reference")  # reference: any of its twin's modules
#: The bundled twins are the answer key: checking them is a sanity check, not a submission.
TRUSTED = ("handgrad", "reference")
_ANSWERS = set(PART_A) | set(PART_B)


def _what(module: str) -> str | None:
    top = module.split(".")[0]
    if top in AUTODIFF:
        return f"imports {top} (an autodiff library)"
    if top == "reference" and not module.startswith("reference.compare"):
        return "imports reference (the grader's answer key)"
    if module in ANSWER_KEY:
        return f"imports {module} (handgrad's own answers)"
    return None


def _from_handgrad(node: ast.ImportFrom) -> str | None:
    names = [a.name for a in node.names]
    if "*" in names:
        return "imports everything from handgrad, its answers included (import only its types)"
    taken = sorted(set(names) & _ANSWERS)
    return f"imports handgrad's own {', '.join(taken)}" if taken else None


def findings_in_source(source: str, own: frozenset[str] = frozenset()) -> list[str]:
    """What one file's source imports or uses of the watched modules (an unparsable file: nothing); ``own``: the
    top-level names that are modules of the submission's own (:func:`own_modules`), not the packages."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # Python cannot load it either: its load says why
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [w for a in node.names if a.name.split(".")[0] not in own and (w := _what(a.name))]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in own:
                continue
            w = _from_handgrad(node) if node.module == "handgrad" else _what(node.module)
            found += [w] if w else []
        elif isinstance(node, ast.Attribute) and node.attr in _ANSWERS and isinstance(node.value, ast.Name) \
                and node.value.id in ("handgrad", "hg"):
            found.append(f"uses handgrad.{node.attr} (handgrad's own answer)")
    return list(dict.fromkeys(found))


class TooLarge(OSError):
    """A source the grader does not parse (:data:`~.notebook.MOST_CODE`): its integrity cannot be vouched for."""


def _source(path: pathlib.Path) -> str:
    """A file's Python: the text of a .py file; every statement of a notebook's code cells (magics and
    self-checks dropped, as the worker drops them). Past :data:`~.notebook.MOST_CODE`, :class:`TooLarge`."""
    if path.suffix != ".ipynb":
        size = path.stat().st_size
        if size > MOST_CODE:
            raise TooLarge(f"{size / 2**20:.1f} MiB of code is too much to check (at most {MOST_CODE >> 20} MiB "
                           f"is read)")
        with open(path, "rb") as f:  # no further than the cap, should it grow once measured (attack round 16)
            data = f.read(MOST_CODE + 1)
        if len(data) > MOST_CODE:
            raise TooLarge(f"over {MOST_CODE >> 20} MiB of code is too much to check")
        return data.decode("utf-8", errors="replace")
    try:
        return notebook_source(path, run_all_cells=True)[0]
    except (ValueError, SyntaxError, RecursionError, MemoryError):  # not a notebook, or one that cannot load
        return ""


def own_modules(spec: str) -> dict[str, list[pathlib.Path]]:
    """The submission's own modules named like a watched package (``autograd.py`` beside the file, or a package
    ``autograd/``), by top-level name: the files of its folder the grader stages with it (the local modules it
    imports, :func:`~.local_modules.local_imports`), or of a folder given whole. ``handgrad``
    and ``reference`` are never among them (the worker has imported its own before the submission runs)."""
    path = pathlib.Path(spec)
    if path.is_dir():
        root, files = path, [f for f in path.rglob("*.py") if not f.is_symlink()]
    elif path.is_file():
        root, files = path.parent, local_imports(path)
    else:
        return {}
    own: dict[str, list[pathlib.Path]] = {}
    for f in files:
        parts = f.relative_to(root).parts
        top = parts[0].removesuffix(".py") if len(parts) == 1 else parts[0]
        if top.split(".")[0] in AUTODIFF and (len(parts) > 1 or parts[0].endswith(".py")):
            own.setdefault(top, []).append(f)
    return own


def findings_in_files(spec: str) -> list[str]:
    """The static findings for a submission given as a path: the file (or notebook) and the local modules the
    grader stages with it, or every Python file of a folder. An import of a module of its own
    (:func:`own_modules`) is no finding, but in that module's own files."""
    path = pathlib.Path(spec)
    own = own_modules(spec)
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path, *local_imports(path)] if path.is_file() else []
    found: list[str] = []
    for f in files:
        try:
            text = _source(f)
        except TooLarge as exc:
            found.append(f"{f.name}: {exc}")
            continue
        except OSError:
            continue
        mine = frozenset(name for name, fs in own.items() if f not in fs)
        found += [f"{f.name}: {w}" for w in findings_in_source(text, mine)]
    return list(dict.fromkeys(found))


def self_checks_dropped(spec: str) -> list[str]:
    """What the loader drops from a notebook as its self-checks, read here ("cell 8 line 1 (import reference)"):
    the worker's word is not taken for it. Empty for anything else, or a notebook that cannot load."""
    path = pathlib.Path(spec)
    if path.suffix != ".ipynb" or not path.is_file():
        return []
    try:
        return [str(c) for c in dropped_self_checks(path)]
    except (OSError, ValueError, SyntaxError, RecursionError, MemoryError):
        return []


def integrity(spec: str, runtime_modules: set[str], *, allow: tuple[str, ...] = ()) -> dict:
    """The report's integrity entry: {"status", "findings", "allowed"}, and "self_checks_dropped" for a
    notebook that checks itself.

    ``allow`` names libraries course staff permit (``--allow-import jax``).
    """
    if spec in TRUSTED:
        return {"status": "pass", "findings": [], "allowed": list(allow)}
    findings = findings_in_files(spec)
    own = own_modules(spec)  # the grader's word, from the files it staged: its own autograd.py is no finding
    findings += [f"its process imported {w.split(': ', 1)[-1].removeprefix('imports ')}"
                 for m in sorted(runtime_modules) if m.split(".")[0] not in own and (w := _what(m))]
    kept = [f for f in dict.fromkeys(findings)
            if not any(f"imports {a} " in f or f"imported {a} " in f for a in allow)]
    entry = {"status": "fail" if kept else "pass", "findings": kept, "allowed": list(allow)}
    dropped = self_checks_dropped(spec)
    return entry | ({"self_checks_dropped": dropped} if dropped else {})


def dropped_note(entry: dict) -> list[str]:
    """The report header's line for an integrity entry's self-checks dropped, if any (one line)."""
    dropped = entry.get("self_checks_dropped")
    return [f"self-checks dropped: {', '.join(dropped)}"] if dropped else []
