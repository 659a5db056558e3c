"""∂R/∂b1 returned with shape (1, dh) (a mean with keepdims=True), its values right: the shape is X3's question,
charged there once; elsewhere the array is read back (attack round 13: 6 questions lost)."""
from _solution import *  # noqa: F401,F403
from _bug import with_gradients

backprop = with_gradients(b1=lambda g, p, X, y, lam: g.b1.reshape(1, -1).copy())
