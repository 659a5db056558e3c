"""Classic bug: the L2 term's gradient written λ·W instead of 2λ·W (a lost factor 2), and ∂‖x‖₂²/∂x as x."""
from _solution import *  # noqa: F401,F403
import numpy as np
from _bug import descent, with_gradients


def grad_l2_squared(x):
    return np.array(x, dtype=np.float64)


backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.W1 - 2 * lam.l12 * p.W1 + lam.l12 * grad_l2_squared(p.W1),
    W2=lambda g, p, X, y, lam: g.W2 - 2 * lam.l22 * p.W2 + lam.l22 * grad_l2_squared(p.W2),
)
gradient_descent = descent(backprop)
