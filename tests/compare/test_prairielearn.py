"""--format prairielearn: PrairieLearn's external-grading results.json, checked against its documented schema."""

import json

import jsonschema
import pytest

from reference.compare.reports.formats import Report, load_error_report, render
from reference.compare.reports.scoring import Weights
from reference.compare.running.runner import PropertyResult
from support import BROKEN, compare, strict_json

# Written from PrairieLearn's documentation of external grading, section "Grading results"
# (PrairieLearn/PrairieLearn, docs/externalGrading.md, commit 06a6d590;
# https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results):
# - "the result only has one mandatory field: `score` ... a floating point number in the range [0.0, 1.0]"
#   (not needed when the submission is not gradable);
# - "The boolean `gradable` ... set to `false` to indicate that the input was invalid";
# - "`format_errors` ... can be either a string or an array of strings";
# - the example rendered by <pl-external-grader-results>: `message` and `output` strings at the top, `tests` a
#   list of objects with `name`, `description`, `points`, `max_points`, `message`, `output` (and `images`);
# - "this file should be limited to 1 MB" (checked below, not a schema keyword).
PRAIRIELEARN_RESULTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0.0, "maximum": 1.0},
        "message": {"type": "string"},
        "output": {"type": "string"},
        "format_errors": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "images": {"type": "array"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "points", "max_points"],
            "properties": {
                "name": {"type": "string"}, "description": {"type": "string"},
                "points": {"type": "number", "minimum": 0}, "max_points": {"type": "number", "minimum": 0},
                "message": {"type": "string"}, "output": {"type": "string"}, "images": {"type": "array"}}}},
    },
    # score is mandatory unless the submission is marked not gradable
    "if": {"properties": {"gradable": {"const": False}}, "required": ["gradable"]},
    "else": {"required": ["score"]},
}


def _check(text: str) -> dict:
    assert len(text.encode()) < 1_000_000  # PrairieLearn's limit on results.json
    data = strict_json(text)
    jsonschema.validate(data, PRAIRIELEARN_RESULTS_SCHEMA)
    return data


def test_the_schema_rejects_what_prairielearn_would():
    # a schema that accepts everything checks nothing
    for bad in ({"message": "no score"}, {"score": 3.0}, {"score": 0.5, "tests": [{"name": "t"}]},
                {"score": 0.5, "gradable": "yes"}, {"gradable": False, "format_errors": [1]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, PRAIRIELEARN_RESULTS_SCHEMA)
    jsonschema.validate({"gradable": False, "format_errors": "syntax error"}, PRAIRIELEARN_RESULTS_SCHEMA)


def _result(q, status, message=""):
    return PropertyResult(id=q, question=q.split("-")[0], title="t", status=status, message=message)


def test_points_and_score_follow_the_weights():
    results = [_result("B18-l11", "pass"), _result("B18-l12", "fail", "off by 2"), _result("B15-W1", "inherited"),
               _result("A5", "pass")]
    weights = Weights.from_mapping({"weights": {"B18": 4}, "credit": {"inherited": 0.5},
                                    "visibility": {"A5": "hidden"}})
    data = _check(render(Report("x.py", "seed", 0, 3, 0, results, 1.0), "prairielearn", weights=weights))
    tests = {t["description"].split()[-1]: t for t in data["tests"]}
    assert {q: (t["points"], t["max_points"]) for q, t in tests.items()} == {
        "B18": (2.0, 4.0), "B15": (0.5, 1.0), "A5": (1.0, 1.0)}
    assert data["gradable"] is True and data["score"] == pytest.approx(3.5 / 6, abs=1e-6)  # rounded to 6 places
    assert "off by 2" in tests["B18"]["output"] and tests["A5"]["output"] == ""  # hidden: points, no output


def test_a_submission_that_cannot_load_is_not_gradable():
    report = load_error_report("gina.py", "seed", 0, "gina.py: syntax error at line 3", 0.1)
    data = _check(render(report, "prairielearn"))
    assert data["gradable"] is False and data["score"] == 0.0
    assert data["format_errors"] == ["The submission could not be checked: gina.py: syntax error at line 3"]


def test_the_command_writes_it(tmp_path):
    out = tmp_path / "results.json"
    done = compare("--impl", "handgrad", "--examples", "3", "--sweep", "0", "--property", "A5", "--property", "A7",
                   "--format", "prairielearn", "--output", str(out))
    assert done.returncode == 0, done.stderr
    data = _check(out.read_text())
    assert data["score"] == 1.0 and len(data["tests"]) == 2 and data["points"] == data["max_points"] == 2.0
    broken = tmp_path / "broken.json"
    done = compare("--impl", str(BROKEN / "syntax_error.py"), "--format", "prairielearn", "--output", str(broken))
    data = _check(broken.read_text())
    assert data["gradable"] is False and "syntax" in json.dumps(data["format_errors"])
