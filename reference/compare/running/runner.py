"""Running the catalog: Hypothesis per property, then a bulk random sweep.

Both front ends (the pytest suite and ``handgrad-compare``) call
:func:`run_property` / :func:`run_catalog`; neither defines a property.

Settings profiles (``--hypothesis-profile`` in pytest, ``--profile`` in
handgrad-compare): ``dev`` (quick), ``ci`` (derandomized), ``thorough`` (10× the
examples of ``ci``, for nightly runs). All have ``deadline=None``: a first JAX
compile takes longer than Hypothesis's default 200 ms deadline.

>>> from reference.compare.exercise import EXERCISE
>>> from reference.compare.exercise.catalog import Context, by_id
>>> from reference.compare.sandbox import InProcessImpl
>>> ctx = Context(InProcessImpl("handgrad"))
>>> run_property(by_id(EXERCISE.examples[0]), ctx, max_examples=20, seed=0).status
'pass'
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import hypothesis
from hypothesis import HealthCheck, settings

from reference.compare.exercise.catalog import CATALOG, Context, Property
from reference.compare.running.body import (
    STATUSES,
    PropertyResult,
    PropertyTest,
    absent_text,
    finite_json,
    lacking,
    outcome_signature,
    reject_outside,
    settle,
)
from reference.compare.running.sweep import run_sweep
from reference.compare.sandbox import asking

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
    carry no information (``chain.Uninformed``), "fail" unless another is inherited
    (the test body, :class:`~reference.compare.running.body.PropertyTest`, says how). ``watch``
    (:class:`reference.compare.reuse.journal.Journal`) keeps each call of the test.
    """
    result = PropertyResult(prop.id, prop.question, prop.title, replay=replay)  # when it is not tested
    absent = lacking(prop, ctx.impl)
    if absent and not (prop.partial and len(absent) < len(set(prop.calls))):
        result.status, result.message = "missing", "not checked: " + absent_text(absent, ctx.impl)
        return result
    declared = getattr(ctx.impl, "declared", None)
    undrawn = prop.not_drawn(declared)
    if undrawn:
        result.status, result.message = "not-applicable", undrawn
        return result
    test = PropertyTest(prop, ctx, replay=replay, target=target)
    hypothesis_test = _settings(prop, watch.wrap(test, ctx) if watch is not None else _one_argument(test),
                                declared=declared, max_examples=max_examples, seed=seed, derandomize=derandomize,
                                shrink=shrink)
    raised = None
    try:
        hypothesis_test()
    except Exception as exc:  # noqa: BLE001 - a Hypothesis error or a bug of ours: report, never crash
        raised = exc
        if watch is not None:
            watch.end(exc)
    return test.end(raised, shrink=shrink)


def follow_property(prop: Property, ctx: Context, steps: list, impls: list, *, shrink: bool = True,
                    replay: str = "") -> PropertyResult | None:
    """:func:`run_property`'s result when Hypothesis calls its test on ``steps``' examples, in order, each call
    ending as its step says (None: it returned; else the
    :func:`~reference.compare.running.body.outcome_signature` of what it raised), the last one raising; None as
    soon as a call does not end so. ``impls[i]`` (or None) stands for the implementation during call i (calls
    fetched ahead). The same test body is called, so the result is the run's.
    """
    test, last = PropertyTest(prop, ctx, replay=replay, reject=reject_outside), None
    for (example, ended), impl in zip(steps, impls):
        real = ctx.impl
        ctx.impl = impl or real
        try:
            test(example)
            last = None
        except Exception as exc:  # noqa: BLE001 - compared with how the run's call ended
            last = exc
        finally:
            ctx.impl = real
        if (None if last is None else outcome_signature(last)) != ended:
            return None
    if last is None:
        return None
    return test.end(last, shrink=shrink)


def _one_argument(test: PropertyTest) -> Callable[[Any], None]:
    """``test`` as the function of one example that ``hypothesis.given`` takes."""
    def example_test(example: Any) -> None:
        test(example)
    return example_test


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
    return settle([results[p.id] for p in props], props), figures
