"""Run an implementation's calls: in this process, or as a worker in a child process.

This file imports only the standard library, NumPy and handgrad's types, so the
child started by :mod:`reference.compare.sandbox.grader` (``python -c`` running
this path) never loads JAX unless the implementation under test does. Protocol on a socket passed as a file
descriptor, one pickled tuple per message:

    parent → child: ("call", name, args, kwargs, arg_names) | ("many", name, [args…], kwargs, arg_names)
                    | ("each", [(name, args, kwargs, arg_names)…], checked)
                    | ("sweep", padded batch, [(name, problem index)…]) | ("quit",)
    child → parent: ("ok", value, mutated, warnings) | ("raised", type, message, where)
                    | ("exit", code) | ("many", [replies…]) | ("each", [replies…])
                    | ("sweep", {"values": …, "ok": …, "errors": …})

At start the child imports the implementation and answers ("loaded", missing)
or ("load-error", reason).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import sys
import traceback
import warnings

import numpy as np

from handgrad.types import API, ARGUMENTS, DIMS, SHAPES, Lambdas, Params

__all__ = ["load", "describe_load_error", "call_checked", "call_fast", "cut", "sweep_calls", "plain", "main"]


def load(spec: str):
    """Import ``spec``: a path to a .py file, or a module name."""
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        path = pathlib.Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {spec}")
        name = "_handgrad_impl_" + path.stem.replace("-", "_")
        mod_spec = importlib.util.spec_from_file_location(name, path)
        if mod_spec is None or mod_spec.loader is None:
            raise ImportError(f"cannot load {spec} as a Python module")
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.parent.resolve()))
        mod_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def describe_load_error(spec: str, exc: BaseException) -> str:
    """One line: what went wrong importing ``spec``."""
    if isinstance(exc, SyntaxError):
        return f"{spec}: syntax error at {exc.filename}:{exc.lineno}: {exc.msg}"
    if isinstance(exc, SystemExit):
        return f"{spec}: the module called exit({exc.code!r}) at import"
    if isinstance(exc, ModuleNotFoundError) and exc.name == spec:
        return f"{spec}: no module named {spec!r} (give an importable module name or a path to a .py file)"
    where = ""
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        where = f" (at {tb[-1].filename}:{tb[-1].lineno})"
    return f"{spec}: {type(exc).__name__} at import: {exc}{where}"


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        items = [_copy(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def _leaves(value, path: str):
    """(path, array) for every array inside ``value`` (named tuples by field name)."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, tuple):
        fields = getattr(value, "_fields", None) or [str(i) for i in range(len(value))]
        for f, v in zip(fields, value):
            yield from _leaves(v, f"{path}.{f}")


def _snapshot(args, names) -> list:
    return [(p, a, a.shape, a.tobytes()) for n, v in zip(names, args) for p, a in _leaves(v, n)]


def _mutated(snapshot) -> list[str]:
    # bytes equality: exact (nan-safe) and cheaper than array_equal on small arrays
    return [p for p, a, shape, data in snapshot if a.shape != shape or a.tobytes() != data]


def plain(value):
    """A picklable form of a result: named tuples become ("namedtuple", typename, fields, values)."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ("namedtuple", type(value).__name__, tuple(value._fields), [plain(v) for v in value])
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, (np.ndarray, np.generic, int, float, bool, str, type(None))):
        return value
    return ("object", type(value).__name__, repr(value)[:200])


def call_checked(fn, args: tuple, kwargs: dict, arg_names: tuple[str, ...] = (), *, private: bool = False):
    """Call ``fn`` on ``args``; say which inputs it modified and what it warned.

    The arguments are copied first unless ``private`` (they were just unpickled,
    so nobody else holds them). Returns ("ok", plain value, mutated paths,
    warning texts); exceptions raised by ``fn`` become ("raised", type, message,
    where), ``sys.exit`` ("exit", code).
    """
    names = arg_names or tuple(f"arg{i}" for i in range(len(args)))
    names = names + tuple(f"arg{i}" for i in range(len(names), len(args)))
    given = args if private else tuple(_copy(a) for a in args)
    snapshot = _snapshot(given, names)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                value = fn(*given, **kwargs)
    except SystemExit as exc:
        return ("exit", exc.code)
    except BaseException as exc:  # noqa: BLE001 - untrusted code: report everything
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        return ("raised", type(exc).__name__, str(exc)[:500], where)
    texts = [f"{w.category.__name__}: {w.message}" for w in caught]
    return ("ok", plain(value), _mutated(snapshot), texts)


def call_fast(fn, args: tuple, kwargs: dict):
    """Call ``fn`` without watching inputs or warnings (the bulk sweep: X2 and X4 check those)."""
    try:
        return ("ok", plain(fn(*args, **kwargs)), [], [])
    except SystemExit as exc:
        return ("exit", exc.code)
    except BaseException as exc:  # noqa: BLE001
        tb = traceback.extract_tb(exc.__traceback__)
        return ("raised", type(exc).__name__, str(exc)[:500], f"{tb[-1].filename}:{tb[-1].lineno}" if tb else "")


def cut(batch: dict, fn: str, i: int) -> tuple:
    """The arguments of ``fn`` for problem i of a padded sweep batch (own contiguous copies)."""
    n, d, h, m = (int(v) for v in batch["dims"][i])
    p = Params(batch["W1"][i, :h, :d].copy(), batch["b1"][i, :h].copy(),
               batch["W2"][i, :m, :h].copy(), batch["b2"][i, :m].copy())
    given = {"params": p, "X": batch["X"][i, :n, :d].copy(), "y": batch["y"][i, :n].astype(np.intp),
             "lambdas": Lambdas(*map(float, batch["lambdas"][i]))}
    return tuple(given[a] for a in ARGUMENTS[fn])


#: The sweep's compared arrays (the outputs of :data:`handgrad.types.SHAPES`): function, field, and
#: shape as indices into (n, d, dh, m).
SWEEP_FIELDS = {
    name: (name.partition(".")[0], name.partition(".")[2], tuple(DIMS.index(s) for s in shape))
    for name, shape in SHAPES.items() if name.partition(".")[0] in ("forward", "loss", "risk", "backprop")
}


def sweep_calls(module, batch: dict, calls: list[tuple[str, int]]) -> dict:
    """The bulk sweep's calls on one padded batch, results stacked into the padded layout.

    Each problem is cut from the batch here and each result written into a
    (B, …) array at once: nothing per problem crosses the process boundary.
    Returns {"values": {field: array}, "ok": {field: bool (B,)}, "errors": {(name, i): reply}};
    ``ok`` is False where an output is missing or has the wrong shape or dtype.
    """
    dims = batch["dims"].tolist()
    bucket = (batch["X"].shape[1], batch["X"].shape[2], batch["W1"].shape[1], batch["W2"].shape[1])
    names = {name for name, _ in calls}
    values, ok, by_name = {}, {}, {name: [] for name in names}
    for k, (fn, field, axes) in SWEEP_FIELDS.items():
        if fn in names:
            values[k] = np.zeros((len(dims),) + tuple(bucket[a] for a in axes))
            ok[k] = np.zeros(len(dims), bool)
            by_name[fn].append((values[k], ok[k], field, axes))
    errors = {}
    functions = {name: getattr(module, name) for name in names}
    for name, i in calls:
        try:
            result = functions[name](*cut(batch, name, i))
        except SystemExit as exc:
            errors[(name, i)] = ("exit", exc.code)
            continue
        except BaseException as exc:  # noqa: BLE001 - untrusted code
            errors[(name, i)] = ("raised", type(exc).__name__, str(exc)[:500], "")
            continue
        row = dims[i]
        for out, good, field, axes in by_name[name]:
            a = getattr(result, field, None) if field else result
            shape = tuple(row[ax] for ax in axes)
            if not shape and isinstance(a, float):
                a = np.float64(a)
            if isinstance(a, (np.ndarray, np.floating)) and a.shape == shape and a.dtype == np.float64:
                out[(i,) + tuple(slice(0, s) for s in shape)] = a
                good[i] = True
    return {"values": values, "ok": ok, "errors": errors}


def _serve(conn, spec: str) -> None:
    try:
        module = load(spec)
    except BaseException as exc:  # noqa: BLE001
        conn.send(("load-error", describe_load_error(spec, exc)))
        return
    missing = [n for n in API if not hasattr(module, n)]
    conn.send(("loaded", missing))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg[0] == "quit":
            return
        if msg[0] == "call":
            _, name, args, kwargs, arg_names = msg
            conn.send(call_checked(getattr(module, name), args, kwargs, arg_names, private=True))
        elif msg[0] == "each":
            _, calls, checked = msg
            conn.send(("each", [call_checked(getattr(module, name), args, kwargs, arg_names, private=True)
                                if checked else call_fast(getattr(module, name), args, kwargs)
                                for name, args, kwargs, arg_names in calls]))
        elif msg[0] == "sweep":
            _, batch, calls = msg
            conn.send(("sweep", sweep_calls(module, batch, calls)))
        elif msg[0] == "many":
            _, name, arg_list, kwargs, arg_names = msg
            conn.send(("many", [call_checked(getattr(module, name), a, kwargs, arg_names, private=True)
                                for a in arg_list]))


def main(fd: int, spec: str) -> None:
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    # The implementation's prints must not reach the report: stdout goes to stderr.
    sys.stdout = sys.stderr
    try:
        _serve(conn, spec)
    finally:
        conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
