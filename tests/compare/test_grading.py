"""Grading: statuses of their own, scores per question with weights, shrinking whatever the shape, X4's words."""

import json

import pytest

from reference.compare.exercise.catalog import CATALOG, Context, by_id
from reference.compare.reports.formats import Report, render
from reference.compare.reports.scoring import Weights, question_scores
from reference.compare.running.runner import PropertyResult, run_catalog, run_property
from reference.compare.sandbox import InProcessImpl
from support import implementation


def test_a_missing_function_makes_only_its_properties_missing(tmp_path):
    path = tmp_path / "partial.py"  # handgrad with a misspelt gradient_descent
    path.write_text("from handgrad.functions import *\nfrom handgrad.types import *\n"
                    "from handgrad.network import forward, loss, risk, backprop\n"
                    "from handgrad.network import gradient_descent as gradient_descnet\n")
    with InProcessImpl(str(path), allow_missing=True) as impl:
        results, _ = run_catalog(Context(impl), CATALOG, max_examples=3, sweep=0, seed=0, shrink=False)
    status = {r.id: r.status for r in results}
    assert {k for k, v in status.items() if v == "missing"} == {"B6", "X2", "X3", "X5"}
    assert all(v == "pass" for k, v in status.items() if k not in ("B6", "X2", "X3", "X5"))


def test_not_implemented_is_a_status_of_its_own(tmp_path):
    path = tmp_path / "partial.py"
    path.write_text("from handgrad.functions import *\nfrom handgrad.network import *\nfrom handgrad.types import *\n"
                    "def d_tanh(x):\n    raise NotImplementedError('not done yet')\n")
    with InProcessImpl(str(path)) as impl:
        result = run_property(by_id("A4"), Context(impl), max_examples=5, seed=0)
    assert result.status == "not-implemented" and "not done yet" in result.message


def test_a_bug_that_needs_17_hidden_units_is_shown_with_17(tmp_path):
    path = tmp_path / "wide.py"
    path.write_text(
        "from handgrad.functions import *\nfrom handgrad.types import *\nimport handgrad.network as _n\n"
        "forward, loss, risk, gradient_descent = _n.forward, _n.loss, _n.risk, _n.gradient_descent\n"
        "def backprop(params, X, y, lambdas=Lambdas(), **kw):\n"
        "    g = _n.backprop(params, X, y, lambdas, **kw)\n"
        "    if g.W1.shape[0] >= 17:\n"
        "        W1 = g.W1.copy(); W1[16] *= 2.0  # a loop bound that breaks past unit 16\n"
        "        return g._replace(W1=W1)\n"
        "    return g\n")
    with InProcessImpl(str(path)) as impl:
        results, _ = run_catalog(Context(impl), [by_id("B15-W1")], max_examples=5, sweep=1000, seed=0)
    r = results[0]
    ce = r.counterexample
    assert r.status == "fail", r.message
    assert (ce["n"], ce["d"], ce["dh"], ce["m"]) == (1, 1, 17, 2), ce
    assert "python" in ce or len(json.dumps(ce)) < 4000  # large arrays as the lines that rebuild them


def _result(q, status):
    return PropertyResult(id=q, question=q.split("-")[0], title="t", status=status)


def test_gradescope_scores_questions_with_weights_and_credit():
    results = [_result("B18-l11", "pass"), _result("B18-l12", "fail"), _result("B15-W1", "inherited"),
               _result("A5", "missing")]
    weights = Weights.from_mapping({"weights": {"B18": 4}, "credit": {"inherited": 0.5},
                                    "visibility": {"A5": "hidden"}})
    assert question_scores(results, weights) == {"B18": (2.0, 4.0), "B15": (0.5, 1.0), "A5": (0.0, 1.0)}
    report = Report("x.py", "seed", 0, 3, 0, results, 1.0)
    data = json.loads(render(report, "gradescope", weights=weights))
    tests = {t["number"]: t for t in data["tests"]}
    assert set(tests) == {"B18", "B15", "A5"} and data["score"] == 2.5
    assert tests["A5"]["visibility"] == "hidden" and tests["B18"]["max_score"] == 4.0


@pytest.mark.parametrize("bad, words", [
    ({"weights": {"B1": -1}}, "weights.B1"), ({"credit": {"passed": 1}}, "credit.passed"),
    ({"visibility": {"B1": "secret"}}, "visibility.B1"), ({"points": {}}, "unknown table"),
])
def test_bad_weights_name_the_key(bad, words):
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        Weights.from_mapping(bad)


def test_x4_names_the_warning_and_where_it_comes_from(tmp_path):
    # a warning is what the submission's process says about itself: shown with a failure, never the failure
    path = tmp_path / "warns.py"
    source = ("import warnings\nimport numpy as np\nfrom handgrad.functions import *\nfrom handgrad.types import *\n"
              "import handgrad.network as _n\nbackprop, loss, risk, gradient_descent = "
              "_n.backprop, _n.loss, _n.risk, _n.gradient_descent\n"
              "def forward(params, X):\n    warnings.warn('np.matrix is deprecated', PendingDeprecationWarning)\n"
              "    a = _n.forward(params, X)\n"
              "    return a._replace(os=a.os * (np.nan if np.abs(a.oa).max() > 1e3 else 1))\n")
    path.write_text(source)
    with InProcessImpl(str(path)) as impl:
        result = run_property(by_id("X4"), Context(impl), max_examples=3, seed=0)
    assert result.status == "fail" and "not finite at large logits" in result.message
    assert "ordinary inputs too" in result.message and "PendingDeprecationWarning" in result.message
    path.write_text(source.replace("np.nan if np.abs(a.oa).max() > 1e3 else 1", "1"))
    with InProcessImpl(str(path)) as impl:
        assert run_property(by_id("X4"), Context(impl), max_examples=3, seed=0).status == "pass"


def test_the_naive_softmax_fails_only_stability(tmp_path):
    with InProcessImpl(str(implementation("bug_naive_softmax"))) as impl:
        results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.question in ("B3", "B4", "B7", "X4")],
                                 max_examples=10, sweep=300, seed=0, shrink=False)
    status = {r.id: r.status for r in results}
    assert status["X4"] == "fail" and status["B3"] == status["B4"] == "pass"
    assert status["B7"] in ("pass", "inherited")


# -- no credit without work -----------------------------------------------------------------
#: backprop computed from ∂L/∂oa = 0.25 everywhere, every step below it right on that.
CONSTANT_OA = '''from handgrad.functions import *
from handgrad.types import *
import handgrad.network as _n
import numpy as np
forward, loss, risk, gradient_descent = _n.forward, _n.loss, _n.risk, _n.gradient_descent

def backprop(params, X, y, lambdas=Lambdas()):
    W1, b1, W2, b2 = params
    lam, a, n = Lambdas(*lambdas), _n.forward(params, X), len(X)
    oa = np.full(a.oa.shape, 0.25)
    hs = oa @ W2
    ha = hs * (a.ha > 0)
    return Gradients(oa, hs, ha, ha @ W1, ha.T @ X / n + lam.l11 * sign(W1) + 2 * lam.l12 * W1, ha.mean(axis=0),
                     oa.T @ a.hs / n + lam.l21 * sign(W2) + 2 * lam.l22 * W2, oa.mean(axis=0))
'''


def test_a_step_right_on_its_own_constant_input_gets_no_credit_and_the_steps_below_inherit_it(tmp_path):
    path = tmp_path / "test_constant_oa.py"  # named test_*: Hypothesis draws no constants from it
    path.write_text(CONSTANT_OA)
    with InProcessImpl(str(path)) as impl:
        results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.question in ("B7", "B9", "B11", "B13",
                                                                                         "B15", "B17")],
                                 max_examples=10, sweep=0, seed=0, shrink=False)
    status = {r.id: (r.status, r.details.get("root")) for r in results}
    assert status == {"B7": ("fail", None), "B9": ("fail", None), "B11": ("fail", None), "B13": ("inherited", "B11"),
                      "B15-W1": ("inherited", "B11"), "B15-b1": ("inherited", "B11"), "B17": ("inherited", "B11")}
    for r in results:
        if r.id in ("B9", "B11"):
            assert r.message.endswith("its own ∂L/∂oa is constant (every entry 0.25): being right on it shows nothing")


@pytest.mark.parametrize("prop, replace, words", [
    # the risk right on its own losses, all zero
    ("B5-risk", "def loss(params, X, y):\n    return np.zeros(len(X))\n"
                "def risk(params, X, y, lambdas=Lambdas()):\n    return float(loss(params, X, y).mean())\n",
     "its own loss(...) is all zero"),
    # descent along its own gradient, all zero: θ unchanged
    ("B6", "def backprop(params, X, y, lambdas=Lambdas()):\n"
           "    return Gradients(*(np.zeros_like(a) for a in _n.backprop(params, X, y, lambdas)))\n"
           "def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):\n"
           "    return Params(*(np.array(w, dtype=np.float64) for w in params))\n",
     "its own backprop(...).W1 (∂R/∂W1) is all zero"),
    # the penalty term right on its own λ = 0 gradient, all zero: the penalty alone
    ("B18-l11", "def backprop(params, X, y, lambdas=Lambdas()):\n"
                "    g, lam = _n.backprop(params, X, y, lambdas), Lambdas(*lambdas)\n"
                "    return g._replace(W1=lam.l11 * sign(params.W1) + 2 * lam.l12 * params.W1)\n",
     "its own ∂R/∂W1 at λ = 0 is all zero"),
])
def test_the_risk_a_descent_step_and_a_penalty_right_on_inputs_that_carry_nothing_fail(tmp_path, prop, replace,
                                                                                         words):
    path = tmp_path / "test_flat.py"
    path.write_text("from handgrad.functions import *\nfrom handgrad.types import *\nimport handgrad.network as _n\n"
                    "import numpy as np\nforward, loss, risk, backprop, gradient_descent = "
                    "_n.forward, _n.loss, _n.risk, _n.backprop, _n.gradient_descent\n" + replace)
    with InProcessImpl(str(path)) as impl:
        result = run_property(by_id(prop), Context(impl), max_examples=10, seed=0, shrink=False)
    assert result.status == "fail" and result.message.endswith(f"{words}: being right on it shows nothing"), \
        (result.status, result.message)


def test_an_example_whose_own_inputs_carry_nothing_does_not_undo_an_inherited_verdict():
    # an honest mistake upstream can zero a step's inputs on one example (a flipped rect' and every ha > 0):
    # the property is inherited if another example shows the step right on inputs that carry information;
    # with no such example, it fails
    import hypothesis.strategies as st

    from reference.compare.exercise.catalog import Property, PropertyFailure
    from reference.compare.exercise.catalog.chain import Inherited, Uninformed

    def check(ctx, i):
        failure = PropertyFailure(f"example {i} off")
        if i in (1, 3):
            raise Uninformed(failure, "∂L/∂ha is all zero")
        if i == 2:
            raise Inherited(failure, "B13")

    def run(*examples):
        prop = Property("T", "T", "t", lambda: st.sampled_from(examples), check, examples=examples)
        with InProcessImpl("handgrad") as impl:
            return run_property(prop, Context(impl), max_examples=len(examples), seed=0)
    assert run(0, 1, 2, 3).status == "inherited"
    alone = run(0, 1, 3)
    assert alone.status == "fail" and alone.message.endswith("off; its own ∂L/∂ha is all zero: being right on it "
                                                             "shows nothing")


def test_types_and_shapes_earn_nothing_for_a_function_that_does_no_work_but_a_flat_answer_is_not_that(tmp_path):
    import numpy as np

    from handgrad.types import Lambdas, Params
    from reference.compare.exercise.catalog.beyond import x3_types
    from reference.compare.exercise.catalog.check import PropertyFailure
    from reference.compare.exercise.problems import Problem

    p = Problem(Params(np.ones((1, 2)), np.zeros(1), np.ones((2, 1)), np.zeros(2)), np.array([[0.0, 1.0]]),
                np.array([0]), Lambdas())
    zero = tmp_path / "test_zero_rect.py"  # d_rect that returns zeros whatever x
    zero.write_text("from handgrad.functions import *\nfrom handgrad.network import *\nfrom handgrad.types import *\n"
                    "import numpy as np\ndef d_rect(x):\n    return np.zeros(np.shape(x))\n")
    with InProcessImpl(str(zero)) as impl:
        with pytest.raises(PropertyFailure, match=r"d_rect\(\.\.\.\) does no work: .*d_rect\(x\) is all zero"):
            x3_types(Context(impl), p)
    # rect'(0) = 1: ones on x = [0, 1], where the reference's are [0, 1]; it varies elsewhere
    with InProcessImpl(str(implementation("bug_rect_ge"))) as impl:
        x3_types(Context(impl), p)
