"""What the comparator accepts: a multiple of the reference's error bound, per entry.

The bounds themselves are computed with the reference's values
(:mod:`reference.bounds`): E bounds how far a correct float64 implementation may
be from the exact value. Two correct implementations each lie within E of it, so
they differ by at most 2E; a comparison accepts ``SAFETY·E + FLOOR`` with
``SAFETY = 4`` (a margin of 2 over that) and an absolute ``FLOOR`` for the
subnormals XLA flushes to zero and NumPy keeps. For the shapes checked here
(k ≤ 785) the bound is ≤ 4·785·1.1e-16 ≈ 3.5e-13 of the terms' scale: a relative
error of 1e-7 in a gradient fails unless its terms cancel by a factor of 3e5.

Part A uses ``SAFETY·k·u·scale`` with ``k = 16`` units of roundoff
(XLA's float64 tanh differs from NumPy's by up to 7, measured), see
:func:`relative`.

>>> float(accepted(0.0))
1e-290
"""

from __future__ import annotations

import numpy as np

__all__ = ["SAFETY", "FLOOR", "U64", "K_TRANSCENDENTAL", "accepted", "relative", "l1_slack"]

SAFETY = 4.0
FLOOR = 1e-290
U64 = np.finfo(np.float64).eps / 2  # unit roundoff
K_TRANSCENDENTAL = 16               # units of roundoff allowed for exp/log/tanh-based functions


def accepted(bound):
    """What a comparison accepts given the reference's bound E: SAFETY·E + FLOOR."""
    return SAFETY * bound + FLOOR


def relative(want: np.ndarray, k: int = K_TRANSCENDENTAL, floor_scale: float = 0.0) -> np.ndarray:
    """SAFETY·k·u·max(|want|, floor_scale): relative, or absolute below ``floor_scale``."""
    return SAFETY * k * U64 * np.maximum(np.abs(want), floor_scale) + FLOOR


def l1_slack(W, lam, abs0: float, convention: str):
    """Under any-subgradient, an L1 entry at a zero weight may be anywhere within ±λ of the smooth part.

    The reference used the implementation's own abs'(0) = ``abs0``; the interval
    [−λ, λ] is centred on the smooth part, hence λ(1 + |abs0|) around the
    reference's value. ``W`` and ``lam`` broadcast (the sweep passes batches).
    Under the course's convention there is no slack.
    """
    if convention != "any-subgradient":
        return 0.0
    return np.where(W == 0, lam * (1 + abs(abs0)), 0.0)
