"""The report in its four formats, rendered from one failing run."""

import json

import jsonschema
import pytest

from reference.compare.exercise.catalog import CATALOG, Context
from reference.compare.reports.formats import JSON_SCHEMA, Report, render
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import compare, implementation


@pytest.fixture(scope="module")
def report():
    """One failing run of seed 000, to render in every format."""
    with InProcessImpl(str(implementation("seed_000_literal"))) as impl:
        props = [p for p in CATALOG if p.question in ("A5", "B7", "B18")]
        results, figures = run_catalog(Context(impl), props, max_examples=10, sweep=100, seed=0,
                                       replay=lambda p: f"handgrad-compare --property {p.id}")
    return Report("seed_000_literal.py", "seed", 0, 10, 100, results, 1.5, figures)


def test_json_report_follows_its_schema(report):
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, JSON_SCHEMA)
    assert data["questions"]["A5"] == "fail" and data["questions"]["B7"] == "pass"
    assert data["summary"]["failed"] >= 2


def test_gradescope_results_have_the_required_fields(report):
    data = json.loads(render(report, "gradescope"))
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    for t in data["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(t)
        assert t["status"] in ("passed", "failed") and t["score"] <= t["max_score"]
    numbers = {t["number"]: t["status"] for t in data["tests"]}
    assert numbers["A5"] == "failed" and numbers["B7"] == "passed"
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_text_and_markdown_reports(report):
    text, md = render(report, "text"), render(report, "markdown")
    assert "A5" in text and "ROOT CAUSES" in text and "counterexample:" in text and "replay:" in text
    assert text.index("ROOT CAUSES") < text.index("ERR/ALLOWED")  # the causes first, then the table
    assert md.startswith("## handgrad-compare") and "| A5 |" in md and "❌ fail" in md


def test_command_writes_each_format_to_a_file(tmp_path):
    for fmt in ("markdown", "gradescope"):
        path = tmp_path / f"out.{fmt}"
        run = compare("--impl", str(implementation("bug_abs_quotient")), "--property", "A6", "--property", "A8",
                      "--examples", "10", "--sweep", "0", "--format", fmt, "--output", str(path))
        assert run.returncode == 1 and path.read_text().strip(), run.stderr
    assert json.loads((tmp_path / "out.gradescope").read_text())["tests"][0]["number"] == "A6"
