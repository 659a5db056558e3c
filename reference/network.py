"""Part B by JAX: the risk written in jax.numpy; every gradient by ``jax.vjp``.

Twin of :mod:`handgrad.network`. No derivative here is written by hand (the
slopes at the kinks are pinned in :mod:`reference.kinks`). The per-example
gradients with respect to the activations come from the same ``jax.vjp``: the
risk takes additive perturbations ``d_ha, d_hs, d_oa`` (zero), and the gradient
with respect to a perturbation is the gradient with respect to that activation.

:func:`everything` is the definition, and :func:`evaluate_plain` runs it on
the problem as given (one compile per shape). The API functions run the same
definition through :mod:`reference.engine`, padded to a few bucket shapes so
that random shapes do not recompile; ``tests/test_reference.py`` checks the
padded and plain results agree.
"""

from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from handgrad._checks import network_inputs
from handgrad.types import Activations, Gradients, Lambdas, Params
from reference._jax import KINK_SLOPES, x64
from reference.kinks import abs_k, rect_k

__all__ = ["forward", "loss", "risk", "backprop", "gradient_descent", "everything", "evaluate_plain"]


def losses(params, X, y, abs0, rect0, d_ha, d_hs, d_oa, class_valid=None):
    """Per-example L(x_i, y_i) and the activations. ``class_valid`` masks padded classes."""
    W1, b1, W2, b2 = params
    ha = X @ W1.T + b1 + d_ha                       # B1: ha = W1 x + b1
    hs = rect_k(ha, rect0) + d_hs                   # B1: hs = rect(ha)
    oa = hs @ W2.T + b2 + d_oa                      # B2: oa = W2 hs + b2
    logits = oa if class_valid is None else jnp.where(class_valid, oa, -jnp.inf)
    lse = jax.nn.logsumexp(logits, axis=1)
    L = lse - jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]  # B4: L = −log os_y
    os = jnp.exp(logits - lse[:, None])             # B3: os = softmax(oa)
    return L, (ha, hs, oa, os, lse)


def penalty(params, lambdas, abs0):
    """l11‖W1‖₁ + l12‖W1‖₂² + l21‖W2‖₁ + l22‖W2‖₂² (B18)."""
    W1, _, W2, _ = params
    l11, l12, l21, l22 = lambdas
    return (l11 * jnp.sum(abs_k(W1, abs0)) + l12 * jnp.sum(W1 * W1)
            + l21 * jnp.sum(abs_k(W2, abs0)) + l22 * jnp.sum(W2 * W2))


def everything(params, X, y, lambdas, abs0, rect0, row_weight, class_valid=None):
    """Activations, losses, risk and all gradients from one forward and one ``jax.vjp``.

    ``row_weight`` is 1/n for every example (0 for a padded row): the risk is
    Σ_i row_weight_i L_i + penalty, i.e. the mean loss plus the penalty.
    """
    n, _ = X.shape
    zeros = lambda k: jnp.zeros((n, k), X.dtype)
    d_ha, d_hs, d_oa = zeros(params[0].shape[0]), zeros(params[0].shape[0]), zeros(params[2].shape[0])

    def terms(params, X, d_ha, d_hs, d_oa):
        L, acts = losses(params, X, y, abs0, rect0, d_ha, d_hs, d_oa, class_valid)
        return (L, penalty(params, lambdas, abs0)), acts

    (L, pen), pullback, acts = jax.vjp(terms, params, X, d_ha, d_hs, d_oa, has_aux=True)
    # ∂R/∂θ: the risk is Σ_i w_i L_i + penalty.
    g_params, *_ = pullback((row_weight.astype(X.dtype), jnp.ones((), X.dtype)))
    # Per-example ∂L_i/∂(x_i, ha_i, hs_i, oa_i): each L_i depends on row i only.
    _, g_x, g_ha, g_hs, g_oa = pullback((jnp.ones_like(L), jnp.zeros((), X.dtype)))
    ha, hs, oa, os, lse = acts
    risk = jnp.sum(row_weight * L) + pen
    grads = Gradients(g_oa, g_hs, g_ha, g_x, *g_params)
    return Activations(ha, hs, oa, os), lse, L, risk, grads


@jax.jit
def _everything_plain(params, X, y, lambdas, abs0, rect0):
    n = X.shape[0]
    return everything(params, X, y, lambdas, abs0, rect0, jnp.full((n,), 1.0 / n, X.dtype))


def evaluate_plain(params, X, y, lambdas=Lambdas(), kinks=KINK_SLOPES):
    """The definition, unpadded (one compile per shape): activations, lse, L, risk, gradients, as NumPy."""
    p, X, y, lam, dtype = network_inputs(params, X, y, lambdas)
    with x64():
        out = _everything_plain(
            Params(*map(jnp.asarray, p)), jnp.asarray(X), jnp.asarray(y),
            Lambdas(*(jnp.asarray(v, jnp.float64) for v in lam)),
            jnp.asarray(kinks[0], jnp.float64), jnp.asarray(kinks[1], jnp.float64),
        )
        return jax.device_get(out)


def _run(params, X, y, lambdas):
    """Validate, then evaluate on the padded engine (no recompiling for new shapes)."""
    from reference.engine import Problem, evaluate  # the engine is built on this module

    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    if y is None:
        y = np.zeros(X.shape[0], np.intp)
    f64 = lambda a: np.asarray(a, np.float64)
    return evaluate(Problem(Params(*map(f64, p)), f64(X), y, lam))


def forward(params: Params, X) -> Activations:
    """ha, hs, oa, os for a batch X (n, d), one example per row (B1–B3)."""
    return _run(params, X, None, None).acts


def loss(params: Params, X, y) -> np.ndarray:
    """Per-example −log os_y, shape (n,) (B4)."""
    return _run(params, X, y, None).L


def risk(params: Params, X, y, lambdas: Lambdas = Lambdas()) -> float:
    """Mean loss plus the four penalties (B5, B18)."""
    return float(_run(params, X, y, lambdas).risk)


def backprop(params: Params, X, y, lambdas: Lambdas = Lambdas(), *, input_gradient: bool = True) -> Gradients:
    """Every gradient, by jax.vjp of the risk (B7–B18); ``input_gradient=False``: ``x`` is None."""
    g = _run(params, X, y, lambdas).grads
    return g if input_gradient else g._replace(x=None)


def gradient_descent(params: Params, X, y, lambdas: Lambdas = Lambdas(), *, learning_rate: float, steps: int) -> Params:
    """Full-batch gradient descent, B6: θ ← θ − η ∂R/∂θ with ∂R/∂θ from jax.vjp, ``steps`` times."""
    if not isinstance(learning_rate, numbers.Real) or not math.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0; got {steps!r}")
    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    p = Params(*(np.array(a, np.float64) for a in p))
    for _ in range(int(steps)):
        g = _run(p, X, y, lam).grads
        p = Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
    return p
