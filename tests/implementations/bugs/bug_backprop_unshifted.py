"""The softmax without the max shift in the forward, and backprop built on it (attack round 11, `06_nan_hide`):
right at ordinary logits, nan past oa ≈ 709. X4's mistake alone: B6, B7, B18 and X5 drew such logits and were
charged too."""
from _solution import *  # noqa: F401,F403
from _forward_bug import activations, on_forward


def forward(params, X):
    return activations(params, X, shifted=False)


loss, risk, backprop, gradient_descent = on_forward(forward)
