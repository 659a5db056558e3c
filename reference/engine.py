"""The reference, fast: problems padded to a few bucket shapes, one compile per bucket.

``jax.jit`` compiles once per input shape (150–270 ms here), so random shapes
would compile at every example. The engine pads each problem to a bucket shape
with entries that cannot change the result, and evaluates many problems in one
``vmap``-ed call:

- absent examples: zero rows of X, weight 0 in the risk (``row_weight``);
- absent inputs: zero columns of X and of W1;
- absent hidden units: zero rows of W1, b1 and columns of W2 (ha = 0, hs = 0, and
  their L1 and L2 penalties are 0);
- absent classes: logits −inf (``class_valid``), zero rows of W2 and b2.

The formulas are those of :func:`reference.network.everything`; the catalog's
test ``test_padding_changes_nothing`` checks the padded and plain results agree. Alongside the
values the engine returns the per-entry error bounds of :mod:`reference.tolerance`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.types import Activations, Gradients, Lambdas, Params
from reference._jax import KINK_SLOPES, x64
from reference.network import everything
from reference.tolerance import error_bounds

__all__ = ["BUCKETS", "Evaluation", "Problem", "evaluate", "evaluate_many", "bucket_of"]

#: (n, d, dh, m) bucket shapes, smallest first.
BUCKETS: tuple[tuple[int, int, int, int], ...] = (
    (8, 8, 8, 8),
    (64, 64, 64, 64),
    (16, 784, 32, 16),  # MNIST-like: d = 784, m ≤ 16
)


class Problem(NamedTuple):
    """One network problem: parameters, a batch, its labels (from 0) and the λ."""

    params: Params
    X: np.ndarray
    y: np.ndarray
    lambdas: Lambdas
    #: How to rebuild it when its arrays are too large to print (e.g. a seed).
    origin: str = ""

    @property
    def dims(self) -> tuple[int, int, int, int]:
        """(n, d, dh, m)."""
        return (self.X.shape[0], self.X.shape[1], self.params.W1.shape[0], self.params.W2.shape[0])


class Evaluation(NamedTuple):
    """The reference's values for one problem and, in ``*_bound``, how far a correct implementation may be."""

    acts: Activations
    lse: np.ndarray
    L: np.ndarray
    risk: float
    grads: Gradients
    acts_bound: Activations
    L_bound: np.ndarray
    risk_bound: float
    grads_bound: Gradients


def bucket_of(dims: Sequence[int]) -> tuple[int, int, int, int]:
    """The smallest bucket that holds a problem of these dims (or the dims rounded up to powers of two)."""
    for b in BUCKETS:
        if all(x <= c for x, c in zip(dims, b)):
            return b
    return tuple(max(8, 1 << (x - 1).bit_length()) for x in dims)  # type: ignore[return-value]


def _one(params, X, y, lambdas, kinks, row_weight, class_valid, counts):
    abs0, rect0 = kinks
    acts, lse, L, risk, grads = everything(params, X, y, lambdas, abs0, rect0, row_weight, class_valid)
    u = jnp.finfo(X.dtype).eps / 2
    # Bounds from the finite logits: absent classes have os = 0 and need none.
    safe_acts = Activations(acts.ha, acts.hs, jnp.where(class_valid, acts.oa, 0.0), acts.os)
    acts_E, L_E, risk_E, grads_E = error_bounds(
        X, params, lambdas, safe_acts, lse, L, grads, row_weight, counts, u, risk)
    return acts, lse, L, risk, grads, acts_E, L_E, risk_E, grads_E


# One compiled program per (bucket, batch size). Compiling at a low XLA
# optimization level cuts the compile time several-fold; these programs are small.
_batched = jax.jit(jax.vmap(_one, in_axes=(0, 0, 0, 0, None, 0, 0, 0)),
                   compiler_options={"xla_backend_optimization_level": 0})


def _pad(problems: Sequence[Problem], bucket) -> tuple:
    N, D, H, M = bucket
    B = len(problems)
    W1 = np.zeros((B, H, D)); b1 = np.zeros((B, H)); W2 = np.zeros((B, M, H)); b2 = np.zeros((B, M))
    X = np.zeros((B, N, D)); y = np.zeros((B, N), np.int32)
    lam = np.zeros((B, 4)); w = np.zeros((B, N)); cv = np.zeros((B, M), bool); counts = np.zeros((B, 4))
    for i, p in enumerate(problems):
        n, d, h, m = p.dims
        W1[i, :h, :d] = p.params.W1; b1[i, :h] = p.params.b1
        W2[i, :m, :h] = p.params.W2; b2[i, :m] = p.params.b2
        X[i, :n, :d] = p.X; y[i, :n] = p.y
        lam[i] = tuple(p.lambdas); w[i, :n] = 1.0 / n; cv[i, :m] = True
        counts[i] = (n, d, h, m)
    return (Params(W1, b1, W2, b2), X, y, Lambdas(*lam.T), w, cv, counts)


def _unpad(out, i: int, dims) -> Evaluation:
    n, d, h, m = dims
    acts, lse, L, risk, grads, acts_E, L_E, risk_E, grads_E = out
    cut = {"ha": (n, h), "hs": (n, h), "oa": (n, m), "os": (n, m), "x": (n, d),
           "W1": (h, d), "b1": (h,), "W2": (m, h), "b2": (m,)}

    def take(tup, cls):
        return cls(*(a[i][tuple(slice(0, k) for k in cut[f])] for f, a in zip(cls._fields, tup)))

    return Evaluation(take(acts, Activations), lse[i, :n], L[i, :n], float(risk[i]), take(grads, Gradients),
                      take(acts_E, Activations), L_E[i, :n], float(risk_E[i]), take(grads_E, Gradients))


def evaluate_many(problems: Sequence[Problem], kinks: tuple[float, float] = KINK_SLOPES,
                  *, batch: int | None = None) -> list[Evaluation]:
    """Evaluate many problems, grouped by bucket, ``batch`` per compiled call.

    ``batch`` fixes the batch size (padding the last group with copies) so one
    compiled program serves every call; by default it is the group's size.
    """
    results: list[Evaluation | None] = [None] * len(problems)
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault(bucket_of(p.dims), []).append(i)
    with x64():
        k = (jnp.asarray(kinks[0], jnp.float64), jnp.asarray(kinks[1], jnp.float64))
        for bucket, idx in groups.items():
            size = batch or len(idx)
            for start in range(0, len(idx), size):
                chunk = idx[start:start + size]
                members = [problems[j] for j in chunk]
                members += [members[-1]] * (size - len(members))
                padded = _pad(members, bucket)
                out = jax.tree_util.tree_map(np.asarray, _batched(*padded[:4], k, *padded[4:]))
                for slot, j in enumerate(chunk):
                    results[j] = _unpad(out, slot, problems[j].dims)
    return results  # type: ignore[return-value]


def evaluate(problem: Problem, kinks: tuple[float, float] = KINK_SLOPES) -> Evaluation:
    """The reference's values and bounds for one problem (a batch of 1: one compile per bucket)."""
    return evaluate_many([problem], kinks, batch=1)[0]
