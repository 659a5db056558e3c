"""Classic loop bug: gradient_descent takes the gradient once, before the loop, and steps along it every time."""
import numpy as np

from _solution import *  # noqa: F401,F403
import _solution as solution


def gradient_descent(params, X, y, lambdas=solution.Lambdas(), *, learning_rate, steps):
    p = solution.Params(*(np.array(a, dtype=np.float64) for a in params))
    g = solution.backprop(p, X, y, lambdas, input_gradient=False)
    for _ in range(steps):
        p = solution.Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
    return p
