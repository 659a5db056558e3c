"""No credit without work: a structural check earns nothing for a function that does no work.

X1 (loop versus matrix), X3 (types and shapes) and B5's count of gradient
entries vouch for a function's arrays without comparing their values. A stub
returning zeros of the right shapes would pass them. :func:`expect_work` fails
a function whose every array is :func:`~.check.flat` or :func:`~.check.scant`
(far fewer entries of meaningful size than the reference's: zeros with one
subnormal or one nan planted in them) and one :func:`~.check.idle` (flat where
the reference's is not) or scant, on the example and on
:data:`PROBE`, a fixed problem where every reference output varies: an honest
mistake can be flat on one input, a stub is flat on all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from handgrad.types import PARAMS, PART_A, Gradients, Lambdas, Params
from reference.compare.exercise.catalog.check import Context, PropertyFailure, flat, idle, scant
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64, accepted, l1_slack, relative

__all__ = ["PROBE", "PROBE_X", "STEP", "expect_work"]

#: A problem on which every output of the reference varies (ha, hs, oa, os, the losses, each gradient, one
#: step of descent): a function that answers it with constants too does no work (:func:`expect_work`).
#: Written with small integers: Hypothesis draws the float literals of the grader's own source as examples,
#: and new ones would change every run's examples.
PROBE = Problem(
    Params(W1=np.array([[4, 2], [-2, 4], [1, -4]]) / 4, b1=np.array([2, -1, 3]) / 4,
           W2=np.array([[2, -2, 1], [1, 2, -2], [-2, 1, 2]]) / 2, b2=np.array([1, 0, -2]) / 4),
    X=np.array([[4, -8], [2, 4], [-6, 1]]) / 4, y=np.array([0, 1, 2]), lambdas=Lambdas(*(k / 8 for k in (1, 2, 3, 4))))
#: The same for part A: every elementwise function of the course varies on it.
PROBE_X = np.array([-4, -1, 0, 1, 4]) / 2
#: The learning rate of the one step of gradient_descent a structural check asks for.
STEP = 0.1


def _outputs(ctx: Context, name: str, arg: Any, got: Any, fields: tuple[str, ...] | None) -> list:
    """(label, array, reference) for each array the API function ``name`` returned on ``arg`` (a Problem; an
    array for part A; gradient_descent: one step of :data:`STEP`); ``reference()`` gives (want, allowed)."""
    if name in PART_A:
        def elementwise():
            want = ctx.reference(name, arg)
            return want, relative(want, floor_scale=1.0)
        return [(f"{name}(x)", got, elementwise)]
    ev = lambda: ctx.ref(arg)

    def gradient(f: str):
        allowed = accepted(getattr(ev().grads_bound, f))
        if f in ("W1", "W2"):  # any-subgradient: the L1 term's slack at zero weights
            lam = arg.lambdas.l11 if f == "W1" else arg.lambdas.l21
            allowed = allowed + l1_slack(getattr(arg.params, f), lam, ctx.kinks[0], ctx.convention)
        return getattr(ev().grads, f), allowed

    def descended(f: str):
        w, (grad, allowed) = getattr(arg.params, f), gradient(f)
        return w - STEP * grad, STEP * allowed + SAFETY * 2 * U64 * (np.abs(w) + STEP * np.abs(grad)) + FLOOR
    tables = {
        "forward": (("ha", "hs", "oa", "os"), lambda f: (getattr(ev().acts, f), accepted(getattr(ev().acts_bound, f)))),
        "backprop": (Gradients._fields, gradient),
        "gradient_descent": (PARAMS, descended),
    }
    if name in tables:
        names, reference = tables[name]
        return [(f"{name}(...).{f}", getattr(got, f, None), lambda f=f: reference(f)) for f in fields or names]
    if name == "loss":
        return [("loss(...)", got, lambda: (ev().L, accepted(ev().L_bound)))]
    return [("risk(...)", got, lambda: (ev().risk, accepted(ev().risk_bound)))]


def _no_work(outputs: list) -> str | None:
    """How these arrays of one function show no work: every one flat or scant, one idle or scant
    (:mod:`.check`: zeros with one subnormal or one nan planted in them are no more work than zeros); else None."""
    why = None
    for label, got, reference in outputs:
        want, allowed = reference()
        sparse = scant(got, want, allowed)
        if flat(got) is None and sparse is None:
            return None  # it varies somewhere, about as much as the reference: it does some work
        how = idle(got, want, allowed)
        if why is None and how is not None:
            why = f"{label} is {how} where the reference's is not"
        elif why is None and sparse is not None:
            why = f"{label} {sparse}"
    return why


def expect_work(ctx: Context, name: str, arg: Any, got: Any, shows: str, fields: tuple[str, ...] | None = None,
                *, each: bool = False) -> None:
    """A structural check earns nothing for a function that does no work: raise :class:`PropertyFailure` when
    every array ``got`` of the API function ``name`` on ``arg`` (of ``fields`` only, if given) is flat and one
    is idle (:mod:`.check`), and so is its answer on :data:`PROBE` (:data:`PROBE_X` for part A); ``each``: when
    any one array is idle or scant there and on :data:`PROBE` (a check that vouches for each array: zeros in
    place of one are no more work than None, attack round 13). ``shows`` ends the message.

    The probe is asked only of a function flat on ``arg``: an honest mistake can be flat on one input
    (rect'(0) = 1 on x = [0, 1]) and varies there; a stub does not.
    """
    outputs = _outputs(ctx, name, arg, got, fields)
    if each:
        return _expect_work_of_each(ctx, name, outputs, fields, shows)
    why = _no_work(outputs)
    if why is None:
        return
    again = _on_probe(ctx, name)
    if _no_work(_outputs(ctx, name, PROBE_X if name in PART_A else PROBE, again, fields)) is not None:
        raise PropertyFailure(f"{name}(...) does no work: every array it returns is constant or scant, and {why}, "
                              f"here and on a fixed problem where it varies: {shows}", array=name)


def _expect_work_of_each(ctx: Context, name: str, outputs: list, fields: tuple[str, ...] | None, shows: str) -> None:
    """:func:`expect_work` with ``each``: the first array idle or scant here and on the probe fails it."""
    idle_here = [(label, _no_work([output])) for output in outputs for label in [output[0]]]
    idle_here = [(label, why) for label, why in idle_here if why is not None]
    if not idle_here:
        return
    again = _on_probe(ctx, name)
    on_probe = {o[0]: o for o in _outputs(ctx, name, PROBE_X if name in PART_A else PROBE, again, fields)}
    for label, why in idle_here:
        if label in on_probe and _no_work([on_probe[label]]) is not None:
            raise PropertyFailure(f"{name}(...) does no work: {why}, here and on a fixed problem where the "
                                  f"reference's varies: {shows}", array=label)


def _on_probe(ctx: Context, name: str) -> Any:
    """The API function ``name``'s answer on :data:`PROBE` (:data:`PROBE_X` for part A)."""
    if name in PART_A:
        return ctx.call(name, PROBE_X)
    if name == "gradient_descent":
        return ctx.call(name, *PROBE.arguments("backprop"), learning_rate=STEP, steps=1)
    return ctx.network(name, PROBE)
