"""Classic bug: ∂R/∂W1 returned transposed (xᵀ ∂L/∂ha: d × dh instead of dh × d)."""
from _solution import *  # noqa: F401,F403
from _bug import with_gradients

backprop = with_gradients(W1=lambda g, p, X, y, lam: g.W1.T.copy())
