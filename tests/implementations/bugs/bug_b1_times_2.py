"""∂R/∂b1 twice the reference, on one example as on a batch (attack round 10, `16_huge_values`): B15's
mistake alone. At n = 2 it looks like a sum over the batch, but an example alone shows it: B16 inherits it, as
it does ×10."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(b1=lambda g, p, X, y, lam: 2 * g.b1)
gradient_descent = descent(backprop)
