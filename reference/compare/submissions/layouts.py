"""Layouts: the API's inputs put as a submission declares them, and its results put back in the API's.

Only layouts change here: transposes, reshapes, the labels' base, one-hot targets,
how λ is packed. No value is computed or rescaled. Inputs are views of the
caller's arrays where the layout allows (so an input the submission modifies is
still seen as modified); a result is converted only when its shape is the
declared one, and is otherwise returned as it came, for the checker to see.

>>> import numpy as np
>>> from reference.compare.submissions.declaration import Adapter
>>> a = Adapter.from_mapping({"examples": "columns", "bias": "column", "labels": 1})
>>> to_submission(a, "b1", np.zeros(3)).shape, labels(a, np.array([0, 2]), m=3)
((3, 1), array([1, 3]))
>>> to_api(a, "forward", "ha", np.zeros((3, 5)), {"n": 5, "d": 2, "dh": 3, "m": 4}).shape
(5, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from handgrad.types import PARAMS, SHAPES, Lambdas, Params
from reference.compare.submissions.declaration import LAMBDA_QUANTITIES, Adapter, Literal, NotApplicable

__all__ = ["inexpressible", "Inputs", "to_submission", "labels", "lambda_values", "declared_shape", "to_api", "scalar"]


def to_submission(adapter: Adapter, name: str, a) -> np.ndarray:
    """X, W1, b1, W2 or b2 (the API's layout) in the submission's layout: a view where one exists."""
    a = np.asarray(a)
    if name == "X":
        return a.T if adapter.examples == "columns" else a
    if name in ("W1", "W2"):
        return a.T if adapter.weights == "in_out" else a
    return {"flat": a, "column": a.reshape(-1, 1), "row": a.reshape(1, -1)}[adapter.bias]


def labels(adapter: Adapter, y, m: int) -> np.ndarray:
    """The labels (from 0) as the submission takes them: from 0, from 1, or one-hot targets laid out like X."""
    y = np.asarray(y)
    if adapter.labels == "onehot":
        Y = np.zeros((len(y), m))
        Y[np.arange(len(y)), y] = 1.0
        return np.ascontiguousarray(Y.T) if adapter.examples == "columns" else Y
    return y + adapter.labels if adapter.labels else y


def inexpressible(adapter: Adapter, lambdas) -> str | None:
    """Why ``lambdas`` cannot be put to a submission declared by ``adapter`` (None: they can).

    The grader asks this before it sends a call: a refusal is the grader's
    decision, from the adapter it read, never the submission's word.
    """
    if adapter.lambdas not in ("tied", "none"):
        return None
    lam = Lambdas(*(float(v) for v in lambdas))
    if adapter.lambdas == "none":
        if not any(lam):
            return None
        return (f"λ11 = {lam.l11!r}, λ12 = {lam.l12!r}, λ21 = {lam.l21!r}, λ22 = {lam.l22!r}: "
                "the submission has no regularization (lambdas = \"none\")")
    if lam.l11 == lam.l21 and lam.l12 == lam.l22:
        return None
    return (f"λ11 = {lam.l11!r}, λ12 = {lam.l12!r}, λ21 = {lam.l21!r}, λ22 = {lam.l22!r}: "
            "the submission takes one l1, l2 pair for both layers (lambdas = \"tied\")")


def lambda_values(adapter: Adapter, lambdas) -> dict[str, Any]:
    """Every λ quantity; ``lambdas`` packed as declared. Tied λ that differ raise :class:`NotApplicable`
    (the grader does not send such a call: :func:`inexpressible`)."""
    lam = Lambdas(*(float(v) for v in lambdas))
    out: dict[str, Any] = dict(zip(LAMBDA_QUANTITIES[1:5], lam))
    if adapter.lambdas == "tied":
        reason = inexpressible(adapter, lam)
        if reason:
            raise NotApplicable(reason)
        out.update(l1=lam.l11, l2=lam.l12, lambdas=(lam.l11, lam.l12))
    elif adapter.lambdas == "none":
        reason = inexpressible(adapter, lam)
        if reason:
            raise NotApplicable(reason)
        out["lambdas"] = None
    elif adapter.lambdas == "four":
        out["lambdas"] = lam
    elif adapter.lambdas == "list":
        out["lambdas"] = list(lam)
    else:
        out["lambdas"] = np.array([[lam.l11, lam.l12], [lam.l21, lam.l22]])
    return out


class Inputs:
    """The quantities of one API call as the submission takes them, each computed when first asked for.

    ``forward`` and ``loss`` have no λ: an object built for them gets λ = 0. Outside
    ``gradient_descent`` an object's ``learning_rate`` and ``steps`` are 0.
    """

    def __init__(self, adapter: Adapter, params, X, y=None, lambdas=Lambdas(), **extra) -> None:
        self.adapter = adapter
        self.params = Params(*params)
        self.X, self.y, self.lambdas = X, y, lambdas
        self.extra = {"learning_rate": 0.0, "steps": 0, "input_gradient": True, **extra}
        W1, W2 = np.shape(self.params.W1), np.shape(self.params.W2)
        self.sizes = {"n": np.shape(X)[0], "d": np.shape(X)[1], "dh": W1[0], "m": W2[0]}
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str):
        if name not in self._cache:
            self._cache.update(self._compute(name))
        return self._cache[name]

    def _compute(self, name: str) -> dict[str, Any]:
        if name in self.sizes:
            return {name: self.sizes[name]}
        if name == "X":
            return {name: to_submission(self.adapter, name, self.X)}
        if name in PARAMS:
            return {name: to_submission(self.adapter, name, getattr(self.params, name))}
        if name == "params":
            return {name: Params(*(self[p] for p in PARAMS))}
        if name == "y":
            return {name: labels(self.adapter, self.y, self.sizes["m"])}
        if name in LAMBDA_QUANTITIES:
            return lambda_values(self.adapter, self.lambdas)
        return {name: self.extra[name]}

    def value(self, v):
        """A declared argument: a literal as it is, a quantity by its name."""
        return v.value if isinstance(v, Literal) else self[v]


def _kind(function: str, field: str) -> str:
    if field in ("W1", "W2"):
        return "weight"
    if field in ("b1", "b2"):
        return "bias"
    return function if function in ("loss", "risk") else "example"


def _transposed(adapter: Adapter, kind: str) -> bool:
    return (kind == "example" and adapter.examples == "columns") or (kind == "weight" and adapter.weights == "in_out")


def declared_shape(adapter: Adapter, function: str, field: str, sizes: dict[str, int]) -> tuple[int, ...]:
    """The shape the submission returns ``function``'s ``field`` in, as the adapter declares it."""
    key = f"{function}.{field}" if f"{function}.{field}" in SHAPES else field if field in SHAPES else function
    shape = tuple(int(sizes[s]) for s in SHAPES[key])
    kind = _kind(function, field)
    if _transposed(adapter, kind):
        return shape[::-1]
    if kind == "bias":
        return {"flat": shape, "column": shape + (1,), "row": (1,) + shape}[adapter.bias]
    return shape


def scalar(value):
    """A one-entry array as a NumPy scalar of its own dtype; anything else as it came."""
    if isinstance(value, np.ndarray) and value.size == 1:
        return np.asarray(value).reshape(())[()]
    return value


def to_api(adapter: Adapter, function: str, field: str, value, sizes: dict[str, int]):
    """A result in the API's layout if its shape is the declared one; otherwise as it came.

    A per-example loss of shape (1, n) or (n, 1) becomes (n,); a one-entry risk, a
    scalar. A ``numpy.matrix`` is seen as the plain array it holds. Dtypes are kept.
    """
    if isinstance(value, np.matrix):
        value = np.asarray(value)
    if function == "risk":
        return scalar(value)
    if not isinstance(value, np.ndarray):
        return value
    n, kind = sizes["n"], _kind(function, field)
    if kind == "loss":
        return value.reshape(n) if value.shape in ((1, n), (n, 1)) else value
    if value.shape != declared_shape(adapter, function, field, sizes):
        return value
    if kind == "bias":
        return value.reshape(-1)
    return value.T if _transposed(adapter, kind) else value
