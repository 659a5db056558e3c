"""The seeds' network declared as a definition: one rect hidden layer, softmax, NLL, four penalties.

The same network as :mod:`handgrad.network` and :mod:`reference.definition`, its questions the seeds' (B1–B17,
B5 the risk): what :mod:`.derived` makes of it is compared with the hand-written catalog by
``tests/test_definitions.py``. Not declared here, the seeds' own beyond the chain: part A, the batching twins
(B8, B10…), B18's penalty question apart from the data term, B6, X1, X2, X4 and X5 (X3, the results' types
and shapes, is derived).

>>> DEFINITION.types["Gradients"]._fields
('oa', 'hs', 'ha', 'x', 'W1', 'b1', 'W2', 'b2')
"""

from __future__ import annotations

from reference.compare.definitions.vocabulary import (
    Definition,
    Kinked,
    Penalty,
    Step,
    affine,
    jnp,
    l1,
    nll,
    softmax,
    squared,
)

__all__ = ["DEFINITION", "RECT"]

#: rect(a) = max(a, 0) with rect'(0) = 0, the course's convention.
RECT = Kinked(lambda a: jnp.maximum(a, 0.0), 0.0, 1.0)

DEFINITION = Definition(
    name="seeds",
    dims={"n": (1, 5), "d": (1, 4), "dh": (1, 4), "m": (2, 4)},
    data={"X": ("n", "d")},
    labels=("y", "m"),
    params={"W1": ("dh", "d"), "b1": ("dh",), "W2": ("m", "dh"), "b2": ("m",)},
    steps=(
        Step("ha", ("n", "dh"), ("X", "W1", "b1"), affine, "B1"),
        Step("hs", ("n", "dh"), ("ha",), RECT, "B1"),
        Step("oa", ("n", "m"), ("hs", "W2", "b2"), affine, "B2"),
        Step("os", ("n", "m"), ("oa",), softmax, "B3"),
    ),
    loss=Step("L", ("n",), ("oa", "y"), nll, "B4", scale=1.0),
    penalties=(Penalty("l11", "W1", l1), Penalty("l12", "W1", squared), Penalty("l21", "W2", l1),
               Penalty("l22", "W2", squared)),
    gradients={"oa": "B7", "hs": "B11", "ha": "B13", "X": "B17", "W1": "B15", "b1": "B15", "W2": "B9",
               "b2": "B9"},
    fields={"X": "x"},
    risk_question="B5",
    types_question="X3",
)
