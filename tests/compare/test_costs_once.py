"""Each mistake costs once: failures that share a root are charged at the root question alone, the others
inherited (reference/compare/exercise/catalog/chain.py: split_claim, batching_root, settle)."""

import pytest

from reference.compare.exercise.catalog import Context, select
from reference.compare.reports.scoring import Weights, question_scores
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation, standalone_submission

#: The questions a mistake in ∂R/∂W1 can reach.
W1_QUESTIONS = ["B6", "B15", "B16", "B18", "X1"]


def _run(path, questions, examples=8):
    with InProcessImpl(str(path)) as impl:
        results, _ = run_catalog(Context(impl), select(questions), max_examples=examples, seed=0, shrink=False)
    return results


def _own(results):
    return {r.question for r in results if r.status not in ("pass", "inherited")}


def _with_w1(tmp_path, formula):
    """A correct submission whose ∂R/∂W1 is ``formula`` (of g, the honest gradients; X; n; the penalty term)."""
    path = tmp_path / "test_w1.py"  # named test_*: Hypothesis draws no constants from it
    path.write_text(standalone_submission(
        "\n\n_honest_backprop = backprop\n\n\n"
        "def backprop(params, X, y, lambdas=Lambdas()):\n"
        "    g, lam, n = _honest_backprop(params, X, y, lambdas), Lambdas(*lambdas), len(X)\n"
        "    pen = lam.l11 * sign(params.W1) + 2 * lam.l12 * params.W1\n"
        f"    return g._replace(W1={formula})\n"))
    return path


def test_a_missing_1_over_n_costs_only_its_root_question():
    # right on each example alone, the batch not their mean: the batching mistake is B16's; B15 (right per
    # example), X1 (the same batch off its examples' mean) and the penalised and descent questions inherit it
    results = _run(implementation("bug_w1_sum"), W1_QUESTIONS)
    assert _own(results) == {"B16"}
    status = {r.id: (r.status, r.details.get("root")) for r in results}
    for prop in ("B15-W1", "X1", "B6", "B18-all"):
        assert status[prop] == ("inherited", "B16"), (prop, status[prop])
    scores = question_scores(results, Weights())
    assert {q: s for q, (s, top) in scores.items() if s < top} == {"B16": 0.0}


def test_the_batched_twin_inherits_a_per_example_mistake(tmp_path):
    # ×2 on every example, the batch their mean: B15's mistake; B16 inherits, X1 has nothing to say
    results = _run(_with_w1(tmp_path, "2 * (g.W1 - pen) + pen"), W1_QUESTIONS)
    status = {r.id: (r.status, r.details.get("root")) for r in results}
    assert status["B15-W1"] == ("fail", None) and status["B16"] == ("inherited", "B15")
    assert status["X1"] == ("pass", None) and _own(results) == {"B15"}


def test_two_mistakes_in_one_gradient_are_both_charged(tmp_path):
    # ×2 on every example and summed over the batch: wrong per example and the batch not its examples' mean
    results = _run(_with_w1(tmp_path, "2 * n * (g.W1 - pen) + pen"), W1_QUESTIONS)
    status = {r.id: (r.status, r.details.get("root")) for r in results}
    assert status["B15-W1"][0] == "fail" and status["B16"][0] == "fail"
    assert status["X1"] == ("inherited", "B16")


def test_independent_mistakes_in_two_gradients_are_each_charged():
    # ∂R/∂W1 and ∂R/∂b2 (and the rest) summed: two batched questions, each charged
    results = _run(implementation("bug_sum_not_mean"), ["B9", "B10", "B15", "B16", "X1"])
    assert _own(results) == {"B10", "B16"}
    assert {r.id: r.details.get("root") for r in results if r.status == "inherited"} == {
        "B9": "B10", "B15-W1": "B16", "B15-b1": "B16", "X1": "B16"}


def test_a_gradient_that_does_no_work_inherits_nothing(tmp_path):
    # ∂R/∂W1 all zero (its penalty term alone): the batch is the mean of its examples' zeros, which shows nothing
    results = _run(_with_w1(tmp_path, "0 * g.W1 + pen"), ["B15", "B16"])
    assert {r.id: r.status for r in results} == {"B15-W1": "fail", "B15-b1": "pass", "B16": "fail"}


def test_a_twin_that_fails_nowhere_in_the_run_leaves_the_mistake_charged_here():
    # rect'(0) = 1: B13's (per example); with B13 not selected, B14 is charged and B15, B16 inherit from it
    results = _run(implementation("bug_rect_ge"), ["B14", "B15", "B16"], examples=6)
    status = {r.id: (r.status, r.details.get("root")) for r in results}
    assert status["B14"] == ("fail", None) and "charged here: B13 fails nowhere in this run" in \
        next(r.message for r in results if r.id == "B14")
    assert {status[p] for p in ("B15-W1", "B16")} == {("inherited", "B14")}


@pytest.mark.parametrize("name", ["bug_rect_ge"])
def test_with_its_twin_in_the_run_the_batched_question_inherits(name):
    results = _run(implementation(name), ["B13", "B14"], examples=6)
    assert {r.id: (r.status, r.details.get("root")) for r in results} == {"B13": ("fail", None),
                                                                         "B14": ("inherited", "B13")}


# -- part A: an identity through one wrong function ---------------------------------------------------------
#: sigmoid as (1 + tanh(x))/2: the /2 inside forgotten; it does work, and is wrong.
WRONG_SIGMOID = "\n\ndef sigmoid(x):\n    return (1 + np.tanh(np.asarray(x, dtype=np.float64))) / 2\n"
#: d_sigmoid right, on its own (not through the submission's sigmoid).
RIGHT_D_SIGMOID = ("\n\ndef d_sigmoid(x):\n    s = 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))\n"
                   "    return s * (1 - s)\n")
#: d_sigmoid off by a factor 2, on its own.
WRONG_D_SIGMOID = ("\n\ndef d_sigmoid(x):\n    s = 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))\n"
                   "    return 2 * s * (1 - s)\n")
PART_A_SIGMOID = ["A1", "A2", "A3", "A4"]


def test_identities_through_a_wrong_sigmoid_inherit_from_A1(tmp_path):
    path = tmp_path / "test_sigmoid.py"
    path.write_text(standalone_submission(WRONG_SIGMOID + RIGHT_D_SIGMOID))
    status = {r.id: (r.status, r.details.get("root")) for r in _run(path, PART_A_SIGMOID, examples=20)}
    assert status["A1-sigmoid"][0] == "fail" and status["A1-identity"][0] == "fail"  # A1's own claims
    assert status["A2-identity"] == ("inherited", "A1") and status["A3-identity"] == ("inherited", "A1")
    assert status["A2-values"] == status["A3"] == ("pass", None)


def test_an_identity_through_two_wrong_functions_is_charged(tmp_path):
    path = tmp_path / "test_sigmoid_and_derivative.py"
    path.write_text(standalone_submission(WRONG_SIGMOID + WRONG_D_SIGMOID))
    status = {r.id: r.status for r in _run(path, ["A1", "A3"], examples=20)}
    assert status == {"A1-identity": "fail", "A1-sigmoid": "fail", "A1-tanh": "pass", "A3": "fail",
                      "A3-identity": "fail"}
