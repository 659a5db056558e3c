"""backprop returns a plain tuple of the eight gradients in the fields' order, not a Gradients: read by position,
the values are judged; the container is X3's question, charged there once (attack round 13: 17 questions lost)."""
from _solution import *  # noqa: F401,F403
import _solution as solution


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    return tuple(solution.backprop(params, X, y, lambdas, **kwargs))
