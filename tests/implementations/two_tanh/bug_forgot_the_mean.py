"""The 1/n of the mean forgotten: every parameter's data term summed over the batch (right at n = 1 only)."""

from __future__ import annotations

from two_tanh_solution import Lambdas, backprop as _right, forward, loss, risk  # noqa: F401


def backprop(params, X, y, lambdas=Lambdas()):
    g = _right(params, X, y, lambdas)
    n = X.shape[0]
    l1, l2, l3 = lambdas
    W1, _, W2, _, W3, _ = params
    return g._replace(W1=(g.W1 - 2 * l1 * W1) * n + 2 * l1 * W1, b1=g.b1 * n,
                      W2=(g.W2 - 2 * l2 * W2) * n + 2 * l2 * W2, b2=g.b2 * n,
                      W3=(g.W3 - 2 * l3 * W3) * n + 2 * l3 * W3, b3=g.b3 * n)
