"""Two mistakes that a batch alone cannot tell apart: ∂R/∂W1's data term doubled (B15's) and summed over the
batch (B16's), both only when n > 1 (right on each example alone). No pattern of batching fits 2n times the
mean: both questions are charged, whatever the answers at n = 1."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.W1 if len(X) == 1
    else 2 * g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
)
gradient_descent = descent(backprop)
