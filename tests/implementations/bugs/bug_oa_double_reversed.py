"""Two mistakes in ∂L/∂oa: each example's doubled (B7's) and the batch's rows in reverse order (B8's). A batch
is not its halves stacked, so B8 does not inherit B7's mistake: both are charged."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(oa=lambda g, p, X, y, lam: 2 * g.oa[::-1])
gradient_descent = descent(backprop)
