"""The bulk sweep's problems: generated in a bucket's padded shape, evaluated by the reference in one call.

Problems are generated directly in a bucket's padded shape (vectorized NumPy),
and the reference evaluates a whole batch in one ``vmap``-ed call, returning
every compared array (zero outside each problem) and its allowed error.
:mod:`reference.compare.running.sweep` runs the sweep on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.types import Lambdas, Params
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.strategies import LAMBDA_MODES, MNIST_D
from reference.compare.exercise.tolerance import accepted, l1_slack
from reference.engine import evaluate_one
from reference.plumbing import x64

__all__ = ["SHAPES", "NAMES", "Batch", "make_batch", "sweep_shapes", "evaluate_batch", "fits", "extra_allowance",
           "ordinary"]

#: Sweep shapes: (share, bucket, largest sides (n, d, dh, m)); most problems small.
#: Buckets fit their problems closely: padding is work the reference does for nothing.
SHAPES = (
    (116 / 128, (8, 8, 8, 8), (8, 8, 8, 8)),
    (6 / 128, (32, 32, 32, 32), (32, 32, 32, 32)),
    (2 / 128, (64, 64, 64, 64), (64, 64, 64, 64)),
    (2 / 128, (16, 784, 32, 16), (16, MNIST_D, 32, 16)),
    # the course's size: batches past 64 examples, past 64 hidden units (round 5: gradients averaged over
    # the first 64 examples alone passed every check)
    (2 / 128, (256, 784, 128, 16), (256, MNIST_D, 128, 16)),
)


@dataclass
class Batch:
    """B problems padded to one bucket: arrays with a leading batch axis, true dims, λ modes."""

    bucket: tuple[int, int, int, int]
    params: Params
    X: np.ndarray
    y: np.ndarray
    lambdas: np.ndarray  # (B, 4)
    dims: np.ndarray     # (B, 4): n, d, dh, m
    modes: np.ndarray    # (B,) index into LAMBDA_MODES
    seed: int

    def __len__(self) -> int:
        return len(self.dims)

    def arrays(self) -> dict:
        """The padded arrays, for the implementation's side of the sweep (it cuts each problem)."""
        W1, b1, W2, b2 = self.params
        return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X": self.X, "y": self.y,
                "lambdas": self.lambdas, "dims": self.dims}

    def problem(self, i: int) -> Problem:
        """Problem i, unpadded (own copies)."""
        n, d, h, m = (int(v) for v in self.dims[i])
        p = Params(self.params.W1[i, :h, :d].copy(), self.params.b1[i, :h].copy(),
                   self.params.W2[i, :m, :h].copy(), self.params.b2[i, :m].copy())
        origin = (f"reference.compare.exercise.bulk_problems.make_batch({self.bucket}, {len(self)}, seed={self.seed})"
                  f".problem({i})")
        return Problem(p, self.X[i, :n, :d].copy(), self.y[i, :n].astype(np.intp),
                       Lambdas(*map(float, self.lambdas[i])), origin=origin)


def make_batch(bucket: tuple[int, int, int, int], size: int, *, seed: int,
               max_dims: tuple[int, int, int, int] | None = None, d_fixed: int | None = None) -> Batch:
    """``size`` random problems in ``bucket``'s padded shape, built with vectorized NumPy.

    Like :func:`reference.compare.exercise.problems.problem_from_seed`: value families (small
    integers, normal, log-uniform wide), a share of exact zeros, hidden units with
    ha exactly 0, and λ modes in turn (zero, each penalty alone, any).
    """
    rng = np.random.default_rng(seed)
    N, D, H, M = bucket
    hi = max_dims or bucket
    B = size
    n = rng.integers(1, hi[0] + 1, B)
    d = np.full(B, d_fixed) if d_fixed else rng.integers(1, hi[1] + 1, B)
    h = rng.integers(1, hi[2] + 1, B)
    m = rng.integers(2, hi[3] + 1, B)
    family = rng.integers(0, 3, B)
    family_rows = [np.flatnonzero(family == k) for k in range(3)]
    zeros = rng.choice([0.0, 0.1, 0.3], B)

    values = lambda *shape: _values(rng, family_rows, zeros, B, shape)

    rows = np.arange(N)[None, :] < n[:, None]
    ins = np.arange(D)[None, :] < d[:, None]
    hid = np.arange(H)[None, :] < h[:, None]
    cls = np.arange(M)[None, :] < m[:, None]
    W1 = values(H, D) * (hid[:, :, None] & ins[:, None, :])
    b1 = values(H) * hid
    W2 = values(M, H) * (cls[:, :, None] & hid[:, None, :])
    b2 = values(M) * cls
    X = values(N, D) * (rows[:, :, None] & ins[:, None, :])
    dead = (rng.random((B, H)) < zeros[:, None]) & hid
    W1[dead] = 0.0
    b1[dead] = 0.0
    col_zero = ~(W2 != 0).any(axis=1) & dead  # a dead unit keeps a non-zero weight downstream
    W2[:, 0, :] = np.where(col_zero, 1.0, W2[:, 0, :])
    y = np.floor(rng.random((B, N)) * m[:, None]).astype(np.int32) * rows

    modes, lam = _lambdas(rng, B)
    return Batch(bucket, Params(W1, b1, W2, b2), X, y, lam, np.stack([n, d, h, m], 1), modes, seed)


def _values(rng: np.random.Generator, family_rows: list, zeros: np.ndarray, B: int, shape: tuple) -> np.ndarray:
    """(B, *shape) entries, each problem from its value family, a share ``zeros`` of them exactly 0."""
    v = np.empty((B,) + shape)
    for k, rows in enumerate(family_rows):  # each family computed only where it is used
        size = (len(rows),) + shape
        if k == 0:
            v[rows] = rng.integers(-3, 4, size)
        elif k == 1:
            v[rows] = rng.normal(size=size)
        else:
            v[rows] = np.copysign(np.exp(rng.uniform(-3, 3, size) * np.log(10.0)), rng.random(size) - 0.5)
    v[rng.random((B,) + shape) < zeros.reshape((B,) + (1,) * len(shape))] = 0.0
    return v


def _lambdas(rng: np.random.Generator, B: int) -> tuple[np.ndarray, np.ndarray]:
    """The λ modes in turn (zero, each penalty alone, any) and their (B, 4) λ."""
    modes = np.arange(B) % len(LAMBDA_MODES)
    lam = np.zeros((B, 4))
    for k in range(4):  # modes 1..4: that penalty alone
        lam[modes == k + 1, k] = rng.uniform(1e-3, 1, (modes == k + 1).sum())
    anyrows = modes == LAMBDA_MODES.index("any")
    lam[anyrows] = rng.random((anyrows.sum(), 4)) * (rng.random((anyrows.sum(), 4)) < 0.75)
    return modes, lam


def sweep_shapes(count: int, *, seed: int, chunk: int = 512):
    """Batches of about ``count`` problems in all, in the shares of :data:`SHAPES`.

    Every batch of a bucket has the same size (whole batches: the count is rounded
    up), so each bucket compiles once.
    """
    rng = np.random.default_rng(seed)
    for share, bucket, hi in SHAPES:
        size = {(8, 8, 8, 8): chunk, (32, 32, 32, 32): chunk // 8}.get(bucket, 8)
        batches = max(1, -(-int(round(count * share)) // size))
        d_fixed = MNIST_D if hi[1] == MNIST_D else None
        for _ in range(batches):
            yield make_batch(bucket, size, seed=int(rng.integers(2**32)), max_dims=hi, d_fixed=d_fixed)


#: The compared arrays, in the order of the reference's outputs.
NAMES = ("forward.ha", "forward.hs", "forward.oa", "forward.os",
          "backprop.oa", "backprop.hs", "backprop.ha", "backprop.x",
          "backprop.W1", "backprop.b1", "backprop.W2", "backprop.b2", "loss", "risk")


def _compared(params, X, y, lambdas, kinks, row_weight, class_valid, counts):
    """One problem's reference values, zero outside the problem, and the allowed errors, flat by name."""
    acts, lse, L, risk, grads, acts_E, L_E, risk_E, grads_E = evaluate_one(
        params, X, y, lambdas, kinks, row_weight, class_valid, counts)
    n, d, h, m = counts
    r = (jnp.arange(X.shape[0]) < n)[:, None]
    i = (jnp.arange(X.shape[1]) < d)[None, :]
    hh = (jnp.arange(params[0].shape[0]) < h)
    c = class_valid
    masks = (r & hh[None, :], r & hh[None, :], r & c[None, :], r & c[None, :],
             r & c[None, :], r & hh[None, :], r & hh[None, :], r & i,
             hh[:, None] & i, hh, c[:, None] & hh[None, :], c, r[:, 0], True)
    values = (*acts, *grads, L, risk)
    bounds = (*acts_E, *grads_E, L_E, risk_E)
    ref = tuple(jnp.where(mk, v, 0.0) for mk, v in zip(masks, values))
    allowed = tuple(accepted(e) for e in bounds)  # outside the problem both sides are 0
    return ref, allowed


# At XLA's lowest optimization level, as the engine's programs: a first run compiles these four programs
# about three times faster (1.3 s to 0.4 s each here), and evaluating the sweep is no slower.
_sweep_batched = jax.jit(jax.vmap(_compared, in_axes=(0, 0, 0, 0, None, 0, 0, 0)),
                         compiler_options={"xla_backend_optimization_level": 0})


def evaluate_batch(batch: Batch, kinks: tuple[float, float]) -> dict[str, dict[str, np.ndarray]]:
    """The reference on a whole batch: padded arrays (zero outside each problem) and their allowed errors."""
    n = batch.dims[:, 0]
    N, D, H, M = batch.bucket
    w = (np.arange(N)[None, :] < n[:, None]) / n[:, None]
    cls = np.arange(M)[None, :] < batch.dims[:, 3:4]
    with x64():
        ref, allowed = _sweep_batched(
            Params(*batch.params), batch.X, batch.y, Lambdas(*batch.lambdas.T),
            (jnp.asarray(kinks[0], jnp.float64), jnp.asarray(kinks[1], jnp.float64)),
            w, cls, batch.dims.astype(np.float64))
        ref, allowed = jax.device_get((ref, allowed))
    return {"ref": dict(zip(NAMES, ref)), "allowed": dict(zip(NAMES, allowed))}


def fits(ev: dict, batch: Batch) -> bool:
    """Are ``ev`` (kept from an earlier run) the reference's arrays for a batch of ``batch``'s bucket?"""
    return ev["ref"]["backprop.W1"].shape == batch.params[0].shape


def extra_allowance(batch: Batch, name: str, abs0: float, convention: str):
    """What an array's comparison allows beyond the reference's bound, broadcast to the batch: under
    any-subgradient, an L1 penalty's share at a zero weight (:func:`~reference.compare.exercise.tolerance.l1_slack`);
    0 for every other array."""
    field = name.partition(".")[2]
    if field not in ("W1", "W2"):
        return 0.0
    W = getattr(batch.params, field)
    lam = batch.lambdas[:, 0 if field == "W1" else 2].reshape((len(batch), 1, 1))
    return l1_slack(W, lam, abs0, convention)


def ordinary(batch: Batch, ev: dict) -> np.ndarray:
    """Which problems are ordinary (a property's ``sweep.ordinary`` is checked on those alone): the reference's
    logits at most :data:`~reference.compare.exercise.catalog.chain.ORDINARY_LOGIT` in magnitude (padding is 0)."""
    from reference.compare.exercise.catalog.chain import ORDINARY_LOGIT

    return np.abs(ev["ref"]["forward.oa"]).reshape(len(batch), -1).max(axis=1) <= ORDINARY_LOGIT
