"""Two mistakes, one hidden behind the other: ∂R/∂W1 summed over the batch (B15/B16), and the λ21 term of
∂R/∂W2 left out on batches (B18, right at n = 1 only). B18's W1 inherits B16's mistake; its W2 is its own."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
    W2=lambda g, p, X, y, lam: g.W2 - (lam.l21 * sign(p.W2) if len(X) > 1 else 0),  # noqa: F405
)
gradient_descent = descent(backprop)
