"""diagnose names the mistake a wrong array shows, on fixture-like examples, and nothing on noise."""

import importlib.util

import numpy as np
import pytest

import handgrad
from handgrad.types import Lambdas
from reference.compare.exercise.diagnose import diagnose
from reference.compare.exercise.problems import problem_from_seed
from support import implementation


@pytest.fixture
def bug(monkeypatch):
    """A classic-bug fixture from tests/implementations/bugs, imported as a module."""
    def load(name):
        path = implementation(name)
        monkeypatch.syspath_prepend(str(path.parent))
        spec = importlib.util.spec_from_file_location(f"diagnosed_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


def _grads(p):
    return handgrad.backprop(*p.arguments("backprop"))


# -- a constant multiple ------------------------------------------------------
def test_the_sum_over_the_batch_from_the_bug_fixture(bug):
    p = problem_from_seed(5, 3, 4, 3, seed=1)
    got = bug("bug_sum_not_mean").backprop(*p.arguments("backprop"))
    want = _grads(p)
    for f in ("b1", "b2", "W2"):
        assert diagnose(getattr(got, f), getattr(want, f), n=5) == \
            "summed over the batch instead of averaged (n = 5 times the reference)"


@pytest.mark.parametrize("c, n, expected", [
    (1 / 5, 5, "averaged twice (1/n = 1/5 of the reference)"),
    (2.0, 5, "a lost factor 2 (2 times the reference)"),
    (0.5, 5, "a lost factor 2 (1/2 of the reference)"),
    (2.0, None, "a lost factor 2 (2 times the reference)"),
    (2.0, 2, "×n or ×2: summed over the batch instead of averaged, or a lost factor 2 "
             "(2 times the reference at n = 2)"),
    (0.5, 2, "×1/n or ×1/2: averaged twice, or a lost factor 2 (1/2 of the reference at n = 2)"),
    (-1.0, 5, "the sign is flipped (-1 times the reference)"),
    (3.7, 5, "a constant multiple 3.7 of the reference"),
    (0.0, 5, "zero where the reference is not (0 times the reference: a term left out?)"),
])
def test_a_constant_multiple_is_named(c, n, expected):
    want = _grads(problem_from_seed(5, 3, 4, 3, seed=2)).W1
    assert diagnose(c * want, want, n=n) == expected


def test_a_multiple_is_estimated_past_roundoff_and_exact_zeros():
    p = problem_from_seed(7, 4, 6, 3, seed=3, zeros=0.4)
    g = _grads(p)
    want = g.b1
    got = np.zeros_like(want)
    for i in range(7):  # the course's loop, summed and never divided
        got += g.ha[i]
    assert (want == 0).any() and not np.array_equal(got, 7 * want)
    assert diagnose(got, want, n=7).startswith("summed over the batch")


def test_a_multiple_wrong_at_one_entry_is_not_claimed():
    want = _grads(problem_from_seed(5, 3, 4, 3, seed=2)).W1
    got = 2 * want
    got[1, 1] += 0.1
    assert diagnose(got, want, n=5) is None


# -- transposed ---------------------------------------------------------------
def test_the_transpose_of_a_square_array():
    want = _grads(problem_from_seed(4, 3, 3, 3, seed=4)).W1
    assert diagnose(want.T.copy(), want) == "the reference transposed"


def test_the_transpose_by_its_shape_alone_or_with_a_second_mistake():
    want = _grads(problem_from_seed(4, 3, 5, 2, seed=4)).W1
    assert diagnose(want.T, want) == "the reference transposed (shape (3, 5) for (5, 3))"
    assert diagnose(4 * want.T, want, n=4) == \
        "transposed (shape (3, 5) for (5, 3)), and then summed over the batch instead of averaged " \
        "(n = 4 times the reference)"


# -- the kinks ----------------------------------------------------------------
def test_rect_prime_at_zero_differs_only_at_the_kinks(bug):
    p = problem_from_seed(6, 3, 8, 3, seed=5, zeros=0.4)
    ha = handgrad.forward(p.params, p.X).ha
    got = bug("bug_rect_ge").backprop(*p.arguments("backprop")).ha
    want = _grads(p).ha
    assert (ha == 0).any() and not np.array_equal(got, want)
    assert diagnose(got, want, kinks=ha == 0).startswith(
        "differs only at the kinks (the convention at 0: rect'(0), sign(0))")
    assert diagnose(got, want) is None  # without the mask: no pattern
    assert diagnose(got, want, kinks=ha < 0) is None


def test_the_l1_gradient_as_the_constant_lambda(bug):
    p = problem_from_seed(3, 4, 5, 3, seed=6, zeros=0.3, lambdas=Lambdas(0.3, 0.1, 0.7, 0.2))
    got = bug("bug_l1_constant").backprop(*p.arguments("backprop"))
    want = _grads(p)
    for f, lam in (("W1", 0.3), ("W2", 0.7)):
        W = getattr(p.params, f)
        assert (W < 0).any()
        assert diagnose(getattr(got, f), getattr(want, f), W=W, lam=lam, kinks=W == 0) == \
            "the L1 gradient written as the constant λ instead of λ·sign(W)"


def test_the_l1_gradient_at_a_zero_weight():
    p = problem_from_seed(3, 4, 5, 3, seed=6, zeros=0.3, lambdas=Lambdas(0.3, 0.0, 0.0, 0.0))
    W, want = p.params.W1, _grads(p).W1
    sign_at_0_is_1 = np.where(W >= 0, 1.0, -1.0)  # sign(0) = 1, as 2·1{x≥0} − 1
    got = want - 0.3 * np.sign(W) + 0.3 * sign_at_0_is_1
    assert diagnose(got, want, W=W, lam=0.3, kinks=W == 0) == \
        f"abs'(0) taken as 1 in the L1 term, the course's is 0 (sign(0) = 0): off by λ at {(W == 0).sum()} " \
        f"of {(W == 0).sum()} zero weights"
    # without W and λ, the generic kink pattern
    assert diagnose(got, want, kinks=W == 0).startswith("differs only at the kinks")


# -- a loop bound -------------------------------------------------------------
def test_a_loop_that_stops_one_unit_short():
    p = problem_from_seed(4, 3, 6, 3, seed=0, zeros=0.0)
    g = _grads(p)
    n, _, dh, _ = p.dims
    got = np.zeros(dh)
    for j in range(dh - 1):  # should be range(dh)
        got[j] = g.ha[:, j].sum() / n
    assert diagnose(got, g.b1) == "right up to index 4 along axis 0, wrong beyond (a loop bound?)"
    W1 = g.W1.copy()
    W1[:, 2:] = 0.0  # the inner loop over inputs stops at 2
    assert diagnose(W1, g.W1) == "right up to index 1 along axis 1, wrong beyond (a loop bound?)"


# -- non-finite ---------------------------------------------------------------
def test_nan_at_the_kinks_from_x_over_abs_x(bug):
    x = np.array([-2.0, 0.0, 1.5, 0.0, 3.0])
    with np.errstate(invalid="ignore"):
        got = bug("bug_abs_quotient").d_abs(x)
    assert diagnose(got, handgrad.d_abs(x), kinks=x == 0) == \
        "2 nan of 5 entries where the reference is finite, all at the kinks, right elsewhere " \
        "(a quotient like x/|x| at 0?)"


def test_nan_and_inf_are_counted():
    want = np.arange(1.0, 7.0).reshape(2, 3)
    got = want.copy()
    got[0, 0], got[1, 2], got[1, 1] = np.nan, np.inf, -np.inf
    assert diagnose(got, want) == "1 nan and 2 inf of 6 entries where the reference is finite, right elsewhere"
    got[0, 1] += 1.0
    assert diagnose(got, want) == "1 nan and 2 inf of 6 entries where the reference is finite"


# -- nothing to say -----------------------------------------------------------
@pytest.mark.parametrize("seed", range(20))
def test_random_noise_is_no_pattern(seed):
    rng = np.random.default_rng(seed)
    p = problem_from_seed(5, 4, 4, 4, seed=seed, zeros=0.3, lambdas=Lambdas(0.2, 0.1, 0.3, 0.1))
    g = _grads(p)
    for f, W, lam in (("W1", p.params.W1, 0.2), ("W2", p.params.W2, 0.3), ("ha", None, None)):
        want = getattr(g, f)
        got = want + rng.normal(scale=1e-3, size=want.shape)
        assert diagnose(got, want, n=5, kinks=rng.random(want.shape) < 0.3, W=W, lam=lam) is None


def test_agreement_within_allowed_is_no_failure():
    want = np.array([1.0, -2.0, 0.0])
    assert diagnose(want * (1 + 1e-12), want) is None
    assert diagnose(want + 1e-6, want, allowed=1e-5) is None
    assert diagnose(want + 1e-6, want, allowed=np.array([1e-5, 1e-5, 1e-7])) == \
        "right up to index 1 along axis 0, wrong beyond (a loop bound?)"


@pytest.mark.parametrize("kwargs, name", [
    ({"got": np.zeros(4)}, "got"),
    ({"want": np.array([1.0, np.nan, 0.0])}, "want"),
    ({"allowed": -1.0}, "allowed"),
    ({"allowed": np.zeros(2)}, "allowed"),
    ({"n": 0}, "n"),
    ({"n": 2.5}, "n"),
    ({"n": "5"}, "n"),
    ({"W": np.zeros(3), "lam": "0.5"}, "lam"),
    ({"kinks": np.zeros(2, bool)}, "kinks"),
    ({"W": np.zeros(3)}, "W and lam"),
    ({"W": np.zeros(3), "lam": -0.1}, "lam"),
    ({"W": np.zeros(2), "lam": 0.1}, "W"),
])
def test_a_bad_argument_is_named(kwargs, name):
    args = {"got": np.ones(3), "want": np.zeros(3), **kwargs}
    got, want = args.pop("got"), args.pop("want")
    with pytest.raises(ValueError, match=f"^{name} "):
        diagnose(got, want, **args)
