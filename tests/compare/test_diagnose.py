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


# -- the new patterns, on arrays ------------------------------------------------
def test_rect_prime_at_zero_named_alone_and_under_an_upstream_gradient():
    x = np.array([-1.0, 0.0, 2.0, -0.0])
    want = (x > 0).astype(float)
    got = (x >= 0).astype(float)
    assert diagnose(got, want, kinks=x == 0, at_kinks="d_rect", allowed=0.0) == \
        "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?): 2 of 2 kink entries"
    up = np.array([0.3, -0.7, 1.1, 0.2])
    assert diagnose(up * got, up * want, kinks=x == 0, at_kinks="rect", upstream=up) == \
        "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?): 2 of 2 kink entries"
    # another value at the kinks is the generic kink line, not rect'(0) = 1
    assert diagnose(up * np.where(x == 0, 0.5, want), up * want, kinks=x == 0, at_kinks="rect",
                    upstream=up).startswith("differs only at the kinks")


@pytest.mark.parametrize("at0, sign", [(1.0, "1"), (-1.0, "-1")])
def test_abs_prime_at_zero_named(at0, sign):
    x = np.array([-1.0, 0.0, 2.0, 0.0])
    got = np.where(x == 0, at0, np.sign(x))
    assert diagnose(got, np.sign(x), kinks=x == 0, at_kinks="grad_l1", allowed=0.0) == \
        f"abs'(0) taken as {sign}, the course's is 0 (sign(0) = 0; a sign written with >= or np.where?): " \
        "2 of 2 kink entries"


def test_a_gradient_reshaped_or_transposed_then_reshaped():
    want = _grads(problem_from_seed(4, 3, 5, 2, seed=4)).W1  # 5 × 3
    assert diagnose(want.reshape(3, 5), want) == "the reference reshaped (shape (3, 5) for (5, 3))"
    assert diagnose(want.T.reshape(15), want) == "the reference transposed and reshaped (shape (15,) for (5, 3))"
    assert diagnose(want.T.reshape(5, 3), want) == \
        "the reference transposed and reshaped to (5, 3) (.reshape where .T was meant?)"


@pytest.mark.parametrize("wrong, expected", [
    (lambda want, lam, W: want - lam * W, "a lost factor 2 in the L2 term: its gradient written λ·W instead of 2λ·W"),
    (lambda want, lam, W: want - 2 * lam * W, "the L2 term's gradient left out (2λ·W missing)"),
    (lambda want, lam, W: want + 2 * lam * W, "the L2 term's gradient doubled: 4λ·W instead of 2λ·W"),
])
def test_the_l2_term_mistakes(wrong, expected):
    p = problem_from_seed(3, 4, 5, 3, seed=7, lambdas=Lambdas(0.0, 0.4, 0.0, 0.0))
    W, want = p.params.W1, _grads(p).W1
    assert diagnose(wrong(want, 0.4, W), want, W=W, lam=0.0, lam2=0.4, n=3) == expected


def test_the_l1_term_left_out():
    p = problem_from_seed(3, 4, 5, 3, seed=7, lambdas=Lambdas(0.3, 0.0, 0.0, 0.0))
    W, want = p.params.W1, _grads(p).W1
    assert diagnose(want - 0.3 * np.sign(W), want, W=W, lam=0.3, n=3) == \
        "the L1 term's gradient left out (λ·sign(W) missing)"


@pytest.mark.parametrize("shift, expected", [
    (1, "labels from 1: y + 1 used as the class index (the last class wrapping to 0)"),
    (-1, "labels from 1: y − 1 used as the class index (class 0 read as the last)"),
])
def test_labels_from_1_among_the_alternatives(shift, expected):
    from reference.compare.exercise.explain import labels_from_1

    p = problem_from_seed(4, 3, 3, 3, seed=8)
    ref = lambda q: handgrad.backprop(*q.arguments("backprop"))  # noqa: E731
    got = ref(p._replace(y=(p.y + shift) % 3)).oa
    assert diagnose(got, ref(p).oa, alternatives=labels_from_1(ref, p, lambda g: g.oa)) == expected


def test_an_overflowing_exp_named_at_large_logits():
    want = np.array([[1.0, 0.0], [0.5, 0.5]])
    got = np.array([[np.nan, 0.0], [0.5, 0.5]])
    assert diagnose(got, want, logits=np.array([[800.0, -1.0], [0.0, 0.0]])) == \
        "1 nan of 4 entries where the reference is finite: exp overflows at |oa| up to 800 (> 709.78): " \
        "softmax or log-sum-exp without subtracting the max first?"
    assert diagnose(got, want, logits=np.array([[700.0, -1.0], [0.0, 0.0]])) == \
        "1 nan of 4 entries where the reference is finite, right elsewhere"


def test_when_nothing_fits_the_patterns_tried_are_said():
    from reference.compare.exercise.catalog.check import PropertyFailure
    from reference.compare.exercise.explain import explain

    want = np.array([1.0, -2.0, 3.0])
    got = want + np.array([0.0, 0.1, 0.0])
    f = explain(PropertyFailure("x[1] = -1.9, reference -2.0"), got, want, None, n=4)
    assert f.diagnosis is None and f.message == (
        "x[1] = -1.9, reference -2.0 — no diagnosis: tried nan/inf, transposed, reshaped, ×n, ×1/n, ×2, ×1/2, "
        "×(-1), ×0, a constant multiple, a loop bound")
    assert "diagnosis" not in f.details()
    f = explain(PropertyFailure("d_rect(x)[1] = 0.5"), np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.0, 1.0]), 0.0,
                kinks=np.array([False, False, False]), at_kinks="d_rect")
    assert f.message.endswith("tried nan/inf, rect'(0) = 1, transposed, reshaped, ×2, ×1/2, ×(-1), ×0, "
                              "a constant multiple, a loop bound")
    # right values: another comparison failed, nothing is said about these
    assert explain(PropertyFailure("other"), want, want, None).message == "other"


# -- on the bug fixtures: the report's message, details and text -----------------
def _run_one(name, prop_id, examples=10):
    from reference.compare.exercise.catalog import Context, by_id
    from reference.compare.running.runner import run_catalog
    from reference.compare.sandbox import InProcessImpl

    with InProcessImpl(str(implementation(name))) as impl:
        results, _ = run_catalog(Context(impl), [by_id(prop_id)], max_examples=examples, sweep=0, seed=0,
                                 shrink=True)
    return results[0]


@pytest.mark.parametrize("name, prop_id, line", [
    ("bug_sum_not_mean", "B16", "summed over the batch instead of averaged (n"),
    ("bug_sum_not_mean", "B10-W2", "summed over the batch instead of averaged (n"),
    ("bug_mean_twice", "B16", "averaged twice (1/n"),
    ("bug_rect_ge", "A7", "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?): 2 of 2 kink entries"),
    ("bug_rect_ge", "B13", "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?)"),
    ("bug_abs_sign_ge", "A6", "abs'(0) taken as 1, the course's is 0 (sign(0) = 0; a sign written with >= or "
                              "np.where?): 2 of 2 kink entries"),
    ("bug_abs_sign_ge", "A9", "abs'(0) taken as 1, the course's is 0"),
    ("bug_abs_sign_ge", "B18-l11", "abs'(0) taken as 1 in the L1 term, the course's is 0 (sign(0) = 0): off by λ"),
    ("bug_transposed_w2", "B9", "the reference transposed"),
    ("bug_l1_constant", "B18-l11", "the L1 gradient written as the constant λ instead of λ·sign(W)"),
    ("bug_l2_half", "B18-l12", "a lost factor 2 in the L2 term: its gradient written λ·W instead of 2λ·W"),
    ("bug_l2_half", "A8", "a lost factor 2 (1/2 of the reference)"),
    ("bug_labels_from_1", "B4", "labels from 1: y − 1 used as the class index (class 0 read as the last)"),
    ("bug_labels_from_1", "B7", "labels from 1: y − 1 used as the class index (class 0 read as the last)"),
    ("bug_naive_softmax", "X4", "exp overflows at |oa| up to"),
])
def test_the_report_names_the_mistake_of_each_bug_fixture(name, prop_id, line):
    from reference.compare.reports.formats import Report, to_text

    r = _run_one(name, prop_id)
    assert r.status == "fail", (r.status, r.message)
    assert r.details["diagnosis"].startswith(line) and f" — {r.details['diagnosis']}" in r.message
    assert "×n or ×2" not in r.message and "y ± 1" not in r.message  # told apart where they were ambiguous
    assert line in to_text(Report(f"{name}.py", "seed", 0, 10, 0, [r], 1.0))


# -- ×n or ×2 at n = 2: told apart on a third row --------------------------------
def _at_n_2(path, fields=("b1",), question="B15"):
    from reference.compare.exercise.catalog import Context
    from reference.compare.exercise.catalog.check import PropertyFailure
    from reference.compare.exercise.catalog.part_b import gradients
    from reference.compare.sandbox import InProcessImpl

    p = problem_from_seed(2, 3, 4, 3, seed=1)
    with InProcessImpl(str(path)) as impl:
        with pytest.raises(PropertyFailure) as info:
            gradients(Context(impl), p, fields, question)
    return info.value


def test_a_sum_over_the_batch_at_n_2_is_told_from_a_lost_factor_2(tmp_path):
    assert _at_n_2(implementation("bug_sum_not_mean")).diagnosis == \
        "summed over the batch instead of averaged (n times the reference: 2 at n = 2, 3 at n = 3)"
    assert _at_n_2(implementation("bug_mean_twice")).diagnosis == \
        "averaged twice (1/n of the reference: 1/2 at n = 2, 1/3 at n = 3)"
    # named test_*: Hypothesis draws no constants from it (see test_verdicts)
    doubled = tmp_path / "test_doubled_b1.py"
    doubled.write_text("from handgrad import *\nimport handgrad\n\n"
                       "def backprop(params, X, y, lambdas=handgrad.Lambdas()):\n"
                       "    g = handgrad.backprop(params, X, y, lambdas)\n"
                       "    return g._replace(b1=2 * g.b1)\n")
    assert _at_n_2(doubled).diagnosis == "a lost factor 2 (2 times the reference, at n = 2 and at n = 3)"
    # the submission refuses three rows: the line says both readings
    refuses = tmp_path / "test_refuses_three.py"
    refuses.write_text("from handgrad import *\nimport handgrad\n\n"
                       "def backprop(params, X, y, lambdas=handgrad.Lambdas()):\n"
                       "    if len(y) == 3:\n"
                       "        raise ValueError('three rows')\n"
                       "    g = handgrad.backprop(params, X, y, lambdas)\n"
                       "    return g._replace(b1=2 * g.b1)\n")
    assert _at_n_2(refuses).diagnosis.startswith("×n or ×2: summed over the batch instead of averaged, or a lost")
