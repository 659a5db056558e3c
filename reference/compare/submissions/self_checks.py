"""A notebook's self-checks: the statements that only check it against the answer key, dropped before it runs.

The README and docs/example.ipynb have a student check a notebook from inside it
(``import reference``, ``reference.check(globals())``). Graded, the notebook must
neither run the grader inside the grader nor be taken for one that hands in the
answer key. A top-level statement of a code cell is a self-check when it is

- an import of the checker alone: ``import reference``, ``import reference as r``,
  ``from reference import check`` (``as c``);
- a statement that calls the checker (``reference.check(...)``, ``r.check(...)``,
  ``c(...)``: their arguments are free) or reads what an earlier self-check bound
  (``result``, ``print(result.passed)``, ``for f in result.failures: ...``), and reads
  nothing else but builtins; it defines and imports nothing;

unless a statement the notebook keeps reads what it binds: a function that uses
``reference`` keeps ``import reference``, which stays an integrity finding, and a
name bound again by the notebook's own code is that code's. A line ``%pip install
handgrad`` (or ``!pip install ...``) counts too: like every magic it never runs,
and it is named with the others.

:func:`statements` decides, for the notebook loader, which drops them in both its
modes; the integrity check reads the loader's source and the report names them,
so the three agree.

>>> import ast
>>> cells = [(1, ast.parse("import reference\\ndef f(x):\\n    return x")),
...          (2, ast.parse("result = reference.check(globals())\\nresult"))]
>>> [str(c) for c in statements(cells).values()]
['cell 1 line 1 (import reference)', 'cell 2 line 1 (reference.check)', 'cell 2 line 2 (result)']
"""

from __future__ import annotations

import ast
import bisect
import builtins
import collections
import re
import symtable
from dataclasses import dataclass

__all__ = ["SelfCheck", "statements", "installs"]

#: The package whose ``check`` a notebook calls on itself.
CHECKER = "reference"
#: A magic or shell line that installs handgrad.
_INSTALL = re.compile(r"^\s*[%!]\s*pip3?\s+install\b[^#]*\bhandgrad\b")
#: Names Jupyter gives every notebook, beside the builtins.
_NOTEBOOK_BUILTINS = {"display"}
#: What a self-check holds none of.
_DEFINING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Import, ast.ImportFrom,
             ast.Global, ast.Nonlocal)


@dataclass(frozen=True)
class SelfCheck:
    """A statement (or magic line) dropped as a self-check: its cell, its first line in the cell, what it is."""

    cell: int
    line: int
    what: str

    def __str__(self) -> str:
        return f"cell {self.cell} line {self.line} ({self.what})"


def first_line(node: ast.stmt) -> int:
    """The statement's first line, its decorators included."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def installs(cell: int, written: str, python: str) -> list[SelfCheck]:
    """The lines of a cell that install handgrad by a magic, which its Python form (``python``) replaced."""
    pairs = zip(written.split("\n"), python.split("\n"))
    return [SelfCheck(cell, i, line.strip()) for i, (line, kept) in enumerate(pairs, 1)
            if line != kept and _INSTALL.match(line)]


def _checker_import(node: ast.stmt) -> tuple[set[str], str] | None:
    """(the checker's calls it makes available, e.g. {"reference.check"}, its text), for an import of the
    checker alone; else None."""
    if isinstance(node, ast.Import) and all(a.name == CHECKER for a in node.names):
        return {f"{a.asname or a.name}.check" for a in node.names}, ast.unparse(node)
    if isinstance(node, ast.ImportFrom) and node.module == CHECKER and not node.level \
            and all(a.name == "check" for a in node.names):
        return {a.asname or a.name for a in node.names}, ast.unparse(node)
    return None


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return head and f"{head}.{node.attr}"
    return None


def _reads(node: ast.stmt, calls: set[str]) -> tuple[set[str], list[str]]:
    """(the names a statement reads outside its calls of the checker, less those it binds; those calls)."""
    reads, binds, made, todo = set(), set(), [], [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Call) and _dotted(n.func) in calls:
            made.append(_dotted(n.func))
            continue
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else binds).add(n.id)
        todo.extend(ast.iter_child_nodes(n))
    return reads - binds, made


def _use(node: ast.stmt, calls: set[str], results: set[str]) -> str | None:
    """What a statement checks with (the call, or the result it reads), when it does nothing else; else None."""
    if any(isinstance(n, _DEFINING) for n in ast.walk(node)):
        return None
    reads, made = _reads(node, calls)
    if any(r not in results and r not in _NOTEBOOK_BUILTINS and not hasattr(builtins, r) for r in reads):
        return None
    used = sorted(reads & results)
    return made[-1] if made else ", ".join(used) or None


def scope(node: ast.stmt) -> tuple[set[str], set[str], set[str]]:
    """(names the statement reads from the notebook's namespace as it runs, names its functions and classes
    read there, names it binds there), by Python's own scoping."""
    try:
        top = symtable.symtable(ast.unparse(node), "<cell>", "exec")
    except SyntaxError:  # ``return`` or ``yield`` at top level: the loader says so; here, every name
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return names, names, names
    now = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    binds = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    later, tables = set(), list(top.get_children())
    while tables:
        table = tables.pop()
        tables += table.get_children()
        for s in table.get_symbols():
            if s.is_global():
                later |= {s.get_name()} if s.is_referenced() else set()
                binds |= {s.get_name()} if s.is_assigned() else set()
    return now, later, binds


def _candidates(cells: list[tuple[int, ast.Module]]) -> tuple[dict[ast.stmt, SelfCheck], list[ast.stmt]]:
    """Pass one, in the notebook's order: the statements that check with what earlier ones made; and every
    top-level statement in order."""
    calls: set[str] = set()
    results: set[str] = set()
    found, order = {}, []
    for number, tree in cells:
        for node in tree.body:
            order.append(node)
            imported = _checker_import(node)
            if imported:
                calls |= imported[0]
                found[node] = SelfCheck(number, first_line(node), imported[1])
            elif not (calls or results):
                continue
            elif what := _use(node, calls, results):
                results |= scope(node)[2]
                found[node] = SelfCheck(number, first_line(node), what)
            else:  # the notebook's own code: a name it binds is its own from here on
                own = scope(node)[2]
                calls = {c for c in calls if c.split(".")[0] not in own}
                results -= own
    return found, order


def _keep_what_is_read(found: dict[ast.stmt, SelfCheck], order: list[ast.stmt]) -> None:
    """Pass two: a self-check that binds what a kept statement reads is kept, until none is.

    A statement's reads as it runs come from the last statement before it that binds the name; its
    functions' reads, from any (they are called later, the grader's calls included).
    """
    scopes = [scope(node) for node in order]
    binders = collections.defaultdict(list)
    for i, (_, _, binds) in enumerate(scopes):
        for name in binds:
            binders[name].append(i)
    todo = [i for i, node in enumerate(order) if node not in found]
    while todo:
        i = todo.pop()
        now, later, _ = scopes[i]
        read = {binders[n][k - 1] for n in now if (k := bisect.bisect_left(binders[n], i))}
        read |= {j for n in later for j in binders[n]}
        for j in read:
            if found.pop(order[j], None):
                todo.append(j)


def statements(cells: list[tuple[int, ast.Module]]) -> dict[ast.stmt, SelfCheck]:
    """The top-level statements of these parsed code cells ((number, tree), in order) that are self-checks."""
    found, order = _candidates(cells)
    if found:
        _keep_what_is_read(found, order)
    return found
