"""Classic loop bug: ∂R/∂b1 sums the examples' ∂L/∂ha over range(n − 1), then divides by n (right at n = 1)."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(b1=lambda g, p, X, y, lam: g.ha[:max(len(y) - 1, 1)].sum(axis=0) / len(y))
gradient_descent = descent(backprop)
