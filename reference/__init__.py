"""reference: handgrad's twin, every gradient by JAX autodiff of the same risk.

Same API as :mod:`handgrad` (``from reference import *`` gives it), NumPy arrays
in and out, computed in float64 inside a scoped ``jax.enable_x64`` so importing it
leaves your global JAX config alone. The kinks follow the course (sign(0) = 0,
abs'(0) = rect'(0) = 0, ∂‖W‖₁/∂W = 0 at 0), pinned with ``jax.custom_jvp``.

The property catalog that checks any implementation against it lives in
:mod:`reference.catalog`; ``handgrad-compare`` runs it.

>>> import reference as ref
>>> ref.d_rect([-1.0, 0.0, 1.0])
array([0., 0., 1.])
"""

from handgrad.types import Activations, Gradients, Lambdas, Params
from reference.functions import (
    abs, d_abs, d_rect, d_sigmoid, d_tanh, grad_l1, grad_l2_squared, rect, sigmoid,
    sign, softmax, softplus, tanh,
)
from reference.network import backprop, forward, gradient_descent, loss, risk

__all__ = [
    "sigmoid", "tanh", "softplus", "sign", "abs", "rect", "softmax",
    "d_sigmoid", "d_tanh", "d_abs", "d_rect", "grad_l2_squared", "grad_l1",
    "Params", "Lambdas", "Activations", "Gradients",
    "forward", "loss", "risk", "backprop", "gradient_descent",
]
