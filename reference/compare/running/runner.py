"""Running the catalog: Hypothesis per property, then a bulk random sweep.

Both front ends (the pytest suite and ``handgrad-compare``) call
:func:`run_property` / :func:`run_catalog`; neither defines a property.

Settings profiles (``--hypothesis-profile`` in pytest, ``--profile`` in
handgrad-compare): ``dev`` (quick), ``ci`` (derandomized), ``thorough`` (10× the
examples of ``ci``, for nightly runs). All have ``deadline=None``: a first JAX
compile takes longer than Hypothesis's default 200 ms deadline.

>>> from reference.compare.exercise.catalog import Context, by_id
>>> from reference.compare.sandbox import InProcessImpl
>>> ctx = Context(InProcessImpl("handgrad"))
>>> run_property(by_id("A5"), ctx, max_examples=20, seed=0).status
'pass'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import hypothesis
import hypothesis.errors
from hypothesis import HealthCheck, settings

from reference.compare.exercise.catalog import CATALOG, Context, Property, PropertyFailure, Rejected
from reference.compare.exercise.catalog.chain import Inherited, Uninformed
from reference.compare.exercise.catalog.check import WrongDtype
from reference.compare.running.body import STATUSES, PropertyResult, finite_json, outcome_signature
from reference.compare.running.shrink import counterexample, seeded, shrink_failure
from reference.compare.running.sweep import run_sweep
from reference.compare.sandbox import ImplCrashed, ImplExited, ImplProblem, ImplRaised, ImplTimeout, Refused, asking

#: STATUSES, PropertyResult and finite_json live in running.body, named here too for those who import them here
__all__ = ["PROFILES", "STATUSES", "register_profiles", "PropertyResult", "run_property", "follow_property",
           "run_catalog", "finite_json"]

#: name → examples per property, problems in the bulk sweep, derandomize, and
#: whether to steer Hypothesis toward large errors with ``hypothesis.target``
#: (its optimisation phase about doubles the time per example).
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 20, "sweep": 500, "derandomize": False, "target": False},
    "ci": {"max_examples": 30, "sweep": 1000, "derandomize": True, "target": False},
    "thorough": {"max_examples": 300, "sweep": 20000, "derandomize": False, "target": True},
}


def register_profiles() -> None:
    """Register the Hypothesis profiles ``dev``, ``ci`` and ``thorough``."""
    for name, p in PROFILES.items():
        settings.register_profile(
            name, max_examples=p["max_examples"], deadline=None, derandomize=p["derandomize"],
            database=None if p["derandomize"] else settings.default.database,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            print_blob=True)


register_profiles()


_ABORTING = (ImplTimeout, ImplCrashed, ImplExited)


def run_property(prop: Property, ctx: Context, *, max_examples: int | None = None, seed: int | None = None,
                 derandomize: bool | None = None, target: bool = False, shrink: bool = True,
                 replay: str = "", watch: Any = None) -> PropertyResult:
    """Run one property under Hypothesis; the result holds the smallest counterexample found.

    A hang, crash or exit of the implementation ends the property at once (no
    shrinking: each retry would cost a time-out or a restart) and reports the
    example that caused it. A property that needs a function the submission
    lacks is "missing"; one the submission says it does not implement
    (NotImplementedError, or None where an array is due) is "not-implemented";
    one whose every example its adapter cannot express is "not-applicable". A
    failure that is right on the submission's own inputs is "inherited", unless
    another example shows a mistake of the property's own; right on own inputs that
    carry no information (``chain.Uninformed``), "fail" unless another is inherited. ``watch``
    (:class:`reference.compare.reuse.journal.Journal`) keeps each call of the test.
    """
    result = PropertyResult(prop.id, prop.question, prop.title, replay=replay)
    absent = sorted(set(prop.calls) & set(getattr(ctx.impl, "missing", ())))
    if absent:
        result.status, result.message = "missing", f"not checked: the submission has no {', '.join(absent)}"
        return result
    declared = getattr(ctx.impl, "declared", None)
    undrawn = prop.not_drawn(declared)
    if undrawn:
        result.status, result.message = "not-applicable", undrawn
        return result
    ctx.stats = type(ctx.stats)()
    outcome = _Outcome()
    body = _body(prop, ctx, result, outcome, target)
    test = _settings(prop, watch.wrap(body, ctx) if watch is not None else body, declared=declared,
                     max_examples=max_examples, seed=seed, derandomize=derandomize, shrink=shrink)
    start = time.perf_counter()
    try:
        test()
    except Exception as exc:  # noqa: BLE001 - a Hypothesis error or a bug of ours: report, never crash
        _verdict(result, outcome, exc)
        if watch is not None:
            watch.end(exc)
    return _end(result, outcome, prop, ctx, shrink, start)


def follow_property(prop: Property, ctx: Context, steps: list, impls: list, *, shrink: bool = True,
                    replay: str = "") -> PropertyResult | None:
    """:func:`run_property`'s result when Hypothesis calls its test on ``steps``' examples, in order, each call
    ending as its step says (None: it returned; else the :func:`outcome_signature` of what it raised), the last
    one raising; None as soon as a call does not end so. ``impls[i]`` (or None) stands for the implementation
    during call i (calls fetched ahead). The same test body is called, so the result is the run's.
    """
    result = PropertyResult(prop.id, prop.question, prop.title, replay=replay)
    ctx.stats = type(ctx.stats)()
    outcome = _Outcome()
    body = _body(prop, ctx, result, outcome, False, reject=_reject)
    start, last = time.perf_counter(), None
    for (example, ended), impl in zip(steps, impls):
        real = ctx.impl
        ctx.impl = impl or real
        try:
            body(example)
            last = None
        except Exception as exc:  # noqa: BLE001 - compared with how the run's call ended
            last = exc
        finally:
            ctx.impl = real
        if (None if last is None else outcome_signature(last)) != ended:
            return None
    if last is None:
        return None
    _verdict(result, outcome, last)
    return _end(result, outcome, prop, ctx, shrink, start)


def _end(result: PropertyResult, outcome: _Outcome, prop: Property, ctx: Context, shrink: bool,
         start: float) -> PropertyResult:
    """The result of a run whose test Hypothesis has finished calling, as the runner ends it."""
    kept = outcome.inherited or outcome.uninformed  # right on informative own inputs somewhere: inherited
    if result.status == "pass" and kept is not None:
        failure, outcome.example = kept
        result.status, result.message, result.details = failure.status, failure.message, failure.details()
        result.counterexample = counterexample(outcome.example)
    if shrink and result.status in ("fail", "inherited") and seeded(outcome.example):
        shrink_failure(result, prop, ctx, outcome.example)
    result.seconds = time.perf_counter() - start
    result.take_stats(ctx.stats)
    return result


@dataclass
class _Outcome:
    """What the test body saw: the last failure or problem and its example, the first inherited and uninformed."""

    problem: Exception | None = None
    example: Any = None
    aborted: bool = False
    inherited: tuple | None = None
    uninformed: tuple | None = None
    not_applicable: int = 0


def _raised(exc: Exception, type_name: str) -> bool:
    return isinstance(exc, ImplRaised) and exc.type_name == type_name


def _reject() -> None:
    """What ``hypothesis.reject()`` raises, for a test called outside Hypothesis (where it must not be called)."""
    raise hypothesis.errors.UnsatisfiedAssumption("rejected")


def _body(prop: Property, ctx: Context, result: PropertyResult, outcome: _Outcome, target: bool, *,
          reject: Callable[[], None] = hypothesis.reject):
    """The test Hypothesis runs: one check on one example, the statistics kept, aborts remembered."""
    def test(example):
        if outcome.aborted:
            raise outcome.problem  # no more calls: Hypothesis replays quickly and stops
        result.examples += 1
        ctx.example_ratio = 0.0
        ctx.forget()
        try:
            prop.check(ctx, example)
        except Rejected:
            reject()
        except (Inherited, WrongDtype) as exc:  # not this step's mistake: keep looking for one of its own
            outcome.inherited = outcome.inherited or (exc, example)
        except Uninformed as exc:  # this example shows nothing either way: keep looking
            outcome.uninformed = outcome.uninformed or (exc, example)
        except Refused:  # not sent: its adapter, as the grader read it, cannot express this problem
            outcome.not_applicable += 1
            reject()
        except ImplRaised as exc:
            outcome.problem, outcome.example = exc, example
            outcome.aborted = _raised(exc, "NotImplementedError")
            raise
        except (PropertyFailure, ImplProblem) as exc:
            outcome.problem, outcome.example, outcome.aborted = exc, example, isinstance(exc, _ABORTING)
            raise
        finally:
            if target and math.isfinite(ctx.example_ratio):
                hypothesis.target(min(ctx.example_ratio, 1e300), label="error / allowed")
    return test


def _settings(prop: Property, test, *, declared, max_examples, seed, derandomize, shrink):
    """``test`` under Hypothesis with the run's settings, the property's explicit examples first, λ drawn as
    the submission (its adapter: ``declared``) takes them."""
    kwargs: dict[str, Any] = {"deadline": None, "database": None, "report_multiple_bugs": False,
                              "suppress_health_check": list(HealthCheck)}
    if max_examples is not None:
        kwargs["max_examples"] = max_examples
    if derandomize is not None:
        kwargs["derandomize"] = derandomize
    if seed is not None:
        kwargs["derandomize"] = False
    if not shrink:  # a verdict without the smallest counterexample, faster when many properties fail
        kwargs["phases"] = [hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate]
    wrapped = hypothesis.given(prop.draws(declared))(test)
    for ex in prop.examples:
        wrapped = hypothesis.example(ex)(wrapped)
    wrapped = settings(settings.default, **kwargs)(wrapped)
    return hypothesis.seed(seed)(wrapped) if seed is not None else wrapped


def _verdict(result: PropertyResult, outcome: _Outcome, exc: Exception) -> None:
    """Fill in the result of a run that raised: a failure, the implementation's problem, or our own error."""
    problem = outcome.problem
    if isinstance(exc, hypothesis.errors.Unsatisfiable) and outcome.not_applicable:
        result.status = "not-applicable"
        result.message = f"not checked: its adapter cannot express the problems drawn ({outcome.not_applicable} tried)"
        return
    ours = (PropertyFailure, ImplProblem)
    if problem is None or not (isinstance(exc, ours) or _flaky_of(exc, ours)):
        # the grader's own error, or Hypothesis's about the grader's strategies: never the submission's
        result.status, result.message = "internal", f"internal error of the grader: {type(exc).__name__}: {exc}"
        return
    result.counterexample = counterexample(outcome.example)
    if isinstance(problem, PropertyFailure):
        result.status, result.message, result.details = problem.status, problem.message, problem.details()
    else:
        result.status = "not-implemented" if _raised(problem, "NotImplementedError") else "error"
        result.message = str(problem)


def _flaky_of(exc: Exception, kinds: tuple) -> bool:
    """A Hypothesis Flaky error about the implementation: it failed, then did not, on the same example."""
    return isinstance(exc, hypothesis.errors.Flaky) and any(
        isinstance(e, kinds) for e in getattr(exc, "exceptions", ()))


def run_catalog(ctx: Context, props: Iterable[Property] = CATALOG, *, max_examples: int | None = None,
                sweep: int = 0, seed: int | None = None, derandomize: bool | None = None, target: bool = False,
                shrink: bool = True,
                replay: Callable[[Property], str] = lambda p: "",
                progress: Callable[[PropertyResult, int, int], None] | None = None,
                deadline: float | None = None) -> tuple[list[PropertyResult], dict]:
    """Every property under Hypothesis, then (if ``sweep``) the bulk sweep. Returns results and sweep figures.

    ``deadline`` (a ``time.monotonic()`` value): properties not started by then
    are "not-run", and the sweep stops at it.
    """
    props = list(props)
    results: dict[str, PropertyResult] = {}
    for i, prop in enumerate(props):
        if deadline is not None and time.monotonic() >= deadline:
            r = PropertyResult(prop.id, prop.question, prop.title, status="not-run",
                               message="not run: the overall deadline (--total-timeout) came first")
        else:
            with asking(ctx.impl, prop.id):
                r = run_property(prop, ctx, max_examples=max_examples, seed=seed, derandomize=derandomize,
                                 target=target, shrink=shrink, replay=replay(prop))
        results[prop.id] = r
        if progress:
            progress(r, i + 1, len(props))
    figures: dict = {}
    if sweep:
        figures = run_sweep(results, props, ctx, count=sweep, seed=seed or 0, deadline=deadline)
    return [results[p.id] for p in props], figures
