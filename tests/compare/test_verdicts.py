"""Verdicts: each known-bad implementation is flagged under its question, equivalent rewrites pass."""

import pytest

from handgrad.types import Lambdas
from reference.compare.exercise.catalog import CATALOG, Context, by_id
from reference.compare.exercise.catalog.check import PropertyFailure
from reference.compare.exercise.problems import problem_from_seed
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation

#: fixture → (questions it must fail, questions it may also fail as a consequence)
BAD = {
    "seed_000_literal": ({"A5", "A9", "B18"}, set()),
    "seed_003_literal": ({"B7", "B8", "B10", "B13", "B14", "B15", "B16", "B17"},
                         {"B5", "B6", "B9", "B11", "B12", "B18", "X1", "X2", "X3", "X4", "X5"}),
    "bug_l1_constant": ({"B18"}, set()),
    "bug_l1_penalty_sum": ({"B18"}, set()),
    # a per-example mistake costs its per-example question: the batched twin inherits it (a batch as its halves)
    "bug_rect_ge": ({"A7", "B13"}, set()),
    # a batching mistake costs its batched question alone: the per-example twins and X1 inherit it
    "bug_sum_not_mean": ({"B10", "B16"}, set()),
    "bug_naive_softmax": ({"X4"}, set()),
    "bug_backprop_unshifted": ({"X4"}, set()),  # an overflow past ordinary logits is X4's, wherever it is drawn
    "bug_public_softmax_unshifted": ({"X4"}, set()),  # forward's own softmax is stable: X4 asks softmax too
    "bug_mutates_input": ({"X2"}, set()),
    # float32 gradients are judged at float64's precision at their own questions too (right only to float32's
    # is wrong there: it cannot be told from a float64 answer wrong in its eighth digit); ∂L/∂ha = rect'·∂L/∂hs is
    # exact on its own float32 ∂L/∂hs, so B13/B14 may inherit B11's
    "bug_float32": ({"X3", "B7", "B9", "B10", "B11", "B15", "B16", "B17"},
                    {"X5", "X1", "X4", "B6", "B8", "B12", "B13", "B14", "B18"}),
    "bug_abs_quotient": ({"A6", "A9"}, set()),
    # the transposition is B9's, charged there once: read back, ∂R/∂W2 is right at B10, B18, X1, X3 and X5
    "bug_transposed_w2": ({"B9"}, set()),
    "bug_transposed_w1": ({"B15"}, set()),  # likewise B15's: B16, B18, X1, X3, X5 read it back
    "bug_b1_keepdims": ({"X3"}, set()),  # a shape with an axis of length 1 more, values right: X3's alone
    "bug_backprop_plain_tuple": ({"X3"}, set()),  # read by position: its container is X3's alone
    # raises unless dh = m: judged where they are equal (the other sides apart), the raise charged once where
    # W2's gradient is transposed (B9); descent, stepping with it, raises there too and inherits it. B18 may be
    # charged where dh = m by chance and the λ = 0 gradient carries no information (its data term transposed)
    "bug_transposed_raises": ({"B9"}, {"B18"}),
    # ∂L/∂oa · W2ᵀ for ∂L/∂oa · W2 raises unless dh = m: charged once, at ∂L/∂hs (B11)
    "bug_product_transposed": ({"B11"}, set()),
    "bug_raises_hiding_d_for_n": ({"B15", "B16"}, {"B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13", "B14",
                                                   "B17", "B18", "X1", "X2", "X3", "X4", "X5"}),  # errors, all
    "bug_l2_half": ({"A8", "B18"}, set()),
    "bug_labels_from_1": ({"B4", "B7"}, set()),  # X4 inherits: the same named mistake at ordinary logits
    "bug_abs_sign_ge": ({"A6", "A9", "B18"}, set()),
    "bug_mean_twice": ({"B16"}, set()),
    "bug_b1_loop_one_short": ({"B16"}, set()),  # the last example left out of the batch: B15 inherits it
    "bug_b1_times_2": ({"B15"}, set()),  # ×2 at n = 2 is no sum over the batch when an example alone is ×2 too
    "bug_l1_quotient": ({"B18"}, set()),  # nan at zero weights, λ = 0 too: the L1 term's, not the data term's
    "bug_rect_quotient": ({"B13"}, set()),  # nan at the kink: where the batch, X4 and X5 see it, they inherit
    "bug_hidden_double_sum": ({"B15", "B16"}, set()),  # no batching pattern: a per-example mistake stays charged
    # inherited from B16, which never draws λ21 > 0 and passes: charged where it is seen (B18, X1)
    "bug_sum_only_with_l21": ({"B18"}, {"X1"}),
    # one forward mistake costs its forward question alone: the later steps, right on its values, inherit it
    "bug_forward_minus_b1": ({"B1"}, set()),
    "bug_forward_no_b2": ({"B2"}, set()),
    "bug_softmax_batch_axis": ({"B3"}, set()),  # X4 sees the same wrong softmax at large logits: it inherits
    "bug_input_gradient_path": ({"X1"}, set()),
    "bug_descent_double_step": ({"B6"}, set()),  # the loop's mistake at λ = 0 too: X5 inherits it
    "bug_descent_stale_gradient": ({"B6"}, set()),  # the gradient at θ0 at every step: X5 inherits it
    "bug_oa_double_reversed": ({"B7", "B8"}, {"X1"}),  # X4 inherits B7's step: wrong on its own inputs
    # a property fails when one of its arrays is wrong on its own inputs, beside another that inherits
    "bug_masked_l21_batch": ({"B16", "B18"}, set()),
    "bug_masked_descent_b1": ({"B6", "B16"}, set()),  # b1 stepped with 1.5 η: the loop's, X5 inherits it
}
#: What a failing question may show elsewhere: only "inherited" (right on its own inputs).
EQUIVALENT = ["equivalent_einsum", "equivalent_logaddexp", "equivalent_seed_003_fixed"]


def _verdicts(name, examples=8, sweep=0):
    """Every property on a fixture; no shrinking (the verdict is what counts here). Inherited is not failing."""
    with InProcessImpl(str(implementation(name))) as impl:
        results, _ = run_catalog(Context(impl), CATALOG, max_examples=examples, sweep=sweep, seed=0, shrink=False)
    return {r.question for r in results if r.status not in ("pass", "inherited")}, results


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_implementation_is_flagged_under_the_right_question(name):
    must, may = BAD[name]
    failing, results = _verdicts(name)
    assert must <= failing, f"{name}: expected {sorted(must)} to fail, got {sorted(failing)}"
    assert failing <= must | may, f"{name}: unexpected failures {sorted(failing - must - may)}"
    for r in results:
        if r.status == "fail":
            assert r.message and r.counterexample and r.counterexample.get("kind")


@pytest.mark.parametrize("name", EQUIVALENT)
def test_equivalent_rewrite_passes(name):
    failing, results = _verdicts(name, examples=15, sweep=300)
    assert not failing, [r.message for r in results if r.status != "pass"]


# -- what must fail and what must pass ------------------------------------------
@pytest.mark.parametrize("field", ["oa", "hs", "ha", "x", "W1", "b1", "W2", "b2"])
def test_a_relative_error_of_1e_7_in_one_gradient_array_fails(tmp_path, field):
    # loaded in this process: named test_*, Hypothesis draws no constants from it (its 1e-7 would change the
    # examples of the tests run after this one in the same process)
    path = tmp_path / f"test_off_{field}.py"
    path.write_text(
        "from handgrad import *\nimport handgrad\n\n"
        "def backprop(params, X, y, lambdas=handgrad.Lambdas()):\n"
        "    g = handgrad.backprop(params, X, y, lambdas)\n"
        f"    return g._replace({field}=g.{field} * (1 + 1e-7))\n")
    # B18-all compares every array; the question whose own step the error is in fails, the others inherit it
    own = {"oa": "B7", "hs": "B11", "ha": "B13", "x": "B17", "W1": "B15-W1", "b1": "B15-b1", "W2": "B9",
           "b2": "B9"}[field]
    with InProcessImpl(str(path)) as impl:
        results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.id in ("B18-all", own)],
                                 max_examples=20, sweep=0, seed=0, shrink=False)
    for r in results:
        assert r.status in ("fail", "inherited") and f".{field} " in r.message, r.message
    assert {r.id: r.status for r in results}[own] == "fail"


@pytest.mark.parametrize("name, prop, array", [
    ("bug_masked_l21_batch", "B18-l21", "W2"),
    ("bug_masked_l21_batch", "B18-all", "W2"),
])
def test_an_arrays_own_mistake_is_charged_beside_another_arrays_inherited_one(name, prop, array):
    # n = 4: ∂R/∂W1 (summed, B16's mistake) is off and inherited here; ∂R/∂W2 lacks its λ21 term (this
    # property's own mistake), checked after W1: the example is this property's failure, not an inherited one
    p = problem_from_seed(4, 3, 5, 3, seed=1, zeros=0.0, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4))
    with InProcessImpl(str(implementation(name))) as impl:
        with pytest.raises(PropertyFailure) as failure:
            by_id(prop).check(Context(impl), p)
    assert failure.value.status == "fail" and f".{array} " in failure.value.message, failure.value.message


def test_x1_inherits_a_mistake_of_an_example_alone_from_its_own_step():
    # ∂R/∂W1 doubled on a batch of one only: B15's (its n = 1 draws find it at 40 examples); X1 sees the
    # examples alone wrong beside a right batch, and judges the first wrong one on its own values
    props = [p for p in CATALOG if p.question in ("B15", "B16", "X1")]
    with InProcessImpl(str(implementation("bug_double_on_one_example"))) as impl:
        results, _ = run_catalog(Context(impl), props, max_examples=40, sweep=0, seed=0, shrink=False)
    got = {r.id: (r.status, r.details.get("root")) for r in results}
    assert got["B15-W1"][0] == "fail" and got["X1"] == ("inherited", "B15"), got
    assert got["B16"][0] in ("pass", "inherited"), got


def test_same_seed_same_report():
    def run():
        with InProcessImpl(str(implementation("bug_rect_ge"))) as impl:
            results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.question in ("A7", "B13")],
                                     max_examples=10, sweep=100, seed=3)
        return [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in results]
    assert run() == run()
