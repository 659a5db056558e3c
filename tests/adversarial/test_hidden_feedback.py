"""A hidden question's feedback does not show through a visible one, in Gradescope's and PrairieLearn's results.

Round 4, attack 11: an inherited failure repeated its root's message ("… summed over the batch instead of
averaged; inherited from B15"), so where B15 was hidden its mistake was read in B18's visible test.
Round 5, attack 4: the message was then replaced by "inherited from B13, whose feedback is hidden", which
appears only when B13 failed: the hidden question's verdict, read in every visible test downstream.
Round 5, attack 14: a visible failure of ∂L/∂ha (B13) said of the hidden ∂L/∂hs (B11) "the quantity before it,
… [0, 0] = -0.4768, reference -0.2384, is already off" (a correct ∂L/∂hs: "agrees"), the hidden verdict and
the reference's hidden value; the same before the due date or the publication of a question shown then.

The rule: what a visible test shows never depends on the verdict, the values or the reference's values of a
question that is not visible (yet).
"""

import json

import pytest

from reference.compare.reports.formats import Report, render
from reference.compare.reports.scoring import Weights
from reference.compare.running.runner import PropertyResult
from tests.support import HONEST, RECT_GE, attack

MISTAKE = "∂R/∂b1 [12] = 1.46, reference 0.731 — summed over the batch instead of averaged"
FORMATS = ("gradescope", "prairielearn")


def _report():
    root = PropertyResult("B15-b1", "B15", "∂L/∂b1", status="fail", message=MISTAKE)
    heir = PropertyResult("B18-l11", "B18", "∂R/∂θ with λ11", status="inherited", details={"root": "B15"},
                          message=MISTAKE + "; inherited from B15")
    return Report("bug.py", "seed", 7, 20, 0, [root, heir], 1.0, {})


def _test(text: str, number: str) -> dict:
    """The test of question ``number`` in a Gradescope or PrairieLearn results.json."""
    tests = json.loads(text)["tests"]
    return next(t for t in tests if t.get("number", t.get("description", "").removeprefix("question ")) == number)


def test_an_inherited_failure_does_not_tell_a_hidden_roots_mistake():
    weights = Weights(visibility={"B15": "hidden"})
    for fmt in FORMATS:
        b18 = json.dumps(_test(render(_report(), fmt, weights=weights), "B18"))
        assert "summed over the batch" not in b18, (fmt, b18)


def test_an_inherited_failure_with_a_hidden_root_reads_as_the_pass_it_is_scored_as():
    """Attack 4: "inherited" (and the root's name) only where the root failed; now the output of a pass."""
    passed = Report("ok.py", "seed", 7, 20, 0, [
        PropertyResult("B15-b1", "B15", "∂L/∂b1", status="pass"),
        PropertyResult("B18-l11", "B18", "∂R/∂θ with λ11", status="pass")], 1.0, {})
    for level in ("hidden", "after_due_date", "after_published"):
        weights = Weights(visibility={"B15": level})
        for fmt in FORMATS:
            heir, control = (_test(render(r, fmt, weights=weights), "B18") for r in (_report(), passed))
            assert heir == control, (level, fmt, heir, control)
            assert "inherited" not in json.dumps(heir) and "B15" not in json.dumps(heir)


def test_a_course_that_scores_inherited_apart_is_told_so_without_the_root():
    """With ``[credit] inherited`` below a pass's, the score itself says it: the output does not name the root."""
    weights = Weights(credits={"inherited": 0.5}, visibility={"B15": "hidden"})
    b18 = _test(render(_report(), "gradescope", weights=weights), "B18")
    assert b18["score"] == 0.5 and "B15" not in b18["output"] and "summed" not in b18["output"]


def test_with_both_shown_the_inherited_failure_still_names_the_mistake():
    b18 = _test(render(_report(), "gradescope", weights=Weights()), "B18")
    assert "summed over the batch" in b18["output"] and "inherited from B15" in b18["output"]


#: Attack 14's visible B13 failure: its own values, then the clause on the quantity before it, ∂L/∂hs (B11).
OWN = "backprop(...).ha (∂L/∂ha)[0, 0] = -0.4768116880884702, reference -0.0 (|difference| 0.477 > allowed 2.45e-15)"
OFF = ("the quantity before it, backprop(...).hs (∂L/∂hs)[0, 0] = -0.4768116880884702, reference "
       "-0.2384058440442351, is already off")
AGREES = "the quantity before it, backprop(...).hs (∂L/∂hs), agrees (max |difference| 0)"
SAID = "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?): 1 of 1 kink entries"


def _b13(upstream: str) -> Report:
    details = {"array": "backprop(...).ha (∂L/∂ha)", "index": [0, 0], "got": -0.4768116880884702, "want": -0.0,
               "upstream": upstream, "diagnosis": SAID, "array_question": "B13", "upstream_question": "B11"}
    r = PropertyResult("B13", "B13", "∂L/∂ha", status="fail", message=f"{OWN}; {upstream} — {SAID}",
                       details=details)
    return Report("bug.py", "seed", 7, 20, 0, [r], 1.0, {})


@pytest.mark.parametrize("level", ["hidden", "after_due_date", "after_published"])
def test_a_visible_failure_says_nothing_of_a_hidden_quantity_before_it(level):
    """Attack 14: "agrees" or "is already off", with the student's and the reference's ∂L/∂hs, was the hidden
    B11's verdict and values; now left out, so a wrong ∂L/∂hs and a right one read the same."""
    weights = Weights(visibility={"B11": level, "B12": level})
    for fmt in FORMATS:
        off, agrees = (_test(render(_b13(up), fmt, weights=weights), "B13") for up in (OFF, AGREES))
        assert off == agrees, (level, fmt, off, agrees)
        text = json.dumps(off, ensure_ascii=False)
        for leak in ("quantity before it", "∂L/∂hs", "0.2384", "already off", "agrees", "B11"):
            assert leak not in text, (level, fmt, leak, text)
        if fmt == "gradescope":
            assert OWN in off["output"] and SAID in off["output"]  # B13's own values and diagnosis stay


def test_a_visible_failure_says_nothing_of_a_hidden_input_that_carries_nothing():
    """B13 right on its own ∂L/∂hs, which is all zero: its own failure, with "its own ∂L/∂hs is all zero" left
    out where B11 is hidden (the clause compares the hidden quantity with the reference's)."""
    clause = "its own ∂L/∂hs is all zero: being right on it shows nothing"
    r = PropertyResult("B13", "B13", "∂L/∂ha", status="fail", message=f"{OWN} — {SAID}; {clause}",
                       details={"silent": clause, "silent_question": "B11", "array_question": "B13"})
    report = Report("bug.py", "seed", 7, 20, 0, [r], 1.0, {})
    hidden = _test(render(report, "gradescope", weights=Weights(visibility={"B11": "hidden"})), "B13")["output"]
    assert hidden == f"B13: fail — {OWN} — {SAID}", hidden
    assert clause in _test(render(report, "gradescope", weights=Weights()), "B13")["output"]


def test_with_the_quantity_before_it_shown_its_clause_stays():
    for weights in (Weights(), Weights(visibility={"B13": "hidden"})):  # shown alike, or with B11 shown at once
        assert OFF in _test(render(_b13(OFF), "gradescope", weights=weights), "B13")["output"]


def test_a_visible_failure_of_a_hidden_quantity_says_only_that_a_value_differs():
    """X4 checks ∂L/∂hs at large logits: with B11 hidden, its visible failure says a value differs, not which,
    its values, the reference's or the diagnosis."""
    details = {"array": "backprop(...).hs (∂L/∂hs)", "index": [0, 0], "got": -2.0, "want": -1.0,
               "diagnosis": "a lost factor 2 (2 times the reference)", "array_question": "B11"}
    x4 = PropertyResult("X4", "X4", "stable at large logits", status="fail", details=details,
                        message="backprop(...).hs (∂L/∂hs)[0, 0] = -2.0, reference -1.0 — a lost factor 2")
    report = Report("bug.py", "seed", 7, 20, 0, [x4], 1.0, {})
    out = _test(render(report, "gradescope", weights=Weights(visibility={"B11": "hidden"})), "X4")["output"]
    assert out.startswith("X4: fail — a value checked here differs") and "∂L/∂hs" not in out, out
    assert "-1.0" in _test(render(report, "gradescope", weights=Weights()), "X4")["output"]


# End to end: the catalog's failures carry the questions of their quantities, and the attacks' submissions.

#: rect'(0) = 1 in backprop's mask (B13's mistake), ∂L/∂hs times HS (2: B11's mistake), on the honest answers.
BACKPROP = RECT_GE + """

def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = _h.backprop(params, X, y, lambdas, input_gradient=input_gradient)
    X = np.asarray(X, dtype=np.float64)
    ha = _h.forward(params, X).ha
    ghs = HS * g.hs
    gha = ghs * (ha >= 0)
    W1 = params.W1
    gW1 = gha.T @ X / X.shape[0] + lambdas[0] * np.sign(W1) + 2 * lambdas[1] * W1
    return g._replace(hs=ghs, ha=gha, x=gha @ W1 if input_gradient else None, W1=gW1, b1=gha.mean(axis=0))
"""


def _graded(tmp_path, name: str, hs: float, hidden: tuple[str, ...]) -> dict:
    folder = tmp_path / name
    folder.mkdir()
    weights = folder / "weights.toml"
    weights.write_text("[visibility]\n" + "".join(f'{q} = "hidden"\n' for q in hidden))
    done, text = attack(folder, HONEST + BACKPROP.replace("HS", repr(hs)), "--profile", "dev", "--seed", "0",
                        "--weights", str(weights), fmt="gradescope")
    assert text, done.stderr
    return {t["number"]: t for t in json.loads(text)["tests"]}


def _visible(tests: dict) -> str:
    return "\n".join(t["output"] for t in tests.values() if t["visibility"] == "visible")


def test_attack_4_visible_tests_downstream_of_a_hidden_B13(tmp_path):
    tests = _graded(tmp_path, "rect", 1.0, ("A7", "B13", "B14"))
    assert tests["B13"]["status"] == "failed"  # the mistake is there, and hidden
    shown = _visible(tests)
    assert "inherited" not in shown and "B13" not in shown, shown
    for q in ("B15", "B16", "B17"):
        assert tests[q]["status"] == "passed" and tests[q]["score"] == tests[q]["max_score"]


def test_attack_14_a_visible_B13_says_nothing_of_the_hidden_B11(tmp_path):
    wrong, right = (_graded(tmp_path, name, hs, ("B11", "B12")) for name, hs in (("wrong", 2.0), ("right", 1.0)))
    assert wrong["B11"]["status"] == "failed" and right["B11"]["status"] == "passed"
    for tests in (wrong, right):
        assert tests["B13"]["status"] == "failed"  # rect'(0) = 1: B13's own mistake, shown
        shown = _visible(tests)
        for leak in ("the quantity before it, backprop(...).hs", "B11", "reference -0.2384058440442351"):
            assert leak not in shown, (leak, shown)
        assert "rect'(0) taken as 1" in tests["B13"]["output"]  # the same diagnosis, ∂L/∂hs right or wrong
    assert "the quantity before it, backprop(...).oa (∂L/∂oa), agrees" in wrong["B11"]["output"]  # hidden: all


def test_a_correct_submission_reads_the_same_with_questions_hidden(tmp_path):
    out = {}
    for name, hidden in (("shown", ()), ("hidden", ("B11", "B12", "B13"))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "weights.toml").write_text("[visibility]\n" + "".join(f'{q} = "hidden"\n' for q in hidden))
        done, text = attack(folder, HONEST, "--profile", "dev", "--seed", "0", "--weights",
                            str(folder / "weights.toml"), fmt="gradescope")
        assert text, done.stderr
        out[name] = {t["number"]: (t["status"], t["output"]) for t in json.loads(text)["tests"]}
    assert out["shown"] == out["hidden"]
    assert all(status == "passed" for status, _ in out["shown"].values()), out["shown"]


def test_a_visible_B13_right_on_an_all_zero_hidden_B11_says_not_so(tmp_path):
    """∂L/∂hs all zero (B11's mistake, hidden): B13, right on it, fails as its own; the clause naming the
    all-zero ∂L/∂hs is B11's feedback and is left out."""
    tests = _graded(tmp_path, "zero", 0.0, ("B11", "B12"))
    assert tests["B13"]["status"] == "failed" and tests["B11"]["status"] == "failed"
    assert "∂L/∂hs is all zero" not in _visible(tests), tests["B13"]["output"]
