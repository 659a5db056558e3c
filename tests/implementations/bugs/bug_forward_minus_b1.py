"""One forward mistake: ha = X W1ᵀ − b1, and every function built on that forward (B1's mistake alone); the
later steps are right on its values, so they inherit it."""
from _solution import *  # noqa: F401,F403
from _forward_bug import activations, on_forward


def forward(params, X):
    return activations(params, X, minus_b1=True)


loss, risk, backprop, gradient_descent = on_forward(forward)
