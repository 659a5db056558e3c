"""Attack round 14 (`03b_strict_check_plusT`): every function checks b2 against dh (raises unless dh = m), and
backprop's ∂R/∂W2 is transposed. The transposed array explains backprop's raise, and its descent's; forward's
raise is its own (forward uses no backprop): an error at each property that saw it."""
import _solution as solution
from _solution import *  # noqa: F401,F403
from _bug import descent


def _strict(params):
    if params.b2.shape != (params.W1.shape[0],):
        raise ValueError(f"b2 must have shape ({params.W1.shape[0]},), got {params.b2.shape}")


def forward(params, X):
    _strict(params)
    return solution.forward(params, X)


def loss(params, X, y):
    _strict(params)
    return solution.loss(params, X, y)


def risk(params, X, y, lambdas=solution.Lambdas()):
    _strict(params)
    return solution.risk(params, X, y, lambdas)


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    _strict(params)
    g = solution.backprop(params, X, y, lambdas, **kwargs)
    return g._replace(W2=g.W2.T.copy())


gradient_descent = descent(backprop)
