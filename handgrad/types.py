"""The named tuples of the API, shared by handgrad and its JAX twin.

They are ``typing.NamedTuple`` so that JAX treats them as pytrees and ``_replace``
works. Shapes follow the course, one example per row:

>>> import numpy as np
>>> p = Params(W1=np.zeros((3, 2)), b1=np.zeros(3), W2=np.zeros((4, 3)), b2=np.zeros(4))
>>> p.W2.shape
(4, 3)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Params", "Lambdas", "Activations", "Gradients"]


class Params(NamedTuple):
    """θ = {W1, b1, W2, b2}: W1 (dh, d), b1 (dh,), W2 (m, dh), b2 (m,)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


class Lambdas(NamedTuple):
    """Regularization weights: l11‖W1‖₁ + l12‖W1‖₂² + l21‖W2‖₁ + l22‖W2‖₂²."""

    l11: float = 0.0
    l12: float = 0.0
    l21: float = 0.0
    l22: float = 0.0


class Activations(NamedTuple):
    """The forward pass, one row per example: ha, hs (n, dh); oa, os (n, m)."""

    ha: np.ndarray
    hs: np.ndarray
    oa: np.ndarray
    os: np.ndarray


class Gradients(NamedTuple):
    """What backprop returns.

    ``oa, hs, ha, x`` are per-example gradients of L(x_i, y_i) (not divided by n),
    shapes (n, m), (n, dh), (n, dh), (n, d). ``W1, b1, W2, b2`` are gradients of the
    regularized risk (mean loss plus the four penalties).
    """

    oa: np.ndarray
    hs: np.ndarray
    ha: np.ndarray
    x: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
