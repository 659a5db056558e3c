"""A Jupyter notebook as a submission: its code cells, without magics, shell escapes or top-level work.

Homework often comes as a notebook that trains, plots and writes files as it
runs. :func:`notebook_source` returns the Python that the notebook's definitions
make, with a line map back to the cells; :func:`load_notebook` runs the same
statements as a module whose tracebacks name the cell (``File "hw.ipynb, cell 4",
line 2``). Standard library only: ``json`` reads the file (nbformat 4, and
nbformat 3's worksheets), ``ast`` decides statement by statement.

Kept, per top-level statement of each code cell:

- imports, function and class definitions (with their decorators);
- assignments of simple values to names: literals, names already kept, attributes
  of them, arithmetic, containers, lambdas; no call, no subscript (``EPS = 1e-8``,
  ``SIZES = (784, 100, 10)``, ``relu = rect``, ``exp = np.exp``);
- ``try`` statements made only of such statements (``try: import torch`` /
  ``except ImportError: torch = None``).

Skipped: everything else, which does work when run: calls (training, plots,
prints, ``np.random.seed(0)``, file I/O), loops, ``if`` blocks (``if __name__ ==
"__main__":`` included), ``with`` blocks, bare expressions, augmented
assignments, assignments from a call or a subscript (``X = np.load(...)``,
``model = MLP(...)``). With ``run_all_cells=True`` every statement is kept.

Always dropped: a cell that starts with a cell magic (``%%time``, ``%%bash``: the
whole cell), and the lines that are line magics (``%matplotlib inline``), shell
escapes (``!pip install ...``), their assigned forms (``files = !ls``) or help
(``np.dot?``); each such line becomes ``pass``, so that lines keep their numbers.
A cell is searched for them only when it does not parse as Python as it is.
Dropped too, in both modes: the notebook's self-checks (``import reference``,
``reference.check(globals())``, what only shows their result), which
:mod:`.self_checks` finds and :func:`dropped_self_checks` lists.

Cells are numbered from 1 over all the notebook's cells, markdown included: the
Nth cell from the top. A syntax error is raised as a ``SyntaxError`` whose file is
``"<notebook>, cell N"`` and whose line is the line in that cell: it prints as
``invalid syntax (hw.ipynb, cell 3, line 2)``.

>>> import json, pathlib, tempfile
>>> cells = [{"cell_type": "code", "source": ["import numpy as np\\n", "%matplotlib inline\\n", "N = 3\\n"]},
...          {"cell_type": "markdown", "source": "Training:"},
...          {"cell_type": "code", "source": "def f(x):\\n    return x + N\\n\\nprint(f(1))\\n"}]
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hw.ipynb"
>>> _ = path.write_text(json.dumps({"cells": cells, "nbformat": 4}))
>>> source, line_map = notebook_source(path)
>>> print(source)
import numpy as np
N = 3
def f(x):
    return x + N
>>> cell_line(line_map, 3)
'cell 3, line 1'
"""

from __future__ import annotations

import ast
import builtins
import collections
import json
import linecache
import pathlib
import re
import sys
import types
from dataclasses import dataclass

from reference.compare.submissions import self_checks
from reference.compare.submissions.self_checks import first_line

__all__ = ["code_cells", "notebook_source", "cell_line", "load_notebook", "dropped_self_checks", "MOST_CODE",
           "MOST_NOTEBOOK", "MOST_CONTAINERS"]

#: The most Python the grader parses in one source file (or a notebook's code cells together), in bytes. A
#: homework is a few kB; parsing costs the parsing process ~0.7 GB a MB of short statements, and the grader
#: parses a submission's source for its imports (round 5: a 10 MB file took a grader to 6.5 GB).
MOST_CODE = 1 << 20
#: The largest notebook file read (its outputs, plots included, count: a notebook is JSON read whole).
MOST_NOTEBOOK = 64 << 20
#: The most objects and lists a notebook's JSON may open. Each costs the grader's process ~60 bytes or more
#: where the file spends 2: 21 million empty objects in 63 MiB of metadata took a grader to 1.8 GB (attack
#: round 13). A notebook holds a few per cell and output; its plots are strings.
MOST_CONTAINERS = 1_000_000

#: A line magic, a shell escape, their assigned forms, or help: not Python.
_NOT_PYTHON = re.compile(r"^\s*(?:[%!]|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!]|\?{1,2}[\w.]+\s*$|[\w.]+\?{1,2}\s*$)")
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: Expressions that compute nothing but from their parts.
_SIMPLE = (ast.Constant, ast.Attribute, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
           ast.BoolOp, ast.Compare, ast.IfExp, ast.JoinedStr, ast.FormattedValue, ast.Starred)
_SYNTAX = (ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context)


def code_cells(path) -> list[tuple[int, str]]:
    """(number, source) of each code cell; every cell counts toward the numbers, from 1."""
    path = pathlib.Path(path)
    size = path.stat().st_size
    if size > MOST_NOTEBOOK:
        raise ValueError(f"{path}: the notebook is {size / 2**20:.1f} MiB; at most {MOST_NOTEBOOK >> 20} MiB is read")
    with open(path, "rb") as f:  # at most the cap, should the file grow while it is read (attack round 16)
        data = f.read(MOST_NOTEBOOK + 1)
    if len(data) > MOST_NOTEBOOK:
        raise ValueError(f"{path}: the notebook is over {MOST_NOTEBOOK >> 20} MiB; at most that is read")
    text = data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is no fault
    opened = text.count("{") + text.count("[")  # an upper bound: a brace inside a string counts too
    if opened > MOST_CONTAINERS:
        raise ValueError(f"{path}: the notebook opens {opened:,} JSON objects and lists; at most "
                         f"{MOST_CONTAINERS:,} are read (clear its outputs and metadata)")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a Jupyter notebook (not JSON: {exc})") from None
    if not isinstance(nb, dict) or not ("cells" in nb or "worksheets" in nb):
        raise ValueError(f"{path}: not a Jupyter notebook (no cells)")
    sheets = nb.get("worksheets", [])
    if not isinstance(nb.get("cells", []), list) or not isinstance(sheets, list) \
            or not all(isinstance(s, dict) and isinstance(s.get("cells", []), list) for s in sheets):
        raise ValueError(f"{path}: not a Jupyter notebook (its cells are not a list)")
    cells = nb.get("cells") or [c for sheet in sheets for c in sheet.get("cells", [])]
    out = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise ValueError(f"{path}: not a Jupyter notebook (cell {number} is not an object)")
        if cell.get("cell_type") == "code":
            text = cell.get("source", cell.get("input", ""))
            if isinstance(text, list) and all(isinstance(t, str) for t in text):
                text = "".join(text)
            if not isinstance(text, str):
                raise ValueError(f"{path}: not a Jupyter notebook (cell {number}'s source is not text)")
            # a lone carriage return ends a line too, for Python as for this file's line map (attack round 15:
            # a cell's lines split on newlines alone were read at the line numbers ast counted)
            out.append((number, text.replace("\r\n", "\n").replace("\r", "\n")))
    code = sum(len(text.encode("utf-8", "replace")) for _, text in out)
    if code > MOST_CODE:
        raise ValueError(f"{path}: its code cells hold {code / 2**20:.1f} MiB of code; at most "
                         f"{MOST_CODE >> 20} MiB is read")
    return out


def _filename(path, number: int) -> str:
    return f"{path}, cell {number}"


def _as_python(text: str) -> str | None:
    """The cell without IPython's syntax (lines become ``pass``); None for a cell magic's cell."""
    if text.lstrip().startswith("%%"):
        return None
    try:
        ast.parse(text)
        return text
    except SyntaxError:
        pass
    return "\n".join(re.match(r"\s*", line).group() + "pass" if _NOT_PYTHON.match(line) else line
                     for line in text.split("\n"))


def _simple(node: ast.AST, defined: set[str]) -> bool:
    if isinstance(node, ast.Lambda):
        return True
    if isinstance(node, ast.Name):
        return node.id in defined or "*" in defined or hasattr(builtins, node.id)
    if isinstance(node, _SIMPLE):
        return all(_simple(child, defined) for child in ast.iter_child_nodes(node))
    return isinstance(node, _SYNTAX)


def _kept(node: ast.stmt, defined: set[str]) -> bool:
    """Whether a top-level statement only defines (see the module's docstring)."""
    if isinstance(node, _DEFINITIONS):
        return True
    if isinstance(node, ast.Assign):
        names = all(isinstance(n, (ast.Name, ast.Tuple, ast.List, ast.Store)) for t in node.targets
                    for n in ast.walk(t))
        return names and _simple(node.value, defined)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and (node.value is None or _simple(node.value, defined))
    if isinstance(node, ast.Try):
        return all(isinstance(s, ast.Pass) or _kept(s, defined) for s in _try_body(node))
    return False


def _try_body(node: ast.Try) -> list[ast.stmt]:
    return node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]


def _bound(node: ast.stmt) -> set[str]:
    """The names a kept statement binds ("*" for a star import)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.Try):
        return set().union(*(_bound(s) for s in _try_body(node) if not isinstance(s, ast.Pass)))
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


@dataclass
class _Cell:
    number: int
    text: str
    tree: ast.Module
    kept: list[ast.stmt]


def _parsed(path) -> list[tuple[int, str, str, ast.Module]]:
    """(number, source as written, source as Python, tree) of each code cell but a cell magic's."""
    out = []
    for number, raw in code_cells(path):
        text = _as_python(raw)
        if text is not None:  # a SyntaxError names the cell and its line
            out.append((number, raw, text, ast.parse(text, filename=_filename(path, number))))
    return out


def _cells(path, run_all_cells: bool) -> list[_Cell]:
    """Each code cell parsed, with the top-level statements kept: never a self-check."""
    parsed = _parsed(path)
    checks = self_checks.statements([(number, tree) for number, _, _, tree in parsed])
    defined: set[str] = set()
    out = []
    for number, _, text, tree in parsed:
        kept = []
        for node in tree.body:
            if node not in checks and (run_all_cells or _kept(node, defined)):
                kept.append(node)
                defined |= set() if run_all_cells else _bound(node)
        out.append(_Cell(number, text, tree, kept))
    return out


def dropped_self_checks(path) -> list[self_checks.SelfCheck]:
    """The notebook's self-checks, which the loader drops in both modes, in the notebook's order."""
    parsed = _parsed(path)
    found = list(self_checks.statements([(number, tree) for number, _, _, tree in parsed]).values())
    found += [c for number, raw, text, _ in parsed for c in self_checks.installs(number, raw, text)]
    return sorted(found, key=lambda c: (c.cell, c.line))


def _lines(cell: _Cell) -> list[tuple[int, str]]:
    """(line in the cell, text) of the kept statements; a statement sharing a line (``a; b``) by its own text."""
    lines = cell.text.split("\n")
    occupied = collections.Counter(i for node in cell.tree.body for i in range(first_line(node), node.end_lineno + 1))
    out = []
    for node in cell.kept:
        span = range(first_line(node), node.end_lineno + 1)
        if any(occupied[i] > 1 for i in span):
            out += zip(span, ast.get_source_segment(cell.text, node).split("\n"))
        else:
            out += [(i, lines[i - 1]) for i in span]
    return out


def notebook_source(path, *, run_all_cells: bool = False) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The Python source of the notebook's kept statements, and (cell, line in the cell) for each of its lines.

    ``from __future__`` imports come first, as Python wants them.
    """
    future, rest = [], []
    for cell in _cells(path, run_all_cells):
        firsts = {first_line(n) for n in cell.kept if isinstance(n, ast.ImportFrom) and n.module == "__future__"}
        for i, text in _lines(cell):
            (future if i in firsts else rest).append((text, (cell.number, i)))
    pairs = future + rest
    return "".join(text + "\n" for text, _ in pairs), tuple(where for _, where in pairs)


def cell_line(line_map, lineno: int) -> str:
    """Line ``lineno`` (from 1) of :func:`notebook_source`'s source as "cell N, line L"."""
    if not 1 <= lineno <= len(line_map):
        raise ValueError(f"lineno must be in [1, {len(line_map)}]; got {lineno!r}")
    cell, line = line_map[lineno - 1]
    return f"cell {cell}, line {line}"


def load_notebook(path, *, run_all_cells: bool = False, name: str | None = None) -> types.ModuleType:
    """Run the notebook's kept statements, cell by cell, as a new module (registered in ``sys.modules``).

    As :func:`reference.compare.sandbox.worker_side.load` does for a file, the
    notebook's folder is put first on ``sys.path`` (for its own modules). Each
    cell is compiled under the file name "<path>, cell N", its lines kept by
    ``linecache``, so that a traceback or ``inspect.getsource`` shows them.
    """
    path = pathlib.Path(path)
    cells = _cells(path, run_all_cells)
    module = types.ModuleType(name or "_handgrad_notebook_" + re.sub(r"\W", "_", path.stem))
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    sys.path.insert(0, str(path.parent.resolve()))
    for cell in cells:
        filename = _filename(path, cell.number)
        linecache.cache[filename] = (len(cell.text), None, cell.text.splitlines(True), filename)
        exec(compile(ast.Module(cell.kept, type_ignores=[]), filename, "exec"), module.__dict__)
    return module
