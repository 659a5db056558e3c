"""∂R/∂W1's data term doubled on a batch of one example only: B15's mistake (on each example's own values);
X1, which asks the examples one at a time, inherits it, and so does B16 (its batches of one)."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.W1 if len(X) > 1
    else 2 * g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
)
gradient_descent = descent(backprop)
