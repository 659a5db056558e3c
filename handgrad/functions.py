"""Part A of the course: elementwise functions and their derivatives, by hand.

Each line is one claim of the exercise (question id in the comment). Inputs are
array-likes; outputs are floating arrays of the input's float dtype (float64 for
integers). Kinks follow the course's subgradient convention:
sign(0) = 0, abs'(0) = 0, rect'(0) = 0, ∂‖x‖₁/∂x = 0 at x = 0.

>>> d_rect([-1.0, 0.0, 2.0])
array([0., 0., 1.])
"""

from __future__ import annotations

import numpy as np

from handgrad.types import PART_A
from handgrad.validation import as_float_array

__all__ = list(PART_A)

_f = as_float_array


# -- the functions ----------------------------------------------------------
def sigmoid(x):
    """1 / (1 + exp(−x)), A1. Written with exp(−|x|) so it never overflows."""
    x = _f(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    """(exp(x) − exp(−x)) / (exp(x) + exp(−x))."""
    return np.tanh(_f(x))


def softplus(x):
    """ln(1 + exp(x)) = logaddexp(0, x), A2; exact at ±1e300."""
    x = _f(x)
    return np.logaddexp(np.zeros((), x.dtype), x)


def sign(x):
    """1{x>0} − 1{x<0}, A5."""
    x = _f(x)
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def abs(x):  # noqa: A001 - the course's name
    """|x|."""
    return np.abs(_f(x))


def rect(x):
    """max(0, x), the course's rectifier."""
    x = _f(x)
    return np.maximum(x, np.zeros((), x.dtype))


def softmax(x):
    """exp(x_k) / Σ_i exp(x_i) over the last axis, B3; shifted by the max so it never overflows."""
    x = _f(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- their derivatives ------------------------------------------------------
def d_sigmoid(x):
    """sigmoid(x)(1 − sigmoid(x)), A3; as sigmoid(x)·sigmoid(−x), which keeps full precision for large x."""
    x = _f(x)
    return sigmoid(x) * sigmoid(-x)


def d_tanh(x):
    """1 − tanh²(x), A4."""
    t = np.tanh(_f(x))
    return 1.0 - t * t


def d_abs(x):
    """abs'(x) = sign(x), A6 (0 at the kink)."""
    return sign(x)


def d_rect(x):
    """rect'(x) = 1{x>0}, A7 (0 at the kink)."""
    x = _f(x)
    return (x > 0).astype(x.dtype)


def grad_l2_squared(x):
    """∂‖x‖₂²/∂x = 2x, A8."""
    return 2.0 * _f(x)


def grad_l1(x):
    """∂‖x‖₁/∂x = sign(x), A9."""
    return sign(x)
