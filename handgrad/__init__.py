"""handgrad: the course's one-hidden-layer network, every gradient derived by hand, in NumPy.

Part A (elementwise): sigmoid, tanh, softplus, sign, abs, rect, softmax and the
derivatives d_sigmoid, d_tanh, d_abs, d_rect, grad_l2_squared, grad_l1.
Part B (batched, one example per row): Params, Lambdas, Activations, Gradients,
forward, loss, risk, backprop, gradient_descent.

Subgradient convention: sign(0) = 0, abs'(0) = 0, rect'(0) = 0, ∂‖W‖₁/∂W = 0 at 0.
Labels count from 0. Its twin with the same API, every gradient by JAX autodiff,
is the ``reference`` package.

>>> import handgrad as hg
>>> hg.d_abs([-2.0, 0.0, 3.0])
array([-1.,  0.,  1.])
"""

from handgrad.functions import (
    abs,
    d_abs,
    d_rect,
    d_sigmoid,
    d_tanh,
    grad_l1,
    grad_l2_squared,
    rect,
    sigmoid,
    sign,
    softmax,
    softplus,
    tanh,
)
from handgrad.network import backprop, forward, gradient_descent, loss, risk
from handgrad.types import API, Activations, Gradients, Lambdas, Params

__version__ = "0.1.0"

__all__ = list(API)  # the API's one table: handgrad.types
