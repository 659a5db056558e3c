"""How far a correct float implementation may be from the reference's values: a bound per entry.

Why not plain relative error: where a gradient cancels (a sum of large terms of
both signs that is nearly 0), two correct implementations differ by roundoff of
the size of the *terms*, not of the result, and a relative error explodes
(1e285 was seen on a correct implementation). The standard bound for a dot
product of length k is |computed − exact| ≤ k·u·Σ|a_i||b_i|: the same formula
evaluated on absolute values. :func:`error_bounds` propagates that bound through
the network, first order, from the inputs to every gradient, entry by entry, from
the *reference's* values (u is the unit roundoff, eps/2). The engine computes the
bounds in the same program as the values; how much of a bound a comparison
accepts is the comparator's policy (:mod:`reference.compare.exercise.tolerance`).

At a rect kink the bound distinguishes two cases. A pre-activation that is
exactly 0 because every term of it is 0 has E = 0: it is checked under the
convention (rect'(0) = 0). A pre-activation that is 0 only up to rounding
(|ha| ≤ 2E, E > 0) may be rounded to +1e-19 by one side and −1e-19 by the other;
both masks are right, so there the bound grows by |∂L/∂hs| and the difference
carries to ∂L/∂W1, ∂L/∂b1 and ∂L/∂x through the same products.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["error_bounds"]


def error_bounds(X, params, lambdas, acts, lse, L, grads, row_weight, counts, u, risk):
    """Per-entry bounds, same structure as the reference's outputs.

    ``counts`` = (n, d, dh, m) as floats (the true sizes under padding);
    ``row_weight`` is 1/n per example (0 on padded rows).
    Returns (acts_E, L_E, risk_E, grads_E) with acts_E, grads_E as tuples.
    """
    n, d, dh, m = counts
    W1, b1, W2, b2 = params
    l11, l12, l21, l22 = lambdas
    ha, hs, oa, os = acts
    aX, aW1, aW2, ahs = jnp.abs(X), jnp.abs(W1), jnp.abs(W2), jnp.abs(hs)
    w = row_weight[:, None]

    # forward
    E_ha = (d + 1) * u * (aX @ aW1.T + jnp.abs(b1))
    E_hs = E_ha
    E_oa = (dh + 1) * u * (ahs @ aW2.T + jnp.abs(b2)) + E_hs @ aW2.T
    r = jnp.max(E_oa, axis=1, keepdims=True)
    spread = jnp.where(os > 0, jnp.abs(oa - lse[:, None]), 0.0)
    E_os = os * (2 * r + (m + 3) * u + u * spread)
    E_L = 2 * r[:, 0] + (m + 3) * u * (jnp.abs(lse) + jnp.abs(L))  # |oa_y| ≤ |lse| + |L|

    # per-example backward
    g = grads
    E_goa = E_os + u * jnp.abs(g.oa)
    E_ghs = (m + 1) * u * (jnp.abs(g.oa) @ aW2) + E_goa @ aW2
    ambiguous = (jnp.abs(ha) <= 2 * E_ha) & (E_ha > 0)
    E_gha = E_ghs + jnp.where(ambiguous, jnp.abs(g.hs) + E_ghs, 0.0)
    E_gx = (dh + 1) * u * (jnp.abs(g.ha) @ aW1) + E_gha @ aW1

    # parameter gradients (the risk weighs example i by row_weight_i = 1/n)
    agoa, agha = jnp.abs(g.oa), jnp.abs(g.ha)
    E_gW2 = ((n + 2) * u * (w * agoa).T @ ahs + (w * E_goa).T @ ahs + (w * agoa).T @ E_hs
             + 4 * u * (l21 + 2 * l22 * aW2 + jnp.abs(g.W2)))
    E_gb2 = (n + 2) * u * (row_weight @ agoa) + row_weight @ E_goa
    E_gW1 = ((n + 2) * u * (w * agha).T @ aX + (w * E_gha).T @ aX
             + 4 * u * (l11 + 2 * l12 * aW1 + jnp.abs(g.W1)))
    E_gb1 = (n + 2) * u * (row_weight @ agha) + row_weight @ E_gha

    E_risk = (row_weight @ E_L + (n + 1) * u * (row_weight @ jnp.abs(L))
              + (d * dh + 2) * u * (l11 * jnp.sum(aW1) + l12 * jnp.sum(W1 * W1))
              + (dh * m + 2) * u * (l21 * jnp.sum(aW2) + l22 * jnp.sum(W2 * W2))
              + 4 * u * jnp.abs(risk))

    acts_E = (E_ha, E_hs, E_oa, E_os)
    grads_E = (E_goa, E_ghs, E_gha, E_gx, E_gW1, E_gb1, E_gW2, E_gb2)
    return acts_E, E_L, E_risk, grads_E
