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
below it for an example where it happens to zero the step's inputs. On one example, a property that
checks several arrays inherits only when each array that fails there inherits (:class:`~.check.OwnFirst`).

A gradient returned transposed is its own question's mistake, charged there once: elsewhere (its batched twin,
the penalty terms, X1, X3, X5) it is read back transposed and inherits the transposition when it is right so;
one of another shape (2-D, not square: :func:`transposed`) read back is judged on its values as any array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from handgrad.types import Lambdas
from reference.compare.call_outcomes import ImplProblem
from reference.compare.exercise.catalog.check import Context, PropertyFailure, WrongDtype, empty, measure, value
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64, accepted, l1_slack

__all__ = ["Inherited", "Uninformed", "transposed", "inherited_transposed", "right", "QUESTION", "BATCHED",
           "BATCH_TWIN", "UP", "SAME_CLAIM", "ORDINARY_LOGIT",
           "NAMES", "FORWARD_UP", "FORWARD_QUESTION", "judge", "judge_forward", "forward_root", "local_step",
           "own_forward", "ordinary_logits", "silent"]

#: The question whose claim each quantity is.
QUESTION = {"os": "B3", "oa": "B7", "hs": "B11", "ha": "B13", "W1": "B15", "b1": "B15", "x": "B17",
            "W2": "B9", "b2": "B9"}
#: Questions that state one claim, per example and batched: a failure of either is the claim's own.
SAME_CLAIM = {"B7": {"B7", "B8"}, "B9": {"B9", "B10"}, "B11": {"B11", "B12"}, "B13": {"B13", "B14"},
              "B15": {"B15", "B16"}, "B17": {"B17"}, "B3": {"B3"}, "B4": {"B4"}, "X4": {"X4"}, "B18": {"B18"}}
#: Logits up to this magnitude: every correct formulation of the softmax and the loss is exact in
#: float64 (no exp overflows; −log os_y is 0 ulp from the stable form up to a gap of ~700). Beyond,
#: the question is stability: X4's.
ORDINARY_LOGIT = 350.0
#: The batched question of each parameter's gradient: a mean over the batch (its per-example twin: ``QUESTION``).
BATCHED = {"W1": "B16", "b1": "B16", "W2": "B10", "b2": "B10"}
#: The batched question of each per-example one: the same claim, asked of a whole batch at once.
BATCH_TWIN = {"B7": "B8", "B9": "B10", "B11": "B12", "B13": "B14", "B15": "B16"}
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

    def __init__(self, failure: PropertyFailure, root: str):
        super().__init__(f"{failure.message}; right on its own inputs: inherited from {root}",
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


def transposed(got: Any, shape: tuple) -> bool:
    """Is ``got`` an array of ``shape`` transposed: 2-D, not square, of the reversed shape? Read back (``got.T``),
    its values are judged; the transposition is its own question's mistake (:func:`inherited_transposed`).

    >>> transposed(np.zeros((3, 2)), (2, 3)), transposed(np.zeros((2, 2)), (2, 2)), transposed(np.zeros(6), (2, 3))
    (True, False, False)
    """
    shape = tuple(shape)
    return (isinstance(got, np.ndarray) and got.ndim == 2 and len(shape) == 2 and shape[0] != shape[1]
            and got.shape == shape[::-1])


def inherited_transposed(label: str, got: np.ndarray, shape: tuple, f: str) -> Inherited:
    """The failure of a gradient ``f`` returned transposed, right when read back: its own question's mistake
    (:data:`QUESTION`), charged there once."""
    failure = PropertyFailure(f"{label} has shape {got.shape}; expected {tuple(shape)} — the reference transposed "
                              f"(shape {got.shape} for {tuple(shape)}), right when read back", array=label)
    failure.diagnosis = f"the reference transposed (shape {got.shape} for {tuple(shape)})"
    return Inherited(failure, QUESTION[f])


class _Replaced:
    """A result with one field replaced (the others read through)."""

    def __init__(self, result: Any, field: str, value: Any):
        self._result, self._field, self._value = result, field, value

    def __getattr__(self, name: str) -> Any:
        return self._value if name == self._field else getattr(self._result, name)


def right(ctx: Context, p: Problem, got: np.ndarray, f: str) -> bool:
    """Is gradient ``f`` right on ``p`` to the reference's bound (the L1 slack at zero weights included)?"""
    ev = ctx.ref(p)
    want, allowed = getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f))
    if f in ("W1", "W2"):
        W, lam = (p.params.W1, p.lambdas.l11) if f == "W1" else (p.params.W2, p.lambdas.l21)
        allowed = allowed + l1_slack(W, lam, ctx.kinks[0], ctx.convention)
    with np.errstate(invalid="ignore", over="ignore"):
        return got.shape == want.shape and bool(np.all(np.abs(np.asarray(got, dtype=np.float64) - want) <= allowed))


def own_forward(ctx: Context, p: Problem) -> Any:
    """The submission's own forward on ``p``, the inputs its backward steps are judged on: its arrays if they
    have the right shapes and its ha agrees with its hs (:func:`_consistent`), else None (the steps are judged
    on the reference's forward values).

    A forward whose parts disagree is no computation a backward pass could have used: a public ``forward``
    that reports other values than the network computes (ha = 1 where it is 0, beside hs = rect of the true
    ha) would otherwise make a wrong backward step look right on "its own" inputs.
    """
    try:
        a = ctx.judged("forward", p)
    except (ImplProblem, PropertyFailure):
        return None
    n, _, dh, m = p.dims
    shapes = {"ha": (n, dh), "hs": (n, dh), "oa": (n, m), "os": (n, m)}
    ok = all(isinstance(getattr(a, f, None), np.ndarray) and getattr(a, f).shape == s for f, s in shapes.items())
    return a if ok and _consistent(a, p) else None


def _consistent(a: Any, p: Problem) -> bool:
    """hs = rect(ha) on the forward's own arrays (exact but for a sign of zero).

    The backward pass is judged on the forward's ha (the mask of ∂L/∂ha), hs (∂R/∂W2) and os (∂L/∂oa). Nothing
    of the backward pass's output shows the ha it masked with, so ha must agree with the hs beside it: a forward
    that reports ha = 1 where hs = rect(ha) = 0 computed no such ha. The others need no such check: an os or hs
    the backward pass did not use makes its own step fail on them (∂L/∂oa against os − onehot(y), ∂R/∂W2
    against ∂L/∂oaᵀ hs / n), and a wrong oa, os or hs of an honest forward (b2 forgotten) stays usable.
    """
    return _forward_holds(a, p, "hs")  # hs = rect(ha): the forward's own step, as B1 judges it


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
    if f in BATCHED:
        data, data_allowed, pen, pen_allowed = _mean_step(ctx, p, g, f)
        return data + pen, data_allowed + 4 * u * np.abs(data) + pen_allowed
    return None


def _mean_step(ctx: Context, p: Problem, g: Any, f: str, rows: slice = slice(None), over: float | None = None
               ) -> tuple:
    """The mean over the batch of a parameter's per-example gradient, from the submission's own upstream values,
    its allowed error, and the penalty term with its own (zeros for a bias). ``rows``, ``over``: the sum over
    those examples alone, divided by ``over`` (default: the mean over all)."""
    W1, _, W2, _ = p.params
    n = p.X.shape[0]
    over = n if over is None else over
    d = np.asarray(getattr(g, "ha" if f in ("W1", "b1") else "oa"), dtype=np.float64)[rows]
    if f in ("b1", "b2"):
        return d.sum(axis=0) / over, (n + 2) * U64 * np.abs(d).sum(axis=0) / over, 0.0, 0.0
    inputs = (p.X if f == "W1" else _activation(ctx, p, "hs"))[rows]
    lam = p.lambdas
    pen, pen_allowed = _penalty(ctx, *((W1, lam.l11, lam.l12) if f == "W1" else (W2, lam.l21, lam.l22)))
    return d.T @ inputs / over, (n + 2) * U64 * (np.abs(d).T @ np.abs(inputs)) / over, pen, pen_allowed


def _batching(ctx: Context, p: Problem, g: Any, f: str) -> str | None:
    """How a parameter's gradient, wrong on its own inputs, is their per-example gradients gathered wrongly over
    a batch of n > 1 (summed: n times the mean; divided by n twice; the last example left out of the sum,
    divided by n or by n − 1: a loop one short), else None.

    Then each example's gradient is right on its own values and the mistake is the batching question's alone
    (B10, B16): its per-example twin (B9, B15) inherits it. Only these exact patterns of the submission's own
    values count, so a per-example mistake cannot pass for a batching one (a factor of 2 on the batch is no
    pattern, whatever the submission answers at n = 1).
    """
    n = p.X.shape[0]
    if n < 2:
        return None
    short = slice(0, n - 1)
    patterns = (("summed over the batch instead of averaged", slice(None), 1),
                ("divided by n twice", slice(None), n * n),
                ("the last example left out of the sum (a loop one short)", short, n),
                ("the last example left out of the mean (a loop one short)", short, n - 1))
    try:
        got = np.asarray(getattr(g, f), dtype=np.float64)
        mean = _mean_step(ctx, p, g, f)[0]
        steps = [(how, _mean_step(ctx, p, g, f, rows, over)) for how, rows, over in patterns]
    except (TypeError, ValueError, AttributeError, IndexError):
        return None
    for how, (data, data_allowed, pen, pen_allowed) in steps:
        if got.shape != np.shape(data):
            return None
        want = data + pen
        allowed = SAFETY * (data_allowed + 4 * U64 * np.abs(want) + pen_allowed) + FLOOR
        with np.errstate(invalid="ignore"):
            if np.all(np.abs(got - want) <= allowed) and not np.allclose(data, mean):
                # each pattern is right on one example: a gradient wrong there is wrong per example (×2 at
                # n = 2 is not "summed" when it is ×2 at n = 1 too)
                return how if _right_alone(ctx, p, f) else None
    return None


def _right_on(ctx: Context, p: Problem, got: np.ndarray, f: str) -> tuple[bool, bool]:
    """Is ``got`` the reference's gradient ``f`` on ``p`` (to its bound, and the L1 term's slack at zero weights
    under any-subgradient), and is the reference's not zero there (a multiple would show)?"""
    ev = ctx.ref(p)
    want, bound = getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f))
    if f in ("W1", "W2"):
        lam = p.lambdas.l11 if f == "W1" else p.lambdas.l21
        bound = bound + l1_slack(getattr(p.params, f), lam, ctx.kinks[0], ctx.convention)
    with np.errstate(invalid="ignore"):
        right = got.shape == want.shape and bool(np.all(np.abs(got - want) <= bound))
    return right, bool(np.any(np.abs(want) > bound))


def _right_alone(ctx: Context, p: Problem, f: str, most: int = 8) -> bool:
    """Is the submission's ``f`` right on each of the batch's first ``most`` examples alone (n = 1), one of
    them at least where the reference's is not zero (there a multiple shows)?"""
    ones = [p._replace(X=p.X[i:i + 1], y=p.y[i:i + 1], origin="") for i in range(min(most, p.X.shape[0]))]
    shown = False
    for one, c in zip(ones, ctx.judging.call_many("backprop", [q.arguments("backprop") for q in ones])):
        try:
            got = np.asarray(getattr(value(c), f), dtype=np.float64)
        except (ImplProblem, TypeError, ValueError, AttributeError):
            return False
        right, shows = _right_on(ctx, one, got, f)
        if not right:
            return False
        shown = shown or shows
    return shown


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
        g0 = ctx.judged("backprop", p0)
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


def _as_its_halves(ctx: Context, p: Problem, g: Any, f: str) -> bool:
    """Is the batch's ``f`` what the submission answers on the two halves of the batch, stacked (an array per
    example) or averaged (a parameter's gradient)? Then the batch is gathered as the submission's own
    per-example function gathers it, and what is wrong in it is that function's: the per-example question's
    mistake. A batch the halves do not give (rows in another order, a 1/n that depends on n, code that answers
    otherwise on fewer rows) is the batched question's own mistake. A batch of one is its own example.

    The halves and the batch are compared to the reference's error bound, scaled by how much larger the
    submission's values are than the reference's (a consistent formula off by a factor rounds that much
    more), and to the rounding of a mean over n examples.
    """
    n = p.X.shape[0]
    if n == 1:
        return True
    k = n // 2
    try:
        halves = [value(c) for c in ctx.judging.call_many(
            "backprop", [(p.params, p.X[:k], p.y[:k], p.lambdas), (p.params, p.X[k:], p.y[k:], p.lambdas)])]
        parts = [np.asarray(getattr(h, f), dtype=np.float64) for h in halves]
        got = np.asarray(getattr(g, f), dtype=np.float64)
    except (ImplProblem, TypeError, ValueError, AttributeError):
        return False
    ev = ctx.ref(p)
    want, bound = getattr(ev.grads, f), getattr(ev.grads_bound, f)
    if got.shape != want.shape:
        return False
    try:
        gathered = (np.concatenate(parts) if f in UP and f not in BATCHED
                    else (k * parts[0] + (n - k) * parts[1]) / n)
    except ValueError:  # halves of other shapes
        return False
    if gathered.shape != want.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        top = float(np.max(np.abs(want), initial=0.0))
        big = float(np.max(np.abs(got), initial=0.0, where=np.isfinite(got)))
        scale = max(1.0, big / top) if top > 0 else 1.0
        allowed = 2 * SAFETY * (bound * scale + n * U64 * np.abs(gathered)) + FLOOR
        same = (got == gathered) | (np.isnan(got) & np.isnan(gathered))  # the same nan or inf: what the halves give
        return bool(np.all((np.abs(got - gathered) <= allowed) | same))


#: The forward's steps: each value from the one before it (ha from X and the parameters alone).
FORWARD_UP = {"hs": "ha", "oa": "hs", "os": "oa"}
#: The question whose claim each forward value is.
FORWARD_QUESTION = {"ha": "B1", "hs": "B1", "oa": "B2", "os": "B3"}


def _forward_step(a: Any, p: Problem, f: str) -> tuple[np.ndarray, np.ndarray]:
    """(want, allowed) for forward value ``f`` from the submission's own value before it (:data:`FORWARD_UP`)."""
    W2, b2 = p.params.W2, p.params.b2
    u = U64
    if f == "hs":
        ha = np.asarray(a.ha, dtype=np.float64)
        return np.maximum(ha, 0.0), 2 * u * np.abs(ha)
    if f == "oa":
        hs = np.asarray(a.hs, dtype=np.float64)
        return hs @ W2.T + b2, (W2.shape[1] + 2) * u * (np.abs(hs) @ np.abs(W2).T + np.abs(b2))
    oa = np.asarray(a.oa, dtype=np.float64)
    z = oa - np.max(oa, axis=1, keepdims=True)
    e = np.exp(z)
    want = e / e.sum(axis=1, keepdims=True)
    return want, (W2.shape[0] + 4) * u * np.abs(want) * (1 + np.abs(z))


def _forward_holds(a: Any, p: Problem, f: str) -> bool:
    try:
        got = np.asarray(getattr(a, f), dtype=np.float64)
        with np.errstate(all="ignore"):
            want, allowed = _forward_step(a, p, f)
            return got.shape == want.shape and bool(np.all(np.abs(got - want) <= SAFETY * allowed + FLOOR))
    except (TypeError, ValueError, AttributeError):
        return False


def forward_root(ctx: Context, p: Problem, a: Any, f: str) -> tuple[str, tuple[str, str] | None] | None:
    """The first forward step, from ``f`` up (os → oa → hs → ha), not right on the submission's own value before
    it, and why when it holds on a value that carries no information (all zero, constant, scant); None when
    every step up to ha holds and ha is the reference's (the forward is right: no root in it)."""
    ev = ctx.ref(p)
    step = f
    while step in FORWARD_UP and _forward_holds(a, p, step):
        up = FORWARD_UP[step]
        how = empty(getattr(a, up, None), getattr(ev.acts, up), accepted(getattr(ev.acts_bound, up)))
        if how is not None:
            return _forward_question(ctx, p, step), (f"forward(...).{up} is {how}", FORWARD_QUESTION[up])
        step = up
    if step == "ha":
        with np.errstate(invalid="ignore"):
            if not measure("ha", np.asarray(a.ha, dtype=np.float64), ev.acts.ha, accepted(ev.acts_bound.ha)).bad.any():
                return None
    return _forward_question(ctx, p, step), None


def _forward_question(ctx: Context, p: Problem, step: str) -> str:
    """Whose claim a forward step is: the softmax's is B3's on ordinary logits, X4's (stability) beyond."""
    return ("B3" if ordinary_logits(ctx, p) else "X4") if step == "os" else FORWARD_QUESTION[step]


def judge_forward(ctx: Context, p: Problem, a: Any, f: str, failure: PropertyFailure,
                  question: str) -> PropertyFailure:
    """The failure of forward value ``f`` in a property of ``question``: its own, :class:`Uninformed`, or
    :class:`Inherited` from the forward step where the submission's own values first go wrong (oa right on its
    own wrong hs is B1's mistake, not B2's). Judged only on a forward whose parts have the right shapes."""
    n, _, dh, m = p.dims
    shapes = {"ha": (n, dh), "hs": (n, dh), "oa": (n, m), "os": (n, m)}
    if not all(isinstance(getattr(a, g, None), np.ndarray) and getattr(a, g).shape == s for g, s in shapes.items()):
        return failure
    found = forward_root(ctx, p, a, f)
    if found is None:  # its own values agree with the reference all the way up: the step itself is wrong
        return failure
    root, why = found
    if root == question:
        return failure if why is None else Uninformed(failure, *why)
    return Inherited(failure, root)


def at_ordinary_logits(ctx: Context, p: Problem) -> Problem | None:
    """``p`` with W2 and b2 scaled so that the logits (oa = hs W2ᵀ + b2) are at most 100: B3's and B4's range,
    the classes still apart; None if that cannot be."""
    scale = max(1.0, float(np.max(np.abs(ctx.ref(p).acts.oa), initial=0.0)) / 100.0)
    ordinary = p._replace(params=p.params._replace(W2=p.params.W2 / scale, b2=p.params.b2 / scale), origin="")
    return ordinary if ordinary_logits(ctx, ordinary) else None


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


def _root(ctx: Context, p: Problem, g: Any, f: str) -> tuple[str, tuple[str, str] | None, bool]:
    """The first step, from ``f`` up the chain, not shown right on its own inputs, why when it holds on them
    but they carry no information (:func:`silent`: what, and whose quantity), and whether the step is right
    per example and wrong only in how the batch gathers them (:func:`_batching`: the batched question's).

    Past ∂L/∂oa the root is the softmax: B3's on ordinary logits, X4's (stability) beyond.
    """
    step = f
    while step in UP and _holds(ctx, p, g, step) is True:
        why = silent(ctx, p, g, step)
        if why is not None:
            return QUESTION[step], why, False
        step = UP[step]
    if step == "os":  # past ∂L/∂oa: on into the forward, where its own values first go wrong
        own = own_forward(ctx, p)
        found = forward_root(ctx, p, own, "os") if own is not None else None
        if found is not None:
            return found[0], found[1], False
        return ("B3" if ordinary_logits(ctx, p) else "X4"), None, False
    if step in BATCHED and _batching(ctx, p, g, step) is not None and silent(ctx, p, g, step) is None:
        return BATCHED[step], None, True
    return QUESTION[step], None, False


def _own_data(ctx: Context, p: Problem, g: Any, f: str) -> np.ndarray | None:
    """A weight's data term from the submission's own upstream values (:func:`_mean_step`), or None."""
    try:
        return np.asarray(_mean_step(ctx, p, g, f)[0], dtype=np.float64)
    except (TypeError, ValueError, AttributeError, IndexError):
        return None


def _shows(ctx: Context, p: Problem, got: np.ndarray, f: str) -> str | None:
    """How the submission's ``f`` carries no information (all zero, constant or scant: :func:`empty`), or None.
    A batch its halves agree with earns its twin's inheritance only when it carries some (no credit without work:
    zeros agree with zero halves, and zeros with a nan planted in them with themselves; attack rounds 11, 13)."""
    ev = ctx.ref(p)
    return empty(got, getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f)))


def _penalty_kink(got: np.ndarray, want: np.ndarray, W: Any, allowed: np.ndarray, data: np.ndarray | None) -> bool:
    """Is a weight's gradient right but where it is not finite, and that only where the weight is exactly 0
    and its data term, from the submission's own upstream values, is finite? The data term has no kink at a
    zero weight; the L1 term written W/|W| does, and 0 · nan is nan even at λ = 0 (the any-subgradient
    convention's slack is not needed: the finite entries are right as they are)."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(got) & np.isfinite(want)
        W = np.asarray(W, dtype=np.float64)
        return (W.shape == got.shape and data is not None and data.shape == got.shape and bool(bad.any())
                and bool(np.all(W[bad] == 0)) and bool(np.all(np.isfinite(data[bad])))
                and bool(np.all(bad | (np.abs(got - want) <= allowed))))


def _overflowed(ctx: Context, p: Problem, g: Any, f: str) -> bool:
    """Is gradient ``f`` wrong only by overflowing at large logits (X4's: stability)? The reference's logits are
    past :data:`ORDINARY_LOGIT`, some wrong entry is not finite (an overflow: inf/inf beside 0/inf), and the
    submission's ``f`` on the problem with its logits scaled to at most 100 is right."""
    if ordinary_logits(ctx, p):
        return False
    ordinary = at_ordinary_logits(ctx, p)
    if ordinary is None:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        got, ev = np.asarray(getattr(g, f), dtype=np.float64), ctx.ref(p)
        bad = ~(np.abs(got - getattr(ev.grads, f)) <= accepted(getattr(ev.grads_bound, f)))
        if not bad.any() or np.isfinite(got[bad]).all():
            return False
        try:
            there = np.asarray(getattr(ctx.judged("backprop", ordinary), f), dtype=np.float64)
        except (ImplProblem, TypeError, ValueError, AttributeError):
            return False
        return _right_on(ctx, ordinary, there, f)[0]


def judge(ctx: Context, p: Problem, g: Any, f: str, failure: PropertyFailure, question: str) -> PropertyFailure:
    """The failure of gradient ``f`` in a property of ``question``: its own, :class:`Uninformed`, or
    :class:`Inherited`.

    Its own when the first step not shown right on its own inputs is this question's claim (per example or
    batched): :class:`Uninformed` when that step holds on them but they carry no information. A penalty term
    right on its own λ = 0 gradient (B18) passes the blame to the data term, unless that gradient carries none.
    """
    got, want = getattr(g, f, None), getattr(ctx.ref(p).grads, f)
    if question != QUESTION[f] and isinstance(got, np.ndarray) and got.ndim == 2 and got.shape == want.shape[::-1]:
        # a transposition is its own question's, charged there once: here the array is read back, and judged
        # on its values (right: inherited; wrong: a mistake of its own, or upstream, as any array's)
        if right(ctx, p, got.T, f):
            return Inherited(failure, QUESTION[f])
        if transposed(got, want.shape):
            return judge(ctx, p, _Replaced(g, f, got.T), f, failure, question)
    if not isinstance(got, np.ndarray) or got.shape != np.shape(want):
        # None (not implemented), another type or another shape: nothing of it is right on any inputs, the
        # failure is this property's own (an array of the right shape is needed to inherit a mistake)
        return failure
    if question != "X4" and _overflowed(ctx, p, g, f):
        return Inherited(failure, "X4")
    lam = p.lambdas
    why, batching = None, False
    if f in ("W1", "W2") and _penalty_kink(got, want, getattr(p.params, f),
                                           accepted(getattr(ctx.ref(p).grads_bound, f)), _own_data(ctx, p, g, f)):
        root = "B18"  # not finite only at zero weights: the L1 term's quotient at 0 (0 · nan, even at λ = 0)
    elif f in ("W1", "W2") and ((lam.l11 or lam.l12) if f == "W1" else (lam.l21 or lam.l22)):
        at_zero = _without_penalty(ctx, p, g, f)
        # the penalty term right on its own λ = 0 gradient: the mistake is in the data term, or before it;
        # else the penalty term is wrong: B18's own
        how = None
        if at_zero is not None:
            ev0 = ctx.ref(at_zero[0])
            how = empty(getattr(at_zero[1], f), getattr(ev0.grads, f), accepted(getattr(ev0.grads_bound, f)))
        if at_zero is None:
            root = "B18"
        elif how is not None:
            root, why = "B18", (f"{NAMES[f]} at λ = 0 is {how}", QUESTION[f])
        else:
            root, why, batching = _root(ctx, *at_zero, f)
    else:
        root, why, batching = _root(ctx, p, g, f)
    # a batching mistake is the batched question's alone: its per-example twin inherits it; a per-example
    # mistake is the per-example question's: its batched twin inherits it where the batch is its halves' answers
    if question == BATCH_TWIN.get(root) and not batching and why is None and _as_its_halves(ctx, p, g, f):
        how = _shows(ctx, p, got, f)
        return Inherited(failure, root) if how is None else Uninformed(failure, f"{NAMES[f]}, {how}", question)
    if question in ({root} if batching else SAME_CLAIM.get(root, {root})):
        return failure if why is None else Uninformed(failure, *why)
    return Inherited(failure, root)
