"""Classic bug: ∂R/∂W2 returned transposed (hsᵀ ∂L/∂oa: dh × m instead of m × dh)."""
from _solution import *  # noqa: F401,F403
from _bug import with_gradients

backprop = with_gradients(W2=lambda g, p, X, y, lam: g.W2.T.copy())
