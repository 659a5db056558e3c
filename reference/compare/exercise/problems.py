"""Network problems as plain data (no JAX, no Hypothesis): the comparator's unit of work.

A :class:`Problem` holds the arguments of a network call (params, X, y, lambdas)
and, when its arrays are too large to print, how to rebuild it.
:func:`problem_from_seed` builds one from a seed; :func:`describe` turns one (or
a part-A input) into the JSON-ready counterexample of a report.

>>> p = problem_from_seed(2, 3, 4, 5, seed=0)
>>> p.dims, p.arguments("loss")[2].shape
((2, 3, 4, 5), (2,))
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np

from handgrad.types import ARGUMENTS, PARAMS, Lambdas, Params

__all__ = ["Problem", "VALUE_FAMILIES", "problem_from_seed", "describe", "LambdaMode", "LAMBDA_MODES", "LAMBDA_FORMS",
           "lambdas_form"]

LambdaMode = Literal["zero", "l11", "l12", "l21", "l22", "any"]
#: ``zero``: the data term alone; ``l11``…``l22``: that penalty alone (the
#: others 0); ``any``: each λ in [0, 1), each exactly 0 on its own often.
LAMBDA_MODES: tuple[str, ...] = ("zero", "l11", "l12", "l21", "l22", "any")
#: How a submission takes λ: ``four`` (the API's), ``tied`` (one l1, l2 pair for both layers), ``none``.
LAMBDA_FORMS: tuple[str, ...] = ("four", "tied", "none")


def lambdas_form(declared) -> str:
    """The λ form of a submission declared so by its adapter (None: it follows the API).

    >>> lambdas_form(None)
    'four'
    """
    form = getattr(declared, "lambdas", None)
    return form if form in ("tied", "none") else "four"


class Problem(NamedTuple):
    """One network problem: parameters, a batch, its labels (from 0) and the λ."""

    params: Params
    X: np.ndarray
    y: np.ndarray
    lambdas: Lambdas
    #: How to rebuild it when its arrays are too large to print (e.g. a seed).
    origin: str = ""

    @property
    def dims(self) -> tuple[int, int, int, int]:
        """(n, d, dh, m)."""
        return (self.X.shape[0], self.X.shape[1], self.params.W1.shape[0], self.params.W2.shape[0])

    def arguments(self, function: str) -> tuple:
        """The positional arguments of a part-B ``function`` on this problem (:data:`handgrad.types.ARGUMENTS`)."""
        return tuple(getattr(self, name) for name in ARGUMENTS[function])


def _kill_units(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, dead: np.ndarray) -> None:
    """Make ha_j exactly 0 (every term 0) for dead units, with W2[:, j] not all 0 downstream."""
    W1[dead] = 0.0
    b1[dead] = 0.0
    for j in np.flatnonzero(dead):
        if not W2[:, j].any():
            W2[0, j] = 1.0


#: How seeded entries are drawn: small integers (readable, exact zeros and exact
#: cancellations), standard normal, or log-uniform magnitudes from 1e-3 to 1e3.
VALUE_FAMILIES: tuple[str, ...] = ("integers", "normal", "wide")


def problem_from_seed(n: int, d: int, dh: int, m: int, seed: int, *, family: str = "normal",
                      zeros: float = 0.1, lambdas: Lambdas = Lambdas(),
                      patch: np.ndarray | None = None) -> Problem:
    """A problem of the given shape built by ``numpy.random.default_rng(seed)``.

    A share ``zeros`` of the entries of every array is exactly 0, and about that
    share of hidden units have ha exactly 0 with W2 not 0 downstream (rect kinks).
    ``patch`` (length dh·d + dh + m·dh + m + n·d, nan meaning "keep") overrides
    entries of W1, b1, W2, b2, X in that order.

    >>> problem_from_seed(2, 784, 3, 10, seed=0).X.shape
    (2, 784)
    """
    for name, v, lo in (("n", n, 1), ("d", d, 1), ("dh", dh, 1), ("m", m, 2)):
        if isinstance(v, bool) or int(v) != v or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}; got {v!r}")
    if family not in VALUE_FAMILIES:
        raise ValueError(f"family must be one of {VALUE_FAMILIES}; got {family!r}")
    if not 0 <= zeros <= 1:
        raise ValueError(f"zeros must be in [0, 1]; got {zeros!r}")
    rng = np.random.default_rng(seed)
    shapes = ((dh, d), (dh,), (m, dh), (m,), (n, d))
    total = sum(int(np.prod(s)) for s in shapes)
    if family == "integers":
        flat = rng.integers(-3, 4, total).astype(np.float64)
    elif family == "normal":
        flat = rng.normal(size=total)
    else:
        flat = rng.choice([-1.0, 1.0], total) * 10.0 ** rng.uniform(-3, 3, total)
    flat[rng.random(total) < zeros] = 0.0
    if patch is not None:
        if patch.shape != (total,):
            raise ValueError(f"patch must have shape ({total},); got {patch.shape}")
        keep = np.isnan(patch)
        flat = np.where(keep, flat, patch)
    W1, b1, W2, b2, X = np.split(flat, np.cumsum([int(np.prod(s)) for s in shapes])[:-1])
    W1, W2, X = W1.reshape(dh, d), W2.reshape(m, dh), X.reshape(n, d)
    _kill_units(W1, b1, W2, rng.random(dh) < zeros)
    origin = (f"reference.compare.exercise.problems.problem_from_seed({n}, {d}, {dh}, {m}, seed={seed}, "
              f"family={family!r}, zeros={zeros}, lambdas={tuple(lambdas)})")
    return Problem(Params(W1, b1, W2, b2), X, rng.integers(0, m, n), Lambdas(*lambdas),
                   origin if patch is None else "")




def _array(a: np.ndarray, limit: int) -> Any:
    a = np.asarray(a)
    if a.size > limit:
        return {"shape": list(a.shape), "dtype": str(a.dtype), "omitted": f"{a.size} entries"}
    return a.tolist()


def describe(example: Any, *, limit: int = 400) -> dict:
    """A JSON-ready description of an example: shapes, arrays (small ones), labels, λ, how to rebuild it."""
    if isinstance(example, Problem):
        n, d, dh, m = example.dims
        out = {"kind": "network", "n": n, "d": d, "dh": dh, "m": m,
               "lambdas": dict(zip(Lambdas._fields, map(float, example.lambdas))),
               "y": _array(example.y, limit), "X": _array(example.X, limit),
               **{k: _array(v, limit) for k, v in zip(PARAMS, example.params)}}
        if example.origin:
            out["origin"] = example.origin
        return out
    if isinstance(example, tuple) and example and isinstance(example[0], Problem):  # B6 cases
        p, eta, steps = example
        return {**describe(p, limit=limit), "learning_rate": float(eta), "steps": int(steps)}
    if isinstance(example, np.ndarray):
        return {"kind": "elementwise", "x": _array(example, limit)}
    return {"kind": type(example).__name__, "value": repr(example)[:2000]}
