"""What shrinking a network problem needs to know of its structure (:mod:`reference.compare.running.shrink`
runs the search): its sizes, how to delete indices of one, its value arrays, its penalties.

>>> from reference.compare.exercise.problems import problem_from_seed
>>> p = without(problem_from_seed(3, 4, 5, 6, seed=0), "dh", np.arange(2))
>>> p.dims, array(p, "W2").shape
((3, 4, 3, 6), (6, 3))
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np

from handgrad.types import DIMS, PARAMS, SHAPES, Lambdas, Params
from reference.compare.exercise.problems import Problem, problem_from_seed

__all__ = ["SMALL", "MINIMUM", "ORDER", "VALUES", "LABELS", "PENALTIES", "is_problem", "key", "size", "without",
           "array", "with_array", "penalty", "with_penalty", "largest_array", "PAIRS", "SQUARE",
           "square", "pair_equal", "variants", "sides", "USES", "COURSE",
           "at_course_size", "same_shapes"]

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


#: The pairs of sides a problem is made equal on (the others kept apart) to judge a function that raises unless
#: they are: a product of a transposed array. Never n: the batch's size is a factor of every mean (1/n), and a
#: side confused with n would not show where they are equal; nothing of the network scales by d, dh or m, so
#: making two of them equal hides no missing factor, only a ratio of the two that no formula of it holds.
PAIRS: tuple[tuple[str, str], ...] = (("dh", "m"), ("d", "dh"), ("d", "m"))


def _resized(p: Problem, sides: tuple[int, ...]) -> Problem:
    """``p`` with these sizes (in :data:`DIMS`' order), its own values: a side cut to its first k indices, or
    given its indices in turn (0, 1, …, 0, 1, …) up to k; labels past a class count of k taken modulo k."""
    want = dict(zip(DIMS, sides))

    def take(a: np.ndarray, *dims: str) -> np.ndarray:
        for axis, dim in enumerate(dims):
            a = np.take(a, np.arange(want[dim]) % size(p, dim), axis=axis)
        return np.ascontiguousarray(a)

    (W1, b1, W2, b2), X, y = p.params, p.X, p.y
    return Problem(Params(take(W1, "dh", "d"), take(b1, "dh"), take(W2, "m", "dh"), take(b2, "m")),
                   take(X, "n", "d"), (take(y, "n") % want["m"]).astype(y.dtype), p.lambdas, "")


def _square_sides(p: Problem) -> tuple[int, ...] | None:
    k = max(2, min(p.dims))
    return None if all(s == k for s in p.dims) else (k,) * len(DIMS)


def _pair_sides(p: Problem, pair: tuple[str, str]) -> tuple[int, ...] | None:
    """The sizes of ``p``'s variant where the sides of ``pair`` are equal (k = max(2, the smaller)) and every
    other side is ≥ 2 and apart from k and from each other (its own size, or the next one free); None if
    ``p`` has them already."""
    k = max(2, min(size(p, dim) for dim in pair))
    sides, used = {dim: k for dim in pair}, {k}
    for dim in DIMS:
        if dim not in pair:
            s = max(2, size(p, dim))
            while s in used:
                s += 1
            sides[dim] = s
            used.add(s)
    out = tuple(sides[dim] for dim in DIMS)
    return None if out == p.dims else out


def _each_problem(example: Any, sides) -> Any:
    """``example`` with each of its problems resized to ``sides(problem)``; None if it holds no problem, or
    none changes."""
    def one(p: Problem) -> Problem | None:
        s = sides(p)
        return None if s is None else _resized(p, s)
    if is_problem(example):
        return one(example)
    if isinstance(example, tuple) and any(is_problem(e) for e in example):
        parts = [(one(e) if is_problem(e) else None) for e in example]
        if all(q is None for q in parts):
            return None
        return tuple(e if q is None else q for e, q in zip(example, parts))
    return None


def square(example: Any) -> Any:
    """``example`` on square problems: n = d = dh = m = k, k = max(2, the smallest side), the values its own
    (each side cut to its first k indices, a side of 1 given its index twice, labels taken modulo k). None if
    ``example`` holds no problem, or only square ones.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> square(problem_from_seed(1, 5, 3, 4, seed=0)).dims, square(problem_from_seed(2, 2, 2, 2, seed=0))
    ((2, 2, 2, 2), None)
    >>> q, rate = square((problem_from_seed(3, 4, 5, 6, seed=0), 0.1)); q.dims, rate
    ((3, 3, 3, 3), 0.1)
    """
    return _each_problem(example, _square_sides)


def pair_equal(example: Any, pair: tuple[str, str]) -> Any:
    """``example`` where the two sides of ``pair`` (one of :data:`PAIRS`) are equal and the others apart (see
    :func:`_pair_sides`), the values its own. A function that raises unless they are (a product of a transposed
    array) answers there; the other sides' confusions still show. None if ``example`` holds no problem, or
    has these sides already.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> pair_equal(problem_from_seed(1, 5, 3, 4, seed=0), ("dh", "m")).dims
    (2, 5, 3, 3)
    >>> pair_equal(problem_from_seed(3, 3, 4, 4, seed=0), ("dh", "m")).dims
    (3, 5, 4, 4)
    """
    return _each_problem(example, lambda p: _pair_sides(p, pair))


def variants(example: Any, first: str | None = None) -> list[tuple[str, Any]]:
    """Where a function that raised on ``example``'s shapes may answer, each with its label: its
    :func:`pair_equal` variants (``first``'s label first), then its :func:`square`. The labels name the equal
    sides (``"dh = m"``); a square's names all of them.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> [label for label, _ in variants(problem_from_seed(1, 5, 3, 4, seed=0), first="d = m")]
    ['d = m', 'dh = m', 'd = dh', 'n = d = dh = m']
    """
    found = [(" = ".join(pair), pair_equal(example, pair)) for pair in PAIRS]
    found.sort(key=lambda lv: lv[0] != first)
    found.append((SQUARE, square(example)))
    return [(label, v) for label, v in found if v is not None]


#: The label of a square variant (:func:`variants`).
SQUARE = " = ".join(DIMS)
#: The course's sizes (n, d, dh, m): the bulk sweep's largest problems
#: (:data:`reference.compare.exercise.bulk_problems.SHAPES`), past 64 examples and 64 hidden units.
COURSE = (256, 784, 128, 16)


def at_course_size(example: Any, label: str) -> Any:
    """A problem of the course's sizes (:data:`COURSE`) with the sides of ``label`` (a :func:`variants` pair)
    equal to the larger of the two and the others apart, drawn from a seed of ``example``'s contents (its λ kept),
    in ``example``'s place: a function judged where two sides are equal is judged there at the course's size too,
    which the bulk sweep's problems, whose sides differ, never ask (attack round 14: mistakes made past 64 hidden
    units did not show). None if ``label`` is no pair or ``example`` holds no problem.

    >>> from reference.compare.exercise.problems import problem_from_seed
    >>> at_course_size(problem_from_seed(2, 3, 4, 5, seed=0), "dh = m").dims
    (256, 784, 128, 128)
    """
    pair = next((p for p in PAIRS if " = ".join(p) == label), None)
    if pair is None:
        return None
    course = dict(zip(DIMS, COURSE))
    k = max(course[dim] for dim in pair)
    sides, used = {dim: k for dim in pair}, {k}
    for dim in DIMS:
        if dim not in pair:
            s = course[dim]
            while s in used:
                s += 1
            sides[dim] = s
            used.add(s)

    def big(p: Problem) -> Problem:
        seed = 0
        for a in (p.X, p.y, *p.params):
            seed = zlib.crc32(np.ascontiguousarray(a).tobytes(), seed)
        return problem_from_seed(*(sides[dim] for dim in DIMS), seed=seed, lambdas=p.lambdas)
    if is_problem(example):
        return big(example)
    if isinstance(example, tuple) and any(is_problem(e) for e in example):
        return tuple(big(e) if is_problem(e) else e for e in example)
    return None

#: The API functions each one is built on: a raise of one where what it uses raises is that raise, and the
#: transposed array that explains it explains this one's too (a descent stepping with its own backprop's
#: gradient). A function that uses none of them raises on its own.
USES: dict[str, tuple[str, ...]] = {"gradient_descent": ("backprop",), "backprop": ("forward",),
                                    "risk": ("loss",), "loss": ("forward",)}

#: A failure's array as a check labels it: ``function(...).field`` (``backprop(...).W2 (∂R/∂W2)``).
_LABEL = re.compile(r"^(\w+)\([^)]*\)\.(\w+)")


def sides(label: str) -> str | None:
    """The sides of the array a failure's ``label`` names, as a :func:`variants` label (``"m = dh"`` read as
    the pair's, in :data:`PAIRS`' spelling) when it has two of them, else None.

    >>> sides("backprop(...).W2 (∂R/∂W2)"), sides("backprop(...).b2 (∂R/∂b2)"), sides("risk(...)")
    ('dh = m', None, None)
    """
    found = _LABEL.match(str(label or ""))
    shape = found and SHAPES.get(f"{found[1]}.{found[2]}")
    if not shape or len(shape) != 2:
        return None
    pair = next((p for p in PAIRS if set(p) == set(shape)), None)
    return None if pair is None else " = ".join(pair)


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
