"""Python adapters: a few lines of Python that expose the API by calling a student's code, and their helpers.

A Python adapter (``--adapter my_adapter.py``) is for code the TOML format
(:mod:`.adapter`) cannot describe: parameters in a dict, one call's output fed to
the next, results in a nested dict, a gradient that exists only inside an
in-place update. It runs in the worker, next to the submission, never in the
grader's process. It defines the API's functions (those of
:mod:`handgrad.types`, with the API's signatures and named tuples) by calling the
student's code; every API name it does not define is absent (its properties are
*missing*). When it sets ``__all__``, only the API names listed there are taken.

The math stays the student's: an adapter moves data between layouts and calls;
one that changes a value (rescales, re-signs, recomputes) has a bug of its own.
An error raised in the adapter is reported at the adapter's file and line, one
raised in the student's code at the student's.

The grader reads (never runs) one declaration from the adapter's text, a
module-level string ``LAMBDAS``: ``"four"`` (the default: λ as the API gives
them), ``"tied"`` (one l1, l2 pair for both layers: :func:`tied`) or ``"none"``
(no regularization: :func:`no_lambdas`). A problem that declaration cannot
express is refused before the call is sent, as with a TOML adapter.

.. code-block:: python

    # my_adapter.py: a class with fprop/bprop on columns, parameters in a dict
    from reference.compare.submissions.adapting import *
    student = submission()              # the --impl file, imported once

    def forward(params, X):
        net = student.MLP(X.shape[1], len(params.b1), len(params.b2))
        put_params(net.params, params, "w1 b1 w2 b2", bias=column)
        net.fprop(columns(X))
        return Activations(*(rows(net.cache[k]) for k in ("ha", "hs", "oa", "os")))

The helpers here, each a one-line conversion with a short example:
:func:`submission`, :func:`columns`, :func:`rows`, :func:`column`, :func:`row`, :func:`flat`, :func:`read`,
:func:`from_1`, :func:`onehot`, :func:`tied`, :func:`no_lambdas`,
:func:`with_locals`, :func:`put_params`, :func:`get_params`,
:func:`step_gradient`, :func:`sequence`; for old code's imports, :func:`stub` and
:func:`as_package`. This module runs in the worker: the
standard library, NumPy and :mod:`handgrad.types` only.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import types
from typing import Any, Callable, Mapping

import numpy as np

from handgrad.types import PARAMS, PART_A, PART_B, Activations, Gradients, Lambdas, Params
from reference.compare.submissions.adapter import LocalsReader
from reference.compare.submissions.declaration import NotApplicable

#: What ``from reference.compare.submissions.adapting import *`` gives an adapter: the helpers and the API's types.
__all__ = ["submission", "columns", "rows", "column", "row", "flat", "read", "from_1", "onehot", "tied", "no_lambdas",
           "with_locals", "MissingLocal", "put_params", "get_params", "step_gradient", "sequence", "stub", "as_package",
           "STEP", "NotApplicable",
           "Params", "Lambdas", "Activations", "Gradients"]

#: A learning rate for :func:`step_gradient`: a large power of two, so that the gradient read back from
#: W - lr·g loses at most a few units in the last place of g (below, ``|W|/lr`` would dominate the error).
STEP = 2.0 ** 20


class SubmissionNotLoaded(Exception):
    """The submission itself did not load (the message is the one line the grader shows)."""


_state: dict[str, Any] = {"load": None, "module": None}


def submission():
    """The submission (the ``--impl`` file or module), imported the first time it is asked for.

    Its folder is already first on ``sys.path``, so the adapter may also import the
    student's other modules by name (``from mlp import MLP``). A submission that does not
    load raises :class:`SubmissionNotLoaded` with the usual one-line reason.

    >>> _state["module"] = types.SimpleNamespace(relu=abs)   # as the worker sets it
    >>> submission().relu(-2)
    2
    >>> _state["module"] = None
    """
    if _state["module"] is None:
        if _state["load"] is None:
            raise RuntimeError("submission() is for an adapter the grader loads (--adapter FILE.py)")
        _state["module"] = _state["load"]()
    return _state["module"]


def columns(a) -> np.ndarray:
    """An API array with one example per row, (n, k), as (k, n): one example per column (a view).

    >>> columns(np.zeros((5, 2))).shape
    (2, 5)
    """
    return np.asarray(a).T


def rows(a) -> np.ndarray:
    """A student's result with one example per column, (k, n), back as the API's (n, k).

    A ``numpy.matrix`` is seen as the plain array it holds; anything else not 2-D comes
    back as it is (the grader then sees the wrong shape).

    >>> rows(np.zeros((2, 5))).shape
    (5, 2)
    """
    a = np.asarray(a)
    return a.T if a.ndim == 2 else a


def column(b) -> np.ndarray:
    """A flat bias (k,) as a column (k, 1) (a view).

    >>> column(np.zeros(3)).shape
    (3, 1)
    """
    return np.asarray(b).reshape(-1, 1)


def row(b) -> np.ndarray:
    """A flat bias (k,) as a row (1, k) (a view).

    >>> row(np.zeros(3)).shape
    (1, 3)
    """
    return np.asarray(b).reshape(1, -1)


def read(source, names, convert: Callable | None = None) -> tuple:
    """The values under ``names`` (a list or a space-separated string) in ``source``: keys of a mapping, else
    attributes; each through ``convert`` when given (``rows``, ``flat``). For results kept in a dict or on an
    object (``Activations(*read(net.cache, "ha hs oa os", rows))``).

    >>> read({"a": 1, "b": 2}, "b a")
    (2, 1)
    """
    names = names.split() if isinstance(names, str) else list(names)
    values = [source[k] if isinstance(source, Mapping) else getattr(source, k) for k in names]
    return tuple(convert(v) if convert is not None else v for v in values)


def flat(b) -> np.ndarray:
    """A student's column (k, 1) or row (1, k) bias or bias gradient back as the API's (k,).

    Only a shape with one column or one row is flattened: a (k, n) array (a gradient not
    summed over the batch) comes back as it is, for the grader to see.

    >>> flat(np.zeros((3, 1))).shape, flat(np.zeros((3, 4))).shape
    ((3,), (3, 4))
    """
    b = np.asarray(b)
    return b.reshape(-1) if b.ndim == 2 and 1 in b.shape else b


def from_1(y) -> np.ndarray:
    """Labels counted from 0 (the API's) as labels counted from 1.

    >>> from_1(np.array([0, 2])).tolist()
    [1, 3]
    """
    return np.asarray(y) + 1


def onehot(y, m: int, *, columns: bool = False) -> np.ndarray:
    """Labels from 0 as one-hot targets: (n, m), or (m, n) with ``columns=True``.

    >>> onehot(np.array([1, 0]), 3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    y = np.asarray(y)
    Y = np.zeros((len(y), int(m)))
    Y[np.arange(len(y)), y] = 1.0
    return np.ascontiguousarray(Y.T) if columns else Y


def tied(lambdas) -> tuple[float, float]:
    """The one (l1, l2) pair of code that regularizes both layers alike; needs ``LAMBDAS = "tied"``.

    λ11 ≠ λ21 or λ12 ≠ λ22 raises :class:`NotApplicable` (the grader, having read the
    declaration, never sends such a problem).

    >>> tied(Lambdas(0.1, 0.2, 0.1, 0.2))
    (0.1, 0.2)
    """
    lam = Lambdas(*(float(v) for v in lambdas))
    if lam.l11 != lam.l21 or lam.l12 != lam.l22:
        raise NotApplicable(f"λ = {tuple(lam)}: the submission takes one l1, l2 pair for both layers")
    return lam.l11, lam.l12


def no_lambdas(lambdas) -> None:
    """Nothing, for code without regularization; needs ``LAMBDAS = "none"``. A λ ≠ 0 raises :class:`NotApplicable`.

    >>> no_lambdas(Lambdas())
    """
    if any(float(v) != 0.0 for v in lambdas):
        raise NotApplicable(f"λ = {tuple(float(v) for v in lambdas)}: the submission has no regularization")


class MissingLocal(KeyError):
    """A local variable an adapter reads that the student's function did not set (or that is not among the
    names asked of :func:`with_locals`): the adapter's reading, not the student's value, is what went wrong."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _Locals(dict):
    """The local variables :func:`with_locals` read; one asked for and absent raises :class:`MissingLocal`."""

    def __init__(self, values: Mapping, fn: Any, names: list[str]):
        super().__init__(values)
        self.fn, self.names = fn, names

    def __missing__(self, key):
        name = getattr(self.fn, "__qualname__", None) or repr(self.fn)
        why = ("which it did not set" if key in self.names
               else f"not one of those with_locals was asked for ({' '.join(self.names)})")
        raise MissingLocal(f"the adapter reads a local variable {key!r} of {name}, {why}")


def with_locals(fn: Callable, names, *args, **kwargs) -> tuple[Any, dict[str, Any]]:
    """Call ``fn(*args, **kwargs)``; its value and the local variables ``names`` (a list or a space-separated
    string) as the call returns (copies of arrays). A name the function never set is absent from the dict, and
    reading it (``seen["grad_ha"]``) raises :class:`MissingLocal`, which says so (``seen.get`` gives None).

    The function is not changed: a profile hook reads its outermost frame (:class:`LocalsReader`).

    >>> def bprop(x):
    ...     grad_oa = x - 1
    ...     return 2 * grad_oa
    >>> with_locals(bprop, "grad_oa", 5)
    (8, {'grad_oa': 4})
    """
    names = names.split() if isinstance(names, str) else list(names)
    inner = getattr(fn, "__func__", fn)
    code = getattr(inner, "__code__", None)
    if code is None:
        raise TypeError(f"with_locals: {fn!r} is not a Python function")
    with LocalsReader(code, names) as seen:
        value = fn(*args, **kwargs)
    return value, _Locals(seen.values or {}, fn, names)


def _names(names) -> tuple[str, ...]:
    names = tuple(names.split() if isinstance(names, str) else names)
    if len(names) != len(PARAMS):
        raise ValueError(f"names: four names, for {', '.join(PARAMS)}; got {names!r}")
    return names


def put_params(target, params, names="W1 b1 W2 b2", *, bias: Callable | None = None,
               weights: Callable | None = None):
    """Store ``params`` (W1, b1, W2, b2) in ``target`` under ``names``: keys of a dict, else attributes.

    ``bias`` and ``weights`` convert the biases and the weights first (``bias=column``,
    ``weights=columns`` for weights stored (d, dh)). The arrays are stored as given
    (views), so a student's code that modifies them in place is seen doing it.
    Returns ``target``.

    >>> d = put_params({}, Params(np.ones((2, 3)), np.zeros(2), np.ones((1, 2)), np.zeros(1)), "w1 b1 w2 b2",
    ...                bias=column)
    >>> sorted(d), d["b1"].shape
    (['b1', 'b2', 'w1', 'w2'], (2, 1))
    """
    params = Params(*params)
    for api, name in zip(PARAMS, _names(names)):
        value = getattr(params, api)
        convert = bias if api.startswith("b") else weights
        value = convert(value) if convert is not None else value
        if isinstance(target, dict):
            target[name] = value
        else:
            setattr(target, name, value)
    return target


def get_params(source, names="W1 b1 W2 b2", *, bias: Callable | None = flat, weights: Callable | None = None) -> Params:
    """Four arrays read from ``source`` under ``names`` (keys of a mapping, else attributes), as :class:`Params`;
    from a plain tuple or list, its four items in the order W1, b1, W2, b2.

    For trained parameters, or for gradients kept the same way (``"grad_w1 grad_b1
    grad_w2 grad_b2"``). ``bias`` (default :func:`flat`) and ``weights`` convert them back.

    >>> get_params({"gw": np.ones((2, 3)), "gb": np.ones((2, 1)), "gv": np.ones((1, 2)), "gc": np.ones((1, 1))},
    ...            "gw gb gv gc").b1.shape
    (2,)
    """
    out = []
    if isinstance(source, (tuple, list)) and not hasattr(source, "_fields"):
        if len(source) != len(PARAMS):
            raise ValueError(f"get_params: four arrays ({', '.join(PARAMS)}); got {len(source)}")
        source, names = dict(zip(PARAMS, source)), PARAMS
    for api, name in zip(PARAMS, _names(names)):
        value = source[name] if isinstance(source, Mapping) else getattr(source, name)
        convert = bias if api.startswith("b") else weights
        out.append(convert(value) if convert is not None else np.asarray(value))
    return Params(*out)


def step_gradient(before, after, learning_rate: float = STEP):
    """The gradient g a plain step ``after = before - learning_rate · g`` used: ``(before - after) / learning_rate``.

    For code whose gradient exists only inside an in-place update (``W -= lr * (g + reg)``):
    copy the parameters, give the object ``learning_rate`` (:data:`STEP`: see there why it is
    large), take one step, read the gradient back. ``before`` and ``after`` are arrays or
    matching tuples (a :class:`Params` gives a :class:`Params`).

    >>> W = np.array([1.0, -2.0]); g = np.array([0.25, 3.0])
    >>> step_gradient(W, W - STEP * g).tolist()
    [0.25, 3.0]
    """
    if isinstance(before, tuple):
        parts = [step_gradient(b, a, learning_rate) for b, a in zip(before, after)]
        return type(before)(*parts) if hasattr(before, "_fields") else tuple(parts)
    return (np.asarray(before, dtype=np.float64) - np.asarray(after, dtype=np.float64)) / learning_rate


def sequence(obj, *steps) -> list:
    """Call methods of one object in order, each step ``("method", arg, ...)``; their values, in order.

    For code whose forward pass leaves what the backward pass reads on the object
    (``fprop`` then ``bprop``). Plain calls (``net.fprop(X); g = net.bprop(Y)``) do the same.

    >>> class Net:
    ...     def fprop(self, x): self.h = 2 * x; return self.h
    ...     def bprop(self, y): return self.h - y
    >>> sequence(Net(), ("fprop", 3), ("bprop", 1))
    [6, 5]
    """
    out = []
    for step in steps:
        name, *args = step
        out.append(getattr(obj, name)(*args))
    return out


def stub(*names: str) -> None:
    """Empty modules for imports the graded code never uses (``from sklearn import datasets`` in a file whose
    network is plain NumPy), so that the file loads where they are not installed. Call it before
    :func:`submission`. A name already importable is left alone; using a stub's content raises
    AttributeError in the student's code, at its line.

    >>> stub("no_such_package_here.datasets")
    >>> import no_such_package_here.datasets
    """
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            full = ".".join(parts[:i])
            if full in sys.modules:
                continue
            try:
                if importlib.util.find_spec(full) is not None:
                    continue
            except (ImportError, ValueError):
                pass
            module = types.ModuleType(full)
            module.__path__ = []  # a package: its stubs may have stubs below them
            sys.modules[full] = module
            if i > 1:
                setattr(sys.modules[".".join(parts[:i - 1])], parts[i - 1], module)


def as_package(name: str, folder: str = ".") -> None:
    """Make ``folder`` (relative to the submission's folder) importable as the package ``name``, for code that
    imports its own files through it (``from code.mlp_helpers import fprop``, even where ``code`` is also a
    module of the standard library). Call it before :func:`submission`.
    """
    home = sys.path[0] if _state.get("home") is None else _state["home"]
    package = types.ModuleType(name)
    package.__path__ = [os.path.normpath(os.path.join(home, folder))]
    sys.modules[name] = package


# -- the worker's loading of an adapter (the grader's reading of it: declaration.declared_lambdas) -------------
def load_adapter(path, load_submission: Callable[[], Any], home: str | None = None) -> types.SimpleNamespace:
    """Run the adapter file ``path`` in this process (the worker) and return the API it defines.

    ``load_submission`` imports the submission (what :func:`submission` returns);
    ``home``, the submission's folder, goes first on ``sys.path``. Every callable the
    adapter defines under an API name (only those of its ``__all__`` when it has one) is
    taken; the API's types are added.
    """
    _state.update(load=load_submission, module=None, home=home)
    if home and home not in sys.path:
        sys.path.insert(0, home)
    path = pathlib.Path(path)
    name = "_handgrad_adapter_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, os.fspath(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    listed = getattr(module, "__all__", None)
    names = [n for n in (*PART_A, *PART_B) if (listed is None or n in listed) and callable(getattr(module, n, None))]
    return types.SimpleNamespace(Params=Params, Lambdas=Lambdas, Activations=Activations, Gradients=Gradients,
                                 **{n: getattr(module, n) for n in names})
