"""Part A: the elementwise functions and their derivatives (A1–A9), against jax.numpy and jax.grad.

``ctx.reference(name, x)`` is ``reference.functions.<name>(x)``, the twin of
``ctx.call(name, x)``, asked of JAX once per content (:mod:`reference.compare.exercise.reference_memo`).

Tolerances (:mod:`reference.compare.exercise.tolerance`): ``SAFETY·k·u·scale`` with
``k = 16`` (XLA's float64 tanh differs from NumPy's by up to 7 units in the
last place, measured) and a scale per function: |value| for tanh and 2x,
max(|value|, 1) for sigmoid, its derivative and softplus (probabilities and
log-probabilities: the textbook forms (tanh(x/2) + 1)/2 and ln(1 + exp(x)) are
exact to u absolutely, not relatively, in the tails, and that is not a
mistake), 1 + tanh² for tanh'; exact equality where the values are exact
(sign, abs, rect, their derivatives).
"""

from __future__ import annotations

import numpy as np

from reference.compare.exercise.catalog.check import (
    Context,
    PropertyFailure,
    compare,
    compare_exact,
    expect_array,
    shows_nothing,
)
from reference.compare.exercise.explain import explaining
from reference.compare.exercise.tolerance import FLOOR, K_TRANSCENDENTAL, SAFETY, U64, relative

__all__ = ["KINKS", "a1_identity", "a1_sigmoid", "a1_tanh", "a2_identity", "a2_values", "a3", "a3_identity", "a4",
           "a4_identity", "a5", "a6_abs", "a6", "a7_rect", "a7", "a8", "a9"]


#: Always tried, first: the kinks and ±1.
KINKS = (np.array([0.0, -0.0, 1.0, -1.0]),)


# sigmoid and its derivative are probabilities in [0, 1]: an absolute error of a few
# u is what their textbook forms give ((tanh(x/2) + 1)/2 is exact to u, not to u·sigmoid).
_PROBABILITY = 1.0


def _working(ctx: Context, label: str, got: np.ndarray, want: np.ndarray, allowed) -> None:
    """No credit without work: an identity holding between functions that do none (constant, all zero, not
    finite, or scant where the reference's values are not: :func:`~.check.shows_nothing`) shows nothing.

    Only the work is asked, not the values (A1/A2's values properties ask those): a wrong tanh with sigmoid
    and softplus derived from it through the identities still satisfies them, and passes."""
    how = shows_nothing(got, want, allowed)
    if how is not None:
        raise PropertyFailure(f"{label} does no work: it {how}; the identity holding on it shows nothing",
                              array=label)


def a1_identity(ctx: Context, x):
    s = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    t = expect_array("tanh(x/2)", ctx.call("tanh", x / 2), x.shape)
    want = ctx.reference("sigmoid", x)
    _working(ctx, "sigmoid(x)", s, want, relative(want, floor_scale=_PROBABILITY))
    want = ctx.reference("tanh", x / 2)
    _working(ctx, "tanh(x/2)", t, want, relative(want))
    compare(ctx, "sigmoid(x) vs (tanh(x/2) + 1)/2", s, (t + 1) / 2, relative(s, floor_scale=_PROBABILITY))


def a1_sigmoid(ctx: Context, x):
    want = ctx.reference("sigmoid", x)
    compare(ctx, "sigmoid(x)", ctx.call("sigmoid", x), want, relative(want, floor_scale=_PROBABILITY))


def a1_tanh(ctx: Context, x):
    want = ctx.reference("tanh", x)
    compare(ctx, "tanh(x)", ctx.call("tanh", x), want, relative(want))


def a2_identity(ctx: Context, x):
    """ln sigmoid(x) = −softplus(−x), checked as sigmoid(x) = exp(−softplus(−x)).

    Exponentiated, both sides are probabilities: the check holds to a few u
    wherever sigmoid is computed to a few u, including far in the tails where
    the logarithm of an absolutely accurate sigmoid is not relatively accurate.
    """
    s = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    sp = expect_array("softplus(-x)", ctx.call("softplus", -x), x.shape)
    want = ctx.reference("sigmoid", x)
    _working(ctx, "sigmoid(x)", s, want, relative(want, floor_scale=_PROBABILITY))
    want = ctx.reference("softplus", -x)
    _working(ctx, "softplus(-x)", sp, want, relative(want, floor_scale=1.0))
    with np.errstate(over="ignore"):
        rhs = np.exp(-sp)
    compare(ctx, "sigmoid(x) vs exp(-softplus(-x))", s, rhs,
            SAFETY * K_TRANSCENDENTAL * U64 * (1 + rhs * np.abs(sp)) + FLOOR)


def a2_values(ctx: Context, x):
    # ln(1 + exp(x)) is exact to u absolutely where softplus is tiny; overflow is what fails
    want = ctx.reference("softplus", x)
    compare(ctx, "softplus(x)", ctx.call("softplus", x), want, relative(want, floor_scale=1.0))


#: sigmoid' is a probability's slope in [0, 1/4]: judged absolutely, as sigmoid is.
_D_SIGMOID_ALLOWED = SAFETY * K_TRANSCENDENTAL * U64 * _PROBABILITY + FLOOR


def _d_tanh_allowed(ctx: Context, x):
    t = ctx.reference("tanh", x)
    return SAFETY * K_TRANSCENDENTAL * U64 * (1 + t * t) + FLOOR


def a3(ctx: Context, x):
    compare(ctx, "d_sigmoid(x) vs jax.grad(sigmoid)", ctx.call("d_sigmoid", x), ctx.reference("d_sigmoid", x),
            _D_SIGMOID_ALLOWED)


def a3_identity(ctx: Context, x):
    """The derivative through the submission's own sigmoid; both do work (an identity between constants
    shows nothing)."""
    got = expect_array("d_sigmoid(x)", ctx.call("d_sigmoid", x), x.shape)
    own = expect_array("sigmoid(x)", ctx.call("sigmoid", x), x.shape)
    want = ctx.reference("sigmoid", x)
    _working(ctx, "sigmoid(x)", own, want, relative(want, floor_scale=_PROBABILITY))
    _working(ctx, "d_sigmoid(x)", got, ctx.reference("d_sigmoid", x), _D_SIGMOID_ALLOWED)
    compare(ctx, "d_sigmoid(x) vs sigmoid(x)(1 - sigmoid(x))", got, own * (1 - own), _D_SIGMOID_ALLOWED)


def a4(ctx: Context, x):
    compare(ctx, "d_tanh(x) vs jax.grad(tanh)", ctx.call("d_tanh", x), ctx.reference("d_tanh", x),
            _d_tanh_allowed(ctx, x))


def a4_identity(ctx: Context, x):
    """The derivative through the submission's own tanh; both do work."""
    allowed = _d_tanh_allowed(ctx, x)
    got = expect_array("d_tanh(x)", ctx.call("d_tanh", x), x.shape)
    own = expect_array("tanh(x)", ctx.call("tanh", x), x.shape)
    want = ctx.reference("tanh", x)
    _working(ctx, "tanh(x)", own, want, relative(want))
    _working(ctx, "d_tanh(x)", got, ctx.reference("d_tanh", x), allowed)
    compare(ctx, "d_tanh(x) vs 1 - tanh(x)^2", got, 1 - own * own, allowed)


def a5(ctx: Context, x):
    got = ctx.call("sign", x)
    compare_exact(ctx, "sign(x) vs 1{x>0} - 1{x<0}", got, (x > 0).astype(float) - (x < 0).astype(float))
    compare_exact(ctx, "sign(x) vs jnp.sign", got, ctx.reference("sign", x))


def _kinked(ctx: Context, label: str, name: str, x, lo: float, hi: float):
    """Exact away from 0; at 0 the course's value, or under any-subgradient any value in [lo, hi]."""
    got = expect_array(f"{label}", ctx.call(name, x), x.shape)
    want = ctx.reference(name, x)
    if ctx.convention == "any-subgradient":
        at0 = x == 0
        inside = at0 & (got >= lo) & (got <= hi)
        want = np.where(inside, got, want)  # a valid subgradient at 0 is accepted as it is
    with explaining((got, want, 0.0), kinks=x == 0, at_kinks=name):
        compare_exact(ctx, label, got, want)


def a6_abs(ctx: Context, x):
    compare_exact(ctx, "abs(x)", ctx.call("abs", x), ctx.reference("abs", x))


def a6(ctx: Context, x):
    _kinked(ctx, "d_abs(x) vs jax.grad(abs) (abs'(0) = 0)", "d_abs", x, -1.0, 1.0)


def a7_rect(ctx: Context, x):
    compare_exact(ctx, "rect(x)", ctx.call("rect", x), ctx.reference("rect", x))


def a7(ctx: Context, x):
    _kinked(ctx, "d_rect(x) vs jax.grad(rect) (rect'(0) = 0)", "d_rect", x, 0.0, 1.0)


def a8(ctx: Context, x):
    want, got = ctx.reference("grad_l2_squared", x), ctx.call("grad_l2_squared", x)
    with explaining((got, want, relative(want, 2))):
        compare(ctx, "grad_l2_squared(x) vs jax.grad(sum x^2)", got, want, relative(want, 2))


def a9(ctx: Context, x):
    _kinked(ctx, "grad_l1(x) vs jax.grad(sum |x|) (0 at x = 0)", "grad_l1", x, -1.0, 1.0)
