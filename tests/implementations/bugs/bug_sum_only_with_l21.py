"""A batching mistake shown only on problems its own question never draws: ∂R/∂W1 summed over the batch
(B16's pattern) only when λ21 > 0 and W1 has no penalty, while B16 draws λ = 0 alone. B18 and X1 find it and
would inherit it from B16, which passes: it is charged where it is seen."""
from _solution import *  # noqa: F401,F403
from _bug import descent, with_gradients

backprop = with_gradients(
    W1=lambda g, p, X, y, lam: g.W1 if lam.l21 == 0 or lam.l11 or lam.l12
    else g.ha.T @ X + lam.l11 * sign(p.W1) + 2 * lam.l12 * p.W1,  # noqa: F405
)
gradient_descent = descent(backprop)
