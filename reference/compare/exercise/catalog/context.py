"""What a check runs in: the implementation, the convention, the reference's answers, the statistics.

A check calls the implementation through :meth:`Context.call` and :meth:`Context.network`
and asks the reference through :meth:`Context.ref` (a problem's values and
bounds) and :meth:`Context.reference` (part A's functions), each answer asked of
JAX once per content (:mod:`reference.compare.exercise.reference_memo`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

import reference.functions as ref_fn
from reference.compare.call_outcomes import ImplCrashed, ImplProblem
from reference.compare.exercise import reference_memo
from reference.engine import Evaluation, evaluate_many

if TYPE_CHECKING:
    from reference.compare.exercise.problems import Problem

__all__ = ["Stats", "Context"]


@dataclass
class Stats:
    """The worst errors seen by one property."""

    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    worst_ratio: float = 0.0  # |diff| / allowed; > 1 fails
    abs_error_at_worst: float = 0.0  # |diff| at the entry of the worst ratio

    def add(self, diff: np.ndarray, want: np.ndarray, ratio: np.ndarray) -> None:
        """Relative error is normwise per array: max |difference| / max |reference|
        (entrywise, an exact 0 in the reference would make any roundoff infinite)."""
        if diff.size == 0:
            return
        worst = float(diff.max())
        scale = float(np.abs(want).max())
        self.max_abs_error = max(self.max_abs_error, worst)
        rel = worst / scale if scale > 0 else (0.0 if worst == 0 else math.inf)
        self.max_rel_error = max(self.max_rel_error, rel)
        k = int(ratio.argmax())
        if not float(ratio.flat[k]) <= self.worst_ratio:  # nan or inf included: the worst stays visible
            self.worst_ratio, self.abs_error_at_worst = float(ratio.flat[k]), float(diff.flat[k])


def _key(p: Any) -> int:
    return id(p)


@dataclass
class Context:
    """What a check sees: the implementation, the convention, the reference, the statistics.

    ``convention="seed"`` demands the course's values at the kinks;
    ``"any-subgradient"`` accepts any subgradient the implementation uses
    consistently: its own d_abs(0) and d_rect(0), read once, must lie in
    [−1, 1] and [0, 1], and the reference is rebuilt with those slopes.
    Results of calls and of the reference are kept per problem until
    :meth:`forget`: several properties and checks share one call. The
    reference's answers are kept by content too (:mod:`reference.compare.exercise.reference_memo`):
    :attr:`answers` holds those of the example being checked (what a record
    keeps and replays), the process's memo those asked before.
    """

    #: The implementation under check, called as the sandbox's ``Impl`` (``call``, ``call_many``, ``call_each``…):
    #: the sandbox stands above the catalog, which names it not.
    impl: Any
    convention: str = "seed"
    kinks: tuple[float, float] = (0.0, 0.0)
    stats: Stats = field(default_factory=Stats)
    #: The statistics of the example being checked alone (reset by :meth:`forget`): a failure's figures.
    example_stats: Stats = field(default_factory=Stats)
    example_ratio: float = 0.0
    #: the reference's answers this example used, by :func:`reference_memo.key`
    answers: dict = field(default_factory=dict, repr=False)
    #: the example's first value right in another dtype than float64 (check.WrongDtype): X3's question,
    #: told once the rest of the check has found nothing of its own
    wrong_dtype: Any = None
    _results: dict = field(default_factory=dict, repr=False)
    #: Opens a second worker of the same submission for the calls that judge a failure (:attr:`judging`); None:
    #: they go to :attr:`impl` (trusted code in this process, the tests).
    open_judge: Callable[[], Any] | None = field(default=None, repr=False)
    _judge: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.convention not in ("seed", "any-subgradient"):
            raise ValueError(f"convention must be 'seed' or 'any-subgradient'; got {self.convention!r}")
        if self.convention == "any-subgradient":
            self.kinks = (self._own_slope("d_abs", -1.0, 1.0), self._own_slope("d_rect", 0.0, 1.0))

    def _own_slope(self, name: str, lo: float, hi: float) -> float:
        """The implementation's derivative at 0 if it is a valid subgradient, else the course's 0."""
        try:
            v = float(np.asarray(self.impl.call(name, np.zeros(1)).value).reshape(-1)[0])
        except Exception:  # noqa: BLE001 - its own property reports the problem
            return 0.0
        return v if lo <= v <= hi else 0.0

    # -- calls ---------------------------------------------------------------
    def present(self, names) -> tuple[str, ...]:
        """Those of ``names`` the submission has (a partial property asks its claim of each of them)."""
        missing = set(getattr(self.impl, "missing", ()))
        return tuple(n for n in names if n not in missing)

    def call(self, name: str, *args, **kwargs):
        """``impl.<name>(*args, **kwargs)``'s value, or the implementation's problem raised."""
        return self.impl.call(name, *args, **kwargs).value

    def remember(self, name: str, p: Any, result: Any) -> None:
        """Keep a result of ``name`` on ``p`` (a Call or an ImplProblem) for :meth:`network`."""
        self._results[(name, _key(p))] = (p, result)

    def recalled(self, name: str, p: Any) -> Any:
        """What :meth:`remember` kept for ``name`` on ``p``, or None."""
        hit = self._results.get((name, _key(p)))
        return hit[1] if hit is not None and hit[0] is p else None

    def network(self, name: str, p: Problem):
        """``impl.<name>`` on the problem, called once (several properties share one call)."""
        result = self.recalled(name, p)
        if result is None:
            result = self.impl.call(name, *p.arguments(name))
            self.remember(name, p, result)
        if isinstance(result, ImplProblem):
            raise result
        return result.value

    @property
    def judging(self) -> Any:
        """Where the calls that judge a failure go — a batch's halves, its examples alone, a λ = 0 re-ask, the
        gradient a descent step took, the forward a backward step is judged on: a second worker of the same
        submission, opened on first use, which never saw the call being judged, and the first worker too: an
        answer counts only when both give it (:class:`_Agreeing`). Code that keeps a table of its calls has
        nothing in the second to answer from; code that tells the two apart answers them differently. A second
        worker that does not open judges nothing (its calls raise: the failure stays the property's own)."""
        if self.open_judge is None:
            return self.impl
        if self._judge is None:
            opened = self.open_judge()
            self._judge = opened if not isinstance(opened, BaseException) else _Unjudged(str(opened))
        return _Agreeing(self.impl, self._judge)

    def judged(self, name: str, p: Problem):
        """:attr:`judging`'s ``<name>`` on the problem, called once per example (the judging checks share it)."""
        key = ("judged " + name, _key(p))
        hit = self._results.get(key)
        if hit is None or hit[0] is not p:
            try:
                hit = (p, self.judging.call(name, *p.arguments(name)))
            except ImplProblem as exc:
                hit = (p, exc)
            self._results[key] = hit
        if isinstance(hit[1], ImplProblem):
            raise hit[1]
        return hit[1].value

    def close_judge(self) -> set:
        """Close the second worker, if one was opened; the modules it imported (for the integrity check)."""
        judge, self._judge = self._judge, None
        if judge is None or isinstance(judge, _Unjudged):
            return set()
        try:
            judge.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the worker's own limits end it
            pass
        return set(getattr(judge, "modules", ()) or ())

    def ref(self, p: Any) -> Evaluation:
        """The reference's values and bounds on ``p`` (a Problem, or (params, X, y, lambdas) as attributes)."""
        result = self.recalled("reference", p)
        if result is None:
            result = self._answer(reference_memo.problem_key(p, self.kinks),
                                  lambda: evaluate_many([p], self.kinks, batch=1)[0])
            self.remember("reference", p, result)
        return result

    def reference(self, name: str, x: np.ndarray) -> np.ndarray:
        """``reference.functions.<name>(x)``: part A's reference, the twin of ``ctx.call(name, x)``."""
        return self._answer(reference_memo.key(name, x), lambda: getattr(ref_fn, name)(x))

    def _answer(self, name: str, ask: Callable[[], Any]) -> Any:
        """The answer kept under ``name`` (this example's, else the process's), else ``ask()``'s, kept."""
        result = self.answers.get(name)
        if result is None:
            result = reference_memo.MEMO.get(name)
            if result is None:
                result = reference_memo.frozen(ask())
                reference_memo.MEMO.put(name, result)
            self.answers[name] = result
        return result

    def forget(self) -> None:
        """A new example: the calls' results and the reference's answers kept for the last one are dropped."""
        self._results.clear()
        self.example_stats = Stats()
        self.answers = {}
        self.wrong_dtype = None

    def record(self, m: Any) -> None:
        """Feed one comparison (a :class:`~reference.compare.exercise.catalog.check.Measure`) into the statistics."""
        self.stats.add(m.diff, m.want, m.ratio)
        self.example_stats.add(m.diff, m.want, m.ratio)
        if m.ratio.size:
            self.example_ratio = max(self.example_ratio, float(m.ratio.max()))


def same(a: Any, b: Any) -> bool:
    """Whether two returned values are the same: arrays equal to 1e-12 of their scale (NaN where NaN), the
    same fields, the same plain values."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and getattr(a, "_fields", None) == getattr(b, "_fields", None) \
            and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.number, float)) and isinstance(b, (np.ndarray, np.number, float)):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if not np.issubdtype(x.dtype, np.number):
            return bool(np.array_equal(x, y))
        with np.errstate(all="ignore"):
            scale = float(np.max(np.abs(np.where(np.isfinite(x), x, 0)), initial=0.0))
            return bool(np.allclose(x, y, rtol=1e-12, atol=1e-12 * scale, equal_nan=True))
    return type(a) is type(b) and a == b


def agree(a: Any, b: Any) -> bool:
    """Whether two calls ended alike: both a problem, or the same value (:func:`same`)."""
    if isinstance(a, ImplProblem) or isinstance(b, ImplProblem):
        return isinstance(a, ImplProblem) and isinstance(b, ImplProblem)
    return same(a.value, b.value)


class _Agreeing:
    """Each call asked of both workers; a value counts only when both give the same (else the call is the
    submission's problem: a function of its inputs answers them alike in any process)."""

    def __init__(self, main: Any, judge: Any) -> None:
        self.main, self.judge = main, judge

    def call_each(self, calls) -> list:
        pending = self.judge.submit_each(calls) if hasattr(self.judge, "submit_each") else None
        mine = self.main.call_each(calls)
        theirs = pending() if pending is not None else self.judge.call_each(calls)
        return [m if isinstance(m, ImplProblem) else t if isinstance(t, ImplProblem) else m if agree(m, t)
                else ImplCrashed(f"{name}: two processes of the submission answer the same call differently")
                for (name, _, _), m, t in zip(calls, mine, theirs)]

    def call_many(self, name: str, arg_list, **kwargs) -> list:
        return self.call_each([(name, tuple(args), kwargs) for args in arg_list])

    def call(self, name: str, *args, **kwargs):
        (result,) = self.call_each([(name, args, kwargs)])
        if isinstance(result, ImplProblem):
            raise result
        return result


class _Unjudged:
    """The judging worker that did not open: every call raises, so nothing is judged inherited through it."""

    modules: set = set()

    def __init__(self, why: str) -> None:
        self.why = why

    def _refuse(self, *args, **kwargs):
        raise ImplCrashed(f"the judging worker did not start: {self.why}")

    call = _refuse

    def call_many(self, name: str, arg_list, **kwargs) -> list:
        return [ImplCrashed(f"the judging worker did not start: {self.why}") for _ in arg_list]

    def call_each(self, calls) -> list:
        return [ImplCrashed(f"the judging worker did not start: {self.why}") for _ in calls]
