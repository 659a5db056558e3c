"""The course's API written the seeds' way: functions on column vectors, labels from 1, λ as a 2 × 2 matrix.

Checked through the template adapter ``reference/compare/submissions/templates/column_functions.toml``.
One example per column: X (d, n), labels y in 1..m, biases (k, 1),
lam = [[l11, l12], [l21, l22]]. ``backprop`` returns a dict. Part A under the API's
names (softmax over each column). The math is the course's, in plain NumPy.
"""

import numpy as np


def sigmoid(x):
    return 0.5 * (np.tanh(0.5 * np.asarray(x, dtype=np.float64)) + 1)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def sign(x):
    x = np.asarray(x, dtype=np.float64)
    return (x > 0).astype(np.float64) - (x < 0)


def abs(x):  # noqa: A001 - the API's name
    return np.abs(np.asarray(x, dtype=np.float64))


def rect(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def softmax(oa):  # one example per column
    e = np.exp(oa - oa.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def d_sigmoid(x):
    s = sigmoid(x)
    return s * (1 - s)


def d_tanh(x):
    return 1 - tanh(x) ** 2


d_abs = sign


def d_rect(x):
    return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)


def grad_l2_squared(x):
    return 2 * np.asarray(x, dtype=np.float64)


grad_l1 = sign


def forward(W1, b1, W2, b2, X):
    ha = W1 @ X + b1
    hs = rect(ha)
    oa = W2 @ hs + b2
    return ha, hs, oa, softmax(oa)


def loss(W1, b1, W2, b2, X, y):
    """L(x, y) for each column of X, labels from 1."""
    oa = forward(W1, b1, W2, b2, X)[2]
    top = oa.max(axis=0)
    lse = top + np.log(np.exp(oa - top).sum(axis=0))
    return lse - oa[y - 1, np.arange(X.shape[1])]


def risk(W1, b1, W2, b2, X, y, lam):
    penalty = sum(lam[k, 0] * np.abs(W).sum() + lam[k, 1] * (W * W).sum() for k, W in enumerate((W1, W2)))
    return np.mean(loss(W1, b1, W2, b2, X, y)) + penalty


def grad_penalty(W, l1, l2):
    return l1 * grad_l1(W) + l2 * grad_l2_squared(W)


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
