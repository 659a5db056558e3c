"""∂R/∂W2 computed as h1ᵀ ∂L/∂a2 (the transpose of the right product): wrong in shape, or in place when square."""

from __future__ import annotations

from two_tanh_solution import Lambdas, backprop as _right, forward, loss, risk  # noqa: F401


def backprop(params, X, y, lambdas=Lambdas()):
    g = _right(params, X, y, lambdas)
    data = g.W2 - 2 * lambdas[1] * params.W2
    return g._replace(W2=data.T + 2 * lambdas[1] * params.W2.T)
