"""Shrinking a failing network problem, and writing one down as Python that rebuilds it.

:func:`shrink_problem` deletes examples, inputs, hidden units and classes while
a predicate ``fails`` stays True (halves first, then smaller chunks down to
single indices, as in delta debugging), then simplifies λ and the values: λ to
0 or 0.5, entries to 0, then to small integers. :func:`describe_arrays` prints
a problem as a few lines of Python that rebuild its arrays exactly.

>>> from reference.compare.exercise.problems import problem_from_seed
>>> small = shrink_problem(problem_from_seed(6, 5, 4, 3, seed=0), lambda p: p.dims[0] >= 2)
>>> small.dims, small.origin
((2, 1, 1, 2), '')
>>> print(describe_arrays(small))
# n=2, d=1, dh=1, m=2
X = np.array([[0.0], [0.0]])
y = np.array([0, 0])
params = Params(
    W1=np.array([[0.0]]),
    b1=np.array([0.0]),
    W2=np.array([[0.0], [0.0]]),
    b2=np.array([0.0, 0.0]))
lambdas = Lambdas(l11=0.0, l12=0.0, l21=0.0, l22=0.0)
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from handgrad.types import DIMS, PARAMS, Lambdas, Params
from reference.compare.exercise.problems import Problem, describe
from reference.compare.exercise.rebuild import describe_arrays

_SMALL = 8  # the largest side Hypothesis draws entry by entry (reference.compare.exercise.strategies.SMALL)

__all__ = ["MINIMUM", "shrink_problem", "describe_arrays"]

#: The smallest size of each dimension: n, d, dh ≥ 1 and m ≥ 2.
MINIMUM: dict[str, int] = {"n": 1, "d": 1, "dh": 1, "m": 2}
#: Value arrays, in the order they are simplified.
_VALUES = ("X",) + PARAMS


def _key(p: Problem) -> tuple:
    arrays = (p.X, p.y, *p.params)
    return tuple((a.shape, a.dtype.str, a.tobytes()) for a in arrays) + (tuple(map(float, p.lambdas)),)


class _Budget:
    """``fails``, counted and remembered: an exception means "does not fail"; no call past ``max_calls``."""

    def __init__(self, fails: Callable[[Problem], bool], max_calls: int):
        self.fails, self.left, self.seen = fails, max_calls, {}

    def __call__(self, p: Problem) -> bool:
        key = _key(p)
        if key not in self.seen:
            if self.left <= 0:
                return False
            self.left -= 1
            try:
                self.seen[key] = bool(self.fails(p))
            except Exception:  # noqa: BLE001 - a predicate that raises does not show the failure
                self.seen[key] = False
        return self.seen[key]


def _without(p: Problem, dim: str, drop: np.ndarray) -> Problem:
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


def _shrink_dim(p: Problem, dim: str, test: _Budget) -> Problem:
    """Delete chunks of indices of ``dim``: halves, then quarters, … then single indices."""
    size = lambda q: q.dims[DIMS.index(dim)]
    chunk = size(p) // 2
    while chunk >= 1 and size(p) > MINIMUM[dim]:
        start = 0
        while start < size(p):
            drop = np.arange(start, min(start + chunk, size(p)))
            if size(p) - drop.size >= MINIMUM[dim] and test(candidate := _without(p, dim, drop)):
                p = candidate
            else:
                start += chunk
        chunk = min(chunk // 2, size(p) // 2) if chunk > 1 else 0
    return p


def _with(p: Problem, name: str, a: np.ndarray) -> Problem:
    if name in PARAMS:
        return Problem(p.params._replace(**{name: a}), p.X, p.y, p.lambdas, "")
    return Problem(p.params, *((a, p.y) if name == "X" else (p.X, a)), p.lambdas, "")


def _simplify(p: Problem, name: str, target: Callable, test: _Budget) -> Problem:
    """Set entries of one array to ``target(values)``: all at once, then halves, … then one at a time."""
    a = getattr(p.params, name) if name in PARAMS else getattr(p, name)
    todo = np.flatnonzero(target(a) != a)
    chunk = todo.size
    while chunk >= 1:
        i = 0
        while i < todo.size:
            idx = todo[i:i + chunk]
            b = a.copy()
            b.flat[idx] = target(a.flat[idx])
            if test(candidate := _with(p, name, b)):
                p, a, todo = candidate, b, np.delete(todo, np.arange(i, i + idx.size))
            else:
                i += chunk
        chunk //= 2
    return p


def _zero(v: np.ndarray) -> np.ndarray:
    return np.zeros_like(v)


def _small_integer(v: np.ndarray) -> np.ndarray:
    """The nearest integer in −3..3, keeping the sign of a nonzero entry (0 has been tried already)."""
    q = np.clip(np.rint(v), -3, 3)
    return np.where((q == 0) & (v != 0), np.sign(v), q)


def _simplify_lambdas(p: Problem, test: _Budget) -> Problem:
    for field in Lambdas._fields:
        for simple in (0.0, 0.5):
            if getattr(p.lambdas, field) == simple:
                break
            candidate = Problem(p.params, p.X, p.y, Lambdas(*p.lambdas)._replace(**{field: simple}), "")
            if test(candidate):
                p = candidate
                break
    return p


def shrink_problem(problem: Problem, fails: Callable[[Problem], bool], *, max_calls: int = 200) -> Problem:
    """The smallest problem found on which ``fails`` still holds, greedily, calling it at most ``max_calls`` times.

    In rounds, until a round changes nothing: delete examples, classes, hidden
    units and inputs (n, d, dh ≥ 1, m ≥ 2; a deleted class's examples take the
    first kept class, the other labels are renumbered in order), set each λ to
    0 or else 0.5, set entries of X, W1, b1, W2, b2 and the labels to 0, then
    round the other entries to integers in −3..3 (a nonzero entry stays nonzero).

    ``fails(problem)`` is True while the failure shows. An ``Exception`` raised
    by ``fails`` counts as False (that candidate does not show the failure, so it
    is not kept); KeyboardInterrupt and SystemExit go through. Candidates
    already asked about are remembered, not asked again; ``max_calls`` counts
    calls, the first (on ``problem`` itself) included.
    Deterministic. The result's ``origin`` is "" (it is no longer the seeded
    problem), unless nothing was changed: then ``problem`` itself is returned,
    as it is when ``fails(problem)`` is not True.
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a Problem; got {type(problem).__name__}")
    if not callable(fails):
        raise ValueError(f"fails must be callable; got {type(fails).__name__}")
    if isinstance(max_calls, bool) or not isinstance(max_calls, (int, np.integer)) or max_calls < 0:
        raise ValueError(f"max_calls must be an integer >= 0; got {max_calls!r}")
    test = _Budget(fails, int(max_calls))
    if not test(problem):
        return problem
    best = problem
    while test.left > 0:
        before = _key(best)
        for dim in ("n", "m", "dh", "d"):
            best = _shrink_dim(best, dim, test)
        best = _simplify_lambdas(best, test)
        for name in _VALUES + ("y",):
            best = _simplify(best, name, _zero, test)
        for name in _VALUES:
            best = _simplify(best, name, _small_integer, test)
        if _key(best) == before:
            break
    return best


def seeded(example: Any) -> bool:
    """A problem Hypothesis cannot shrink entry by entry: large, or built from a seed."""
    return isinstance(example, Problem) and (max(example.dims) > _SMALL or bool(example.origin))


def shrink_failure(result: Any, prop: Any, ctx: Any, example: Problem, *, max_calls: int = 150) -> None:
    """Shrink a property's failing problem while the same kind of failure shows (``result.status``).

    ``result`` (a PropertyResult) gets the shrunk problem's message, details,
    counterexample and figures (``take_failure``); the context's statistics are left as they were.
    """
    from reference.compare.exercise.catalog.check import PropertyFailure

    kind, stats = result.status, ctx.stats

    def fails(q: Problem) -> bool:
        ctx.forget()
        try:
            prop.check(ctx, q)
        except PropertyFailure as exc:
            return exc.status == kind
        return False
    small = shrink_problem(example, fails, max_calls=max_calls)
    try:
        if small is example:
            return
        ctx.forget()
        prop.check(ctx, small)
    except PropertyFailure as exc:
        result.message, result.details, result.counterexample = exc.message, exc.details(), counterexample(small)
        result.take_failure(ctx.example_stats)  # the figures of the example the message now describes
    except Exception:  # noqa: BLE001 - the shrunk problem's message is a nicety: keep the first one
        pass
    finally:
        ctx.stats = stats


def counterexample(example: Any, *, limit: int = 30) -> dict:
    """The report's counterexample: :func:`~reference.compare.exercise.problems.describe`, and for a problem with
    an array of more than ``limit`` entries, the Python lines that rebuild it (``"python"``)."""
    out = describe(example)
    problem = example[0] if isinstance(example, tuple) and example and isinstance(example[0], Problem) else example
    if isinstance(problem, Problem) and max(a.size for a in (problem.X, *problem.params)) > limit:
        out["python"] = describe_arrays(problem, limit=limit)
    return out
