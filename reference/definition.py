"""Part B by JAX, the definition: the risk written in jax.numpy, every gradient from one ``jax.vjp``.

No derivative here is written by hand (the slopes at the kinks are pinned in
:mod:`reference.kinks`). The per-example gradients with respect to the
activations come from the same ``jax.vjp``: the risk takes additive
perturbations ``d_ha, d_hs, d_oa`` (zero), and the gradient with respect to a
perturbation is the gradient with respect to that activation.

:func:`everything` is the definition; :func:`evaluate_plain` runs it on a
problem as given (one compile per shape). :mod:`reference.engine` runs the same
definition padded to a few bucket shapes, and :mod:`reference.network` (the API)
runs the engine; ``tests/twins/test_reference.py`` checks the padded and plain
results agree.

>>> import numpy as np
>>> p = Params(np.ones((2, 3)), np.zeros(2), np.ones((2, 2)), np.zeros(2))
>>> acts, lse, L, risk, grads = evaluate_plain(p, np.ones((1, 3)), np.array([0]))
>>> bool(np.isclose(risk, np.log(2.0))), grads.W1.shape
(True, (2, 3))
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from handgrad.types import Activations, Gradients, Lambdas, Params
from handgrad.validation import network_inputs
from reference.kinks import abs_k, rect_k
from reference.plumbing import KINK_SLOPES, x64

__all__ = ["losses", "penalty", "everything", "evaluate_plain"]


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
    zeros = lambda k: jnp.zeros((n, k), X.dtype)  # noqa: E731
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
