"""The property catalog: one or more properties per numbered claim of the course, defined once, here.

The pytest suite and ``handgrad-compare`` only run it (:mod:`reference.compare.running.runner`).
A property is a question id (A1…A9, B1…B18, or X1…X5 for checks beyond the
seeds), a one-line title, a Hypothesis strategy and a check that calls the
implementation under test through a :class:`~reference.compare.exercise.catalog.context.Context`
and compares it with the reference. A check raises
:class:`~reference.compare.exercise.catalog.check.PropertyFailure` naming the array, the
worst entry, both values, and the quantity before it in the chain. A network
property also names the arrays the bulk sweep compares for it (``sweep``).

The checks live by part: :mod:`.part_a` (A1–A9), :mod:`.part_b` (B1–B18),
:mod:`.beyond` (X1–X5); :mod:`.check` holds the vocabulary.

>>> [p.id for p in CATALOG if p.question == "B15"]
['B15-W1', 'B15-b1']
>>> by_id("B9").sweep
Sweep(function='backprop', lambdas_mode='zero', fields=('backprop.W2', 'backprop.b2'), ordinary=False)
"""

from __future__ import annotations

import functools

from handgrad.types import PARAMS, PART_A, PART_B, Gradients
from reference.compare.exercise import strategies as S
from reference.compare.exercise.catalog import beyond, part_a, part_b
from reference.compare.exercise.catalog.check import Context, Property, PropertyFailure, Rejected, Sweep

__all__ = ["Property", "PropertyFailure", "Rejected", "Context", "Sweep", "CATALOG", "QUESTIONS", "by_id", "select"]


def _net(id: str, title: str, check, mode: str = "any", sweep: tuple[str, ...] | None = None,
         calls: tuple[str, ...] = ()) -> Property:
    """A network property on :func:`~reference.compare.exercise.strategies.problems` of λ mode ``mode``.

    ``sweep`` names the arrays the bulk sweep compares for it (``"backprop.W1"``, ``"risk"``…); the
    loss and the risk are swept on ordinary logits only, as their checks judge them.
    """
    function = sweep[0].partition(".")[0] if sweep else None
    return Property(
        id=id, question=id.split("-")[0], title=title, check=check,
        strategy=functools.partial(S.problems, lambdas_mode=mode),
        small=functools.partial(S.small_problems, lambdas_mode=mode),
        sweep=Sweep(function, mode, sweep, ordinary=function in ("loss", "risk") or "forward.os" in sweep)
        if sweep else None,
        calls=calls or (function,), needs_lambdas=id.startswith("B18"))


def _elementwise(*, lambdas_form: str = "four"):
    """Part A's inputs (no λ in them, whatever the form)."""
    return S.elementwise_inputs()


def _a(id: str, title: str, check, calls: tuple[str, ...]) -> Property:
    """A part-A property on elementwise inputs, the kinks tried first."""
    return Property(id=id, question=id.split("-")[0], title=title, check=check,
                    strategy=_elementwise, examples=part_a.KINKS, calls=calls)


def _x(id: str, title: str, check, strategy, calls: tuple[str, ...], *, partial: bool = False) -> Property:
    return Property(id=id, question=id.split("-")[0], title=title, check=check, strategy=strategy, calls=calls,
                    partial=partial)


_PARAM_GRADS = tuple(f"backprop.{f}" for f in PARAMS)
_ALL_GRADS = tuple(f"backprop.{f}" for f in Gradients._fields)


CATALOG: tuple[Property, ...] = (
    _a("A1-identity", "sigmoid(x) = (tanh(x/2) + 1)/2", part_a.a1_identity, ("sigmoid", "tanh")),
    _a("A1-sigmoid", "sigmoid matches jax.nn.sigmoid", part_a.a1_sigmoid, ("sigmoid",)),
    _a("A1-tanh", "tanh matches jnp.tanh", part_a.a1_tanh, ("tanh",)),
    _a("A2-identity", "ln sigmoid(x) = -softplus(-x)", part_a.a2_identity, ("sigmoid", "softplus")),
    _a("A2-values", "softplus matches jax.nn.softplus (stable at ±1e300)", part_a.a2_values, ("softplus",)),
    _a("A3", "d_sigmoid matches jax.grad(sigmoid)", part_a.a3, ("d_sigmoid",)),
    _a("A3-identity", "sigmoid'(x) = sigmoid(x)(1 - sigmoid(x))", part_a.a3_identity, ("d_sigmoid", "sigmoid")),
    _a("A4", "d_tanh matches jax.grad(tanh)", part_a.a4, ("d_tanh",)),
    _a("A4-identity", "tanh'(x) = 1 - tanh²(x)", part_a.a4_identity, ("d_tanh", "tanh")),
    _a("A5", "sign(x) = 1{x>0} - 1{x<0}", part_a.a5, ("sign",)),
    _a("A6-abs", "abs matches jnp.abs", part_a.a6_abs, ("abs",)),
    _a("A6", "abs'(x) = sign(x), abs'(0) = 0, against jax.grad", part_a.a6, ("d_abs",)),
    _a("A7-rect", "rect matches max(x, 0)", part_a.a7_rect, ("rect",)),
    _a("A7", "rect'(x) = 1{x>0}, rect'(0) = 0, against jax.grad", part_a.a7, ("d_rect",)),
    _a("A8", "∂‖x‖₂²/∂x = 2x, against jax.grad", part_a.a8, ("grad_l2_squared",)),
    _a("A9", "∂‖x‖₁/∂x = sign(x), 0 at 0, against jax.grad", part_a.a9, ("grad_l1",)),
    _net("B1", "ha = W1 x + b1 (ha: n × dh), hs = rect(ha)", part_b.forward_check("ha", "hs", question="B1"),
         sweep=("forward.ha", "forward.hs")),
    _net("B2", "oa = W2 hs + b2 (oa: n × m)", part_b.forward_check("oa", question="B2"),
         sweep=("forward.oa",)),
    _net("B3", "os = softmax(oa): positive, sums to 1", part_b.b3,
         sweep=("forward.os",), calls=("forward", "softmax")),
    _net("B4", "L = -oa_y + log Σ_i exp(oa_i) (ordinary logits: the range is X4's)", part_b.b4_formula,
         sweep=("loss",)),
    _net("B5-risk", "R = mean of L over the batch (all λ = 0)", part_b.risk_check("data term"), "zero",
         sweep=("risk",)),
    _net("B5-ntheta", "n_θ = dh·d + dh + m·dh + m gradient entries", part_b.b5_count, calls=("backprop",)),
    _x("B6", "gradient descent: θ ← θ - η ∂R/∂θ, step by step (λ = 0)", part_b.b6, part_b.b6_cases,
       ("gradient_descent",)),
    _net("B7", "∂L/∂oa = os - onehot(y)", part_b.grad_check("B7", "oa"),
         sweep=("backprop.oa",)),
    _net("B8", "∂L/∂oa as batched NumPy (n × m)", part_b.grad_check("B8", "oa"), "zero",
         sweep=("backprop.oa",)),
    _net("B9", "∂L/∂W2 = ∂L/∂oa hsᵀ, ∂L/∂b2 = ∂L/∂oa (λ = 0)", part_b.grad_check("B9", "W2", "b2"), "zero",
         sweep=("backprop.W2", "backprop.b2")),
    _net("B10-W2", "∂R/∂W2 batched: mean over examples of ∂L/∂oa hsᵀ (λ = 0)", part_b.grad_check("B10", "W2"), "zero",
         sweep=("backprop.W2",)),
    _net("B10-b2", "∂R/∂b2 batched: mean over examples of ∂L/∂oa (λ = 0)", part_b.grad_check("B10", "b2"), "zero",
         sweep=("backprop.b2",)),
    _net("B11", "∂L/∂hs_j = Σ_k ∂L/∂oa_k W2_kj", part_b.grad_check("B11", "hs"),
         sweep=("backprop.hs",)),
    _net("B12", "∂L/∂hs = W2ᵀ ∂L/∂oa, batched", part_b.grad_check("B12", "hs"), "zero",
         sweep=("backprop.hs",)),
    _net("B13", "∂L/∂ha_j = ∂L/∂hs_j 1{ha_j > 0} (rect'(0) = 0)", part_b.grad_check("B13", "ha"),
         sweep=("backprop.ha",)),
    _net("B14", "∂L/∂ha = ∂L/∂hs ⊙ 1{ha > 0}, batched", part_b.grad_check("B14", "ha"), "zero",
         sweep=("backprop.ha",)),
    _net("B15-W1", "∂L/∂W1 = ∂L/∂ha xᵀ (λ = 0)", part_b.grad_check("B15", "W1"), "zero",
         sweep=("backprop.W1",)),
    _net("B15-b1", "∂L/∂b1 = ∂L/∂ha (λ = 0)", part_b.grad_check("B15", "b1"), "zero",
         sweep=("backprop.b1",)),
    _net("B16", "∂R/∂W1, ∂R/∂b1 batched: means over examples (λ = 0)", part_b.grad_check("B16", "W1", "b1"), "zero",
         sweep=("backprop.W1", "backprop.b1")),
    _net("B17", "∂L/∂x = W1ᵀ ∂L/∂ha", part_b.grad_check("B17", "x"),
         sweep=("backprop.x",)),
    _net("B18-l11", "∂R/∂W1 with λ11‖W1‖₁ alone: + λ11 sign(W1)", part_b.grad_check("B18", *PARAMS), "l11",
         sweep=_PARAM_GRADS),
    _net("B18-l12", "∂R/∂W1 with λ12‖W1‖₂² alone: + 2λ12 W1", part_b.grad_check("B18", *PARAMS), "l12",
         sweep=_PARAM_GRADS),
    _net("B18-l21", "∂R/∂W2 with λ21‖W2‖₁ alone: + λ21 sign(W2)", part_b.grad_check("B18", *PARAMS), "l21",
         sweep=_PARAM_GRADS),
    _net("B18-l22", "∂R/∂W2 with λ22‖W2‖₂² alone: + 2λ22 W2", part_b.grad_check("B18", *PARAMS), "l22",
         sweep=_PARAM_GRADS),
    _net("B18-all", "every gradient with all four penalties", part_b.grad_check("B18", *Gradients._fields),
         sweep=_ALL_GRADS),
    _net("B18-risk-l11", "R with λ11‖W1‖₁ alone", part_b.risk_check("λ11 only"), "l11",
         sweep=("risk",)),
    _net("B18-risk-l12", "R with λ12‖W1‖₂² alone", part_b.risk_check("λ12 only"), "l12",
         sweep=("risk",)),
    _net("B18-risk-l21", "R with λ21‖W2‖₁ alone", part_b.risk_check("λ21 only"), "l21",
         sweep=("risk",)),
    _net("B18-risk-l22", "R with λ22‖W2‖₂² alone", part_b.risk_check("λ22 only"), "l22",
         sweep=("risk",)),
    _net("B18-risk-all", "R with all four penalties", part_b.risk_check("all λ"),
         sweep=("risk",)),
    _x("X1", "a batch equals the mean of its examples one at a time (loop vs matrix)", beyond.x1_batch,
       functools.partial(S.small_problems, max_side=6), ("backprop",)),
    _x("X2", "inputs unchanged after every call", beyond.x2_unchanged, functools.partial(S.small_problems, max_side=4),
       PART_A + PART_B, partial=True),
    _x("X3", "outputs are float64 arrays of the documented shapes", beyond.x3_types,
       functools.partial(S.small_problems, max_side=5), PART_A + PART_B, partial=True),
    _x("X4", "stable at large logits (|oa| from 1e3 to 1e300): finite, right values", beyond.x4_stable,
       functools.partial(S.large_logit_problems, lambdas_mode="zero"),
       ("forward", "loss", "risk", "backprop", "softmax"), partial=True),
    _x("X5", "gradient descent steps with the implementation's own regularized gradient", beyond.x5_own_gradient,
       beyond.x5_cases, ("gradient_descent", "backprop")),
)

#: Every question of the course, in order.
QUESTIONS: tuple[str, ...] = tuple(f"A{i}" for i in range(1, 10)) + tuple(f"B{i}" for i in range(1, 19))


def by_id(prop_id: str) -> Property:
    """The property with this id (e.g. ``"B15-W1"``)."""
    for p in CATALOG:
        if p.id == prop_id:
            return p
    raise ValueError(f"no property {prop_id!r}; ids: {', '.join(p.id for p in CATALOG)}")


def select(patterns: list[str] | None = None) -> tuple[Property, ...]:
    """Properties whose id or question matches one of ``patterns`` (all when None).

    ``"B15"`` selects B15-W1 and B15-b1; ``"B18-l11"`` selects that one.
    """
    if not patterns:
        return CATALOG
    chosen = tuple(p for p in CATALOG if any(p.id == q or p.question == q or p.id.startswith(q + "-")
                                             for q in patterns))
    if not chosen:
        raise ValueError(f"no property matches {patterns}; ids: {', '.join(p.id for p in CATALOG)}")
    return chosen
