"""A second exercise: two tanh hidden layers, softmax, NLL, L2 on every weight (docs/exercise.md).

One example per row: ``a1 = X W1ᵀ + b1``, ``h1 = tanh(a1)``, ``a2 = h1 W2ᵀ + b2``, ``h2 = tanh(a2)``,
``o = h2 W3ᵀ + b3``, ``s = softmax(o)``, ``L = −log s_y``, and the risk mean(L) + Σ_k l_k ‖W_k‖₂².
``backprop`` returns the per-example gradients of L at every node and at X, and the risk's at every
parameter. Questions: C1–C6 the forward, C7 the loss, C8 the risk, D1–D8 the backward.

>>> DEFINITION.arguments["backprop"]
('params', 'X', 'y', 'lambdas')
"""

from __future__ import annotations

from reference.compare.definitions.vocabulary import Definition, Penalty, Step, affine, nll, softmax, squared, tanh

__all__ = ["DEFINITION"]


DEFINITION = Definition(
    name="two_tanh",
    dims={"n": (1, 5), "d": (1, 4), "h1": (1, 4), "h2": (1, 4), "m": (2, 4)},
    data={"X": ("n", "d")},
    labels=("y", "m"),
    params={"W1": ("h1", "d"), "b1": ("h1",), "W2": ("h2", "h1"), "b2": ("h2",), "W3": ("m", "h2"),
            "b3": ("m",)},
    steps=(
        Step("a1", ("n", "h1"), ("X", "W1", "b1"), affine, "C1"),
        Step("h1", ("n", "h1"), ("a1",), tanh, "C2", scale=1.0),
        Step("a2", ("n", "h2"), ("h1", "W2", "b2"), affine, "C3"),
        Step("h2", ("n", "h2"), ("a2",), tanh, "C4", scale=1.0),
        Step("o", ("n", "m"), ("h2", "W3", "b3"), affine, "C5"),
        Step("s", ("n", "m"), ("o",), softmax, "C6"),
    ),
    loss=Step("L", ("n",), ("o", "y"), nll, "C7", scale=1.0),
    penalties=(Penalty("l1", "W1", squared), Penalty("l2", "W2", squared), Penalty("l3", "W3", squared)),
    gradients={"o": "D1", "h2": "D2", "a2": "D3", "W3": "D4", "b3": "D4", "h1": "D5", "a1": "D6",
               "W2": "D7", "b2": "D7", "X": "D8", "W1": "D7", "b1": "D7"},
    risk_question="C8",
)
