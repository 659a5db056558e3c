"""Classic bug: ∂R/∂W1 alone sums over the batch while the loss averages (its 1/n left out)."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
)
gradient_descent = descent(backprop)
