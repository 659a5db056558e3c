"""The local modules a submission file imports: the files of its folder it runs when it loads.

Found in the sources with ``ast`` (``import helpers``, ``from mypkg.util import f``, ``from . import g``, a
constant name given to ``importlib.import_module``), transitively, in the file's folder and that folder's
packages. The grader stages them with the file (:mod:`reference.compare.sandbox.staging`), and the integrity
check reads them as the submission's (:mod:`.integrity`): one list, read by the grader, for both.
"""

from __future__ import annotations

import ast
import os
import pathlib

__all__ = ["local_imports"]


def _imported(path: pathlib.Path) -> list[tuple[str, int]]:
    """The modules ``path``'s source imports: (dotted name, level of a relative import). A name computed when it
    runs is not seen; a source that does not parse, or that is too large or too deep for the parser (a bomb
    against the grader, which reads it), imports nothing: its worker says why it does not load."""
    try:
        from reference.compare.submissions.notebook import MOST_CODE

        if path.stat().st_size > MOST_CODE and path.suffix != ".ipynb":  # a notebook's code is capped in it
            return []
        if path.suffix == ".ipynb":
            from reference.compare.submissions.notebook import notebook_source

            text = notebook_source(path, run_all_cells=True)[0]
        else:
            with open(path, "rb") as f:  # no further than the cap, should it grow once measured (attack round 16)
                text = f.read(MOST_CODE + 1)
            if len(text) > MOST_CODE:
                return []
        tree = ast.parse(text)
    except (OSError, ValueError, SyntaxError, RecursionError, MemoryError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names.append((module, node.level))
            names += [(f"{module}.{alias.name}" if module else alias.name, node.level) for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                    (isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module"))
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
            name = node.args[0].value  # importlib.import_module("helpers"), __import__("helpers"): a constant
            names.append((name.lstrip("."), len(name) - len(name.lstrip("."))))
    return names


def _files_of(root: pathlib.Path, importer: pathlib.Path, name: str, level: int) -> list[pathlib.Path]:
    """The files under ``root`` that importing ``name`` (``level`` dots) from ``importer`` runs."""
    base = root if level == 0 else importer.parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    if base != root and root not in base.parents:
        return []
    files = [base / "__init__.py"] if level else []
    for part in (name.split(".") if name else []):
        if not part.isidentifier():
            break
        files += [base / part / "__init__.py", base / f"{part}.py"]
        base = base / part
    return [f for f in files if os.path.isfile(f) and not _linked(root, f)]


def _linked(root: pathlib.Path, file: pathlib.Path) -> bool:
    """Is any part of ``file``'s path below ``root`` a symbolic link (a folder linked to elsewhere on the host
    would stage what it holds: the answer key, any ``.py`` file of the machine; attack round 13)?"""
    try:
        parts = file.relative_to(root).parts
    except ValueError:
        return True
    path = root
    for part in parts:
        path = path / part
        if os.path.islink(path):
            return True
    return False


def local_imports(source: pathlib.Path, also: tuple[str, ...] = ()) -> list[pathlib.Path]:
    """The local modules ``source`` imports, and those they import: files of its folder and of that folder's
    packages, found in their sources (``import helpers``, ``from .util import f``, a constant given to
    ``importlib.import_module``); ``also``: more module names to import (an adapter's). Paths under the folder."""
    root, found, todo = source.parent, {}, [(source, name, 0) for name in also]
    todo += [(source, name, level) for name, level in _imported(source)]
    parsed = _size(source)
    while todo:
        importer, name, level = todo.pop()
        for file in _files_of(root, importer, name, level):
            if file not in found and file != source:
                parsed += _size(file)
                if parsed > MOST_PARSED:  # not staged, not read: the submission's import of it fails in its worker
                    return sorted(found)
                found[file] = None
                todo += [(file, n, lv) for n, lv in _imported(file)]
    return sorted(found)


#: The most Python a submission's local modules may hold together, parsed by the grader (attack round 15: sixty
#: modules of 530 kB, each under the one-file cap, took a grader 3.5 minutes before any time limit counted).
MOST_PARSED = 2 << 20


def _size(path: pathlib.Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
