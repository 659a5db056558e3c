"""Two mistakes, one hidden behind the other: ∂R/∂W1 summed over the batch (B15/B16), and gradient descent
stepping b1 with 1.5 η (B6, X5). B6's W1 step inherits B16's mistake; its b1 step is its own."""
from _solution import *  # noqa: F401,F403
import _solution as solution
import numpy as np
from _bug import with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
)


def gradient_descent(params, X, y, lambdas=solution.Lambdas(), *, learning_rate, steps):
    p = solution.Params(*(np.array(a, dtype=np.float64) for a in params))
    for _ in range(steps):
        g = backprop(p, X, y, lambdas)
        p = solution.Params(p.W1 - learning_rate * g.W1, p.b1 - 1.5 * learning_rate * g.b1,
                            p.W2 - learning_rate * g.W2, p.b2 - learning_rate * g.b2)
    return p
