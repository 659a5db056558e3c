"""Declarative adapters: check a submission that does not follow the API, without rewriting it.

A small TOML file says how the submission lays out its data and where its
functions are; :func:`build_api` returns callables with exactly the API's
signatures that put the API's inputs in the submission's layout, call it, and put
its results back in the API's layout. An adapter converts layouts only, never the
math: nothing is rescaled, re-signed or recomputed, so a mistake stays a mistake.
It runs in the worker process: it imports the standard library, NumPy and
:mod:`handgrad.types`, no JAX, no Hypothesis.

The format. Left of ``=`` is always a name in the submission, right of it a name of
the API (a quantity or a field). Every key is optional: a part-B function
the file does not name is absent, as if not implemented.

.. code-block:: toml

    # conventions (defaults: the API's, the first of each list)
    examples = "columns"   # "rows": X is (n, d), one example per row | "columns": X is (d, n)
    bias = "column"        # b1 of shape "flat" (dh,) | "column" (dh, 1) | "row" (1, dh)
    weights = "out_in"     # "out_in": W1 (dh, d), as the course | "in_out": W1 stored (d, dh)
    labels = "onehot"      # 0 | 1: labels counted from 0 or 1 | "onehot": targets laid out like X
    lambdas = "tied"       # "four": (l11, l12, l21, l22) | "list": [l11, l12, l21, l22]
                           # | "matrix": [[l11, l12], [l21, l22]] | "tied": one (l1, l2) for both layers

    # part A: the name of each function the submission has ("function" or "module:function")
    rect = "relu"
    d_rect = "relu_grad"

    # how to build the object a method is called on (a new one for every call)
    [object]
    init = { n_in = "d", n_hidden = "dh", n_out = "m", l1 = "l1", l2 = "l2" }  # constructor kwargs
    set = { w1 = "W1" }    # attributes set after construction; a parameter not named is set as W1, b1...

    # part B: forward, loss, risk, backprop, gradient_descent; a string is { call = "..." }
    [backprop]
    call = "MLP.bprop"     # "function" or "Class.method", after "module:" if the file is another one
    args = ["X", "y"]      # positional arguments, as quantities (below)
    kwargs = {}            # keyword arguments: name = quantity
    returns = ["W1", "b1", "W2", "b2"]     # the fields returned, by position ("_" skips one);
                           # or one field ("os": the value itself), or { key = field } for a dict
    attributes = {}        # the object's attributes after the call: { attribute = field }
    locals = { grad_oa = "oa", grad_hs = "hs", grad_ha = "ha" }  # local variables as the call returns
    reduction = "mean"     # backprop: "mean" | "sum"; loss: "per_example" | "sum" | "mean"

Quantities: ``X``, ``y`` (labels as declared), ``W1 b1 W2 b2`` and ``params``
(the four as a tuple), ``lambdas`` (packed as declared), ``l11 l12 l21 l22``,
``l1 l2`` (tied only), the sizes ``n d dh m``, ``learning_rate``, ``steps``,
``input_gradient``; each function takes those of its API arguments (forward no
``y``, no λ). A TOML number or boolean is passed as it is; a string that is not a
quantity is written ``{ value = "relu" }``. ``[object]`` may not name ``X`` or
``y``; an object built for forward or loss gets λ = 0, and outside
gradient_descent a learning rate and steps of 0.

Fields: forward ``ha hs oa os``; loss ``loss``; risk ``risk``; backprop ``oa hs ha
x W1 b1 W2 b2``; gradient_descent ``W1 b1 W2 b2``. A field no source names is
None: to the grader, "not implemented" (a backprop without ∂L/∂x returns ``x``
None, as ``input_gradient=False`` does).

Defaults. Arguments: a function takes the API's (``params, X, y, lambdas``,
gradient_descent also ``learning_rate=``, ``steps=``); a method ``X`` (and ``y``;
gradient_descent ``X, y, learning_rate, steps``), its parameters and λ being on
its object. Results: the API's (a tuple in the API's order, or the value);
a gradient_descent method's are read back from the parameters' attributes (the
object trains copies of the caller's arrays; other objects hold views of them).
Part A: a function under the API's name is taken when not mapped; one neither
mapped nor present is absent from :func:`build_api`'s result. With
``examples = "columns"``, softmax is given the transposed array (one example per
column) and its result transposed back.

What the declarations do:

- ``lambdas = "tied"``: a problem with λ11 ≠ λ21 or λ12 ≠ λ22 raises
  :class:`NotApplicable` from every call that takes λ (the caller makes it a status).
- loss ``reduction = "sum"`` or ``"mean"``: the submission's loss is a batch total;
  the per-example loss is its value on each example alone (a batch of one, where sum
  and mean agree). Its risk is called on the whole batch, as declared, never rescaled.
- backprop ``reduction = "sum"``: documentation only (see :attr:`Adapter.notes`).
  Gradients summed over the batch are a real mistake against the risk's
  definition; they are checked as returned, not divided by n.
- ``locals``: read as the called function returns, without changing it: a
  ``sys.setprofile`` hook copies them from the outermost frame of that function
  (another profile function is paused during the call). A local must hold the
  per-example ∂L/∂· the API defines: one already divided by n is read as it is.
- A result whose shape is not the declared one is returned as it came.

Templates ship in :data:`TEMPLATES` (``templates/*.toml``), each with a worked
example: ``mlp_class`` (a column-vector class with fprop/bprop), ``column_functions``
(functions in column form, labels from 1, as the seeds), ``row_functions`` (rows,
other names, weights stored (d, dh)).

>>> import numpy as np
>>> adapter = Adapter.from_mapping({"examples": "columns", "bias": "column",
...                                 "forward": {"call": "fwd", "args": ["W1", "b1", "W2", "b2", "X"]}})
>>> def fwd(W1, b1, W2, b2, X):      # one example per column
...     ha = W1 @ X + b1
...     hs = np.maximum(ha, 0)
...     oa = W2 @ hs + b2
...     return ha, hs, oa, np.exp(oa) / np.exp(oa).sum(axis=0)
>>> api = build_api({"fwd": fwd}, adapter)
>>> p = Params(np.ones((3, 2)), np.zeros(3), np.ones((4, 3)), np.zeros(4))
>>> api["forward"](p, np.ones((5, 2))).oa.shape      # (m, n) from the submission, (n, m) to the API
(5, 4)
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pathlib
import sys
import types
from typing import Any, Callable, Mapping

import numpy as np

from handgrad.types import PARAMS, PART_A, PART_B, Activations, Gradients, Lambdas, Params
from reference.compare.submissions.declaration import FIELDS, Adapter, Call, NotApplicable, declared_lambdas
from reference.compare.submissions.layouts import Inputs, scalar, to_api

__all__ = ["Adapter", "NotApplicable", "TEMPLATES", "build_api", "adapted", "LocalsReader", "adapter_file",
           "read_adapter"]

#: The template adapters shipped with the package.
TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"


def adapter_file(name) -> pathlib.Path:
    """The adapter file ``name`` says: a bundled template by its name (no ``/``, no ``.toml``), else a path.

    >>> adapter_file("mlp_class") == TEMPLATES / "mlp_class.toml"
    True
    """
    name = str(name)
    if "/" not in name and "\\" not in name and not name.endswith((".toml", ".py")):
        path = TEMPLATES / f"{name}.toml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in TEMPLATES.glob("*.toml")))
            raise ValueError(f"{name}: no such adapter template (the templates: {known}; "
                             "or the path of a .toml or .py file)")
        return path
    path = pathlib.Path(name)
    if not path.is_file():
        raise ValueError(f"{name}: no such adapter file")
    return path


def read_adapter(name) -> tuple[pathlib.Path, Adapter]:
    """:func:`adapter_file` and the adapter it holds, validated; every problem a one-line ``ValueError``.

    A Python adapter (``.py``, :mod:`.adapting`) is read, never run, here: what the grader
    needs of it is its ``LAMBDAS`` declaration (an :class:`Adapter` with no calls).
    """
    path = adapter_file(name)
    try:
        if path.suffix == ".py":
            return path, Adapter(lambdas=declared_lambdas(path), calls={}, source=str(path))
        return path, Adapter.from_toml(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the adapter file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (an adapter is TOML or Python, UTF-8)") from None


def _lookup(space, name: str, where: str, adapter: Adapter):
    found = space.get(name) if isinstance(space, Mapping) else getattr(space, name, None)
    if found is None:
        raise ValueError(f"{adapter.source}: {where}: the submission has no {name!r}")
    return found


def _module(call: Call, adapter: Adapter):
    """The module ``call`` names. One that is not there is the adapter's mismatch, named with its key; an import
    error inside the module (its own imports) stays the submission's, at its line."""
    try:
        return importlib.import_module(call.module)
    except ModuleNotFoundError as exc:
        if exc.name and (call.module == exc.name or call.module.startswith(exc.name + ".")):
            raise ValueError(f"{adapter.source}: {call.api}: the submission has no module {call.module!r} "
                             f"({exc})") from None
        raise


def _resolve(target, call: Call, adapter: Adapter) -> tuple[type | None, Callable]:
    """(the class, or None for a function; the function) that ``call`` names."""
    space = _module(call, adapter) if call.module else target
    first = _lookup(space, call.path[0], call.api, adapter)
    if len(call.path) == 1:
        return None, first
    fn = _lookup(first, call.path[1], call.api, adapter)
    return (first if call.is_method else None), fn


def _code(fn: Callable, call: Call, adapter: Adapter):
    inner = inspect.unwrap(fn)
    inner = getattr(inner, "__func__", inner)
    if not hasattr(inner, "__code__"):
        raise ValueError(f"{adapter.source}: {call.api}.locals: {call.where} is not a Python function")
    return inner.__code__


class LocalsReader:
    """Copies some local variables of a function as it returns, without changing the function.

    A ``sys.setprofile`` hook sees the 'return' event of every frame running ``code``
    and copies the named locals; the outermost frame, returning last, is kept. The
    previous profile function is restored on exit.

    >>> def f(x):
    ...     twice = 2 * x
    ...     return twice + 1
    >>> with LocalsReader(f.__code__, ("twice",)) as seen:
    ...     f(3)
    7
    >>> seen.values
    {'twice': 6}
    """

    def __init__(self, code, names) -> None:
        self.code, self.names = code, tuple(names)
        self.values: dict[str, Any] | None = None

    def _hook(self, frame, event, arg) -> None:
        if event == "return" and frame.f_code is self.code:
            found = frame.f_locals
            self.values = {k: np.array(found[k]) if isinstance(found[k], np.ndarray) else found[k]
                           for k in self.names if k in found}

    def __enter__(self) -> LocalsReader:
        self._previous = sys.getprofile()
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(self._previous)


def _new_object(cls: type, adapter: Adapter, inputs: Inputs, own_params: bool):
    obj = cls(**{k: inputs.value(v) for k, v in adapter.init.items()})
    for attribute, v in adapter.set.items():
        value = inputs.value(v)
        if own_params and v in PARAMS:
            value = np.array(value)
        elif own_params and v == "params":
            value = Params(*(np.array(a) for a in value))
        setattr(obj, attribute, value)
    return obj


def _returned(call: Call, value, source: str) -> dict[str, Any]:
    r = call.returns
    if r is None:
        return {}
    if isinstance(r, str):
        return {r: value}
    if isinstance(r, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(r):
            got = f"{len(value)} values" if isinstance(value, (tuple, list)) else f"a {type(value).__name__}"
            raise ValueError(f"{call.where} returned {got}; the adapter reads {len(r)} ({', '.join(r)})")
        return {f: v for f, v in zip(r, value) if f != "_"}
    absent = [k for k in r if (k not in value if isinstance(value, Mapping) else not hasattr(value, k))]
    if absent:
        raise ValueError(f"{call.where} returned a {type(value).__name__} without the "
                         f"{'key' if isinstance(value, Mapping) else 'attribute'}(s) {', '.join(absent)} "
                         f"that {source} reads")
    return {f: value[k] if isinstance(value, Mapping) else getattr(value, k) for k, f in r.items()}


def _invoke(adapter: Adapter, call: Call, resolved, inputs: Inputs, own_params: bool = False) -> dict[str, Any]:
    """Call the submission on ``inputs``; its results by field, in its own layout."""
    cls, fn = resolved
    obj = _new_object(cls, adapter, inputs, own_params) if cls is not None else None
    bound = getattr(obj, call.path[1]) if obj is not None else fn
    args = [inputs.value(v) for v in call.args]
    kwargs = {k: inputs.value(v) for k, v in call.kwargs.items()}
    reader = LocalsReader(_code(fn, call, adapter), call.locals) if call.locals else None
    with reader or contextlib.nullcontext():
        value = bound(*args, **kwargs)
    out = _returned(call, value, adapter.source)
    absent = [a for a in call.attributes if not hasattr(obj, a)]
    if absent:
        raise ValueError(f"{call.where} returned with no attribute(s) {', '.join(absent)} on its object, "
                         f"that {adapter.source} reads")
    out.update({f: getattr(obj, a) for a, f in call.attributes.items()})
    if reader is not None:
        missing = [k for k in call.locals if k not in (reader.values or {})]
        if missing:
            raise ValueError(f"{call.where} returned without the local variable(s) {', '.join(missing)} "
                             f"that {adapter.source} reads")
        out.update({f: reader.values[k] for k, f in call.locals.items()})
    return out


def _results(adapter: Adapter, call: Call, resolved, inputs: Inputs, own_params: bool = False) -> dict[str, Any]:
    """Every field of the call's result in the API's layout; None where the submission gives none."""
    raw = _invoke(adapter, call, resolved, inputs, own_params)
    return {f: to_api(adapter, call.api, f, raw[f], inputs.sizes) if f in raw else None for f in FIELDS[call.api]}


def _network(adapter: Adapter, call: Call, resolved) -> Callable:
    """The API's part-B function ``call.api`` over the submission's."""
    run = lambda inputs, **kw: _results(adapter, call, resolved, inputs, **kw)

    def forward(params, X):
        return Activations(**run(Inputs(adapter, params, X)))

    def loss(params, X, y):
        if call.reduction == "per_example":
            return run(Inputs(adapter, params, X, y))["loss"]
        X, y = np.asarray(X), np.asarray(y)  # a batch total: each example alone, where sum and mean agree
        return np.array([scalar(run(Inputs(adapter, params, X[i:i + 1], y[i:i + 1]))["loss"]) for i in range(len(X))])

    def risk(params, X, y, lambdas=Lambdas()):
        return run(Inputs(adapter, params, X, y, lambdas))["risk"]

    def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
        out = run(Inputs(adapter, params, X, y, lambdas, input_gradient=input_gradient))
        return Gradients(**{**out, "x": out["x"] if input_gradient else None})

    def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):
        inputs = Inputs(adapter, params, X, y, lambdas, learning_rate=learning_rate, steps=steps)
        return Params(**run(inputs, own_params=True))

    return {"forward": forward, "loss": loss, "risk": risk, "backprop": backprop,
            "gradient_descent": gradient_descent}[call.api]


def _part_a(adapter: Adapter, name: str, fn: Callable) -> Callable:
    columns = name == "softmax" and adapter.examples == "columns"

    def part_a(x):
        if columns and np.ndim(x) == 2:
            return np.asarray(fn(np.asarray(x).T)).T
        return fn(x)

    part_a.__name__ = part_a.__qualname__ = name
    return part_a


def build_api(target, adapter: Adapter) -> dict[str, Callable]:
    """The API's functions over a submission (a module, or a mapping of its names), as ``adapter`` declares.

    Part-B functions the adapter does not map are absent; a part-A function is
    taken under its API name when not mapped, and absent when neither. Raises
    ``ValueError`` when the submission lacks what the adapter names.
    """
    api: dict[str, Callable] = {}
    for name in PART_A:
        if name in adapter.calls:
            fn = _resolve(target, adapter.calls[name], adapter)[1]
        else:
            fn = target.get(name) if isinstance(target, Mapping) else getattr(target, name, None)
        if callable(fn):
            api[name] = _part_a(adapter, name, fn)
    for name in PART_B:
        if name in adapter.calls:
            call = adapter.calls[name]
            resolved = _resolve(target, call, adapter)
            if call.locals:
                _code(resolved[1], call, adapter)  # fail now, not at the first call
            api[name] = _network(adapter, call, resolved)
    return api


def adapted(target, adapter: Adapter) -> types.SimpleNamespace:
    """A module-like namespace: :func:`build_api`'s functions and the API's four types.

    The worker can use it in place of the imported module (``getattr(module, name)``).
    """
    return types.SimpleNamespace(Params=Params, Lambdas=Lambdas, Activations=Activations, Gradients=Gradients,
                                 **build_api(target, adapter))
