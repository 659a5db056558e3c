"""The API, written down once: its names, its named tuples, how each function takes its arguments, every shape.

Both twins (:mod:`handgrad`, :mod:`reference`) and every part of the comparator
derive their lists from the tables here: :data:`API` (the names, in order),
:data:`ARGUMENTS` (each function's positional arguments), :data:`SHAPES` (each
array's shape in terms of the problem's sizes n, d, dh, m).

The types are ``typing.NamedTuple`` so that JAX treats them as pytrees and
``_replace`` works. Shapes follow the course, one example per row:

>>> import numpy as np
>>> p = Params(W1=np.zeros((3, 2)), b1=np.zeros(3), W2=np.zeros((4, 3)), b2=np.zeros(4))
>>> p.W2.shape
(4, 3)
>>> shape_of("W2", n=5, d=2, dh=3, m=4)
(4, 3)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "Params", "Lambdas", "Activations", "Gradients",
    "PART_A", "TYPES", "PART_B", "API", "ARGUMENTS", "SHAPES", "PARAMS", "DIMS", "shape_of",
]


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


#: Part A: elementwise functions of one array ``x`` (softmax over the last axis).
PART_A: tuple[str, ...] = (
    "sigmoid", "tanh", "softplus", "sign", "abs", "rect", "softmax",
    "d_sigmoid", "d_tanh", "d_abs", "d_rect", "grad_l2_squared", "grad_l1",
)
#: The named tuples.
TYPES: tuple[str, ...] = ("Params", "Lambdas", "Activations", "Gradients")
#: Part B: the network's functions.
PART_B: tuple[str, ...] = ("forward", "loss", "risk", "backprop", "gradient_descent")
#: Every name of the API, in this order: the ``__all__`` of both twins.
API: tuple[str, ...] = PART_A + TYPES + PART_B

#: How each function takes its positional arguments (part A: one array ``x``).
#: ``gradient_descent`` also takes ``learning_rate`` and ``steps`` by keyword,
#: ``backprop`` optionally ``input_gradient``.
ARGUMENTS: dict[str, tuple[str, ...]] = {
    **{name: ("x",) for name in PART_A},
    "forward": ("params", "X"),
    "loss": ("params", "X", "y"),
    "risk": ("params", "X", "y", "lambdas"),
    "backprop": ("params", "X", "y", "lambdas"),
    "gradient_descent": ("params", "X", "y", "lambdas"),
}

#: The sizes of a problem: n examples, d inputs, dh hidden units, m classes.
DIMS: tuple[str, ...] = ("n", "d", "dh", "m")
#: The parameter names, in order.
PARAMS: tuple[str, ...] = Params._fields

#: Every array of the API by ``function.field`` (a parameter by its own name), as sizes from :data:`DIMS`.
SHAPES: dict[str, tuple[str, ...]] = {
    "X": ("n", "d"), "y": ("n",),
    "W1": ("dh", "d"), "b1": ("dh",), "W2": ("m", "dh"), "b2": ("m",),
    "forward.ha": ("n", "dh"), "forward.hs": ("n", "dh"), "forward.oa": ("n", "m"), "forward.os": ("n", "m"),
    "loss": ("n",), "risk": (),
    "backprop.oa": ("n", "m"), "backprop.hs": ("n", "dh"), "backprop.ha": ("n", "dh"), "backprop.x": ("n", "d"),
    "backprop.W1": ("dh", "d"), "backprop.b1": ("dh",), "backprop.W2": ("m", "dh"), "backprop.b2": ("m",),
}


def shape_of(name: str, **sizes: int) -> tuple[int, ...]:
    """The shape of the array ``name`` (a key of :data:`SHAPES`) for these sizes.

    ``shape_of("backprop.x", n=4, d=3, dh=2, m=5)`` is ``(4, 3)``; a field of
    Activations or Gradients may also be named bare (``"ha"``, ``"x"``).
    """
    key = name if name in SHAPES else f"backprop.{name}" if f"backprop.{name}" in SHAPES else f"forward.{name}"
    if key not in SHAPES:
        raise ValueError(f"name must be one of {', '.join(SHAPES)}; got {name!r}")
    return tuple(int(sizes[s]) for s in SHAPES[key])
