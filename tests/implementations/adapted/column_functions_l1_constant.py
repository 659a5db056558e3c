"""column_functions with the classic bug: the L1 gradient written as the constant λ (same adapter).

Only the penalty's gradient differs; backprop and gradient_descent are repeated so
that they use it.
"""

import numpy as np

from column_functions import *  # noqa: F401,F403
from column_functions import d_rect, forward, grad_l2_squared


def grad_penalty(W, l1, l2):
    return l1 + l2 * grad_l2_squared(W)  # the bug: l1 instead of l1 sign(W)


def backprop(W1, b1, W2, b2, X, y, lam):
    n, m = X.shape[1], W2.shape[0]
    ha, hs, oa, os = forward(W1, b1, W2, b2, X)
    grad_oa = os - np.eye(m)[:, y - 1]
    grad_hs = W2.T @ grad_oa
    grad_ha = grad_hs * d_rect(ha)
    return {
        "grad_oa": grad_oa, "grad_hs": grad_hs, "grad_ha": grad_ha, "grad_x": W1.T @ grad_ha,
        "grad_W1": grad_ha @ X.T / n + grad_penalty(W1, lam[0, 0], lam[0, 1]),
        "grad_b1": grad_ha.mean(axis=1, keepdims=True),
        "grad_W2": grad_oa @ hs.T / n + grad_penalty(W2, lam[1, 0], lam[1, 1]),
        "grad_b2": grad_oa.mean(axis=1, keepdims=True),
    }


def gradient_descent(W1, b1, W2, b2, X, y, lam, eta, steps):
    for _ in range(steps):
        g = backprop(W1, b1, W2, b2, X, y, lam)
        W1, b1 = W1 - eta * g["grad_W1"], b1 - eta * g["grad_b1"]
        W2, b2 = W2 - eta * g["grad_W2"], b2 - eta * g["grad_b2"]
    return W1, b1, W2, b2
