"""Grading: statuses of their own, scores per question with weights, shrinking whatever the shape, X4's words."""

import json

import pytest

from reference.compare.catalog import CATALOG, Context, by_id
from reference.compare.report import Report, render
from reference.compare.runner import PropertyResult, run_catalog, run_property
from reference.compare.sandbox import InProcessImpl
from reference.compare.scoring import Weights, question_scores
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
