"""The property catalog: one or more properties per numbered claim of the course.

Defined once, here; the pytest suite and ``handgrad-compare`` only run it (see
:mod:`reference.runner`). A property is a question id (A1…A9, B1…B18, or X1…X4
for checks beyond the seeds: X1…X5), a one-line title, a Hypothesis strategy and a check
that calls the implementation under test through a :class:`Context` and compares
it with the reference. A check raises :class:`PropertyFailure` naming the array,
the worst entry, both values, and the quantity before it in the chain.

Tolerances: network values use the per-entry bounds of
:mod:`reference.tolerance`; part A uses ``SAFETY·k·u·scale`` with ``k = 16``
(XLA's float64 tanh differs from NumPy's by up to 7 units in the last place,
measured) and a scale per function: |value| for tanh and 2x, max(|value|, 1) for
sigmoid, its derivative and softplus (probabilities and log-probabilities: the
textbook forms (tanh(x/2) + 1)/2 and ln(1 + exp(x)) are exact to u absolutely,
not relatively, in the tails, and that is not a mistake), 1 + tanh² for tanh';
exact equality where the values are exact (sign, abs, rect, their derivatives).

>>> [p.id for p in CATALOG if p.question == "B15"]
['B15-W1', 'B15-b1']
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import hypothesis
import hypothesis.strategies as st
import numpy as np

import reference.functions as ref_fn
from handgrad.types import Gradients, Lambdas
from reference import strategies as S
from reference.engine import Evaluation, Problem, evaluate, evaluate_many
from reference.sandbox import Impl, ImplProblem
from reference.tolerance import FLOOR, SAFETY

__all__ = ["Property", "PropertyFailure", "Context", "CATALOG", "QUESTIONS", "by_id", "select"]

U64 = np.finfo(np.float64).eps / 2  # unit roundoff
K_TRANSCENDENTAL = 16               # units of roundoff allowed for exp/log/tanh-based functions


class PropertyFailure(AssertionError):
    """A claim does not hold: the message names the array, the entry and both values."""

    def __init__(self, message: str, *, array: str | None = None, index: Any = None,
                 got: Any = None, want: Any = None, allowed: Any = None, upstream: str | None = None):
        super().__init__(message)
        self.message = message
        self.array, self.index, self.got, self.want, self.allowed = array, index, got, want, allowed
        self.upstream = upstream


@dataclass(frozen=True)
class Property:
    """One checkable claim, tagged with its question id."""

    id: str
    question: str
    title: str
    strategy: Callable[[], st.SearchStrategy]
    check: Callable[["Context", Any], None]
    #: For network properties, the implementation function the bulk sweep calls
    #: and the λ mode of its problems; None for properties the sweep skips.
    sweep: tuple[str, str] | None = None
    examples: tuple = ()
    #: Small problems only: tried when the counterexample found is large, since
    #: Hypothesis cannot shrink a seeded large problem into an entry-by-entry one.
    small: Callable[[], st.SearchStrategy] | None = None


# ---------------------------------------------------------------------------
# The context: calls to the implementation, the reference, the error statistics
# ---------------------------------------------------------------------------
@dataclass
class Stats:
    """The worst errors seen by one property."""

    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    worst_ratio: float = 0.0  # |diff| / allowed; > 1 fails

    def add(self, diff: np.ndarray, want: np.ndarray, ratio: np.ndarray) -> None:
        """Relative error is normwise per array: max |difference| / max |reference|
        (entrywise, an exact 0 in the reference would make any roundoff infinite)."""
        if diff.size == 0:
            return
        worst = float(np.max(diff))
        scale = float(np.max(np.abs(want)))
        self.max_abs_error = max(self.max_abs_error, worst)
        rel = worst / scale if scale > 0 else (0.0 if worst == 0 else math.inf)
        self.max_rel_error = max(self.max_rel_error, rel)
        self.worst_ratio = max(self.worst_ratio, float(np.max(ratio)))


@dataclass
class Context:
    """What a check sees: the implementation, the convention, the reference, the statistics.

    ``convention="seed"`` demands the course's values at the kinks;
    ``"any-subgradient"`` accepts any subgradient the implementation uses
    consistently: its own d_abs(0) and d_rect(0), read once, must lie in
    [−1, 1] and [0, 1], and the reference is rebuilt with those slopes.
    """

    impl: Impl
    convention: str = "seed"
    kinks: tuple[float, float] = (0.0, 0.0)
    stats: Stats = field(default_factory=Stats)
    example_ratio: float = 0.0
    _cache: dict = field(default_factory=dict)

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
    def call(self, name: str, *args, **kwargs):
        return self.impl.call(name, *args, **kwargs).value

    @staticmethod
    def network_args(name: str, p: Problem) -> tuple:
        return {"forward": (p.params, p.X), "loss": (p.params, p.X, p.y)}.get(
            name, (p.params, p.X, p.y, p.lambdas))

    def network(self, name: str, p: Problem):
        """``impl.<name>`` on the problem (cached: several properties share one call)."""
        key = (name, id(p))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not p:
            hit = (p, self.impl.call(name, *self.network_args(name, p)))
            self._cache[key] = hit
        result = hit[1]
        if isinstance(result, ImplProblem):
            raise result
        return result.value

    def ref(self, p: Problem) -> Evaluation:
        key = ("ref", id(p))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not p:
            hit = (p, evaluate(p, self.kinks))
            self._cache[key] = hit
        return hit[1]

    def prefetch(self, name: str, problems: list[Problem]) -> None:
        """Evaluate many problems at once, for the bulk sweep (one batched call each side)."""
        for p, r in zip(problems, self.impl.call_many(name, [self.network_args(name, p) for p in problems])):
            self._cache[(name, id(p))] = (p, r)
        for p, e in zip(problems, evaluate_many(problems, self.kinks, batch=256)):
            self._cache[("ref", id(p))] = (p, e)

    def forget(self) -> None:
        self._cache.clear()


# ---------------------------------------------------------------------------
# Comparisons: shape and dtype first, then values within the allowed error
# ---------------------------------------------------------------------------
def expect_array(label: str, got: Any, shape: tuple, dtype=np.float64) -> np.ndarray:
    """``got`` must be a NumPy array of this shape and dtype (checked before any value)."""
    if not isinstance(got, np.ndarray):
        if isinstance(got, (float, np.floating)) and shape == ():
            got = np.asarray(got)
        else:
            raise PropertyFailure(f"{label} must be a NumPy array of shape {shape}; got {type(got).__name__}",
                                  array=label)
    if got.shape != shape:
        raise PropertyFailure(f"{label} has shape {got.shape}; expected {shape}", array=label)
    if got.dtype != dtype:
        raise PropertyFailure(f"{label} has dtype {got.dtype}; expected {np.dtype(dtype)} (float64 in, float64 out)",
                              array=label)
    return got


def _fmt_index(i: tuple) -> str:
    return "" if i == () else "[" + ", ".join(str(int(k)) for k in i) + "]"


def compare(ctx: Context, label: str, got: Any, want: np.ndarray, allowed: np.ndarray | float, *,
            upstream: Callable[[], str] | None = None) -> None:
    """|got − want| ≤ allowed entry by entry, after the shape and dtype check."""
    want = np.asarray(want, dtype=np.float64)
    got = expect_array(label, got, want.shape)
    allowed = np.broadcast_to(np.asarray(allowed, dtype=np.float64), want.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - want)
    diff = np.where(np.isnan(diff), np.where(got == want, 0.0, np.inf), diff)  # inf == inf is agreement
    ratio = diff / np.maximum(allowed, FLOOR)
    ctx.stats.add(diff, want, ratio)
    if ratio.size:
        ctx.example_ratio = max(ctx.example_ratio, float(np.max(ratio)))
    bad = diff > allowed
    if bad.any():
        idx = np.unravel_index(int(np.argmax(np.where(bad, ratio, -1.0))), want.shape)
        up = upstream() if upstream else None
        raise PropertyFailure(
            f"{label}{_fmt_index(idx)} = {float(got[idx])!r}, reference {float(want[idx])!r} "
            f"(|difference| {diff[idx]:.3g} > allowed {allowed[idx]:.3g}; "
            f"{int(bad.sum())} of {bad.size} entries off)" + (f"; {up}" if up else ""),
            array=label, index=tuple(int(k) for k in idx), got=float(got[idx]), want=float(want[idx]),
            allowed=float(allowed[idx]), upstream=up)


def compare_exact(ctx: Context, label: str, got: Any, want: np.ndarray) -> None:
    """Equality, for functions whose values are exact (0, ±1, x)."""
    compare(ctx, label, got, want, 0.0)


# ---------------------------------------------------------------------------
# Part A: elementwise functions
# ---------------------------------------------------------------------------
def _elementwise() -> st.SearchStrategy:
    return S.elementwise_inputs()


_KINKS = (np.array([0.0, -0.0, 1.0, -1.0]),)  # always tried, first


def _rel(want: np.ndarray, k: int = K_TRANSCENDENTAL, floor_scale: float = 0.0) -> np.ndarray:
    """SAFETY·k·u·max(|want|, floor_scale): relative, or absolute below ``floor_scale``."""
    return SAFETY * k * U64 * np.maximum(np.abs(want), floor_scale) + FLOOR


# sigmoid and its derivative are probabilities in [0, 1]: an absolute error of a few
# u is what their textbook forms give ((tanh(x/2) + 1)/2 is exact to u, not to u·sigmoid).
_PROBABILITY = 1.0


def _a1_identity(ctx: Context, x):
    s = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    t = expect_array("tanh(x/2)", ctx.call("tanh", x / 2), x.shape)
    compare(ctx, "sigmoid(x) vs (tanh(x/2) + 1)/2", s, (t + 1) / 2, _rel(s, floor_scale=_PROBABILITY))


def _a1_values(ctx: Context, x):
    want = ref_fn.sigmoid(x)
    compare(ctx, "sigmoid(x)", ctx.call("sigmoid", x), want, _rel(want, floor_scale=_PROBABILITY))
    want = ref_fn.tanh(x)
    compare(ctx, "tanh(x)", ctx.call("tanh", x), want, _rel(want))


def _a2_identity(ctx: Context, x):
    """ln sigmoid(x) = −softplus(−x), checked as sigmoid(x) = exp(−softplus(−x)).

    Exponentiated, both sides are probabilities: the check holds to a few u
    wherever sigmoid is computed to a few u, including far in the tails where
    the logarithm of an absolutely accurate sigmoid is not relatively accurate.
    """
    s = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    sp = expect_array("softplus(-x)", ctx.call("softplus", -x), x.shape)
    with np.errstate(over="ignore"):
        rhs = np.exp(-sp)
    compare(ctx, "sigmoid(x) vs exp(-softplus(-x))", s, rhs,
            SAFETY * K_TRANSCENDENTAL * U64 * (1 + rhs * np.abs(sp)) + FLOOR)


def _a2_values(ctx: Context, x):
    # ln(1 + exp(x)) is exact to u absolutely where softplus is tiny; overflow is what fails
    want = ref_fn.softplus(x)
    compare(ctx, "softplus(x)", ctx.call("softplus", x), want, _rel(want, floor_scale=1.0))


def _a3(ctx: Context, x):
    allowed = SAFETY * K_TRANSCENDENTAL * U64 * _PROBABILITY + FLOOR  # as for sigmoid: absolute
    got = ctx.call("d_sigmoid", x)
    compare(ctx, "d_sigmoid(x) vs jax.grad(sigmoid)", got, ref_fn.d_sigmoid(x), allowed)
    own = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    compare(ctx, "d_sigmoid(x) vs sigmoid(x)(1 - sigmoid(x))", got, own * (1 - own), allowed)


def _a4(ctx: Context, x):
    t = ref_fn.tanh(x)
    allowed = SAFETY * K_TRANSCENDENTAL * U64 * (1 + t * t) + FLOOR
    got = ctx.call("d_tanh", x)
    compare(ctx, "d_tanh(x) vs jax.grad(tanh)", got, ref_fn.d_tanh(x), allowed)
    own = expect_array("tanh(x)", ctx.call("tanh", x), x.shape)
    compare(ctx, "d_tanh(x) vs 1 - tanh(x)^2", got, 1 - own * own, allowed)


def _a5(ctx: Context, x):
    got = ctx.call("sign", x)
    compare_exact(ctx, "sign(x) vs 1{x>0} - 1{x<0}", got, (x > 0).astype(float) - (x < 0).astype(float))
    compare_exact(ctx, "sign(x) vs jnp.sign", got, ref_fn.sign(x))


def _kinked(ctx: Context, label: str, name: str, want_fn, x, lo: float, hi: float):
    """Exact away from 0; at 0 the course's value, or under any-subgradient any value in [lo, hi]."""
    got = expect_array(f"{label}", ctx.call(name, x), x.shape)
    want = want_fn(x)
    if ctx.convention == "any-subgradient":
        at0 = x == 0
        inside = at0 & (got >= lo) & (got <= hi)
        want = np.where(inside, got, want)  # a valid subgradient at 0 is accepted as it is
    compare_exact(ctx, label, got, want)


def _a6(ctx: Context, x):
    compare_exact(ctx, "abs(x)", ctx.call("abs", x), ref_fn.abs(x))
    _kinked(ctx, "d_abs(x) vs jax.grad(abs) (abs'(0) = 0)", "d_abs", ref_fn.d_abs, x, -1.0, 1.0)


def _a7(ctx: Context, x):
    compare_exact(ctx, "rect(x)", ctx.call("rect", x), ref_fn.rect(x))
    _kinked(ctx, "d_rect(x) vs jax.grad(rect) (rect'(0) = 0)", "d_rect", ref_fn.d_rect, x, 0.0, 1.0)


def _a8(ctx: Context, x):
    want = ref_fn.grad_l2_squared(x)
    compare(ctx, "grad_l2_squared(x) vs jax.grad(sum x^2)", ctx.call("grad_l2_squared", x), want, _rel(want, 2))


def _a9(ctx: Context, x):
    _kinked(ctx, "grad_l1(x) vs jax.grad(sum |x|) (0 at x = 0)", "grad_l1", ref_fn.grad_l1, x, -1.0, 1.0)


# ---------------------------------------------------------------------------
# Part B: the network
# ---------------------------------------------------------------------------
NAMES = {
    "ha": "∂L/∂ha", "hs": "∂L/∂hs", "oa": "∂L/∂oa", "x": "∂L/∂x",
    "W1": "∂R/∂W1", "b1": "∂R/∂b1", "W2": "∂R/∂W2", "b2": "∂R/∂b2",
}
#: The quantity before each gradient in the backward chain.
UPSTREAM = {"hs": "oa", "ha": "hs", "x": "ha", "W1": "ha", "b1": "ha", "W2": "oa", "b2": "oa"}
FORWARD_UPSTREAM = {"hs": "ha", "oa": "hs", "os": "oa"}


def _expect_fields(label: str, value: Any, fields: tuple[str, ...]) -> None:
    if not all(hasattr(value, f) for f in fields):
        raise PropertyFailure(f"{label} must be a named tuple with fields {', '.join(fields)}; "
                              f"got {type(value).__name__}", array=label)


def _agreement(ctx: Context, label: str, got: Any, want: np.ndarray, bound: np.ndarray) -> str:
    """One phrase: does this (upstream) array agree with the reference?"""
    sub = types.SimpleNamespace(stats=Stats(), example_ratio=0.0)  # what compare() records into
    try:
        compare(sub, label, got, want, SAFETY * bound + FLOOR)
    except PropertyFailure as exc:
        return f"the quantity before it, {exc.message.split(' (|')[0]}, is already off"
    return f"the quantity before it, {label}, agrees (max |difference| {sub.stats.max_abs_error:.3g})"


def _gradients(ctx: Context, p: Problem, fields: tuple[str, ...]) -> None:
    g = ctx.network("backprop", p)
    _expect_fields("backprop(...)", g, Gradients._fields)
    ev = ctx.ref(p)
    for f in fields:
        want, bound = getattr(ev.grads, f), getattr(ev.grads_bound, f)
        allowed = SAFETY * bound + FLOOR
        if f in ("W1", "W2"):
            allowed = allowed + _l1_slack(ctx, p, f)
        up = UPSTREAM.get(f)
        upstream = None
        if up:
            upstream = (lambda up=up: _agreement(ctx, f"backprop(...).{up} ({NAMES[up]})", getattr(g, up),
                                                 getattr(ev.grads, up), getattr(ev.grads_bound, up)))
        compare(ctx, f"backprop(...).{f} ({NAMES[f]})", getattr(g, f), want, allowed, upstream=upstream)


def _l1_slack(ctx: Context, p: Problem, f: str):
    """Under any-subgradient, an L1 entry at a zero weight may be anywhere within ±λ of the smooth part."""
    if ctx.convention != "any-subgradient":
        return 0.0
    W, lam = (p.params.W1, p.lambdas.l11) if f == "W1" else (p.params.W2, p.lambdas.l21)
    # The reference used the implementation's own abs'(0); the interval is centred on the smooth part.
    return np.where(W == 0, lam * (1 + abs(ctx.kinks[0])), 0.0)


def _grad_check(*fields: str):
    return lambda ctx, p: _gradients(ctx, p, fields)


def _forward_check(*fields: str):
    def check(ctx: Context, p: Problem) -> None:
        a = ctx.network("forward", p)
        _expect_fields("forward(...)", a, ("ha", "hs", "oa", "os"))
        ev = ctx.ref(p)
        for f in fields:
            up = FORWARD_UPSTREAM.get(f)
            upstream = None
            if up:
                upstream = (lambda up=up: _agreement(ctx, f"forward(...).{up}", getattr(a, up),
                                                     getattr(ev.acts, up), getattr(ev.acts_bound, up)))
            compare(ctx, f"forward(...).{f}", getattr(a, f), getattr(ev.acts, f),
                    SAFETY * getattr(ev.acts_bound, f) + FLOOR, upstream=upstream)
    return check


def _b3(ctx: Context, p: Problem) -> None:
    ev = ctx.ref(p)
    if ("forward", id(p)) not in ctx._cache:  # forward and the part-A softmax in one round trip
        fwd, sm = ctx.impl.call_each([("forward", ctx.network_args("forward", p), {}),
                                      ("softmax", (ev.acts.oa,), {})])
        ctx._cache[("forward", id(p))] = (p, fwd)
        ctx._cache[("softmax", id(p))] = (p, sm)
    a = ctx.network("forward", p)
    _expect_fields("forward(...)", a, ("ha", "hs", "oa", "os"))
    os_ = expect_array("forward(...).os", a.os, ev.acts.os.shape)
    if (os_ < 0).any():
        i = np.unravel_index(int(np.argmin(os_)), os_.shape)
        raise PropertyFailure(f"forward(...).os{_fmt_index(i)} = {os_[i]!r} is negative", array="os", index=i)
    m = os_.shape[1]
    # exp(oa − lse) and exp(oa − max)/Σ are both right; their sums miss 1 by up to the os bounds
    compare(ctx, "sum_k forward(...).os[:, k]", os_.sum(axis=1), np.ones(os_.shape[0]),
            SAFETY * (ev.acts_bound.os.sum(axis=1) + (m + 4) * U64))
    _forward_check("os")(ctx, p)
    # the part-A softmax, on the reference's logits
    sm = ctx._cache.get(("softmax", id(p)), (None, None))[1]
    sm = _value(sm) if sm is not None else ctx.call("softmax", ev.acts.oa)
    compare(ctx, "softmax(oa)", sm, ev.acts.os, SAFETY * ev.acts_bound.os + FLOOR)


def _b4(ctx: Context, p: Problem) -> None:
    ev = ctx.ref(p)
    got = ctx.network("loss", p)
    compare(ctx, "loss(...) (L = -oa_y + log sum_i exp(oa_i))", got, ev.L, SAFETY * ev.L_bound + FLOOR)


def _risk_check(label: str):
    def check(ctx: Context, p: Problem) -> None:
        ev = ctx.ref(p)
        got = ctx.network("risk", p)
        if isinstance(got, (int, float, np.floating, np.integer)) and not isinstance(got, bool):
            got = np.float64(got) if isinstance(got, (float, np.floating)) else got
        if isinstance(got, np.floating):
            got = np.asarray(got)
        compare(ctx, f"risk(...) [{label}]", got, np.asarray(ev.risk), SAFETY * ev.risk_bound + FLOOR)
    return check


def _b5_count(ctx: Context, p: Problem) -> None:
    g = ctx.network("backprop", p)
    _expect_fields("backprop(...)", g, Gradients._fields)
    n, d, dh, m = p.dims
    n_theta = dh * d + dh + m * dh + m
    got = sum(int(np.size(getattr(g, f))) for f in ("W1", "b1", "W2", "b2"))
    if got != n_theta:
        raise PropertyFailure(f"the parameter gradients hold {got} scalars; n_θ = dh·d + dh + m·dh + m = {n_theta}")


def _b6(ctx: Context, case) -> None:
    """Each step of gradient_descent is θ − η ∂R/∂θ, with ∂R/∂θ from the reference at that θ."""
    p, eta, steps = case
    prev = p.params
    iterates = _descents(ctx, p, eta, steps)
    for t in range(1, steps + 1):
        got = iterates[t - 1]
        _expect_fields(f"gradient_descent(steps={t})", got, ("W1", "b1", "W2", "b2"))
        here = p._replace(params=type(p.params)(*prev))
        ev = evaluate(here, ctx.kinks)
        for f in ("W1", "b1", "W2", "b2"):
            w, g, e = getattr(prev, f), getattr(ev.grads, f), getattr(ev.grads_bound, f)
            want = w - eta * g
            allowed = eta * (SAFETY * e + _l1_slack(ctx, here, f)) + SAFETY * 2 * U64 * (np.abs(w) + eta * np.abs(g)) + FLOOR
            compare(ctx, f"gradient_descent(steps={t}).{f} vs step {t - 1} - η ∂R/∂{f}", getattr(got, f), want, allowed)
        prev = got
    if steps == 0:
        got = ctx.call("gradient_descent", p.params, p.X, p.y, p.lambdas, learning_rate=eta, steps=0)
        for f in ("W1", "b1", "W2", "b2"):
            compare_exact(ctx, f"gradient_descent(steps=0).{f}", getattr(got, f), getattr(p.params, f))


def _descents(ctx: Context, p: Problem, eta: float, steps: int) -> list:
    """gradient_descent(steps=t) for t = 1 … steps, in one round trip."""
    calls = [("gradient_descent", (p.params, p.X, p.y, p.lambdas), {"learning_rate": eta, "steps": t})
             for t in range(1, steps + 1)]
    return [_value(r) for r in ctx.impl.call_each(calls)]


def _b6_cases() -> st.SearchStrategy:
    # λ = 0: B6 is the descent loop; the regularized gradients are B18's, and X5
    # checks that the loop uses them
    return st.tuples(S.small_problems(max_side=5, lambdas_mode="zero"), st.floats(1e-3, 0.5), st.integers(0, 3))


def _x5_cases() -> st.SearchStrategy:
    return st.tuples(S.small_problems(max_side=5), st.floats(1e-3, 0.5), st.integers(1, 3))


def _x5_own_gradient(ctx: Context, case) -> None:
    """gradient_descent steps with the implementation's own backprop, penalties included."""
    p, eta, steps = case
    prev = p.params
    iterates = _descents(ctx, p, eta, steps)
    for got in iterates:
        _expect_fields("gradient_descent(...)", got, ("W1", "b1", "W2", "b2"))
    # the implementation's own gradients at θ0 … θ(steps−1), in one round trip
    starts = [p.params] + [type(p.params)(*(getattr(q, f) for f in ("W1", "b1", "W2", "b2"))) for q in iterates[:-1]]
    grads = [_value(r) for r in ctx.impl.call_many("backprop", [(s, p.X, p.y, p.lambdas) for s in starts])]
    for t in range(1, steps + 1):
        got, g = iterates[t - 1], grads[t - 1]
        _expect_fields("backprop(...)", g, Gradients._fields)
        ev = evaluate(p._replace(params=type(p.params)(*prev)), ctx.kinks)
        for f in ("W1", "b1", "W2", "b2"):
            w, gw = getattr(prev, f), expect_array(f"backprop(...).{f}", getattr(g, f), getattr(prev, f).shape)
            allowed = 2 * SAFETY * U64 * (np.abs(w) + eta * np.abs(gw)) + eta * SAFETY * getattr(ev.grads_bound, f) + FLOOR
            compare(ctx, f"gradient_descent(steps={t}).{f} vs step {t - 1} - η backprop(step {t - 1}).{f}",
                    getattr(got, f), w - eta * gw, allowed)
        prev = got


# ---------------------------------------------------------------------------
# Beyond the seeds
# ---------------------------------------------------------------------------
def _x1_batch(ctx: Context, p: Problem) -> None:
    """The course's loop-versus-matrix check: a batch is the mean of its examples one at a time."""
    g = ctx.network("backprop", p)
    _expect_fields("backprop(...)", g, Gradients._fields)
    ev = ctx.ref(p)
    n = p.X.shape[0]
    singles = [_value(r) for r in ctx.impl.call_many(
        "backprop", [(p.params, p.X[i:i + 1], p.y[i:i + 1], p.lambdas) for i in range(n)])]
    for f in ("oa", "hs", "ha", "x"):
        rows = np.concatenate([expect_array(f"backprop(example {i}).{f}", getattr(s, f),
                                            (1,) + getattr(ev.grads, f).shape[1:]) for i, s in enumerate(singles)])
        compare(ctx, f"backprop(batch).{f} vs stacked examples", getattr(g, f), rows,
                2 * SAFETY * getattr(ev.grads_bound, f) + FLOOR)
    for f in ("W1", "b1", "W2", "b2"):
        shape = getattr(ev.grads, f).shape
        mean = np.mean([expect_array(f"backprop(example {i}).{f}", getattr(s, f), shape)
                        for i, s in enumerate(singles)], axis=0)
        compare(ctx, f"backprop(batch).{f} vs mean of examples", getattr(g, f), mean,
                2 * SAFETY * getattr(ev.grads_bound, f) + 2 * SAFETY * n * U64 * np.abs(mean) + FLOOR)


_ELEMENTWISE = ("sigmoid", "tanh", "softplus", "sign", "abs", "rect", "softmax",
                "d_sigmoid", "d_tanh", "d_abs", "d_rect", "grad_l2_squared", "grad_l1")


def _x2_unchanged(ctx: Context, p: Problem) -> None:
    calls = [(name, ctx.network_args(name, p), {}) for name in ("forward", "loss", "risk", "backprop")]
    calls.append(("gradient_descent", (p.params, p.X, p.y, p.lambdas), {"learning_rate": 0.1, "steps": 1}))
    calls += [(name, (p.X,), {}) for name in _ELEMENTWISE]
    for (name, _, _), c in zip(calls, ctx.impl.call_each(calls)):
        if isinstance(c, ImplProblem):
            raise c
        if c.mutated:
            raise PropertyFailure(f"{name}(...) modified its input {', '.join(c.mutated)} in place", array=name)


def _x3_types(ctx: Context, p: Problem) -> None:
    n, d, dh, m = p.dims
    calls = [(name, ctx.network_args(name, p), {}) for name in ("forward", "loss", "risk", "backprop")]
    calls.append(("gradient_descent", (p.params, p.X, p.y, p.lambdas), {"learning_rate": 0.1, "steps": 1}))
    calls += [(name, (p.X,), {}) for name in _ELEMENTWISE]
    a, loss_, r, g, q, *elementwise = (_value(c) for c in ctx.impl.call_each(calls))
    _expect_fields("forward(...)", a, ("ha", "hs", "oa", "os"))
    for f, shape in (("ha", (n, dh)), ("hs", (n, dh)), ("oa", (n, m)), ("os", (n, m))):
        expect_array(f"forward(...).{f}", getattr(a, f), shape)
    expect_array("loss(...)", loss_, (n,))
    if not isinstance(r, (float, np.floating)) or np.asarray(r).dtype != np.float64:
        raise PropertyFailure(f"risk(...) must be a float64 scalar; got {type(r).__name__}", array="risk")
    _expect_fields("backprop(...)", g, Gradients._fields)
    shapes = {"oa": (n, m), "hs": (n, dh), "ha": (n, dh), "x": (n, d), "W1": (dh, d), "b1": (dh,),
              "W2": (m, dh), "b2": (m,)}
    for f, shape in shapes.items():
        expect_array(f"backprop(...).{f}", getattr(g, f), shape)
    _expect_fields("gradient_descent(...)", q, ("W1", "b1", "W2", "b2"))
    for f in ("W1", "b1", "W2", "b2"):
        expect_array(f"gradient_descent(...).{f}", getattr(q, f), getattr(p.params, f).shape)
    for name, v in zip(_ELEMENTWISE, elementwise):
        expect_array(f"{name}(X)", v, p.X.shape)


def _value(c):
    """The value of a call's result, or raise the implementation's problem."""
    if isinstance(c, ImplProblem):
        raise c
    return c.value


def _x4_stable(ctx: Context, p: Problem) -> None:
    """Logits up to ±1e300: finite values, no warnings, and still the reference's values."""
    names = ("forward", "loss", "risk", "backprop")
    for name, c in zip(names, ctx.impl.call_each([(name, ctx.network_args(name, p), {}) for name in names])):
        if isinstance(c, ImplProblem):
            raise c
        ctx._cache[(name, id(p))] = (p, c)  # the checks below reuse these calls
        if c.warnings:
            raise PropertyFailure(f"{name}(...) warned at large logits: {c.warnings[0]}", array=name)
        leaves = tuple(c.value) if isinstance(c.value, tuple) else (c.value,)
        for i, v in enumerate(leaves):
            if not np.all(np.isfinite(np.asarray(v, dtype=float))):
                field_ = c.value._fields[i] if hasattr(c.value, "_fields") else ""
                raise PropertyFailure(f"{name}(...){'.' + field_ if field_ else ''} is not finite at large logits",
                                      array=name)
    _forward_check("oa", "os")(ctx, p)
    _b4(ctx, p)
    _gradients(ctx, p, ("oa", "hs"))  # what the logits drive, per example; the rest is B9–B18's


# ---------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------
def _net(lambdas_mode: str = "any"):
    strategy = lambda: S.problems(lambdas_mode=lambdas_mode)
    strategy.small = lambda: S.small_problems(lambdas_mode=lambdas_mode)
    return strategy


def _P(id: str, title: str, strategy, check, sweep=None, examples=()):
    return Property(id=id, question=id.split("-")[0], title=title, strategy=strategy, check=check,
                    sweep=sweep, examples=examples, small=getattr(strategy, "small", None))


CATALOG: tuple[Property, ...] = (
    _P("A1-identity", "sigmoid(x) = (tanh(x/2) + 1)/2", _elementwise, _a1_identity, examples=_KINKS),
    _P("A1-values", "sigmoid and tanh match jax.nn.sigmoid and jnp.tanh", _elementwise, _a1_values, examples=_KINKS),
    _P("A2-identity", "ln sigmoid(x) = -softplus(-x)", _elementwise, _a2_identity, examples=_KINKS),
    _P("A2-values", "softplus matches jax.nn.softplus (stable at ±1e300)", _elementwise, _a2_values, examples=_KINKS),
    _P("A3", "sigmoid'(x) = sigmoid(x)(1 - sigmoid(x)), against jax.grad", _elementwise, _a3, examples=_KINKS),
    _P("A4", "tanh'(x) = 1 - tanh²(x), against jax.grad", _elementwise, _a4, examples=_KINKS),
    _P("A5", "sign(x) = 1{x>0} - 1{x<0}", _elementwise, _a5, examples=_KINKS),
    _P("A6", "abs'(x) = sign(x), abs'(0) = 0, against jax.grad", _elementwise, _a6, examples=_KINKS),
    _P("A7", "rect'(x) = 1{x>0}, rect'(0) = 0, against jax.grad", _elementwise, _a7, examples=_KINKS),
    _P("A8", "∂‖x‖₂²/∂x = 2x, against jax.grad", _elementwise, _a8, examples=_KINKS),
    _P("A9", "∂‖x‖₁/∂x = sign(x), 0 at 0, against jax.grad", _elementwise, _a9, examples=_KINKS),
    _P("B1", "ha = W1 x + b1 (ha: n × dh), hs = rect(ha)", _net(), _forward_check("ha", "hs"), ("forward", "any")),
    _P("B2", "oa = W2 hs + b2 (oa: n × m)", _net(), _forward_check("oa"), ("forward", "any")),
    _P("B3", "os = softmax(oa): positive, sums to 1", _net(), _b3, ("forward", "any")),
    _P("B4", "L = -oa_y + log Σ_i exp(oa_i)", _net(), _b4, ("loss", "any")),
    _P("B5-risk", "R = mean of L over the batch (all λ = 0)", _net("zero"), _risk_check("data term"), ("risk", "zero")),
    _P("B5-ntheta", "n_θ = dh·d + dh + m·dh + m gradient entries", _net(), _b5_count, ("backprop", "any")),
    _P("B6", "gradient descent: θ ← θ - η ∂R/∂θ, step by step (λ = 0)", _b6_cases, _b6),
    _P("B7", "∂L/∂oa = os - onehot(y)", _net(), _grad_check("oa"), ("backprop", "any")),
    _P("B8", "∂L/∂oa as batched NumPy (n × m)", _net("zero"), _grad_check("oa"), ("backprop", "zero")),
    _P("B9", "∂L/∂W2 = ∂L/∂oa hsᵀ, ∂L/∂b2 = ∂L/∂oa (λ = 0)", _net("zero"), _grad_check("W2", "b2"), ("backprop", "zero")),
    _P("B10-W2", "∂R/∂W2 batched: mean over examples of ∂L/∂oa hsᵀ (λ = 0)", _net("zero"), _grad_check("W2"), ("backprop", "zero")),
    _P("B10-b2", "∂R/∂b2 batched: mean over examples of ∂L/∂oa (λ = 0)", _net("zero"), _grad_check("b2"), ("backprop", "zero")),
    _P("B11", "∂L/∂hs_j = Σ_k ∂L/∂oa_k W2_kj", _net(), _grad_check("hs"), ("backprop", "any")),
    _P("B12", "∂L/∂hs = W2ᵀ ∂L/∂oa, batched", _net("zero"), _grad_check("hs"), ("backprop", "zero")),
    _P("B13", "∂L/∂ha_j = ∂L/∂hs_j 1{ha_j > 0} (rect'(0) = 0)", _net(), _grad_check("ha"), ("backprop", "any")),
    _P("B14", "∂L/∂ha = ∂L/∂hs ⊙ 1{ha > 0}, batched", _net("zero"), _grad_check("ha"), ("backprop", "zero")),
    _P("B15-W1", "∂L/∂W1 = ∂L/∂ha xᵀ (λ = 0)", _net("zero"), _grad_check("W1"), ("backprop", "zero")),
    _P("B15-b1", "∂L/∂b1 = ∂L/∂ha (λ = 0)", _net("zero"), _grad_check("b1"), ("backprop", "zero")),
    _P("B16", "∂R/∂W1, ∂R/∂b1 batched: means over examples (λ = 0)", _net("zero"), _grad_check("W1", "b1"), ("backprop", "zero")),
    _P("B17", "∂L/∂x = W1ᵀ ∂L/∂ha", _net(), _grad_check("x"), ("backprop", "any")),
    _P("B18-l11", "∂R/∂W1 with λ11‖W1‖₁ alone: + λ11 sign(W1)", _net("l11"), _grad_check("W1", "b1", "W2", "b2"), ("backprop", "l11")),
    _P("B18-l12", "∂R/∂W1 with λ12‖W1‖₂² alone: + 2λ12 W1", _net("l12"), _grad_check("W1", "b1", "W2", "b2"), ("backprop", "l12")),
    _P("B18-l21", "∂R/∂W2 with λ21‖W2‖₁ alone: + λ21 sign(W2)", _net("l21"), _grad_check("W1", "b1", "W2", "b2"), ("backprop", "l21")),
    _P("B18-l22", "∂R/∂W2 with λ22‖W2‖₂² alone: + 2λ22 W2", _net("l22"), _grad_check("W1", "b1", "W2", "b2"), ("backprop", "l22")),
    _P("B18-all", "every gradient with all four penalties", _net("any"), _grad_check(*Gradients._fields), ("backprop", "any")),
    _P("B18-risk-l11", "R with λ11‖W1‖₁ alone", _net("l11"), _risk_check("λ11 only"), ("risk", "l11")),
    _P("B18-risk-l12", "R with λ12‖W1‖₂² alone", _net("l12"), _risk_check("λ12 only"), ("risk", "l12")),
    _P("B18-risk-l21", "R with λ21‖W2‖₁ alone", _net("l21"), _risk_check("λ21 only"), ("risk", "l21")),
    _P("B18-risk-l22", "R with λ22‖W2‖₂² alone", _net("l22"), _risk_check("λ22 only"), ("risk", "l22")),
    _P("B18-risk-all", "R with all four penalties", _net("any"), _risk_check("all λ"), ("risk", "any")),
    _P("X1", "a batch equals the mean of its examples one at a time (loop vs matrix)",
       lambda: S.small_problems(max_side=6), _x1_batch),
    _P("X2", "inputs unchanged after every call", lambda: S.small_problems(max_side=4), _x2_unchanged),
    _P("X3", "outputs are float64 arrays of the documented shapes", lambda: S.small_problems(max_side=5), _x3_types),
    _P("X4", "stable at large logits (|oa| from 1e3 to 1e300): finite, no warning, right values",
       lambda: S.large_logit_problems(lambdas_mode="zero"), _x4_stable),
    _P("X5", "gradient descent steps with the implementation's own regularized gradient",
       _x5_cases, _x5_own_gradient),
)

#: Every question of the course, in order.
QUESTIONS: tuple[str, ...] = tuple(f"A{i}" for i in range(1, 10)) + tuple(f"B{i}" for i in range(1, 19))


def by_id(prop_id: str) -> Property:
    """The property with this id (e.g. ``"B15-W1"``)."""
    for p in CATALOG:
        if p.id == prop_id:
            return p
    raise ValueError(f"no property {prop_id!r}; ids: {', '.join(p.id for p in CATALOG)}")


def select(patterns: list[str] | None = None) -> tuple[Property, ...]:
    """Properties whose id or question matches one of ``patterns`` (all when None).

    ``"B15"`` selects B15-W1 and B15-b1; ``"B18-l11"`` selects that one.
    """
    if not patterns:
        return CATALOG
    chosen = tuple(p for p in CATALOG if any(p.id == q or p.question == q or p.id.startswith(q + "-")
                                             for q in patterns))
    if not chosen:
        raise ValueError(f"no property matches {patterns}; ids: {', '.join(p.id for p in CATALOG)}")
    return chosen
