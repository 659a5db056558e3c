"""Attack round 14 (`08_tail_attack`): backprop raises unless dh = m, ∂R/∂W2 is transposed (charged at B9), and
∂R/∂b1 sums instead of averaging past hidden unit 64, which only problems of the course's size show. The bulk
sweep's problems have dh ≠ m, so a function judged where they are equal is also judged on one problem of the
course's size with them equal: the mistake is charged at B15."""
import _solution as solution
from _solution import *  # noqa: F401,F403
from _bug import descent


def backprop(params, X, y, lambdas=solution.Lambdas(), **kwargs):
    if params.W2.shape[0] != params.W2.shape[1]:
        raise ValueError(f"W2 must be square, got {params.W2.shape}")
    g = solution.backprop(params, X, y, lambdas, **kwargs)
    b1 = g.b1.copy()
    b1[64:] *= X.shape[0]
    return g._replace(W2=g.W2.T.copy(), b1=b1)


gradient_descent = descent(backprop)
