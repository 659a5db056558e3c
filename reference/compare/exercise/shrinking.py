"""What shrinking a network problem needs to know of its structure (:mod:`reference.compare.running.shrink`
runs the search): its sizes, how to delete indices of one, its value arrays, its penalties.

>>> from reference.compare.exercise.problems import problem_from_seed
>>> p = without(problem_from_seed(3, 4, 5, 6, seed=0), "dh", np.arange(2))
>>> p.dims, array(p, "W2").shape
((3, 4, 3, 6), (6, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from handgrad.types import DIMS, PARAMS, Lambdas, Params
from reference.compare.exercise.problems import Problem

__all__ = ["SMALL", "MINIMUM", "ORDER", "VALUES", "LABELS", "PENALTIES", "is_problem", "key", "size", "without",
           "array", "with_array", "penalty", "with_penalty", "largest_array"]

#: The largest side Hypothesis draws entry by entry (:data:`reference.compare.exercise.strategies.SMALL`).
SMALL = 8
#: The smallest size of each dimension: n, d, dh ≥ 1 and m ≥ 2.
MINIMUM: dict[str, int] = {"n": 1, "d": 1, "dh": 1, "m": 2}
#: The dimensions, in the order their indices are deleted.
ORDER = ("n", "m", "dh", "d")
#: Value arrays, in the order they are simplified; the labels, set to 0 only.
VALUES = ("X",) + PARAMS
LABELS = ("y",)
#: The penalties' weights, in the order they are simplified.
PENALTIES = Lambdas._fields


def is_problem(example: Any) -> bool:
    """Is ``example`` a whole problem (not a part-A input)?"""
    return isinstance(example, Problem)


def key(p: Problem) -> tuple:
    """Everything that tells two problems apart, hashable."""
    arrays = (p.X, p.y, *p.params)
    return tuple((a.shape, a.dtype.str, a.tobytes()) for a in arrays) + (tuple(map(float, p.lambdas)),)


def size(p: Problem, dim: str) -> int:
    """The size of dimension ``dim`` (one of :data:`MINIMUM`)."""
    return p.dims[DIMS.index(dim)]


def without(p: Problem, dim: str, drop: np.ndarray) -> Problem:
    """``p`` without these indices of one dimension; labels of a removed class become the first kept class."""
    (W1, b1, W2, b2), X, y = p.params, p.X, p.y
    if dim == "n":
        X, y = np.delete(X, drop, 0), np.delete(y, drop)
    elif dim == "d":
        X, W1 = np.delete(X, drop, 1), np.delete(W1, drop, 1)
    elif dim == "dh":
        W1, b1, W2 = np.delete(W1, drop, 0), np.delete(b1, drop), np.delete(W2, drop, 1)
    else:
        keep = np.setdiff1d(np.arange(W2.shape[0]), drop)
        rank = np.zeros(W2.shape[0], dtype=np.int64)
        rank[keep] = np.arange(keep.size)
        W2, b2, y = W2[keep], b2[keep], rank[y].astype(y.dtype)
    return Problem(Params(W1, b1, W2, b2), X, y, p.lambdas, "")


def array(p: Problem, name: str) -> np.ndarray:
    """The array ``name`` (of :data:`VALUES` or :data:`LABELS`)."""
    return getattr(p.params, name) if name in PARAMS else getattr(p, name)


def with_array(p: Problem, name: str, a: np.ndarray) -> Problem:
    """``p`` with the array ``name`` replaced by ``a``."""
    if name in PARAMS:
        return Problem(p.params._replace(**{name: a}), p.X, p.y, p.lambdas, "")
    return Problem(p.params, *((a, p.y) if name == "X" else (p.X, a)), p.lambdas, "")


def penalty(p: Problem, name: str) -> float:
    """The weight of the penalty ``name`` (of :data:`PENALTIES`)."""
    return getattr(p.lambdas, name)


def with_penalty(p: Problem, name: str, value: float) -> Problem:
    """``p`` with the penalty ``name`` weighted ``value``."""
    return Problem(p.params, p.X, p.y, Lambdas(*p.lambdas)._replace(**{name: value}), "")


def largest_array(p: Problem) -> int:
    """The number of entries of the problem's largest value array."""
    return max(a.size for a in (p.X, *p.params))
