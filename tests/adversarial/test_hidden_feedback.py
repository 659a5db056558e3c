"""A hidden question's feedback does not show through a visible one: an inherited failure repeats its root's
message ("… summed over the batch instead of averaged; inherited from B15"), so where B15 was hidden its
mistake was read in B18's visible test (round 4, attack 11), in Gradescope's and PrairieLearn's results."""

import json

from reference.compare.reports.formats import Report, render
from reference.compare.reports.scoring import Weights
from reference.compare.running.runner import PropertyResult

MISTAKE = "∂R/∂b1 [12] = 1.46, reference 0.731 — summed over the batch instead of averaged"


def _report():
    root = PropertyResult("B15-b1", "B15", "∂L/∂b1", status="fail", message=MISTAKE)
    heir = PropertyResult("B18-l11", "B18", "∂R/∂θ with λ11", status="inherited", details={"root": "B15"},
                          message=MISTAKE + "; inherited from B15")
    return Report("bug.py", "seed", 7, 20, 0, [root, heir], 1.0, {})


def test_an_inherited_failure_does_not_tell_a_hidden_roots_mistake():
    weights = Weights(visibility={"B15": "hidden"})
    for fmt in ("gradescope", "prairielearn"):
        text = render(_report(), fmt, weights=weights)
        data = json.loads(text)
        tests = data["tests"]
        b18 = next(t for t in tests if t.get("number", t.get("name", "")).startswith("B18")
                   or t.get("name", "").startswith("B18"))
        assert "summed over the batch" not in json.dumps(b18), (fmt, b18)
        assert "inherited from B15, whose feedback is hidden" in json.dumps(b18), (fmt, b18)


def test_with_both_shown_the_inherited_failure_still_names_the_mistake():
    data = json.loads(render(_report(), "gradescope", weights=Weights()))
    b18 = next(t for t in data["tests"] if t["number"] == "B18")
    assert "summed over the batch" in b18["output"]
