"""The worker's side of the sandbox: import the implementation, answer the grader's calls.

This file imports only the standard library, NumPy, the submissions' modules and
the wire, so the child started by :mod:`reference.compare.sandbox.grader_side` (``python
-I`` running this path) never loads JAX unless the implementation under test
does. Messages go on a socket passed as a file descriptor: the worker's are
frames of :mod:`reference.compare.sandbox.wire` (data only, all the grader
trusts); the grader's come pickled (``wire.send_pickled``: only the worker unpickles):

    grader → worker: {"op": "each", "id", "calls": [[name, args, kwargs]…], "checked"}
                     | {"op": "sweep", "id", "batch": {…}, "calls": [[name, problem index]…]}
                     | {"op": "modules"} | {"op": "quit"}
    worker → grader: {"id", "replies": [reply…]} | {"id", "sweep": {"values", "ok", "errors"}}
                     | {"modules": […]}
    reply: {"status": "ok", "value", "mutated", "warnings"}
           | {"status": "raised", "type", "message", "where"} | {"status": "exit", "code"}

The exercise is the grader's to say: it starts the worker with the module of the
API's table and the answer key's modules (``worker_side.py fd spec --api MODULE
--answer-key MODULE,… [--adapter FILE] [--run-all-cells]``, :meth:`Table.start_arguments`);
this file names none of them. At start the worker imports that table, then the
implementation (a module, a .py file or a notebook), puts it through its adapter
if one is given, and answers {"loaded": true, "missing": […], "modules": […]} or
{"load_error": reason}. A call of a name the submission lacks is answered as raised
``NotImplementedError``. Everything in this process is the submission's to change:
the grader checks every reply as data, and decides itself which of the modules a
reply names are the answer key's or an autodiff library's.

What the worker itself needs (the API's table too) is imported before the
submission, whose folder then comes first on ``sys.path``: a local module named
like one of the standard library's (``code``, ``types``) is the submission's, and
the worker does not import it afterwards.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import socket
import sys
import warnings
from types import ModuleType

import numpy as np

from reference.compare.sandbox import syscall_filter, wire
from reference.compare.submissions.adapter import Adapter, adapted
from reference.compare.submissions.adapting import SubmissionNotLoaded, load_adapter
from reference.compare.submissions.load_errors import AdapterMismatch, describe_load_error, raised_at
from reference.compare.submissions.notebook import load_notebook

__all__ = ["is_path", "load", "open_submission", "open_python_adapted", "PythonAdapterError", "SubmissionNotLoaded",
           "describe_load_error", "AdapterMismatch", "call_checked", "call_fast", "options_of", "main", "Table",
           "AUTODIFF"]

#: Autodiff libraries: their presence in the submission's process is an integrity finding, as the answer key's
#: modules are (:attr:`Table.watched`: those the grader names at start).
AUTODIFF = ("jax", "torch", "tensorflow", "autograd")


class Table:
    """The API as the sandbox reads it: from the module of its table (``api``, the exercise's: names, arguments,
    sizes, shapes, named tuples) alone, by the table's own entries; and the modules whose presence in the
    submission's process is an integrity finding: ``answer_key`` (the reference's own modules; the package
    ``reference`` itself is not one, the worker imports ``reference.compare.sandbox``) and :data:`AUTODIFF`.

    The grader reads the exercise's description and starts the worker with :meth:`start_arguments`; the worker
    builds its table from them (:meth:`named`). The sandbox names no function or array of the exercise
    (docs/exercise.md).
    """

    def __init__(self, api: ModuleType, answer_key: tuple[str, ...] = ()) -> None:
        self.api, self.answer_key = api, tuple(answer_key)
        self.watched = self.answer_key + AUTODIFF
        self.names, self.arguments, self.dims, self.shapes = api.API, api.ARGUMENTS, api.DIMS, api.SHAPES
        #: The API's named tuples, by name (what the wire rebuilds).
        self.types: dict[str, type] = {name: getattr(api, name) for name in api.TYPES}
        #: The arguments that are one of those named tuples: each is named after its type, in lower case.
        self.argument_types: dict[str, type] = {a: self.types[t] for args in self.arguments.values() for a in args
                                                for t in self.types if a == t.lower()}
        #: The functions whose value is one of the API's named tuples, and that tuple.
        self.replies: dict[str, type] = {fn: t for fn in self.arguments if (t := self._reply_type(fn)) is not None}
        #: The sweep's compared arrays (the outputs in the table's shapes: those of a function): function, field,
        #: and shape as indices into its sizes.
        self.sweep_fields = {
            name: (name.partition(".")[0], name.partition(".")[2], tuple(self.dims.index(s) for s in shape))
            for name, shape in self.shapes.items() if name.partition(".")[0] in self.arguments
        }
        self._plans: dict[str, tuple] = {}

    @classmethod
    def named(cls, api: str, answer_key: tuple[str, ...] = ()) -> Table:
        """The table of the module called ``api``, imported here (the worker's, from its start arguments)."""
        return cls(importlib.import_module(api), answer_key)

    def start_arguments(self) -> list[str]:
        """What the worker is started with to build this table (:func:`options_of` reads them back)."""
        return ["--api", self.api.__name__, "--answer-key", ",".join(self.answer_key)]

    def _reply_type(self, fn: str) -> type | None:
        """The named tuple ``fn`` returns: the one whose fields are its outputs in the shapes (``fn.field``); for
        a function the shapes list no output of, its first argument's, updated (None for a function of one
        array)."""
        fields = tuple(k.partition(".")[2] for k in self.shapes if k.startswith(fn + "."))
        if fields:
            return next((t for t in self.types.values() if tuple(t._fields) == fields), None)
        if fn in self.shapes:
            return None
        return self.argument_types.get(self.arguments[fn][0])

    def problem_sizes(self, fn: str, args: tuple) -> dict[str, int]:
        """The sizes (of :attr:`dims`) of the problem ``args`` of ``fn`` hold, read off their shapes; KeyError,
        IndexError, AttributeError or TypeError if they are not arrays of the API's form."""
        named = self.arguments[fn]
        pairs = [(a, v) for a, v in zip(named, args) if a in self.shapes]  # the arrays first, then the tuples'
        pairs += [p for a, v in zip(named, args) if a in self.argument_types
                  for p in zip(self.argument_types[a]._fields, v)]
        sizes: dict[str, int] = {}
        for name, v in pairs:
            if name in self.shapes:
                for axis, s in enumerate(self.shapes[name]):
                    sizes.setdefault(s, v.shape[axis])
        return sizes

    def padded_sizes(self, batch: dict) -> dict[str, int]:
        """The sizes (of :attr:`dims`) of a padded sweep batch's bucket, read off its arrays (axis 0: the problem)."""
        sizes: dict[str, int] = {}
        for name, shape in self.shapes.items():
            if name in batch:
                for axis, s in enumerate(shape):
                    sizes.setdefault(s, batch[name].shape[1 + axis])
        return sizes

    def watched_modules(self) -> list[str]:
        """The watched modules this process has imported (top-level names and the answer key's modules)."""
        return sorted(w for w in self.watched if w in sys.modules)

    def missing_names(self, module) -> list[str]:
        """The API names ``module`` lacks."""
        return [n for n in self.names if not hasattr(module, n)]

    def function(self, module, name: str):
        """(the submission's function ``name``, None), or (None, the reply that says why there is none)."""
        if name not in self.arguments:
            return None, {"status": "raised", "type": "NotImplementedError", "message": f"{name} is not in the API",
                          "where": ""}
        try:
            fn = getattr(module, name, None)
        except BaseException as exc:  # noqa: BLE001 - a module __getattr__ of the submission's
            return None, _problem(exc)
        if fn is None:
            return None, {"status": "raised", "type": "NotImplementedError",
                          "message": f"{name} is not in the submission", "where": ""}
        return fn, None

    def call_named(self, module, name: str, args: tuple, kwargs: dict, *, checked: bool = True,
                   private: bool = False):
        """The reply to a call of ``module.<name>``: :func:`call_checked` (or :func:`call_fast`), or a missing
        name's."""
        fn, reply = self.function(module, name)
        if fn is None:
            return reply
        if checked:
            return call_checked(fn, tuple(args), kwargs, self.arguments[name], private=private)
        return call_fast(fn, tuple(args), kwargs)

    def cut(self, batch: dict, fn: str, i: int) -> tuple:
        """The arguments of ``fn`` for problem i of a padded sweep batch (own contiguous copies)."""
        return self._cut(batch, fn, i, batch["dims"][i].tolist(), batch["lambdas"][i].tolist())

    def _plan(self, fn: str) -> tuple:
        """How to cut ``fn``'s arguments from a padded batch: per argument, the named tuple to build (None: a bare
        array) and its arrays with their axes' sizes as indices into :attr:`dims` (None: a tuple of numbers,
        ``lambdas``). Made once per function."""
        if fn in self._plans:
            return self._plans[fn]
        axes = lambda name: (name, tuple(self.dims.index(s) for s in self.shapes[name]))  # noqa: E731
        plan = []
        for a in self.arguments[fn]:
            t = self.argument_types.get(a)
            if t is None:
                plan.append((None, (axes(a),)))
            elif all(f in self.shapes for f in t._fields):
                plan.append((t, tuple(axes(f) for f in t._fields)))
            else:
                plan.append((t, None))
        self._plans[fn] = tuple(plan)
        return self._plans[fn]

    def _cut(self, batch: dict, fn: str, i: int, dims: list, lambdas: list) -> tuple:
        """``fn``'s arguments, own contiguous copies (labels as ``np.intp``): arrays of the shapes cut to problem
        i's sizes, named tuples of such arrays, or a named tuple of numbers (``lambdas``)."""
        cuts = [slice(0, v) for v in dims]
        out = []
        for t, arrays in self._plan(fn):
            if arrays is None:
                out.append(t(*lambdas))
                continue
            pieces = []
            for name, axes in arrays:
                a = batch[name][(i, *[cuts[k] for k in axes])]
                pieces.append(a.astype(np.intp) if a.dtype.kind in "iu" else a.copy())
            out.append(pieces[0] if t is None else t(*pieces))
        return tuple(out)

    def sweep_calls(self, module, batch: dict, calls: list[tuple[str, int]]) -> dict:
        """The bulk sweep's calls on one padded batch, results stacked into the padded layout.

        Each problem is cut from the batch here and each result written into a
        (B, …) array at once: nothing per problem crosses the process boundary.
        Returns {"values": {field: array}, "ok": {field: bool (B,)}, "errors": [[name, i, reply]…]};
        ``ok`` is False where an output is missing or has the wrong shape or dtype.
        """
        dims = batch["dims"].tolist()
        sizes = self.padded_sizes(batch)
        bucket = tuple(sizes[s] for s in self.dims)
        names = {name for name, _ in calls}
        values, ok, by_name = {}, {}, {name: [] for name in names}
        for k, (fn, field, axes) in self.sweep_fields.items():
            if fn in names:
                values[k] = np.zeros((len(dims),) + tuple(bucket[a] for a in axes))
                ok[k] = np.zeros(len(dims), bool)
                by_name[fn].append((values[k], ok[k], field, axes))
        errors = []
        functions = {name: self.function(module, name) for name in names}
        lambdas = batch["lambdas"].tolist()
        for name, i in calls:
            if functions[name][0] is None:
                errors.append([name, i, functions[name][1]])
                continue
            row = dims[i]
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")  # the sweep does not watch warnings: a property of its own does
                    result = functions[name][0](*self._cut(batch, name, i, row, lambdas[i]))
            except BaseException as exc:  # noqa: BLE001 - untrusted code
                errors.append([name, i, _problem(exc)])
                continue
            t = self.replies.get(name)  # a plain tuple of the named tuple's items, read by position (as_call)
            if t is not None and type(result) in (tuple, list) and len(result) == len(t._fields):
                result = t(*result)
            _write(result, i, row, by_name[name])
        return {"values": values, "ok": ok, "errors": errors}


def is_path(spec: str) -> bool:
    """Whether ``spec`` names a file (a .py file or a notebook) rather than a module to import."""
    return spec.endswith((".py", ".ipynb")) or os.sep in spec or "/" in spec


def load(spec: str, *, run_all_cells: bool = False):
    """Import ``spec``: a path to a .py file or a notebook (.ipynb, its definitions), or a module name."""
    if is_path(spec):
        path = pathlib.Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {spec}")
        if path.suffix == ".ipynb":
            return load_notebook(path, run_all_cells=run_all_cells)
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


def open_submission(spec: str, *, adapter: Adapter | None = None, run_all_cells: bool = False,
                    python_adapter: str | os.PathLike | None = None):
    """The submission as the API sees it: :func:`load`-ed, then through ``adapter`` if one is given;
    or, with ``python_adapter`` (a .py file), the API that adapter defines over it (:mod:`.adapting`).

    Raises what loading raised, :class:`AdapterMismatch`, or (a Python adapter) :class:`PythonAdapterError`.
    """
    if python_adapter is not None:
        return open_python_adapted(spec, python_adapter, run_all_cells=run_all_cells)
    module = load(spec, run_all_cells=run_all_cells)
    if adapter is None:
        return module
    try:
        return adapted(module, adapter)
    except ValueError as exc:
        if str(exc).startswith(f"{adapter.source}: "):
            raise AdapterMismatch(f"does not fit its adapter: {exc}") from None
        raise


class PythonAdapterError(Exception):
    """A Python adapter failed as it ran (the message: one line, at the adapter's file and line)."""


def open_python_adapted(spec: str, path, *, run_all_cells: bool = False):
    """The API a Python adapter (``path``) defines over the submission ``spec``, which it imports when it asks.

    The submission's own load errors are described as without an adapter
    (:func:`describe_load_error`); an error of the adapter's, at the adapter's line.
    """
    def submission():
        try:
            return load(spec, run_all_cells=run_all_cells)
        except BaseException as exc:  # noqa: BLE001 - the submission's: described in one line
            raise SubmissionNotLoaded(describe_load_error(spec, exc)) from None

    home = str(pathlib.Path(spec).parent.resolve()) if is_path(spec) else None
    try:
        return load_adapter(path, submission, home)
    except SubmissionNotLoaded:
        raise
    except BaseException as exc:  # noqa: BLE001 - the adapter's own error, at its line
        where = raised_at(exc)
        text = " ".join(str(exc).split())[:300]
        raise PythonAdapterError(f"{spec}: its adapter {path} raised {type(exc).__name__}: {text}"
                                 + (f" (at {where})" if where else "")) from None



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
    except BaseException as exc:  # noqa: BLE001 - untrusted code: report everything
        return _problem(exc)
    texts = [f"{w.category.__name__}: {w.message}" for w in caught]
    return {"status": "ok", "value": value, "mutated": _mutated(snapshot), "warnings": texts}


def _problem(exc: BaseException) -> dict:
    """The reply for a call that raised or exited."""
    if isinstance(exc, SystemExit):
        return {"status": "exit", "code": repr(exc.code)[:200]}
    try:
        return {"status": "raised", "type": type(exc).__name__, "message": str(exc)[:500], "where": raised_at(exc)}
    except BaseException:  # noqa: BLE001 - an exception whose str() raises
        return {"status": "raised", "type": "exception", "message": "(its message could not be read)", "where": ""}


def call_fast(fn, args: tuple, kwargs: dict):
    """Call ``fn`` without watching inputs or warnings (properties of their own check those)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # not watched here: a property of its own does; nor shown by the grader
            return {"status": "ok", "value": fn(*args, **kwargs), "mutated": [], "warnings": []}
    except BaseException as exc:  # noqa: BLE001 - untrusted code: report everything
        return _problem(exc)



def _write(result, i: int, row: list, outputs: list) -> None:
    """The fields of ``result`` that are float64 arrays of the expected shapes, into problem i's padded rows."""
    for out, good, field, axes in outputs:
        a = getattr(result, field, None) if field else result
        if not axes and isinstance(a, float):
            a = np.float64(a)
        if isinstance(a, (np.ndarray, np.floating)) and a.dtype == np.float64 \
                and a.shape == tuple([row[ax] for ax in axes]):
            out[(i, *[slice(0, row[ax]) for ax in axes])] = a
            good[i] = True



def _send(sock: socket.socket, reply: dict) -> None:
    """``reply`` sent once what the submission printed is in the pipe (a print without a newline too):
    the grader shows a failing property's output when its reply is in."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a stream the submission replaced
            pass
    wire.send(sock, reply)


def _handshake(sock: socket.socket, spec: str, options: dict, table: Table):
    """Import the implementation (through its adapter) and say so; None if it could not be imported."""
    try:
        given = options.get("adapter")
        python = given if given and given.endswith(".py") else None
        adapter = Adapter.from_toml(given) if given and python is None else None
        module = open_submission(spec, adapter=adapter, run_all_cells=options.get("run_all_cells", False),
                                 python_adapter=python)
        missing = table.missing_names(module)
    except (SubmissionNotLoaded, PythonAdapterError) as exc:
        _send(sock, {"load_error": str(exc)})
        return None
    except BaseException as exc:  # noqa: BLE001
        _send(sock, {"load_error": describe_load_error(spec, exc)})
        return None
    _send(sock, {"loaded": True, "missing": missing, "modules": table.watched_modules()})
    return module


def _answer(module, msg: dict, table: Table):
    """The reply to one request."""
    if msg.get("op") == "each":
        checked = msg.get("checked", True)
        return {"id": msg["id"], "replies": [table.call_named(module, name, args, kwargs, checked=checked,
                                                              private=True)
                                             for name, args, kwargs in msg["calls"]]}
    if msg.get("op") == "sweep":
        return {"id": msg["id"], "sweep": table.sweep_calls(module, msg["batch"], [tuple(c) for c in msg["calls"]])}
    return {"modules": table.watched_modules()}


def _serve(sock: socket.socket, spec: str, options: dict, table: Table) -> None:
    module = _handshake(sock, spec, options, table)
    while module is not None:
        try:
            msg = wire.receive_request(sock, types=table.types)
        except EOFError:
            return
        if msg.get("op") == "quit":
            return
        _send(sock, _answer(module, msg, table))


def options_of(argv: list[str]) -> dict:
    """The worker's options after ``fd spec``: ``--api MODULE`` and ``--answer-key MODULE,…`` (the grader's,
    :meth:`Table.start_arguments`), ``--adapter FILE``, ``--run-all-cells``."""
    def value(option: str) -> str | None:
        return argv[argv.index(option) + 1] if option in argv[:-1] else None

    key = value("--answer-key") or ""
    return {"api": value("--api"), "answer_key": tuple(m for m in key.split(",") if m),
            "adapter": value("--adapter"), "run_all_cells": "--run-all-cells" in argv}


def main(fd: int, spec: str, options: dict) -> None:
    """Serve the grader on the socket ``fd``, the implementation ``spec`` loaded as ``options`` say
    (:func:`options_of`); the API's table is the module ``options["api"]`` names, imported first."""
    if not options.get("api"):
        raise SystemExit("worker_side.py: --api MODULE (the module of the API's table) is required")
    table = Table.named(options["api"], options.get("answer_key", ()))  # before the submission's folder is on sys.path
    sock = socket.socket(fileno=fd)
    syscall_filter.refuse_calls()  # before the submission's first line: no socket, no System V IPC of its own, ever
    # The implementation's prints must not reach the grader's output: stdout goes to stderr.
    sys.stdout = sys.stderr
    try:
        _serve(sock, spec, options, table)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the grader dropped the connection (a reply over its limits): nothing of the submission's to show
    finally:
        sock.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], options_of(sys.argv[3:]))
