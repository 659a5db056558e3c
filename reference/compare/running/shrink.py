"""Shrinking a failing problem, and the counterexample a report shows.

:func:`shrink_problem` deletes indices of the problem's dimensions while a
predicate ``fails`` stays True (halves first, then smaller chunks down to
single indices, as in delta debugging), then simplifies the penalties' weights
and the values: weights to 0 or 0.5, entries to 0, then to small integers. What
a problem is made of (its dimensions, arrays, penalties) is the exercise's
(``EXERCISE.shrinking``); the search is this module's.

>>> from reference.compare.exercise import EXERCISE
>>> small = shrink_problem(EXERCISE.problem_from_seed(6, 5, 4, 3, seed=0), lambda p: p.dims[0] >= 2)
>>> small.dims, small.origin
((2, 1, 1, 2), '')
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from reference.compare.exercise import EXERCISE

__all__ = ["MINIMUM", "shrink_problem", "describe_arrays"]

_RULES = EXERCISE.shrinking
#: The smallest size of each dimension.
MINIMUM: dict[str, int] = _RULES.MINIMUM
describe_arrays = EXERCISE.describe_arrays


class _Budget:
    """``fails``, counted and remembered: an exception means "does not fail"; no call past ``max_calls``."""

    def __init__(self, fails: Callable[[Any], bool], max_calls: int):
        self.fails, self.left, self.seen = fails, max_calls, {}

    def __call__(self, p: Any) -> bool:
        key = _RULES.key(p)
        if key not in self.seen:
            if self.left <= 0:
                return False
            self.left -= 1
            try:
                self.seen[key] = bool(self.fails(p))
            except Exception:  # noqa: BLE001 - a predicate that raises does not show the failure
                self.seen[key] = False
        return self.seen[key]


def _shrink_dim(p: Any, dim: str, test: _Budget) -> Any:
    """Delete chunks of indices of ``dim``: halves, then quarters, … then single indices."""
    size = lambda q: _RULES.size(q, dim)
    chunk = size(p) // 2
    while chunk >= 1 and size(p) > MINIMUM[dim]:
        start = 0
        while start < size(p):
            drop = np.arange(start, min(start + chunk, size(p)))
            if size(p) - drop.size >= MINIMUM[dim] and test(candidate := _RULES.without(p, dim, drop)):
                p = candidate
            else:
                start += chunk
        chunk = min(chunk // 2, size(p) // 2) if chunk > 1 else 0
    return p


def _simplify(p: Any, name: str, target: Callable, test: _Budget) -> Any:
    """Set entries of one array to ``target(values)``: all at once, then halves, … then one at a time."""
    a = _RULES.array(p, name)
    todo = np.flatnonzero(target(a) != a)
    chunk = todo.size
    while chunk >= 1:
        i = 0
        while i < todo.size:
            idx = todo[i:i + chunk]
            b = a.copy()
            b.flat[idx] = target(a.flat[idx])
            if test(candidate := _RULES.with_array(p, name, b)):
                p, a, todo = candidate, b, np.delete(todo, np.arange(i, i + idx.size))
            else:
                i += chunk
        chunk //= 2
    return p


def _zero(v: np.ndarray) -> np.ndarray:
    return np.zeros_like(v)


def _small_integer(v: np.ndarray) -> np.ndarray:
    """The nearest integer in −3..3; a nonzero entry stays nonzero, on its side of 0 (0 has been tried already)."""
    q = np.clip(np.rint(v), -3, 3)
    return np.where((q == 0) & (v != 0), np.sign(v), q)


def _simplify_penalties(p: Any, test: _Budget) -> Any:
    for name in _RULES.PENALTIES:
        for simple in (0.0, 0.5):
            if _RULES.penalty(p, name) == simple:
                break
            candidate = _RULES.with_penalty(p, name, simple)
            if test(candidate):
                p = candidate
                break
    return p


def shrink_problem(problem: Any, fails: Callable[[Any], bool], *, max_calls: int = 200) -> Any:
    """The smallest problem found on which ``fails`` still holds, greedily, calling it at most ``max_calls`` times.

    In rounds, until a round changes nothing: delete indices of each dimension
    (down to the exercise's ``MINIMUM``, in its ``ORDER``, as its ``without``
    does), set each penalty's weight to 0 or else 0.5, set entries of the value
    arrays and the labels to 0, then round the other entries to integers in
    −3..3 (a nonzero entry stays nonzero).

    ``fails(problem)`` is True while the failure shows. An ``Exception`` raised
    by ``fails`` counts as False (that candidate does not show the failure, so it
    is not kept); KeyboardInterrupt and SystemExit go through. Candidates
    already asked about are remembered, not asked again; ``max_calls`` counts
    calls, the first (on ``problem`` itself) included.
    Deterministic. The result's ``origin`` is "" (it is no longer the seeded
    problem), unless nothing was changed: then ``problem`` itself is returned,
    as it is when ``fails(problem)`` is not True.
    """
    if not _RULES.is_problem(problem):
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
        before = _RULES.key(best)
        for dim in _RULES.ORDER:
            best = _shrink_dim(best, dim, test)
        best = _simplify_penalties(best, test)
        for name in _RULES.VALUES + _RULES.LABELS:
            best = _simplify(best, name, _zero, test)
        for name in _RULES.VALUES:
            best = _simplify(best, name, _small_integer, test)
        if _RULES.key(best) == before:
            break
    return best


def seeded(example: Any) -> bool:
    """A problem Hypothesis cannot shrink entry by entry: large, or built from a seed."""
    return _RULES.is_problem(example) and (max(example.dims) > _RULES.SMALL or bool(example.origin))


def shrink_failure(result: Any, prop: Any, ctx: Any, example: Any, *, max_calls: int = 150) -> None:
    """Shrink a property's failing problem while the same kind of failure shows (``result.status``).

    ``result`` (a PropertyResult) gets the shrunk problem's message, details,
    counterexample and figures (``take_failure``); the context's statistics are left as they were.
    """
    PropertyFailure = EXERCISE.catalog().PropertyFailure
    kind, stats = result.status, ctx.stats

    def fails(q: Any) -> bool:
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
    """The report's counterexample: the exercise's ``describe``, and for a problem (alone, or first of a tuple
    of arguments) with an array of more than ``limit`` entries, the Python lines that rebuild it (``"python"``)."""
    out = EXERCISE.describe(example)
    problem = example[0] if isinstance(example, tuple) and example and _RULES.is_problem(example[0]) else example
    if _RULES.is_problem(problem) and _RULES.largest_array(problem) > limit:
        out["python"] = describe_arrays(problem, limit=limit)
    return out
