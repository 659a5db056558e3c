"""Classic bug: ∂R/∂W1 and ∂R/∂b1 divided by n twice (an extra 1/n)."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: (g.W1 - lam.l11 * sign(p.W1) - 2 * lam.l12 * p.W1) / X.shape[0]  # noqa: F405
    + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
    b1=lambda g, p, X, y, lam: g.b1 / X.shape[0],
)
gradient_descent = descent(backprop)
