"""handgrad's speed devices keep its results exact: the buffer pool and the vectorized sign."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import handgrad as hg
from handgrad import network
from handgrad._buffers import POOLED_BYTES
from reference.compare.exercise.problems import problem_from_seed


def _problem(n, d, dh, m, dtype, seed=0):
    p = problem_from_seed(n, d, dh, m, seed)
    return hg.Params(*(a.astype(dtype) for a in p.params)), p.X.astype(dtype), p.y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kept_results_survive_later_calls(dtype):
    """Pooled buffers are reused only once nobody holds them: a kept result never changes."""
    n, d, dh, m = 256, 300, 256, 10
    assert n * dh * np.dtype(dtype).itemsize >= POOLED_BYTES  # these arrays do come from the pool
    lam = hg.Lambdas(1e-3, 1e-3, 1e-3, 1e-3)
    p, X, y = _problem(n, d, dh, m, dtype)
    first = hg.backprop(p, X, y, lam)
    copies = [None if a is None else a.copy() for a in first]
    W1_view = first.W1[:3]          # a view keeps its base buffer held too
    W1_view_copy = W1_view.copy()
    del first
    p2, X2, y2 = _problem(n, d, dh, m, dtype, seed=1)
    acts = hg.forward(p2, X2)
    for _ in range(3):
        again = hg.backprop(p2, X2, y2, lam)
    np.testing.assert_array_equal(W1_view, W1_view_copy)
    kept = hg.backprop(p, X, y, lam)
    for a, b in zip(kept, copies):
        if b is not None:
            np.testing.assert_array_equal(a, b)
    # The other problem's results are still its own, too.
    np.testing.assert_array_equal(again.W1, hg.backprop(p2, X2, y2, lam).W1)
    np.testing.assert_array_equal(acts.hs, hg.forward(p2, X2).hs)


finite = dict(allow_nan=False, allow_infinity=False)


@given(
    W=hnp.arrays(
        st.sampled_from([np.float64, np.float32]),
        st.sampled_from([(3, 5), (64, 63), (64, 64), (70, 90)]),  # both sides of the small-array switch
        elements=st.one_of(
            st.sampled_from([0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-40, -1e-40]), st.floats(-1e6, 1e6, width=32)
        ),
    ),
    l1=st.floats(0.0, 1e3, **finite),
)
def test_l1_sign_is_a5_sign_on_both_paths(W, l1):
    """l1 sign(W) with A5's sign = 1{w>0} − 1{w<0} (0 at ±0), whichever path the size takes."""
    out = np.empty_like(W)
    network._l1_sign(W, l1, out=out)
    expected = (W > 0).astype(W.dtype) - (W < 0).astype(W.dtype)
    expected *= l1
    np.testing.assert_array_equal(out, expected)
