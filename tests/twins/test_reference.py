"""The reference checked on its own: finite differences, the kink conventions, padding, x64 scoping."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings
from jax.test_util import check_grads

import reference as ref
from handgrad.types import Lambdas, Params
from reference import engine
from reference.compare.exercise import strategies as S
from reference.compare.exercise.tolerance import FLOOR, SAFETY
from reference.definition import evaluate_plain, losses, penalty


@jax.jit  # one compile for every seed of the same shapes (eagerly, the first check takes ~4 s)
def _risk(W1, b1, W2, b2, X, y, lam):
    zero = jnp.zeros(())
    L, _ = losses((W1, b1, W2, b2), X, y, zero, zero, 0.0, 0.0, 0.0)
    return jnp.mean(L) + penalty((W1, b1, W2, b2), lam, zero)


def _risk_fn(X, y, lam):
    return lambda W1, b1, W2, b2: _risk(W1, b1, W2, b2, X, y, lam)


@pytest.mark.parametrize("seed", range(3))
def test_risk_gradients_match_finite_differences(seed):
    """Away from kinks (no zero weight, no zero pre-activation), jax.vjp agrees with finite differences."""
    p = S.problem_from_seed(4, 5, 6, 3, seed, zeros=0.0, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4))
    with jax.enable_x64(True):
        f = _risk_fn(jnp.asarray(p.X), jnp.asarray(p.y), Lambdas(*map(jnp.asarray, p.lambdas)))
        ha = p.X @ p.params.W1.T + p.params.b1
        assert np.min(np.abs(ha)) > 1e-3 and np.min(np.abs(p.params.W1)) > 1e-4
        check_grads(f, tuple(jnp.asarray(a) for a in p.params), order=1, modes=("rev",), eps=1e-6)


def test_backprop_matches_finite_differences_of_risk():
    """The API's gradients against central differences of the API's risk, entry by entry."""
    p = S.problem_from_seed(3, 4, 5, 3, 7, zeros=0.0, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4))
    g = ref.backprop(*p[:4])
    h = 1e-6
    for f, field in enumerate(("W1", "b1", "W2", "b2")):
        arr = p.params[f]
        for idx in np.ndindex(arr.shape):
            up, down = [a.copy() for a in p.params], [a.copy() for a in p.params]
            up[f][idx] += h
            down[f][idx] -= h
            fd = (ref.risk(Params(*up), p.X, p.y, p.lambdas) - ref.risk(Params(*down), p.X, p.y, p.lambdas)) / (2 * h)
            assert abs(getattr(g, field)[idx] - fd) < 1e-6 * (1 + abs(fd)), (field, idx)


def test_course_convention_at_the_kinks():
    """The convention pinned by custom_jvp: sign(0) = 0, abs'(0) = rect'(0) = 0, ∂‖x‖₁/∂x = 0 at 0."""
    z = np.array([0.0, -0.0])
    assert np.all(ref.sign(z) == 0)
    assert np.all(ref.d_abs(z) == 0)
    assert np.all(ref.d_rect(z) == 0)
    assert np.all(ref.grad_l1(z) == 0)
    # and the usual values away from 0
    np.testing.assert_array_equal(ref.d_abs([-2.0, 3.0]), [-1.0, 1.0])
    np.testing.assert_array_equal(ref.d_rect([-2.0, 3.0]), [0.0, 1.0])


def test_network_gradients_at_exact_kinks_follow_the_convention():
    """A zero weight gets no L1 gradient; a unit with ha exactly 0 passes no gradient."""
    W1 = np.array([[0.0, 0.0], [1.0, -1.0]])
    p = Params(W1, np.array([0.0, 0.5]), np.array([[1.0, 2.0], [-1.0, 0.5]]), np.zeros(2))
    X = np.array([[1.0, 2.0]])
    g = ref.backprop(p, X, np.array([1]), Lambdas(l11=0.3))
    assert g.ha[0, 0] == 0.0  # ha_0 = 0 exactly: rect'(0) = 0
    assert np.all(g.W1[0] == 0.0)  # and W1[0] = 0: sign(0) = 0, no data gradient


def test_kink_slopes_are_parameters():
    """handgrad-compare --convention any-subgradient rebuilds the reference with other slopes."""
    from reference.functions import d_abs, d_rect
    assert d_abs(np.zeros(1), abs0=0.25)[0] == 0.25
    assert d_rect(np.zeros(1), rect0=1.0)[0] == 1.0


def test_stock_jax_disagrees_at_the_kinks():
    """Why reference.kinks exists. If this fails, JAX changed its convention: review reference/kinks.py."""
    with jax.enable_x64(True):
        assert float(jax.grad(jnp.abs)(0.0)) == 1.0
        assert float(jax.grad(lambda x: jnp.maximum(x, 0.0))(0.0)) == 0.5


@settings(max_examples=15)  # the plain definition compiles once per shape: few, repeated shapes
@given(S.small_problems(max_side=3))
@example(S.problem_from_seed(5, 784, 9, 10, seed=1, zeros=0.3, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4)))
@example(S.problem_from_seed(40, 50, 60, 3, seed=2, family="wide", lambdas=Lambdas(0.5, 0.0, 0.0, 0.5)))
def test_padding_changes_nothing(problem):
    """The padded engine (what the catalog uses) and the plain definition agree within the bounds."""
    padded = engine.evaluate(*problem[:4])
    acts, lse, L, risk, grads = evaluate_plain(*problem[:4])
    for f in grads._fields:
        np.testing.assert_array_less(np.abs(getattr(padded.grads, f) - getattr(grads, f)),
                                     SAFETY * getattr(padded.grads_bound, f) + FLOOR + 1e-300)
    for f in acts._fields:
        np.testing.assert_array_less(np.abs(getattr(padded.acts, f) - getattr(acts, f)),
                                     SAFETY * getattr(padded.acts_bound, f) + FLOOR + 1e-300)
    assert abs(padded.risk - float(risk)) <= SAFETY * padded.risk_bound + FLOOR


def test_importing_reference_leaves_jax_config_alone():
    code = "import reference, jax; import numpy as np; reference.backprop; print(jax.config.jax_enable_x64)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_handgrad_imports_no_jax():
    code = "import sys, handgrad; handgrad.backprop; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_api_names():
    import handgrad
    assert handgrad.__all__ == ref.__all__
    for name in handgrad.__all__:
        assert hasattr(handgrad, name) and hasattr(ref, name)
    assert ref.Params is handgrad.Params


@settings(max_examples=200)
@given(S.small_problems(magnitude=1e300))
def test_a_drawn_entry_is_zero_or_large_enough_that_products_of_three_stay_normal(problem):
    """XLA flushes subnormal results to zero and NumPy does not: two tiny entries (2e-214 · 1.8e-102) once made
    a pre-activation of 3.8e-316 for handgrad and 0 for the reference, and a correct rect' looked wrong."""
    for a in (problem.X, *problem.params):
        tiny = (a != 0) & (np.abs(a) < S.SMALLEST)
        assert not tiny.any(), a[tiny]
    assert S.SMALLEST ** 3 > np.finfo(np.float64).tiny
