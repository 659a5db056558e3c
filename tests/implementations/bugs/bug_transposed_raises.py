"""∂R/∂W2's data term transposed (hsᵀ ∂L/∂oa), the penalties' terms added in place: raises unless dh = m. On
square problems the transposed array explains the raise: charged once, where W2's gradient is judged."""
import numpy as np
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients


def _w2(g, p, X, y, lam):
    W2 = np.asarray(p.W2, dtype=np.float64)
    reg = lam.l21 * np.sign(W2) + 2 * lam.l22 * W2
    grad = (g.W2 - reg).T.copy()
    grad += reg  # ValueError unless dh = m
    return grad


backprop = with_gradients(W2=_w2)
gradient_descent = descent(backprop)
