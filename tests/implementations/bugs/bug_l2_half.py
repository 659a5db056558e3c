"""Classic bug: the L2 term's gradient written λ·W instead of 2λ·W (a lost factor 2)."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.W1 - lam.l12 * p.W1,
    W2=lambda g, p, X, y, lam: g.W2 - lam.l22 * p.W2,
)
gradient_descent = descent(backprop)
