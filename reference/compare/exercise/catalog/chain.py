"""Error carried forward: each step of the backward chain judged on the submission's own inputs to it.

A gradient that is wrong end to end may be right on its own: ∂L/∂hs = W2ᵀ ∂L/∂oa
holds for the submission's own ∂L/∂oa even when that ∂L/∂oa is wrong. Then the
mistake was made upstream, and this step only *inherits* it. For a failing
array, :func:`judge` recomputes the step from the submission's own upstream
values — its own os, ∂L/∂oa, ∂L/∂hs, ∂L/∂ha, its own forward's ha and hs, its
own λ = 0 gradient for a penalty term, its own losses for the risk — with a
tolerance from the same error-bound formula (k·u·Σ|a||b| on those values), and
walks up the chain to the first step that is wrong on its own inputs: the root.

Steps and their questions: os → ∂L/∂oa (B7) → ∂L/∂W2, ∂L/∂b2 (B9) and
∂L/∂hs (B11) → ∂L/∂ha (B13) → ∂L/∂W1, ∂L/∂b1 (B15), ∂L/∂x (B17); the softmax
(B3) is the root when every backward step holds; the penalty terms (B18) on
their own λ = 0 gradient; the risk (B5) on its own losses (B4).

No credit without work: a step right on own inputs that carry no information
(all zero, or constant: every entry equal; or scant: far fewer entries of meaningful size than the
reference's, such as zeros with one subnormal or one nan planted in them; :func:`~.check.empty`, :func:`silent`)
shows nothing. Such an example is :class:`Uninformed`: the step's own failure,
not an inherited one. A property is inherited when an example shows the step
right on informative own inputs, and fails when its failures are all uninformed
(or one is wrong on its own inputs, as before): a stub whose every gradient is
zero is consistent with its own all-zero ∂L/∂oa at every step below it, and
earns nothing for it, while an honest mistake upstream is not charged again
below it for an example where it happens to zero the step's inputs.

Per example or batched (:data:`BATCHED`): a step wrong on its own inputs is charged at one of its two
questions, decided from the submission's own backprop on each example of the batch alone
(:func:`split_claim`). Right on every example alone (on informative own inputs) but the batch not what its
examples give (their rows stacked, their mean): the batching is wrong, the batched question (B16 for a
missing 1/n in ∂R/∂W1) is the root and the per-example one inherits. Wrong on an example alone but the batch
what its examples give: the per-example question is the root and the batched one inherits. Wrong on both
counts: two mistakes, each question charged. X1 (a batch is the mean of its examples) inherits from the
batched question that charges the same batching mistake (:func:`batching_root`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from handgrad.types import Lambdas
from reference.compare.exercise.catalog.check import Context, PropertyFailure, WrongDtype, empty, measure, shows_nothing
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64, accepted, l1_slack
from reference.compare.sandbox import ImplProblem

__all__ = ["Inherited", "Uninformed", "QUESTION", "UP", "SAME_CLAIM", "BATCHED", "ORDINARY_LOGIT", "NAMES",
           "judge", "blame", "settle", "Split", "split_claim", "batching_root", "examples_alone", "batch_of_examples",
           "local_step", "own_forward", "ordinary_logits", "silent"]

#: The question whose claim each quantity is.
QUESTION = {"os": "B3", "oa": "B7", "hs": "B11", "ha": "B13", "W1": "B15", "b1": "B15", "x": "B17",
            "W2": "B9", "b2": "B9"}
#: Questions that state one claim, per example and batched: a failure of either is the claim's own.
SAME_CLAIM = {"B7": {"B7", "B8"}, "B9": {"B9", "B10"}, "B11": {"B11", "B12"}, "B13": {"B13", "B14"},
              "B15": {"B15", "B16"}, "B17": {"B17"}, "B3": {"B3"}, "B4": {"B4"}, "X4": {"X4"}, "B18": {"B18"}}
#: Each per-example question and its batched twin (one claim: :data:`SAME_CLAIM`).
BATCHED = {"B7": "B8", "B9": "B10", "B11": "B12", "B13": "B14", "B15": "B16"}
#: The parameter gradients: a batch's is the mean of its examples' (the others: their rows stacked).
_MEANS = ("W1", "b1", "W2", "b2")
#: Logits up to this magnitude: every correct formulation of the softmax and the loss is exact in
#: float64 (no exp overflows; −log os_y is 0 ulp from the stable form up to a gap of ~700). Beyond,
#: the question is stability: X4's.
ORDINARY_LOGIT = 350.0
#: The quantity each step takes from upstream.
UP = {"oa": "os", "hs": "oa", "ha": "hs", "x": "ha", "W1": "ha", "b1": "ha", "W2": "oa", "b2": "oa"}
#: The submission's own inputs each step is judged on besides ``UP``'s gradient: forward values.
_FORWARD = {"oa": ("os",), "ha": ("ha",), "W2": ("hs",)}
#: The question whose claim each of these forward values is.
_FORWARD_QUESTION = {"ha": "B1", "hs": "B1", "os": "B3"}
#: How a message names a gradient.
NAMES = {"oa": "∂L/∂oa", "hs": "∂L/∂hs", "ha": "∂L/∂ha", "x": "∂L/∂x", "W1": "∂R/∂W1", "b1": "∂R/∂b1",
         "W2": "∂R/∂W2", "b2": "∂R/∂b2"}


class Inherited(PropertyFailure):
    """Wrong end to end, right on its own inputs: the mistake was made at ``root``."""

    status = "inherited"

    def __init__(self, failure: PropertyFailure, root: str, reason: str = "right on its own inputs"):
        super().__init__(f"{failure.message}; {reason}: inherited from {root}",
                         array=failure.array, index=failure.index, got=failure.got, want=failure.want,
                         allowed=failure.allowed, upstream=failure.upstream, ratio_map=failure.ratio_map)
        self.diagnosis, self.root = failure.diagnosis, root
        self.array_question, self.upstream_question = failure.array_question, failure.upstream_question


class Uninformed(PropertyFailure):
    """Wrong end to end, right on its own inputs, but they carry no information (``why``: which, and how):
    the step's own failure. Unlike a failure wrong on its own inputs it does not end the run: an example
    that shows the step right on informative inputs makes the property inherited instead (the runner)."""

    def __init__(self, failure: PropertyFailure, why: str, question: str | None = None):
        clause = f"its own {why}: being right on it shows nothing"
        super().__init__(f"{failure.message}; {clause}",
                         array=failure.array, index=failure.index, got=failure.got, want=failure.want,
                         allowed=failure.allowed, upstream=failure.upstream, ratio_map=failure.ratio_map)
        self.diagnosis = failure.diagnosis
        self.array_question, self.upstream_question = failure.array_question, failure.upstream_question
        #: The clause on the input that carries nothing, and the question whose quantity it is (a report that
        #: withholds that question's feedback leaves the clause out).
        self.silent, self.silent_question = clause, question

    def details(self) -> dict:
        return {**super().details(), "silent": self.silent,
                **({"silent_question": self.silent_question} if self.silent_question else {})}


def own_forward(ctx: Context, p: Problem) -> Any:
    """The submission's own forward on ``p`` if it gives arrays of the right shapes, else None."""
    try:
        a = ctx.network("forward", p)
    except (ImplProblem, PropertyFailure):
        return None
    n, _, dh, m = p.dims
    shapes = {"ha": (n, dh), "hs": (n, dh), "os": (n, m)}
    ok = all(isinstance(getattr(a, f, None), np.ndarray) and getattr(a, f).shape == s for f, s in shapes.items())
    return a if ok else None


def _penalty(ctx: Context, W: np.ndarray, l1: float, l2: float):
    """l1 sign(W) + 2 l2 W (sign(0) the convention's) and its allowed error, slack at zero weights included."""
    sign = np.where(W > 0, 1.0, np.where(W < 0, -1.0, ctx.kinks[0]))
    value = l1 * sign + 2 * l2 * W
    return value, 4 * U64 * (l1 + 2 * l2 * np.abs(W)) + l1_slack(W, l1, ctx.kinks[0], ctx.convention)


def _activation(ctx: Context, p: Problem, f: str) -> np.ndarray:
    own = own_forward(ctx, p)
    return getattr(own, f) if own is not None else getattr(ctx.ref(p).acts, f)


def local_step(ctx: Context, p: Problem, g: Any, f: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(want, allowed) for ``f`` computed from the submission's own upstream values ``g``; None if unknown."""
    W1, _, W2, _ = p.params
    n = p.X.shape[0]
    u = U64
    a = lambda name: np.asarray(getattr(g, name), dtype=np.float64)  # noqa: E731 - shapes checked by the caller
    if f == "oa":
        os_ = _activation(ctx, p, "os")
        want = os_.copy()
        want[np.arange(n), p.y] -= 1.0
        return want, 2 * u * (np.abs(os_) + 1)
    if f == "hs":
        return a("oa") @ W2, (W2.shape[0] + 1) * u * (np.abs(a("oa")) @ np.abs(W2))
    if f == "ha":
        ha, ev = _activation(ctx, p, "ha"), ctx.ref(p)
        # where its own ha agrees with the reference's, the reference's sign decides the kink: a pre-activation
        # right to its error (0 given as 5e-324) cannot pass a wrong rect'(0) on as inherited
        with np.errstate(invalid="ignore"):
            ha = np.where(np.abs(ha - ev.acts.ha) <= accepted(ev.acts_bound.ha), ev.acts.ha, ha)
        mask = np.where(ha > 0, 1.0, np.where(ha < 0, 0.0, ctx.kinks[1]))
        ambiguous = (np.abs(ev.acts.ha) <= 2 * ev.acts_bound.ha) & (ev.acts_bound.ha > 0)
        return a("hs") * mask, u * np.abs(a("hs")) + np.where(ambiguous, np.abs(a("hs")), 0.0)
    if f == "x":
        return a("ha") @ W1, (W1.shape[0] + 1) * u * (np.abs(a("ha")) @ np.abs(W1))
    if f in ("b1", "b2"):
        d = a("ha" if f == "b1" else "oa")
        return d.mean(axis=0), (n + 2) * u * np.abs(d).mean(axis=0)
    if f in ("W1", "W2"):
        d, inputs = (a("ha"), p.X) if f == "W1" else (a("oa"), _activation(ctx, p, "hs"))
        data = d.T @ inputs / n
        lam = p.lambdas
        pen, pen_allowed = _penalty(ctx, *((W1, lam.l11, lam.l12) if f == "W1" else (W2, lam.l21, lam.l22)))
        return data + pen, (n + 2) * u * (np.abs(d).T @ np.abs(inputs)) / n + 4 * u * np.abs(data) + pen_allowed
    return None


def _holds(ctx: Context, p: Problem, g: Any, f: str) -> bool | None:
    """Does the step of ``f`` hold on the submission's own inputs? None when it cannot be told."""
    try:
        got = np.asarray(getattr(g, f))
        step = local_step(ctx, p, g, f)
    except (TypeError, ValueError, AttributeError, IndexError):
        return None
    if step is None or got.dtype.kind != "f":
        return None
    want, allowed = step
    if got.shape != want.shape:
        return False
    try:
        m = measure(f, got, want, SAFETY * allowed + FLOOR)
    except WrongDtype:  # right on its own inputs in another dtype: the dtype is X3's question
        return True
    return not (m.bad & ~(np.isnan(m.got) & np.isnan(m.want))).any()  # nan from nan: the step carried it


def _without_penalty(ctx: Context, p: Problem, g: Any, f: str):
    """With λ on this layer: (problem at λ = 0, its gradients) if ``f`` is its own λ = 0 gradient plus the
    penalty term (B18 right), else None."""
    lam = p.lambdas
    l1, l2, W = (lam.l11, lam.l12, p.params.W1) if f == "W1" else (lam.l21, lam.l22, p.params.W2)
    if not (l1 or l2):
        return None
    p0 = p._replace(lambdas=Lambdas(), origin="")
    try:
        g0 = ctx.network("backprop", p0)
        base = np.asarray(getattr(g0, f), dtype=np.float64)
    except (ImplProblem, PropertyFailure, TypeError, ValueError, AttributeError):
        return None
    got = np.asarray(getattr(g, f))
    if base.shape != W.shape or got.shape != W.shape or got.dtype.kind != "f":
        return None
    pen, allowed = _penalty(ctx, W, l1, l2)
    try:
        right = not measure(f, got, base + pen, SAFETY * (allowed + 4 * U64 * np.abs(base)) + FLOOR).bad.any()
    except WrongDtype:  # right in another dtype: the dtype is X3's question
        right = True
    return (p0, g0) if right else None


def ordinary_logits(ctx: Context, p: Problem) -> bool:
    """Are all of the reference's logits at most :data:`ORDINARY_LOGIT` in magnitude?"""
    return bool(np.max(np.abs(ctx.ref(p).acts.oa), initial=0.0) <= ORDINARY_LOGIT)


def silent(ctx: Context, p: Problem, g: Any, f: str) -> tuple[str, str] | None:
    """Which of the submission's own inputs to the step of ``f`` carries no information, and how
    (``"∂L/∂oa is all zero"``: :func:`~.check.flat`), with the question whose quantity it is; None when each
    does."""
    up, ev = UP[f], ctx.ref(p)
    own = [] if up == "os" else [(NAMES[up], QUESTION[up], getattr(g, up, None), getattr(ev.grads, up),
                                  getattr(ev.grads_bound, up))]
    forward = own_forward(ctx, p) if f in _FORWARD else None  # None: the step was judged on the reference's
    if forward is not None:
        own += [(f"forward(...).{a}", _FORWARD_QUESTION[a], getattr(forward, a), getattr(ev.acts, a),
                 getattr(ev.acts_bound, a)) for a in _FORWARD[f]]
    for label, question, values, want, bound in own:
        how = empty(values, want, accepted(bound))
        if how is not None:
            return f"{label} is {how}", question
    return None


def _root(ctx: Context, p: Problem, g: Any, f: str) -> tuple[str, tuple[str, str] | None, str | None]:
    """The first step, from ``f`` up the chain, not shown right on its own inputs, and why when it holds on
    them but they carry no information (:func:`silent`: what, and whose quantity): (its question, why, the
    step).

    Past ∂L/∂oa the root is the softmax: B3's on ordinary logits, X4's (stability) beyond (no step).
    """
    step = f
    while step in UP and _holds(ctx, p, g, step) is True:
        why = silent(ctx, p, g, step)
        if why is not None:
            return QUESTION[step], why, step
        step = UP[step]
    if step == "os":
        return ("B3" if ordinary_logits(ctx, p) else "X4"), None, None
    return QUESTION[step], None, step


def examples_alone(ctx: Context, p: Problem, *, raising: bool = False) -> list[tuple[Problem, Any]] | None:
    """Each example of ``p`` alone with the submission's backprop on it (one round trip, kept for the example);
    None when a call raised (``raising``: its problem raised)."""
    kept = ctx.recalled("examples alone", p)
    if kept is None:
        kept = [p._replace(X=p.X[i:i + 1], y=p.y[i:i + 1], origin="") for i in range(p.X.shape[0])]
        for q, r in zip(kept, ctx.impl.call_many("backprop", [q.arguments("backprop") for q in kept])):
            ctx.remember("backprop", q, r)
        ctx.remember("examples alone", p, kept)
    out = []
    for q in kept:
        try:
            out.append((q, ctx.network("backprop", q)))
        except (ImplProblem, PropertyFailure):
            if raising:
                raise
            return None
    return out


def batch_of_examples(ctx: Context, p: Problem, f: str, alone: list[tuple[Problem, Any]]):
    """(want, allowed): what the batch's ``f`` is if it is what its examples alone give: their rows stacked, or
    their mean for a parameter gradient. Allowed: each side within its reference's bound (2 × the bound, the
    safety factor on it), and n roundings of the mean; raises :class:`PropertyFailure` for an example's array of
    the wrong shape (X1's own)."""
    from reference.compare.exercise.catalog.check import expect_array

    ev = ctx.ref(p)
    shape, bound = getattr(ev.grads, f).shape, getattr(ev.grads_bound, f)
    if f in _MEANS:
        want = np.mean([expect_array(f"backprop(example {i}).{f}", getattr(s, f), shape)
                        for i, (_, s) in enumerate(alone)], axis=0)
        return want, 2 * SAFETY * bound + 2 * SAFETY * p.X.shape[0] * U64 * np.abs(want) + FLOOR
    want = np.concatenate([expect_array(f"backprop(example {i}).{f}", getattr(s, f), (1,) + shape[1:])
                           for i, (_, s) in enumerate(alone)])
    return want, 2 * SAFETY * bound + FLOOR


def _of_examples(ctx: Context, p: Problem, g: Any, f: str, alone) -> bool | None:
    """Is the batch's ``f`` what its examples alone give (:func:`batch_of_examples`)? None: cannot be told."""
    try:
        want, allowed = batch_of_examples(ctx, p, f, alone)
        got = np.asarray(getattr(g, f), dtype=np.float64)
    except (PropertyFailure, TypeError, ValueError, AttributeError):
        return None
    if got.shape != want.shape:
        return None
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got - want) <= allowed) & ~(np.isnan(got) & np.isnan(want))
    return not bad.any()


class Split(NamedTuple):
    """How a step wrong on a batch's own inputs fares per example and batched (:func:`split_claim`)."""

    #: right on every example alone, on own inputs that, stacked, carry information
    right: bool
    #: right on every example alone, on own inputs that carry none: how, and whose quantity (then ``right`` is
    #: False)
    right_why: tuple[str, str] | None
    #: the batch what its examples give, a value that shows work where the reference's does
    together: bool
    #: the batch what its examples give, a value that shows none: how, and whose quantity (then ``together`` is
    #: False)
    together_why: tuple[str, str] | None


def split_claim(ctx: Context, p: Problem, g: Any, step: str) -> Split | None:
    """For a step wrong on the batch's own inputs: is it right on each example alone, and is the batch what its
    examples give (:class:`Split`)? None when it cannot be told (a call raised).

    Decided from the values the submission returns, never from anything its process says. No credit without
    work: right on inputs that carry no information (one example's alone may be a single entry, "constant":
    they are judged stacked), or a batch what its examples give when that shows no work (a zero gradient is the
    mean of zeros), shows nothing: such an example decides nothing (:class:`Uninformed`).
    """
    if p.X.shape[0] < 2:  # the batch is its one example: a mistake there is the per-example claim's
        how = _work(ctx, p, getattr(g, step, None), step)
        return Split(False, None, how is None, how and (f"{NAMES[step]} {how}", QUESTION[step]))
    alone = examples_alone(ctx, p)
    if alone is None:
        return None
    stacked = _stacked(alone)
    holds = stacked is not None and all(_holds(ctx, q, s, step) is True for q, s in alone)
    right_why = silent(ctx, p, stacked, step) if holds else None
    together = _of_examples(ctx, p, g, step, alone)
    if together is None:
        return None
    how = _work(ctx, p, batch_of_examples(ctx, p, step, alone)[0], step) if together else None
    return Split(holds and right_why is None, right_why and (f"examples' own {right_why[0]}", right_why[1]),
                 together and how is None, how and (f"{NAMES[step]} of its examples {how}", QUESTION[step]))


def _work(ctx: Context, p: Problem, values: Any, f: str) -> str | None:
    """How ``values``, for gradient ``f`` on ``p``, show no work where the reference's do; None when they do
    (:func:`~.check.shows_nothing`)."""
    ev = ctx.ref(p)
    return shows_nothing(values, getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f)))


def _stacked(alone: list[tuple[Problem, Any]]) -> Any:
    """The examples' own per-example gradients (∂L/∂oa, ∂L/∂hs, ∂L/∂ha, ∂L/∂x), their rows stacked into one
    batch's; None when they do not stack."""
    from types import SimpleNamespace

    try:
        return SimpleNamespace(**{f: np.concatenate([np.asarray(getattr(s, f), dtype=np.float64) for _, s in alone])
                                  for f in ("oa", "hs", "ha", "x")})
    except (TypeError, ValueError, AttributeError):
        return None


def _charged(ctx: Context, p: Problem, g: Any, step: str, root: str) -> tuple[str, set[str], dict[str, tuple]]:
    """A step wrong on its own inputs, of per-example question ``root``: (the root question, the questions that
    fail on their own, those whose failure on this example is :class:`Uninformed` and why) by :func:`split_claim`.

    Right per example, the batch not what its examples give: the batched twin's. The batch what its examples
    give, wrong per example: the per-example question's. Neither: both, two mistakes. An example that shows
    one side only on inputs or values that carry no information leaves that side uninformed.
    """
    twin = BATCHED.get(root)
    split = split_claim(ctx, p, g, step) if twin else None
    if split is None:
        return root, SAME_CLAIM.get(root, {root}), {}
    if split.right and not split.together:
        return twin, {twin}, {}
    if split.together and not split.right:
        return root, {root}, {}
    if split.right_why and not split.together:  # right per example on inputs that show nothing
        return twin, {twin}, {root: split.right_why}
    if split.together_why and not split.right:  # the batch what its examples give, a value that shows nothing
        return root, {root}, {twin: split.together_why}
    return root, {root, twin}, {}


def blame(ctx: Context, p: Problem, g: Any, f: str) -> tuple[str, set[str], dict[str, tuple], str | None, tuple]:
    """Where the failure of gradient ``f`` (an array of the right shape) was made: (the root question, the
    questions failing on their own for it, those failing uninformed and why — the root step holding on inputs
    that carry no information, or :func:`_charged`'s —, the root step or None, the (problem, gradients) it was
    judged on)."""
    lam = p.lambdas
    if f in ("W1", "W2") and ((lam.l11 or lam.l12) if f == "W1" else (lam.l21 or lam.l22)):
        at_zero = _without_penalty(ctx, p, g, f)
        # the penalty term right on its own λ = 0 gradient: the mistake is in the data term, or before it;
        # else the penalty term is wrong: B18's own
        if at_zero is None:
            return "B18", {"B18"}, {}, None, (p, g)
        ev0 = ctx.ref(at_zero[0])
        how = empty(getattr(at_zero[1], f), getattr(ev0.grads, f), accepted(getattr(ev0.grads_bound, f)))
        if how is not None:
            return "B18", set(), {"B18": (f"{NAMES[f]} at λ = 0 is {how}", QUESTION[f])}, None, (p, g)
        p, g = at_zero
    root, why, step = _root(ctx, p, g, f)
    if why is not None:
        return root, set(), {q: why for q in SAME_CLAIM.get(root, {root})}, step, (p, g)
    if step is None:
        return root, SAME_CLAIM.get(root, {root}), {}, step, (p, g)
    root, own, uninformed = _charged(ctx, p, g, step, root)
    return root, own, uninformed, step, (p, g)


def batching_root(ctx: Context, p: Problem, g: Any, f: str) -> str | None:
    """X1 failing at ``f`` (the batch not what its examples alone give): the question that charges the same
    mistake, or None when it is X1's own.

    The batch's ``f`` wrong against the reference, rooted at a step whose batch is not what its examples give
    either: that batching mistake is the batched question's own (B8, B10, B12, B14, B16; B17 for ∂L/∂x, one
    question for both). Anything else (the batch right and its examples wrong, a root on inputs that carry no
    information, a root outside the chain) is X1's own.
    """
    got, want = getattr(g, f, None), getattr(ctx.ref(p).grads, f)
    if not isinstance(got, np.ndarray) or got.shape != np.shape(want) or got.dtype.kind != "f":
        return None
    from reference.compare.exercise.catalog.part_b import slack

    allowed = accepted(getattr(ctx.ref(p).grads_bound, f)) + (slack(ctx, p, f) if f in ("W1", "W2") else 0.0)
    try:
        if not measure(f, got, want, allowed).bad.any():
            return None  # the batch is right: its examples alone are not, and only X1 asks about them
    except WrongDtype:
        return None
    root, own, uninformed, step, (q, gq) = blame(ctx, p, g, f)
    if step is None or not own:
        return None
    alone = examples_alone(ctx, q)
    if alone is None or _of_examples(ctx, q, gq, step, alone) is not False:
        return None
    return BATCHED.get(QUESTION[step], QUESTION[step])


def judge(ctx: Context, p: Problem, g: Any, f: str, failure: PropertyFailure, question: str) -> PropertyFailure:
    """The failure of gradient ``f`` in a property of ``question``: its own, :class:`Uninformed`, or
    :class:`Inherited`.

    Its own when the first step not shown right on its own inputs is this question's claim: the per-example or
    the batched question as :func:`split_claim` decides, both when both are wrong (:class:`Uninformed` when that
    step holds on them but they carry no information). A penalty term right on its own λ = 0 gradient (B18)
    passes the blame to the data term, unless that gradient carries none.
    """
    got, want = getattr(g, f, None), getattr(ctx.ref(p).grads, f)
    if not isinstance(got, np.ndarray) or got.shape != np.shape(want):
        # None (not implemented), another type or another shape: nothing of it is right on any inputs, the
        # failure is this property's own (an array of the right shape is needed to inherit a mistake)
        return failure
    root, own, uninformed, _, _ = blame(ctx, p, g, f)
    if question in own:
        return failure
    if question in uninformed:
        return Uninformed(failure, *uninformed[question])
    return Inherited(failure, root)


def settle(results: list) -> list:
    """The run's results, each mistake charged at least once in the run. A property inherited from a root
    question charged nowhere in the run fails on its own: when that root was judged right (missing the mistake), or
    when it is the property's twin (:data:`BATCHED`: B14 inherited from B13, B13 not selected, as with a
    submission whose λ are tied); what else inherited from that twin is inherited from the property instead.
    A root that did not run and is not a twin (a run of a few properties) leaves the heir inherited. In place;
    returns ``results``."""
    # charged: some property of the question earns nothing (fail, error, missing …); ran: some property of it
    # was judged right (pass, or inherited itself)
    charged = {r.question for r in results if r.status not in ("pass", "inherited", "not-run")}
    ran = {r.question for r in results if r.status in ("pass", "inherited")}
    twins = {**BATCHED, **{b: q for q, b in BATCHED.items()}}
    moved: dict[str, str] = {}
    for r in results:
        root = r.details.get("root") if r.status == "inherited" else None
        if root is None or root in charged or not (root in ran or twins.get(root) == r.question):
            continue
        cut = r.message.rfind("; ", 0, r.message.rfind(f": inherited from {root}"))
        r.status = "fail"
        r.message = (f"{r.message[:cut] if cut >= 0 else r.message}; charged here: {root} fails nowhere in this "
                     "run")
        r.details = {k: v for k, v in r.details.items() if k != "root"}
        if twins.get(root) == r.question:
            moved.setdefault(root, r.question)
    for r in results:
        root = r.details.get("root") if r.status == "inherited" else None
        if root in moved and r.question != moved[root]:
            r.details = {**r.details, "root": moved[root]}
            r.message = r.message.replace(f"inherited from {root}", f"inherited from {moved[root]}")
    return results
