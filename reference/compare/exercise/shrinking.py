"""What shrinking a network problem needs to know of its structure (:mod:`reference.compare.running.shrink`
runs the search): its sizes, how to delete indices of one, its value arrays, its penalties.

>>> from reference.compare.exercise.problems import problem_from_seed
>>> p = without(problem_from_seed(3, 4, 5, 6, seed=0), "dh", np.arange(2))
>>> p.dims, array(p, "W2").shape
((3, 4, 3, 6), (6, 3))
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from handgrad.types import DIMS, PARAMS, Lambdas, Params
from reference.compare.exercise.problems import Problem, problem_from_seed

__all__ = ["SMALL", "MINIMUM", "ORDER", "VALUES", "LABELS", "PENALTIES", "is_problem", "key", "size", "without",
           "array", "with_array", "penalty", "with_penalty", "largest_array", "square", "same_shapes"]

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


def _square(p: Problem) -> Problem | None:
    """``p`` with every side k = max(2, its smallest side): a side cut to its first k indices, or one of 1 given
    its index twice; labels past k taken modulo k. None if ``p`` is square already."""
    k = max(2, min(p.dims))
    if all(s == k for s in p.dims):
        return None

    def sides(a: np.ndarray, *dims: str) -> np.ndarray:
        for axis, dim in enumerate(dims):
            index = np.arange(k) % size(p, dim)  # 0, 1, …, k − 1, or 0, 0 for a side of 1
            a = np.take(a, index, axis=axis)
        return np.ascontiguousarray(a)

    (W1, b1, W2, b2), X, y = p.params, p.X, p.y
    return Problem(Params(sides(W1, "dh", "d"), sides(b1, "dh"), sides(W2, "m", "dh"), sides(b2, "m")),
                   sides(X, "n", "d"), (sides(y, "n") % k).astype(y.dtype), p.lambdas, "")


def square(example: Any) -> Any:
    """``example`` on square problems: n = d = dh = m = k, k = max(2, the smallest side), the values its own
    (each side cut to its first k indices, a side of 1 given its index twice, labels taken modulo k). A
    function that raises on a problem's shapes (a product transposed) answers on square ones, where its values
    are judged. None if ``example`` holds no problem, or only square ones.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> square(problem_from_seed(1, 5, 3, 4, seed=0)).dims, square(problem_from_seed(2, 2, 2, 2, seed=0))
    ((2, 2, 2, 2), None)
    >>> q, rate = square((problem_from_seed(3, 4, 5, 6, seed=0), 0.1)); q.dims, rate
    ((3, 3, 3, 3), 0.1)
    """
    if is_problem(example):
        return _square(example)
    if isinstance(example, tuple) and any(is_problem(e) for e in example):
        parts = [(_square(e) if is_problem(e) else None) for e in example]
        if all(q is None for q in parts):
            return None
        return tuple(e if q is None else q for e, q in zip(example, parts))
    return None


def same_shapes(example: Any) -> Any:
    """``example`` with each problem's values drawn anew (``numpy.random.default_rng`` seeded by the problem's
    contents, no zeros, labels and λ kept): the same shapes, other values. Whether a function raises there too
    tells a raise of the shapes from one of the values. None if ``example`` holds no problem.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> p = problem_from_seed(3, 4, 5, 6, seed=0); q = same_shapes(p)
    >>> q.dims == p.dims, bool((q.y == p.y).all()), bool((q.X == p.X).any())
    (True, True, False)
    """
    def fresh(p: Problem) -> Problem:
        seed = 0
        for a in (p.X, p.y, *p.params):
            seed = zlib.crc32(np.ascontiguousarray(a).tobytes(), seed)
        q = problem_from_seed(*p.dims, seed=seed, zeros=0.0, lambdas=p.lambdas)
        return Problem(q.params, q.X, p.y.copy(), p.lambdas, "")
    if is_problem(example):
        return fresh(example)
    if isinstance(example, tuple) and any(is_problem(e) for e in example):
        return tuple(fresh(e) if is_problem(e) else e for e in example)
    return None
