"""gradient_descent steps W1 with 2η: the loop's mistake, made at λ = 0 too (B6's); X5 inherits it."""
from _solution import *  # noqa: F401,F403
import _solution as solution
import numpy as np


def gradient_descent(params, X, y, lambdas=solution.Lambdas(), *, learning_rate, steps):
    p = solution.Params(*(np.array(a, dtype=np.float64) for a in params))
    for _ in range(steps):
        g = solution.backprop(p, X, y, lambdas)
        p = solution.Params(p.W1 - 2 * learning_rate * g.W1, p.b1 - learning_rate * g.b1,
                            p.W2 - learning_rate * g.W2, p.b2 - learning_rate * g.b2)
    return p
