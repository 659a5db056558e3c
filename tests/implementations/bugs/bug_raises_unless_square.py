"""A right backprop that raises unless d = dh (a shape check of its own, too strict): a raise of the shapes."""
from _solution import *  # noqa: F401,F403
import _solution as solution


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    if params.W1.shape[0] != params.W1.shape[1]:
        raise ValueError(f"W1 must be square, got {params.W1.shape}")
    return solution.backprop(params, X, y, lambdas, **kwargs)
