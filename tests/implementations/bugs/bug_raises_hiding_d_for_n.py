"""Attack round 11 (`01_raise_merge`): ∂R/∂W1 and ∂R/∂b1 divided by d instead of n, behind a raise unless
n = d (or n = 1): on square problems, where every side is equal, the mistake cannot show. No transposed array
explains the raise: it earns nothing."""
import numpy as np

from _solution import *  # noqa: F401,F403
import _solution as solution
from _bug import descent


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    n, d = np.shape(X)
    if n > 1 and n != d:
        raise ValueError(f"X must be square, got {np.shape(X)}")
    g = solution.backprop(params, X, y, lambdas, **kwargs)
    lam = solution.Lambdas(*lambdas)
    W1 = np.asarray(params.W1, dtype=np.float64)
    pen = lam.l11 * np.sign(W1) + 2 * lam.l12 * W1
    return g._replace(W1=(g.W1 - pen) * n / d + pen, b1=g.b1 * n / d)


gradient_descent = descent(backprop)
