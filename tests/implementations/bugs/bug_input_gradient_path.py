"""backprop's input_gradient=False path with its own ∂R/∂b1 (0.9 times the other path's), a path the
submission's gradient descent does not take: X1 asks it (attack round 7, `ig_false`)."""
from _solution import *  # noqa: F401,F403
import _solution as solution


def backprop(params, X, y, lambdas=solution.Lambdas(), *, input_gradient=True):
    g = solution.backprop(params, X, y, lambdas, input_gradient=input_gradient)
    return g if input_gradient else g._replace(b1=0.9 * g.b1)
