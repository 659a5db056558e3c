"""Helpers for the forward-mistake fixtures: the course's other network functions, built on a given forward."""

import numpy as np

import _solution as solution


def activations(params, X, *, minus_b1=False, b2=True, batch_softmax=False, shifted=True):
    """The forward pass with b1 subtracted (``minus_b1``), b2 left out (``b2=False``), the softmax taken over
    the batch axis (``batch_softmax``) or without the max shift (``shifted=False``: overflows past oa ≈ 709)."""
    W1, b1, W2, b2_ = (np.asarray(a, dtype=np.float64) for a in params)
    ha = np.asarray(X, dtype=np.float64) @ W1.T + (-b1 if minus_b1 else b1)
    hs = np.maximum(ha, 0.0)
    oa = hs @ W2.T + (b2_ if b2 else 0.0)
    if not shifted:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(oa)
            return solution.Activations(ha, hs, oa, e / e.sum(axis=1, keepdims=True))
    return solution.Activations(ha, hs, oa, solution.softmax(oa.T).T if batch_softmax else solution.softmax(oa))


def on_forward(forward, slope=None):
    """loss, risk, backprop and gradient_descent computed from ``forward``'s values, each right on them;
    ``slope(activations)``: rect's derivative at ha, 1{ha > 0} by default."""
    def loss(params, X, y):
        oa, y = forward(params, X).oa, np.asarray(y)
        top = oa.max(axis=1)
        return top + np.log(np.exp(oa - top[:, None]).sum(axis=1)) - oa[np.arange(len(y)), y]

    def risk(params, X, y, lambdas=solution.Lambdas()):
        W1, W2 = np.asarray(params[0], dtype=np.float64), np.asarray(params[2], dtype=np.float64)
        l11, l12, l21, l22 = (float(v) for v in lambdas)
        return float(loss(params, X, y).mean() + l11 * np.abs(W1).sum() + l12 * (W1 ** 2).sum()
                     + l21 * np.abs(W2).sum() + l22 * (W2 ** 2).sum())

    def backprop(params, X, y, lambdas=solution.Lambdas(), *, input_gradient=True):
        W1, _, W2, _ = (np.asarray(a, dtype=np.float64) for a in params)
        X, y, n = np.asarray(X, dtype=np.float64), np.asarray(y), len(y)
        l11, l12, l21, l22 = (float(v) for v in lambdas)
        a = forward(params, X)
        goa = a.os.copy()
        goa[np.arange(n), y] -= 1.0
        ghs = goa @ W2
        gha = ghs * (slope(a) if slope is not None else (a.ha > 0))
        return solution.Gradients(goa, ghs, gha, gha @ W1 if input_gradient else None,
                                  gha.T @ X / n + l11 * np.sign(W1) + 2 * l12 * W1, gha.mean(axis=0),
                                  goa.T @ a.hs / n + l21 * np.sign(W2) + 2 * l22 * W2, goa.mean(axis=0))

    def gradient_descent(params, X, y, lambdas=solution.Lambdas(), *, learning_rate, steps):
        p = solution.Params(*(np.array(a, dtype=np.float64) for a in params))
        for _ in range(steps):
            g = backprop(p, X, y, lambdas, input_gradient=False)
            p = solution.Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
        return p
    return loss, risk, backprop, gradient_descent
