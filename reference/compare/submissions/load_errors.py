"""One line for a submission that cannot be loaded: what went wrong, and where in the submission.

Old homework meets new libraries: ``np.asscalar`` (gone from NumPy), a module that
is not installed, a keyword argument a library no longer takes. The line names the
missing or removed name, and the place in the submission's own code (``file:line``,
or a notebook's ``cell N, line L``) rather than the library's frame that raised.
Standard library only; it runs in the worker.

>>> import numpy
>>> describe_load_error("hw.py", AttributeError("module 'numpy' has no attribute 'asscalar'",
...                                            name="asscalar", obj=numpy))
"hw.py: numpy has no attribute 'asscalar' (removed from NumPy: use a.item())"
>>> describe_load_error("hw.py", ModuleNotFoundError("No module named 'sklearn'", name="sklearn"))
"hw.py: no module named 'sklearn' (not installed here)"
>>> place("/tmp/s/hw.ipynb, cell 3", 2, home="/tmp/s")
'hw.ipynb, cell 3, line 2'
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import traceback
import types

__all__ = ["describe_load_error", "place", "raised_at", "AdapterMismatch", "REMOVED"]

#: Names old homework uses that NumPy no longer has and whose absence NumPy does not explain
#: (for the others, such as ``np.float`` or ``np.NaN``, NumPy's own message says what to use).
REMOVED = {
    ("numpy", "asscalar"): "a.item()", ("numpy", "rank"): "np.ndim", ("numpy", "product"): "np.prod",
    ("numpy", "cumproduct"): "np.cumprod", ("numpy", "sometrue"): "np.any", ("numpy", "msort"): "np.sort(a, axis=0)",
    ("numpy", "in1d"): "np.isin", ("numpy", "trapz"): "np.trapezoid", ("numpy", "loads"): "pickle.loads",
}
_CELL = re.compile(r"(.*), cell (\d+)")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # reference/
#: Where code that is not the submission's lives: Python's and the installed libraries', handgrad's and the grader's,
#: and every folder on the path before the submission's is put there (the worker's view: its allowed packages).
_LIBRARIES = tuple(sorted({os.path.abspath(p) + os.sep for p in (
    *(sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    *(p for p in sys.path if os.path.isabs(p)), _PACKAGE, os.path.join(os.path.dirname(_PACKAGE), "handgrad"))}))


class AdapterMismatch(ValueError):
    """The submission lacks what its adapter names (the message names the adapter file and the key)."""


def _within(filename: str, home: str | None) -> bool:
    return bool(home) and os.path.abspath(filename).startswith(os.path.abspath(home) + os.sep)


def place(filename: str, lineno: int | None, home: str | None = None) -> str:
    """Where a frame is: ``file:line``, or ``notebook, cell N, line L`` (relative to ``home`` when inside it);
    without a line when there is none.

    >>> place("/x/hw.py", 3), place("/x/hw.py", None)
    ('/x/hw.py:3', '/x/hw.py')
    """
    cell = _CELL.fullmatch(filename)
    path = cell.group(1) if cell else filename
    if _within(path, home):
        path = os.path.relpath(os.path.abspath(path), os.path.abspath(home))
    if lineno is None:  # a fault of the whole text (a null byte): no line to name
        return f"{path}, cell {cell.group(2)}" if cell else path
    return f"{path}, cell {cell.group(2)}, line {lineno}" if cell else f"{path}:{lineno}"


def _where(exc: BaseException, home: str | None) -> str:
    """The deepest frame of the submission's own code (its folder ``home``; an installed module: outside Python's,
    the libraries' and the grader's) as :func:`place` says it; "" when none is (never the grader's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if _within(_CELL.sub(r"\1", f.filename), home)] if home else [
        f for f in frames if not f.filename.startswith("<")
        and not os.path.abspath(_CELL.sub(r"\1", f.filename)).startswith(_LIBRARIES)]
    return place(own[-1].filename, own[-1].lineno, home) if own else ""


def raised_at(exc: BaseException) -> str:
    """Where ``exc`` was raised: the deepest frame outside Python's, the libraries' and the grader's code
    (the submission's, as ``file:line`` or ``notebook, cell N, line L``); "" if none is the submission's (a
    location is never the grader's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith("<")
           and not os.path.abspath(_CELL.sub(r"\1", f.filename)).startswith(_LIBRARIES)]
    return place(own[-1].filename, own[-1].lineno) if own else ""


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - an exception of the submission's whose str() raises
        return "(its message could not be read)"


def _one_line(text, limit: int = 240) -> str:
    text = " ".join((_text(text) if isinstance(text, BaseException) else str(text)).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _version(module: str) -> str:
    found = sys.modules.get(module.split(".")[0])
    version = getattr(found, "__version__", None)
    return f"{module.split('.')[0]} {version}" if isinstance(version, str) else module.split(".")[0]


def _absent(module: str, name: str, note: str = "") -> str:
    """Why ``module`` has no ``name``: removed (and what to use), the library's own note, or its version."""
    if (module, name) in REMOVED:
        return f"removed from NumPy: use {REMOVED[module, name]}"
    return note or f"not in {_version(module)}"


def _sentences(text: str, count: int = 2) -> str:
    """The first ``count`` sentences of ``text``, on one line."""
    parts = re.split(r"(?<=\.)\s+", " ".join(text.split()))
    return _one_line(" ".join(parts[:count])).rstrip(".")


def _attribute(exc: AttributeError) -> str | None:
    first, _, rest = _text(exc).partition("\n")
    standard = re.fullmatch(r"module '([\w.]+)' has no attribute '(\w+)'\.?", first)
    numpy_note = re.match(r"`np\.(\w+)` ", first)  # NumPy's own message for a name it removed
    obj, name = getattr(exc, "obj", None), getattr(exc, "name", None)
    if isinstance(obj, types.ModuleType) and isinstance(name, str):
        module = obj.__name__
    elif standard:
        module, name = standard.groups()
    elif numpy_note:
        module, name = "numpy", numpy_note.group(1)
    else:
        return None
    note = _sentences(rest if standard else _text(exc))
    return f"{module} has no attribute {name!r} ({_absent(module, name, note)}"


def _import(exc: ImportError) -> str | None:
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        why = f"{_version(top)} has no such module" if top != exc.name and top in sys.modules else "not installed here"
        return f"no module named {exc.name!r} ({why}"
    taken = re.match(r"cannot import name '(\w+)' from '([\w.]+)'", _text(exc))
    if taken:
        name, module = taken.groups()
        return f"cannot import name {name!r} from {module} ({_absent(module, name)}"
    return None


def describe_load_error(spec: str, exc: BaseException) -> str:
    """One line: what went wrong loading ``spec`` (a module name, a file or a notebook), and where."""
    home = os.path.dirname(os.path.abspath(spec)) if spec.endswith((".py", ".ipynb")) or "/" in spec else None
    if isinstance(exc, SyntaxError):
        return f"{spec}: syntax error at {place(exc.filename or spec, exc.lineno, home)}: {exc.msg}"
    if isinstance(exc, SystemExit):
        return f"{spec}: the module called exit({exc.code!r}) at import"
    if isinstance(exc, ModuleNotFoundError) and exc.name == spec:
        return f"{spec}: no module named {spec!r} (give an importable module name or a path to a .py file)"
    if isinstance(exc, AdapterMismatch):
        return f"{spec}: {_one_line(exc, 1000)}"
    where = _where(exc, home)
    told = _attribute(exc) if isinstance(exc, AttributeError) else _import(exc) if isinstance(exc, ImportError) \
        else None
    if told:
        return f"{spec}: {told}" + (f"; at {where})" if where else ")")
    return f"{spec}: {type(exc).__name__} at import: {_one_line(exc)}" + (f" (at {where})" if where else "")
