"""Part B by JAX, the API: handgrad.network's twin, every gradient by ``jax.vjp`` of the same risk.

Each function validates its inputs as handgrad does (:mod:`handgrad.validation`),
then evaluates :func:`reference.definition.everything` through the padded engine
(:mod:`reference.engine`), so that random shapes do not recompile.

>>> import numpy as np
>>> p = Params(np.ones((2, 3)), np.zeros(2), np.ones((2, 2)), np.zeros(2))
>>> backprop(p, np.ones((1, 3)), np.array([1])).oa
array([[ 0.5, -0.5]])
"""

from __future__ import annotations

import numpy as np

from handgrad.types import PART_B, Activations, Gradients, Lambdas, Params
from handgrad.validation import check_descent, network_inputs
from reference.engine import Evaluation, evaluate

__all__ = list(PART_B)


def _run(params, X, y, lambdas) -> Evaluation:
    """Validate, then evaluate on the padded engine (no recompiling for new shapes)."""
    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    if y is None:
        y = np.zeros(X.shape[0], np.intp)
    f64 = lambda a: np.asarray(a, np.float64)  # noqa: E731
    return evaluate(Params(*map(f64, p)), f64(X), y, lam)


def forward(params: Params, X) -> Activations:
    """ha, hs, oa, os for a batch X (n, d), one example per row (B1–B3)."""
    return _run(params, X, None, None).acts


def loss(params: Params, X, y) -> np.ndarray:
    """Per-example −log os_y, shape (n,) (B4)."""
    return _run(params, X, y, None).L


def risk(params: Params, X, y, lambdas: Lambdas = Lambdas()) -> float:
    """Mean loss plus the four penalties (B5, B18)."""
    return float(_run(params, X, y, lambdas).risk)


def backprop(params: Params, X, y, lambdas: Lambdas = Lambdas(), *,
             input_gradient: bool = True) -> Gradients:
    """Every gradient, by jax.vjp of the risk (B7–B18); ``input_gradient=False``: ``x`` is None."""
    g = _run(params, X, y, lambdas).grads
    return g if input_gradient else g._replace(x=None)


def gradient_descent(params: Params, X, y, lambdas: Lambdas = Lambdas(), *,
                     learning_rate: float, steps: int) -> Params:
    """Full-batch gradient descent, B6: θ ← θ − η ∂R/∂θ with ∂R/∂θ from jax.vjp, ``steps`` times."""
    check_descent(learning_rate, steps)
    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    p = Params(*(np.array(a, np.float64) for a in p))
    for _ in range(int(steps)):
        g = _run(p, X, y, lam).grads
        p = Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
    return p
