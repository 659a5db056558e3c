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

The formulas are those of :func:`reference.definition.everything`; the test
``test_padding_changes_nothing`` checks the padded and plain results agree. Alongside the
values the engine returns the per-entry error bounds of :mod:`reference.bounds`.

A problem is anything with the attributes ``params, X, y, lambdas`` (the
comparator's ``Problem``); arrays are float64, labels count from 0.

>>> import numpy as np
>>> p = Params(np.ones((2, 3)), np.zeros(2), np.ones((2, 2)), np.zeros(2))
>>> ev = evaluate(p, np.ones((1, 3)), np.array([0]), Lambdas())
>>> ev.grads.oa, bucket_of((1, 3, 2, 2))
(array([[-0.5,  0.5]]), (8, 8, 8, 8))
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.types import SHAPES, Activations, Gradients, Lambdas, Params
from reference.bounds import error_bounds
from reference.definition import everything
from reference.plumbing import KINK_SLOPES, x64

__all__ = ["BUCKETS", "Evaluation", "evaluate", "evaluate_many", "evaluate_one", "bucket_of", "dims_of",
           "compiled_programs", "compile_buckets"]

#: (n, d, dh, m) bucket shapes, smallest first.
BUCKETS: tuple[tuple[int, int, int, int], ...] = (
    (8, 8, 8, 8),
    (64, 64, 64, 64),
    (16, 784, 32, 16),  # MNIST-like: d = 784, m ≤ 16
    (256, 784, 128, 16),  # the course's own size (n = 256, d = 784, dh = 100, m = 10) and past 64 examples
)


def dims_of(problem: Any) -> tuple[int, int, int, int]:
    """(n, d, dh, m) of a problem."""
    return (problem.X.shape[0], problem.X.shape[1], problem.params.W1.shape[0], problem.params.W2.shape[0])


class _Problem(NamedTuple):
    params: Params
    X: np.ndarray
    y: np.ndarray
    lambdas: Lambdas


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


def evaluate_one(params, X, y, lambdas, kinks, row_weight, class_valid, counts):
    """One padded problem, traced: values and bounds (the body of the batched program)."""
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
_batched = jax.jit(jax.vmap(evaluate_one, in_axes=(0, 0, 0, 0, None, 0, 0, 0)),
                   compiler_options={"xla_backend_optimization_level": 0})


def compiled_programs() -> int:
    """How many programs the engine has compiled (one per bucket and batch size): for benchmarks."""
    return _batched._cache_size()


def compile_buckets(kinks: tuple[float, float] = KINK_SLOPES) -> None:
    """Compile the program :func:`evaluate` uses for each of :data:`BUCKETS` (a problem of zeros, the bucket's
    size, evaluated): a first run does it on another thread while Hypothesis draws part A's examples."""
    for n, d, h, m in BUCKETS:
        zeros = Params(np.zeros((h, d)), np.zeros(h), np.zeros((m, h)), np.zeros(m))
        evaluate_many([_Problem(zeros, np.zeros((n, d)), np.zeros(n, np.intp), Lambdas())], kinks, batch=1)


def _pad(problems: Sequence[Any], bucket) -> tuple:
    N, D, H, M = bucket
    B = len(problems)
    W1, b1, W2, b2 = np.zeros((B, H, D)), np.zeros((B, H)), np.zeros((B, M, H)), np.zeros((B, M))
    X, y = np.zeros((B, N, D)), np.zeros((B, N), np.int32)
    lam, w, cv, counts = np.zeros((B, 4)), np.zeros((B, N)), np.zeros((B, M), bool), np.zeros((B, 4))
    for i, p in enumerate(problems):
        n, d, h, m = dims_of(p)
        W1[i, :h, :d], b1[i, :h], W2[i, :m, :h], b2[i, :m] = p.params
        X[i, :n, :d], y[i, :n] = p.X, p.y
        lam[i], w[i, :n], cv[i, :m], counts[i] = tuple(p.lambdas), 1.0 / n, True, (n, d, h, m)
    return (Params(W1, b1, W2, b2), X, y, Lambdas(*lam.T), w, cv, counts)


def _unpad(out, i: int, dims) -> Evaluation:
    n, d, h, m = dims
    acts, lse, L, risk, grads, acts_E, L_E, risk_E, grads_E = out
    sizes = {"n": n, "d": d, "dh": h, "m": m}
    prefix = {Activations: "forward.", Gradients: "backprop."}

    def take(tup, cls):
        return cls(*(a[i][tuple(slice(0, sizes[s]) for s in SHAPES[prefix[cls] + f])]
                     for f, a in zip(cls._fields, tup)))

    return Evaluation(take(acts, Activations), lse[i, :n], L[i, :n], float(risk[i]), take(grads, Gradients),
                      take(acts_E, Activations), L_E[i, :n], float(risk_E[i]), take(grads_E, Gradients))


def evaluate_many(problems: Sequence[Any], kinks: tuple[float, float] = KINK_SLOPES,
                  *, batch: int | None = None) -> list[Evaluation]:
    """Evaluate many problems, grouped by bucket, ``batch`` per compiled call.

    ``batch`` fixes the batch size (padding the last group with copies) so one
    compiled program serves every call; by default it is the group's size.
    """
    results: list[Evaluation | None] = [None] * len(problems)
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault(bucket_of(dims_of(p)), []).append(i)
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
                    results[j] = _unpad(out, slot, dims_of(problems[j]))
    return results  # type: ignore[return-value]


def evaluate(params: Params, X: np.ndarray, y: np.ndarray, lambdas: Lambdas,
             kinks: tuple[float, float] = KINK_SLOPES) -> Evaluation:
    """The reference's values and bounds for one problem (a batch of 1: one compile per bucket)."""
    return evaluate_many([_Problem(params, X, y, lambdas)], kinks, batch=1)[0]
