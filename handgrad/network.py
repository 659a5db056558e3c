"""Part B of the course: the one-hidden-layer network, forward and backward by hand.

The course writes one example as a column vector; here a batch holds one example
per row, so ``ha = W1 x + b1`` reads ``ha = X W1ᵀ + b1`` and so on. Labels count
from 0 (the course counts from 1). Each line carries its question id (B1…B18).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = Params(rng.normal(size=(4, 3)), np.zeros(4), rng.normal(size=(2, 4)), np.zeros(2))
>>> g = backprop(p, rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1]), Lambdas(0.1, 0.1, 0.0, 0.0))
>>> g.W1.shape, g.x.shape
((4, 3), (5, 3))
"""

from __future__ import annotations

import numpy as np

from handgrad._buffers import empty
from handgrad.types import PART_B, Activations, Gradients, Lambdas, Params
from handgrad.validation import check_descent, network_inputs

__all__ = list(PART_B)


# -- forward ---------------------------------------------------------------
def _forward(p: Params, X: np.ndarray, *, keep_ha: bool = True,
             want_lse: bool = True) -> tuple[Activations, np.ndarray | None]:
    """The activations and, if ``want_lse``, per example lse = log Σ_k exp(oa_k).

    Large arrays come from handgrad's buffer pool (:mod:`handgrad._buffers`);
    ``keep_ha=False`` computes hs in ha's buffer (backprop needs only hs > 0).
    """
    n, dt = X.shape[0], X.dtype
    dh = p.W1.shape[0]
    ha = np.matmul(X, p.W1.T, out=empty((n, dh), dt))   # B1: ha = W1 x + b1 (rows: xᵀ W1ᵀ + b1ᵀ; W1.T is a view)
    ha += p.b1
    hs = np.maximum(ha, 0, out=ha if not keep_ha else empty((n, dh), dt))  # B1: hs = rect(ha)
    oa = hs @ p.W2.T                    # B2: oa = W2 hs + b2
    oa += p.b2
    top = oa.max(axis=1, keepdims=True)  # B3/B4 by a max shift: exp never overflows
    e = np.exp(oa - top)
    s = e.sum(axis=1, keepdims=True)
    lse = (top + np.log(s))[:, 0] if want_lse else None  # B4: log Σ_i exp(oa_i)
    os = np.divide(e, s, out=e)         # B3: os_k = exp(oa_k) / Σ_i exp(oa_i)
    return Activations(ha if keep_ha else None, hs, oa, os), lse


def _penalty(W: np.ndarray, l1: float, l2: float) -> float:
    """l1‖W‖₁ + l2‖W‖₂², each term skipped when its λ is 0 (B18)."""
    total = 0.0
    if l1:
        total += l1 * float(np.abs(W).sum())
    if l2:
        total += l2 * float(np.vdot(W, W))
    return total


def forward(params: Params, X) -> Activations:
    """ha, hs, oa, os for a batch X (n, d), one example per row (B1–B3)."""
    p, X, _, _, _ = network_inputs(params, X)
    return _forward(p, X)[0]


def loss(params: Params, X, y) -> np.ndarray:
    """Per-example L(x, y) = −log os_y = −oa_y + log Σ_i exp(oa_i), shape (n,) (B4)."""
    p, X, y, _, _ = network_inputs(params, X, y)
    acts, lse = _forward(p, X)
    return lse - acts.oa[np.arange(len(y)), y]


def risk(params: Params, X, y, lambdas: Lambdas = Lambdas()) -> float:
    """Mean loss + l11‖W1‖₁ + l12‖W1‖₂² + l21‖W2‖₁ + l22‖W2‖₂² (B5, B18)."""
    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    acts, lse = _forward(p, X)
    data = float(np.mean(lse - acts.oa[np.arange(len(y)), y]))
    return data + _penalty(p.W1, lam.l11, lam.l12) + _penalty(p.W2, lam.l21, lam.l22)


# -- backward --------------------------------------------------------------
_SMALL = 4096  # entries: below this, NumPy's per-call overhead outweighs its per-entry speed


def _l1_sign(W: np.ndarray, l1: float, out: np.ndarray) -> np.ndarray:
    """out = l1 sign(W), with A5's sign(w) = 1{w > 0} − 1{w < 0}: 0 at 0."""
    if W.size < _SMALL:
        np.sign(W, out=out)
    else:  # NumPy's float sign is a scalar loop; comparisons and int8 arithmetic are vectorized (2–3× faster)
        pos = np.greater(W, 0, out=empty(W.shape, np.bool_)).view(np.int8)
        neg = np.less(W, 0, out=empty(W.shape, np.bool_)).view(np.int8)
        np.copyto(out, np.subtract(pos, neg, out=pos))
    out *= l1
    return out


def _add_penalty_grad(g: np.ndarray, W: np.ndarray, l1: float, l2: float) -> None:
    """g += l1 sign(W) + 2 l2 W, in place on handgrad's own buffer g (B18); a zero λ costs nothing."""
    if not (l1 or l2):
        return
    work = empty(W.shape, W.dtype)
    if l2:
        g += np.multiply(W, 2.0 * l2, out=work)   # B18: ∂ l2‖W‖₂²/∂W = 2 l2 W
    if l1:
        g += _l1_sign(W, l1, out=work)            # B18: ∂ l1‖W‖₁/∂W = l1 sign(W) (A5, A6)


def _backward(p: Params, X: np.ndarray, y: np.ndarray, lam: Lambdas, *, input_gradient: bool = True):
    n, d = X.shape
    dh, dt = p.W1.shape[0], X.dtype
    (_, hs, oa, os), _ = _forward(p, X, keep_ha=False, want_lse=False)
    g_oa = os                           # B7/B8: ∂L/∂oa = os − onehot(y)  (os is our buffer: in place)
    g_oa[np.arange(n), y] -= 1.0
    g_oa_n = g_oa * (1.0 / n)           # the risk averages the batch: scale the small (n, m) array once
    g_W2 = g_oa_n.T @ hs                # B9/B10: ∂R/∂W2 = mean_i ∂L/∂oa hsᵀ  (transposed views: no copies)
    g_b2 = g_oa_n.sum(axis=0)           # B9/B10: ∂R/∂b2 = mean_i ∂L/∂oa
    g_hs = np.matmul(g_oa, p.W2, out=empty((n, dh), dt))             # B11/B12: ∂L/∂hs = W2ᵀ ∂L/∂oa
    g_ha = np.multiply(g_hs, hs > 0, out=empty((n, dh), dt))         # B13/B14: ∂L/∂hs ⊙ 1{ha > 0} (hs > 0 ⇔ ha > 0)
    if n * dh < dh * d:                 # the 1/n of the mean goes on the smaller array
        g_W1 = np.matmul(np.multiply(g_ha, 1.0 / n, out=empty((n, dh), dt)).T, X, out=empty((dh, d), dt))
    else:
        g_W1 = np.matmul(g_ha.T, X, out=empty((dh, d), dt))         # B15/B16: ∂R/∂W1 = mean_i ∂L/∂ha xᵀ
        g_W1 *= 1.0 / n
    g_b1 = g_ha.sum(axis=0) * (1.0 / n)                              # B15/B16: ∂R/∂b1 = mean_i ∂L/∂ha
    g_x = np.matmul(g_ha, p.W1, out=empty((n, d), dt)) if input_gradient else None  # B17: ∂L/∂x = W1ᵀ ∂L/∂ha
    _add_penalty_grad(g_W1, p.W1, lam.l11, lam.l12)  # B18
    _add_penalty_grad(g_W2, p.W2, lam.l21, lam.l22)  # B18
    return Gradients(g_oa, g_hs, g_ha, g_x, g_W1, g_b1, g_W2, g_b2)


def backprop(params: Params, X, y, lambdas: Lambdas = Lambdas(), *, input_gradient: bool = True) -> Gradients:
    """Every gradient of the course (B7–B18).

    ``oa, hs, ha, x`` are per-example gradients of L (not divided by n); ``W1, b1,
    W2, b2`` are gradients of the regularized risk. ``input_gradient=False`` skips
    ∂L/∂x (``x`` is then None): it is a third product as large as the forward
    one, which training does not need.
    """
    return _backward(*network_inputs(params, X, y, lambdas)[:4], input_gradient=input_gradient)


def gradient_descent(
    params: Params, X, y, lambdas: Lambdas = Lambdas(), *, learning_rate: float, steps: int
) -> Params:
    """Full-batch gradient descent, B6: θ ← θ − η ∂R/∂θ, ``steps`` times.

    Returns new arrays; the caller's ``params`` are left as they were.
    """
    check_descent(learning_rate, steps)
    p, X, y, lam, _ = network_inputs(params, X, y, lambdas)
    p = Params(*(a.copy() for a in p))  # our own buffers, updated in place below
    for _ in range(int(steps)):
        g = _backward(p, X, y, lam, input_gradient=False)
        for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2)):
            w -= learning_rate * gw     # B6: θ ← θ − η ∂R/∂θ
    return p
