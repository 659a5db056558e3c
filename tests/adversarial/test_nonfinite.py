"""Honest bugs with nan and inf: every format is written, strictly valid, and says what happened."""

import jsonschema
import pytest

from reference.compare.reports.formats import JSON_SCHEMA
from support import HONEST, attack, implementation, strict_json

NAN_SIGMOID = HONEST + '''
from handgrad.types import *
import numpy as np

def sigmoid(x):
    return np.full(np.shape(x), np.nan)

def softplus(x):
    with np.errstate(over="ignore"):
        return np.log(1 + np.exp(x))
'''


@pytest.mark.parametrize("fmt", ["json", "gradescope", "prairielearn", "text", "markdown"])
def test_nan_and_inf_details_in_every_format(tmp_path, fmt):
    done, report = attack(tmp_path, NAN_SIGMOID, "--property", "A1-sigmoid", "--property", "A2-values",
                          "--examples", "5", "--sweep", "0", fmt=fmt)
    assert done.returncode == 1, done.stderr
    assert report
    if fmt == "json":
        data = strict_json(report)
        jsonschema.validate(data, JSON_SCHEMA)
        props = {p["id"]: p for p in data["properties"]}
        assert props["A1-sigmoid"]["details"]["got"] == "nan"
        assert props["A2-values"]["status"] == "fail"
    elif fmt == "gradescope":
        assert all(t["status"] == "failed" for t in strict_json(report)["tests"])
    elif fmt == "prairielearn":
        data = strict_json(report)
        assert data["score"] == 0.0 and all(t["points"] == 0 for t in data["tests"]) and "nan" in report
    else:
        assert "A1-sigmoid" in report and "nan" in report


def test_the_naive_softmax_fixture_reports_in_json(tmp_path):
    from support import compare

    out = tmp_path / "report.json"
    done = compare("--impl", str(implementation("bug_naive_softmax")), "--property", "B3", "--property", "X4",
                   "--examples", "10", "--sweep", "0", "--format", "json", "--output", str(out))
    assert done.returncode == 1, done.stderr
    data = strict_json(out.read_text())
    jsonschema.validate(data, JSON_SCHEMA)
    # the softmax is right on ordinary logits (B3); its overflow is stability's question (X4)
    assert {p["id"]: p["status"] for p in data["properties"]} == {"B3": "pass", "X4": "fail"}


def test_the_grader_prints_no_warning_of_its_own(tmp_path):
    done, _ = attack(tmp_path, NAN_SIGMOID, "--property", "A1-sigmoid", "--property", "A2-values", "--examples", "5",
                     "--sweep", "0")
    assert "Warning" not in done.stderr, done.stderr
