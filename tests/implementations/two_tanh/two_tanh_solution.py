"""The second exercise by hand, in NumPy: two tanh hidden layers, softmax, NLL, L2 on every weight.

One example per row. ``backprop`` returns the per-example gradients of L at o, h2, a2, h1, a1 and X (not
divided by n) and the risk's gradients at the parameters (the mean over the batch plus 2 l_k W_k).
"""

from __future__ import annotations

import numpy as np

from reference.compare.definitions.two_tanh import DEFINITION

_T = DEFINITION.types
Params, Lambdas, Activations, Gradients = _T["Params"], _T["Lambdas"], _T["Activations"], _T["Gradients"]


def forward(params, X):
    """a1, h1, a2, h2, o, s for a batch X (n, d)."""
    W1, b1, W2, b2, W3, b3 = params
    a1 = X @ W1.T + b1
    h1 = np.tanh(a1)
    a2 = h1 @ W2.T + b2
    h2 = np.tanh(a2)
    o = h2 @ W3.T + b3
    e = np.exp(o - o.max(axis=1, keepdims=True))
    return Activations(a1, h1, a2, h2, o, e / e.sum(axis=1, keepdims=True))


def loss(params, X, y):
    """−log s_y per example, by a max shift (no overflow)."""
    o = forward(params, X).o
    top = o.max(axis=1)
    return top + np.log(np.exp(o - top[:, None]).sum(axis=1)) - o[np.arange(len(y)), y]


def risk(params, X, y, lambdas=Lambdas()):
    """Mean loss plus l1‖W1‖² + l2‖W2‖² + l3‖W3‖²."""
    W1, _, W2, _, W3, _ = params
    return float(loss(params, X, y).mean() + sum(lam * np.vdot(W, W) for lam, W in zip(lambdas, (W1, W2, W3))))


def backprop(params, X, y, lambdas=Lambdas()):
    """Every gradient: per example at the nodes and X, of the risk at the parameters."""
    W1, b1, W2, b2, W3, b3 = params
    a1, h1, a2, h2, o, s = forward(params, X)
    n = X.shape[0]
    g_o = s.copy()
    g_o[np.arange(n), y] -= 1.0                 # ∂L/∂o = s − onehot(y)
    g_h2 = g_o @ W3
    g_a2 = g_h2 * (1.0 - h2 * h2)               # tanh' = 1 − tanh²
    g_h1 = g_a2 @ W2
    g_a1 = g_h1 * (1.0 - h1 * h1)
    g_X = g_a1 @ W1
    l1, l2, l3 = lambdas
    return Gradients(
        o=g_o, h2=g_h2, a2=g_a2, W3=g_o.T @ h2 / n + 2 * l3 * W3, b3=g_o.mean(axis=0), h1=g_h1, a1=g_a1,
        W2=g_a2.T @ h1 / n + 2 * l2 * W2, b2=g_a2.mean(axis=0), X=g_X,
        W1=g_a1.T @ X / n + 2 * l1 * W1, b1=g_a1.mean(axis=0))
