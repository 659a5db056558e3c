"""The L1 term's gradient written W1/|W1| (attack round 10, `15_nan_l1`): nan at a zero weight, even at λ11 = 0
(0 · nan). B18's mistake alone: B15 and B16 see it at λ = 0, where the data term from the submission's own
∂L/∂ha is finite, and inherit it. Its descent steps on into the nan it made (no check of finite inputs)."""
import numpy as np

from _solution import *  # noqa: F401,F403
import _solution as solution
from _bug import descent


def backprop(params, X, y, lambdas=solution.Lambdas(), *, input_gradient=True):
    p = solution.Params(*(np.asarray(a, dtype=np.float64) for a in params))
    lam = solution.Lambdas(*(float(v) for v in lambdas))
    g = solution._backward(p, np.asarray(X, dtype=np.float64), np.asarray(y), lam, input_gradient=input_gradient)
    with np.errstate(invalid="ignore", divide="ignore"):
        return g._replace(W1=g.W1 - lam.l11 * np.sign(p.W1) + lam.l11 * (p.W1 / np.abs(p.W1)))


gradient_descent = descent(backprop)
