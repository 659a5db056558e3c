"""A right backprop that raises where a hidden pre-activation is exactly 0 (rect's kink): a raise of the values."""
import numpy as np

from _solution import *  # noqa: F401,F403
import _solution as solution


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    ha = np.asarray(X, dtype=np.float64) @ np.asarray(params.W1, dtype=np.float64).T + params.b1
    if (ha == 0).any():
        raise ValueError("rect has no derivative at 0")
    return solution.backprop(params, X, y, lambdas, **kwargs)
