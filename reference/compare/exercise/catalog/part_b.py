"""Part B: the network's claims (B1–B18), each against the reference's values and per-entry bounds.

Every check reads the implementation's result through :meth:`Context.network`
(one call shared by all properties on a problem) and the reference's through
:meth:`Context.ref`; a failing gradient also says whether the quantity before
it in the backward chain (:data:`UPSTREAM`) agrees.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

from handgrad.types import PARAMS, Gradients
from reference.compare.call_outcomes import ImplProblem
from reference.compare.exercise import strategies as S
from reference.compare.exercise.catalog import chain
from reference.compare.exercise.catalog.check import (
    Context,
    OwnFirst,
    PropertyFailure,
    compare,
    compare_exact,
    empty,
    expect_array,
    expect_fields,
    fmt_index,
    keep_only,
    measure,
    value,
)
from reference.compare.exercise.catalog.work import expect_work
from reference.compare.exercise.explain import explaining, gradient_failure, labels
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64, accepted, l1_slack

__all__ = ["NAMES", "UPSTREAM", "FORWARD_UPSTREAM", "gradients", "grad_check", "forward_check",
           "b3", "b4", "b4_formula", "ordinary",
           "risk_check", "b5_count", "b6", "b6_cases", "descents", "slack"]


#: How a message names a gradient.
NAMES = chain.NAMES
#: The quantity before each gradient in the backward chain.
UPSTREAM = {"hs": "oa", "ha": "hs", "x": "ha", "W1": "ha", "b1": "ha", "W2": "oa", "b2": "oa"}
FORWARD_UPSTREAM = {"hs": "ha", "oa": "hs", "os": "oa"}
#: The question whose claim each of forward's values is (the gradients': :data:`.chain.QUESTION`).
FORWARD_QUESTION = {"ha": "B1", "hs": "B1", "oa": "B2", "os": "B3"}


def _of(failure: PropertyFailure, questions: dict, f: str, up: str | None) -> PropertyFailure:
    """``failure`` with the questions of its array ``f`` and of the quantity before it, ``up``, noted."""
    failure.array_question = questions.get(f)
    if up and failure.upstream:
        failure.upstream_question = questions.get(up)
    return failure


def _agreement(ctx: Context, label: str, got: Any, want: np.ndarray, bound: np.ndarray) -> str:
    """One phrase: does this (upstream) array agree with the reference?"""
    try:
        m = measure(label, got, want, accepted(bound))
    except PropertyFailure as exc:  # not even an array of the right shape
        return f"the quantity before it, {exc.message}"
    if m.bad.any():
        return f"the quantity before it, {m.failure().message.split(' (|')[0]}, is already off"
    return f"the quantity before it, {label}, agrees (max |difference| {float(m.diff.max(initial=0.0)):.3g})"


def gradients(ctx: Context, p: Problem, fields: tuple[str, ...], question: str = "") -> None:
    """Each gradient of ``fields`` against the reference; a failure judged on the submission's own inputs
    (:mod:`.chain`) for a property of ``question``."""
    g = ctx.network("backprop", p)
    expect_fields("backprop(...)", g, Gradients._fields)
    ev = ctx.ref(p)
    own_first = OwnFirst()  # an array's own mistake is charged beside another's inherited one
    for f in fields:
        want, bound = getattr(ev.grads, f), getattr(ev.grads_bound, f)
        allowed = accepted(bound)
        if f in ("W1", "W2"):
            allowed = allowed + slack(ctx, p, f)
        up = UPSTREAM.get(f)
        upstream = None
        if up:
            upstream = (lambda up=up: _agreement(ctx, f"backprop(...).{up} ({NAMES[up]})", getattr(g, up),
                                                 getattr(ev.grads, up), getattr(ev.grads_bound, up)))
        with own_first:
            try:
                compare(ctx, f"backprop(...).{f} ({NAMES[f]})", getattr(g, f), want, allowed, upstream=upstream)
            except PropertyFailure as failure:
                failure = _of(failure, chain.QUESTION, f, up)
                failure = gradient_failure(ctx, p, failure, getattr(g, f), want, allowed, f)
                raise (chain.judge(ctx, p, g, f, failure, question) if question else failure) from None
    own_first.done()


def slack(ctx: Context, p: Problem, f: str):
    """The L1 slack at zero weights under any-subgradient (:func:`reference.compare.exercise.tolerance.l1_slack`).

    Only the weights have an L1 term: a bias or an activation gets none.
    """
    if f not in ("W1", "W2"):
        return 0.0
    W, lam = (p.params.W1, p.lambdas.l11) if f == "W1" else (p.params.W2, p.lambdas.l21)
    return l1_slack(W, lam, ctx.kinks[0], ctx.convention)


def grad_check(question: str, *fields: str):
    """A check of these gradient fields for a property of ``question``."""
    return lambda ctx, p: gradients(ctx, p, fields, question)


def forward_check(*fields: str, question: str = ""):
    """A check of these forward values for a property of ``question``: a failure judged on the submission's
    own value before it (:func:`.chain.judge_forward`: oa right on its own wrong hs inherits B1's mistake)."""
    def check(ctx: Context, p: Problem) -> None:
        a = ctx.network("forward", p)
        expect_fields("forward(...)", a, ("ha", "hs", "oa", "os"))
        ev = ctx.ref(p)
        own_first = OwnFirst()
        for f in fields:
            up = FORWARD_UPSTREAM.get(f)
            upstream = None
            if up:
                upstream = (lambda up=up: _agreement(ctx, f"forward(...).{up}", getattr(a, up),
                                                     getattr(ev.acts, up), getattr(ev.acts_bound, up)))
            with own_first:
                try:
                    compare(ctx, f"forward(...).{f}", getattr(a, f), getattr(ev.acts, f),
                            accepted(getattr(ev.acts_bound, f)), upstream=upstream)
                except PropertyFailure as failure:
                    failure = _of(failure, FORWARD_QUESTION, f, up)
                    judged = chain.judge_forward(ctx, p, a, f, failure, question) if question else failure
                    if question == "X4" and f == "os" and judged is failure and _softmax_formula(ctx, p, a):
                        judged = chain.Inherited(failure, "B3")
                    raise judged from None
        own_first.done()
    return check


def b3(ctx: Context, p: Problem) -> None:
    ordinary(ctx, p)
    ev = ctx.ref(p)
    if ctx.recalled("forward", p) is None:  # forward and the part-A softmax in one round trip
        fwd, sm = ctx.impl.call_each([("forward", p.arguments("forward"), {}),
                                      ("softmax", (ev.acts.oa,), {})])
        ctx.remember("forward", p, fwd)
        ctx.remember("softmax", p, sm)
    a = ctx.network("forward", p)
    expect_fields("forward(...)", a, ("ha", "hs", "oa", "os"))
    os_ = expect_array("forward(...).os", a.os, ev.acts.os.shape)
    if (os_ < 0).any():
        i = np.unravel_index(int(np.argmin(os_)), os_.shape)
        raise PropertyFailure(f"forward(...).os{fmt_index(i)} = {os_[i]!r} is negative", array="os", index=i)
    m = os_.shape[1]
    # exp(oa − lse) and exp(oa − max)/Σ are both right; their sums miss 1 by up to the os bounds
    compare(ctx, "sum_k forward(...).os[:, k]", os_.sum(axis=1), np.ones(os_.shape[0]),
            SAFETY * (ev.acts_bound.os.sum(axis=1) + (m + 4) * U64))
    forward_check("os", question="B3")(ctx, p)
    # the part-A softmax, on the reference's logits
    sm = ctx.recalled("softmax", p)
    sm = value(sm) if sm is not None else ctx.call("softmax", ev.acts.oa)
    compare(ctx, "softmax(oa)", sm, ev.acts.os, accepted(ev.acts_bound.os))


def ordinary(ctx: Context, p: Problem) -> None:
    """Keep to ordinary logits (:data:`.chain.ORDINARY_LOGIT`): B3, B4, B5 judge the formula, X4 the range."""
    keep_only(chain.ordinary_logits(ctx, p))


def b4(ctx: Context, p: Problem, question: str = "B4") -> None:
    """The losses against the reference's; wrong ones that are the formula on the submission's own logits (its
    forward's, when its parts agree: :func:`.chain.own_forward`) inherit the forward's mistake."""
    ev = ctx.ref(p)
    got = ctx.network("loss", p)
    try:
        with explaining((got, ev.L, accepted(ev.L_bound)), **labels(ctx, p, "loss")):
            compare(ctx, "loss(...) (L = -oa_y + log sum_i exp(oa_i))", got, ev.L, accepted(ev.L_bound))
    except PropertyFailure as failure:
        judged = _own_loss(ctx, p, got, failure, question)
        if question != "B4" and judged is failure and _diagnosed_at_ordinary_logits(ctx, p, failure):
            judged = chain.Inherited(failure, "B4")
        raise judged from None


def _softmax_over(oa: np.ndarray, axis: int | None) -> np.ndarray:
    """exp(oa) normalized over ``axis`` (None: every entry), shifted by its maximum there: finite at any logits."""
    e = np.exp(oa - np.max(oa, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


#: Wrong softmaxes a forward's os may be of its own oa: formula mistakes of B3's, at any logits.
WRONG_SOFTMAX = {"softmax over the batch axis (each class normalized over the examples)": 0,
                 "softmax over every entry of the batch (one normalization for all examples)": None}


def wrong_softmax(a: Any, ev: Any) -> str | None:
    """Which of :data:`WRONG_SOFTMAX` the forward ``a``'s os is of its own oa (and the reference's os is not),
    within the os bound (both are the same formula's roundings); None if none."""
    try:
        oa, os_ = np.asarray(a.oa, dtype=np.float64), np.asarray(a.os, dtype=np.float64)
    except (AttributeError, TypeError, ValueError):
        return None
    allowed = accepted(ev.acts_bound.os)
    if oa.shape != os_.shape or os_.shape != ev.acts.os.shape:
        return None
    with np.errstate(all="ignore"):
        for said, axis in WRONG_SOFTMAX.items():
            alt = _softmax_over(oa, axis)
            if np.all(np.abs(os_ - alt) <= allowed) and not np.all(np.abs(alt - ev.acts.os) <= allowed):
                return said
    return None


def _softmax_formula(ctx: Context, p: Problem, a: Any) -> bool:
    """At large logits (X4), is a wrong os a formula mistake of B3's: the same wrong softmax of its own oa
    (:func:`wrong_softmax`, evaluated stably) here and on the problem with its logits scaled to at most 100?
    An unstable softmax is no such formula: X4's own."""
    said = wrong_softmax(a, ctx.ref(p))
    ordinary = chain.at_ordinary_logits(ctx, p) if said is not None else None
    if ordinary is None:
        return False
    try:
        return wrong_softmax(ctx.judged("forward", ordinary), ctx.ref(ordinary)) == said
    except ImplProblem:
        return False


def _diagnosed_at_ordinary_logits(ctx: Context, p: Problem, failure: PropertyFailure) -> bool:
    """At large logits (X4), is the wrong loss a formula mistake of B4's: the same named mistake (labels from 1)
    explains it here, where the grader evaluates that wrong formula stably, and on the problem with its logits
    scaled to at most 100 (ordinary logits, B4's range)? An unstable loss is explained by no such formula: X4's own."""
    said = failure.diagnosis
    if not said or said.startswith("no diagnosis"):
        return False
    ordinary = chain.at_ordinary_logits(ctx, p)
    if ordinary is None:
        return False
    try:
        b4(ctx, ordinary)
    except PropertyFailure as there:
        return (there.diagnosis or "").split(":")[0] == said.split(":")[0]
    except ImplProblem:
        return False
    return False


def _own_loss(ctx: Context, p: Problem, got: Any, failure: PropertyFailure, question: str) -> PropertyFailure:
    """A wrong loss that is −oa_y + log Σ exp(oa) on the submission's own logits inherits the forward's mistake."""
    a = chain.own_forward(ctx, p)
    if a is None or not isinstance(got, np.ndarray) or got.shape != (p.X.shape[0],):
        return failure
    with np.errstate(all="ignore"):
        oa = np.asarray(a.oa, dtype=np.float64)
        top = np.max(oa, axis=1)
        lse = top + np.log(np.exp(oa - top[:, None]).sum(axis=1))
        oa_y = oa[np.arange(len(p.y)), p.y]
        want = lse - oa_y
        allowed = (oa.shape[1] + 4) * U64 * (np.abs(lse) + np.abs(oa_y) + np.abs(top))
        own = bool(np.all(np.abs(np.asarray(got, dtype=np.float64) - want) <= SAFETY * allowed + FLOOR))
    if not own:
        return failure
    found = chain.forward_root(ctx, p, a, "oa")
    if found is None:  # its own logits are the reference's: the loss itself is wrong
        return failure
    root, why = found
    if root == question:
        return failure if why is None else chain.Uninformed(failure, *why)
    return chain.Inherited(failure, root)


def b4_formula(ctx: Context, p: Problem) -> None:
    """B4 on ordinary logits: the formula, not its numerical range."""
    ordinary(ctx, p)
    b4(ctx, p)


def risk_check(label: str):
    """R on ordinary logits; a wrong R that is its own mean loss plus the penalties is inherited from B4."""
    def check(ctx: Context, p: Problem) -> None:
        ordinary(ctx, p)
        ev = ctx.ref(p)
        got = ctx.network("risk", p)
        if isinstance(got, (int, float, np.floating, np.integer)) and not isinstance(got, bool):
            got = np.float64(got) if isinstance(got, (float, np.floating)) else got
        if isinstance(got, np.floating):
            got = np.asarray(got)
        try:
            compare(ctx, f"risk(...) [{label}]", got, np.asarray(ev.risk), accepted(ev.risk_bound))
        except PropertyFailure as failure:
            if not _own_risk(ctx, p, got):
                raise
            how = empty(ctx.judged("loss", p), ev.L, accepted(ev.L_bound))
            if how is not None:  # right on losses that carry no information
                raise chain.Uninformed(failure, f"loss(...) is {how}", "B4") from None
            raise chain.Inherited(failure, "B4") from None
    return check


def _own_risk(ctx: Context, p: Problem, got) -> bool:
    """Is ``got`` the submission's own mean loss plus the four penalties? (Not a real number: no.)"""
    number = isinstance(got, (int, float, np.integer, np.floating, np.ndarray)) and not isinstance(got, bool)
    if not number or np.ndim(got) != 0 or np.asarray(got).dtype.kind not in "iuf":
        return False  # a vector of losses (the mean forgotten), None, a list: the comparison's failure stands
    try:
        L = np.asarray(ctx.judged("loss", p), dtype=np.float64)
    except (ImplProblem, PropertyFailure, TypeError, ValueError):
        return False
    if L.shape != (p.X.shape[0],) or not np.all(np.isfinite(L)):
        return False
    W1, _, W2, _ = p.params
    l11, l12, l21, l22 = p.lambdas
    pen = l11 * np.abs(W1).sum() + l12 * (W1 * W1).sum() + l21 * np.abs(W2).sum() + l22 * (W2 * W2).sum()
    want = L.mean() + pen
    bound = (p.X.shape[0] + 2) * U64 * np.abs(L).mean() + (W1.size + W2.size + 4) * U64 * pen
    return bool(abs(float(got) - want) <= SAFETY * bound + FLOOR)


def b5_count(ctx: Context, p: Problem) -> None:
    g = ctx.network("backprop", p)
    expect_fields("backprop(...)", g, Gradients._fields)
    n, d, dh, m = p.dims
    n_theta = dh * d + dh + m * dh + m
    got = sum(int(np.size(getattr(g, f))) for f in PARAMS)
    if got != n_theta:
        raise PropertyFailure(f"the parameter gradients hold {got} scalars; n_θ = dh·d + dh + m·dh + m = {n_theta}")
    expect_work(ctx, "backprop", p, g, "counting its entries earns nothing", fields=PARAMS)


def b6(ctx: Context, case) -> None:
    """Each step of gradient_descent is θ − η ∂R/∂θ, with ∂R/∂θ from the reference at that θ; at ordinary
    logits (the loop's claim: an overflow past them is X4's)."""
    p, eta, steps = case
    ordinary(ctx, p)
    prev = p.params
    iterates = descents(ctx, p, eta, steps)
    own_first = OwnFirst()  # a step's own mistake is charged beside a gradient's inherited one
    for t in range(1, steps + 1):
        got = iterates[t - 1]
        expect_fields(f"gradient_descent(steps={t})", got, PARAMS)
        here = p._replace(params=type(p.params)(*prev))
        if t > 1 and not chain.ordinary_logits(ctx, here):
            break  # the steps so far were right; past ordinary logits a step is X4's to judge
        ev = ctx.ref(here)
        for f in PARAMS:
            w, g, e = getattr(prev, f), getattr(ev.grads, f), getattr(ev.grads_bound, f)
            want = w - eta * g
            allowed = (eta * (SAFETY * e + slack(ctx, here, f))
                       + SAFETY * 2 * U64 * (np.abs(w) + eta * np.abs(g)) + FLOOR)
            with own_first:
                try:
                    compare(ctx, f"gradient_descent(steps={t}).{f} vs step {t - 1} - η ∂R/∂{f}", getattr(got, f),
                            want, allowed)
                except PropertyFailure as failure:
                    raise _own_step(ctx, here, eta, got, f, failure) from None
        prev = got
    own_first.done()
    if steps == 0:
        got = ctx.call("gradient_descent", p.params, p.X, p.y, p.lambdas, learning_rate=eta, steps=0)
        expect_fields("gradient_descent(steps=0)", got, PARAMS)
        for f in PARAMS:
            compare_exact(ctx, f"gradient_descent(steps=0).{f}", getattr(got, f), getattr(p.params, f))


def _own_step(ctx: Context, here: Problem, eta: float, got, f: str, failure: PropertyFailure) -> PropertyFailure:
    """A wrong step that is θ − η times the submission's own gradient inherits the gradient's mistake."""
    try:
        g = ctx.judged("backprop", here)
        w, gw = getattr(here.params, f), np.asarray(getattr(g, f), dtype=np.float64)
        step = np.asarray(getattr(got, f), dtype=np.float64)
    except (ImplProblem, PropertyFailure, TypeError, ValueError, AttributeError):
        return failure
    if gw.shape != w.shape or step.shape != w.shape:
        return failure
    allowed = 2 * SAFETY * U64 * (np.abs(w) + eta * np.abs(gw)) + FLOOR
    with np.errstate(invalid="ignore", over="ignore"):
        along = w - eta * gw
        if not np.array_equal(np.isfinite(step), np.isfinite(along)):  # a step not where its own gradient went
            return failure
        allowed = np.where(np.isfinite(allowed), allowed, 0.0)
    if measure(f, step, along, allowed).bad.any():
        return failure
    ev = ctx.ref(here)
    how = empty(gw, getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f)))
    with np.errstate(invalid="ignore"):
        overflowed = bool((~np.isfinite(gw) & np.isfinite(getattr(ev.grads, f))).any())
    if how is not None and not overflowed:  # a step along a gradient that carries no information; one not
        # finite somewhere is that gradient's own mistake (a quotient at a kink), judged below
        return chain.Uninformed(failure, f"backprop(...).{f} ({NAMES[f]}) is {how}", chain.QUESTION[f])
    judged = chain.judge(ctx, here, g, f, failure, "B6")  # where the gradient's own mistake was made
    return chain.Inherited(failure, judged.root if isinstance(judged, chain.Inherited) else chain.QUESTION[f])


def descents(ctx: Context, p: Problem, eta: float, steps: int) -> list:
    """gradient_descent(steps=t) for t = 1 … steps, in one round trip."""
    calls = [("gradient_descent", (p.params, p.X, p.y, p.lambdas), {"learning_rate": eta, "steps": t})
             for t in range(1, steps + 1)]
    return [value(r) for r in ctx.impl.call_each(calls)]


def b6_cases(*, lambdas_form: str = "four") -> st.SearchStrategy:
    # λ = 0: B6 is the descent loop; the regularized gradients are B18's, and X5
    # checks that the loop uses them
    return st.tuples(S.small_problems(max_side=5, lambdas_mode="zero"), st.floats(1e-3, 0.5), st.integers(0, 3))
