"""handgrad-compare end to end: verdicts, known-bad and equivalent implementations, formats, broken code."""

import json
import os
import pathlib
import subprocess
import sys
import time

import jsonschema
import pytest

from reference.catalog import CATALOG, Context
from reference.report import JSON_SCHEMA, Report, render
from reference.runner import run_catalog
from reference.sandbox import InProcessImpl

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CLI = [sys.executable, "-m", "reference.cli"]


def compare(*args, timeout=300):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout,
                          cwd=pathlib.Path(__file__).parent.parent)


# -- known-bad and equivalent implementations ---------------------------------
#: fixture → (questions it must fail, questions it may also fail as a consequence)
BAD = {
    "seed_000_literal": ({"A5", "A9", "B18"}, {"X5"}),
    "seed_003_literal": ({"B7", "B8", "B10", "B13", "B14", "B15", "B16", "B17"},
                         {"B5", "B6", "B9", "B11", "B12", "B18", "X1", "X2", "X3", "X4", "X5"}),
    "bug_l1_constant": ({"B18"}, {"X5"}),
    "bug_l1_penalty_sum": ({"B18"}, set()),
    "bug_rect_ge": ({"A7", "B13", "B14", "B15", "B16", "B17"}, {"B6", "B18", "X1", "X5"}),
    "bug_sum_not_mean": ({"B9", "B10", "B15", "B16", "X1"}, {"B6", "B18", "X5"}),
    "bug_naive_softmax": ({"B3", "B4", "X4"}, set()),
    "bug_mutates_input": ({"X2"}, set()),
    "bug_float32": ({"X3", "B7", "B15", "B17"}, {f"B{i}" for i in range(6, 19)} | {"X1", "X4", "X5"}),
    "bug_abs_quotient": ({"A6", "A9"}, set()),
}
EQUIVALENT = ["equivalent_einsum", "equivalent_logaddexp", "equivalent_seed_003_fixed"]


def _verdicts(name, examples=8, sweep=0):
    """Every property on a fixture; no shrinking (the verdict is what counts here)."""
    with InProcessImpl(str(FIXTURES / f"{name}.py")) as impl:
        results, _ = run_catalog(Context(impl), CATALOG, max_examples=examples, sweep=sweep, seed=0, shrink=False)
    return {r.question for r in results if r.status != "pass"}, results


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


# -- the command --------------------------------------------------------------
def test_bare_command_passes_on_handgrad():
    out = compare("--examples", "10", "--sweep", "500")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 failed, 0 errors" in out.stdout and "questions: all" in out.stdout


def test_reference_passes_as_a_sanity_check():
    # the whole catalog runs on reference in test_catalog.py; here, the command's path to it
    out = compare("--impl", "reference", "--examples", "5", "--sweep", "100", "--format", "json",
                  "--property", "A6", "--property", "B4", "--property", "B18-all")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["failed"] == 0


def test_failure_report_names_array_index_upstream_and_replay(tmp_path):
    path = tmp_path / "report.json"
    out = compare("--impl", str(FIXTURES / "bug_l1_constant.py"), "--property", "B18-l11", "--examples", "20",
                  "--sweep", "0", "--format", "json", "--output", str(path))
    assert out.returncode == 1
    prop = json.loads(path.read_text())["properties"][0]
    assert prop["status"] == "fail" and prop["question"] == "B18"
    assert prop["details"]["array"].startswith("backprop(...).W1") and prop["details"]["index"] is not None
    assert "agrees" in prop["details"]["upstream"]
    assert prop["counterexample"]["kind"] == "network" and prop["counterexample"]["lambdas"]["l11"] > 0
    replay = subprocess.run(prop["replay"].replace("handgrad-compare", f"{sys.executable} -m reference.cli", 1)
                            + " --format json", shell=True, capture_output=True, text=True,
                            cwd=pathlib.Path(__file__).parent.parent)
    again = json.loads(replay.stdout)["properties"][0]
    assert again["counterexample"] == prop["counterexample"] and again["message"] == prop["message"]


def test_same_seed_same_report():
    def run():
        with InProcessImpl(str(FIXTURES / "bug_rect_ge.py")) as impl:
            results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.question in ("A7", "B13")],
                                     max_examples=10, sweep=100, seed=3)
        return [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in results]
    assert run() == run()


@pytest.fixture(scope="module")
def report():
    """One failing run of seed 000, to render in every format."""
    with InProcessImpl(str(FIXTURES / "seed_000_literal.py")) as impl:
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
    assert "A5" in text and "FAILURES AND ERRORS" in text and "smallest counterexample" in text and "replay:" in text
    assert md.startswith("## handgrad-compare") and "| A5 |" in md and "❌ fail" in md


def test_command_writes_each_format_to_a_file(tmp_path):
    for fmt in ("markdown", "gradescope"):
        path = tmp_path / f"out.{fmt}"
        run = compare("--impl", str(FIXTURES / "bug_abs_quotient.py"), "--property", "A6", "--property", "A8",
                      "--examples", "10", "--sweep", "0", "--format", fmt, "--output", str(path))
        assert run.returncode == 1 and path.read_text().strip(), run.stderr
    assert json.loads((tmp_path / "out.gradescope").read_text())["tests"][0]["number"] == "A6"


# -- broken implementations -----------------------------------------------------
BROKEN = FIXTURES / "broken"


@pytest.mark.parametrize("name,words", [
    ("missing_names.py", ["missing API names", "backprop"]),
    ("syntax_error.py", ["syntax error", "syntax_error.py:3"]),
    ("raises_at_import.py", ["RuntimeError at import", "no data file"]),
    ("exits_at_import.py", ["exit(3)"]),
    ("hangs_at_import.py", ["did not finish within"]),
])
def test_unloadable_implementation_exits_2_with_one_line(name, words):
    start = time.monotonic()
    out = compare("--impl", str(BROKEN / name), "--timeout", "3")
    assert out.returncode == 2
    assert time.monotonic() - start < 30
    line = out.stderr.strip()
    assert "\n" not in line and "Traceback" not in line and name in line
    for w in words:
        assert w in line


def test_unloadable_implementation_still_writes_gradescope_results(tmp_path):
    path = tmp_path / "results.json"
    out = compare("--impl", str(BROKEN / "syntax_error.py"), "--format", "gradescope", "--output", str(path))
    assert out.returncode == 2
    data = json.loads(path.read_text())
    assert data["score"] == 0 and "syntax error" in data["output"]


def test_unknown_module_exits_2():
    out = compare("--impl", "no_such_module_xyz")
    assert out.returncode == 2 and "no module named" in out.stderr


def test_hang_in_a_call_is_an_error_and_the_run_goes_on():
    start = time.monotonic()
    out = compare("--impl", str(BROKEN / "hangs_in_call.py"), "--timeout", "2", "--examples", "5", "--sweep", "50",
                  "--property", "B13", "--property", "B4", "--format", "json")
    assert out.returncode == 1
    assert time.monotonic() - start < 60
    props = {p["id"]: p for p in json.loads(out.stdout)["properties"]}
    assert props["B13"]["status"] == "error" and "did not return within 2 s" in props["B13"]["message"]
    assert props["B4"]["status"] == "pass"


def test_crash_and_exit_in_a_call_are_errors():
    out = compare("--impl", str(BROKEN / "crashes_in_call.py"), "--examples", "5", "--sweep", "50",
                  "--property", "B4", "--property", "B5-risk", "--property", "B7", "--format", "json")
    assert out.returncode == 1
    props = {p["id"]: p for p in json.loads(out.stdout)["properties"]}
    assert props["B5-risk"]["status"] == "error" and "exited with status 7" in props["B5-risk"]["message"]
    assert props["B4"]["status"] == "error" and "exit('giving up')" in props["B4"]["message"]
    assert props["B7"]["status"] == "pass"


def test_child_process_calls_in_every_form():
    """call, call_many, call_each (also empty, as B6 makes it with steps = 0) through the child process."""
    import numpy as np
    from reference.sandbox import SubprocessImpl
    with SubprocessImpl("handgrad") as impl:
        assert impl.call_each([]) == [] and impl.call_many("d_rect", []) == []
        each = impl.call_each([("d_rect", (np.zeros(2),), {}), ("sign", (np.array([-2.0]),), {})])
        assert each[0].value.tolist() == [0.0, 0.0] and each[1].value.tolist() == [-1.0]
        many = impl.call_many("d_abs", [(np.array([0.0]),), (np.array([-3.0]),)])
        assert [m.value.tolist() for m in many] == [[0.0], [-1.0]]


def test_bad_arguments_exit_2_without_traceback():
    for args in (["--examples", "0"], ["--timeout", "-1"], ["--property", "Z9"], ["--format", "xml"]):
        out = compare(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, args


def test_pytest_impl_option_runs_the_catalog_on_a_file():
    env = dict(os.environ, HYPOTHESIS_PROFILE="dev")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "tests/test_catalog.py",
                          "--impl", str(FIXTURES / "bug_abs_quotient.py"), "-k", "A6 or A5"],
                         capture_output=True, text=True, cwd=pathlib.Path(__file__).parent.parent, env=env)
    assert "bug_abs_quotient.py-A6" in out.stdout and "failed" in out.stdout
    assert "1 failed" in out.stdout, out.stdout[-2000:]


# -- what must fail and what must pass ------------------------------------------
@pytest.mark.parametrize("field", ["oa", "hs", "ha", "x", "W1", "b1", "W2", "b2"])
def test_a_relative_error_of_1e_7_in_one_gradient_array_fails(tmp_path, field):
    path = tmp_path / f"off_{field}.py"
    path.write_text(
        "from handgrad import *\nimport handgrad\n\n"
        "def backprop(params, X, y, lambdas=handgrad.Lambdas()):\n"
        "    g = handgrad.backprop(params, X, y, lambdas)\n"
        f"    return g._replace({field}=g.{field} * (1 + 1e-7))\n")
    with InProcessImpl(str(path)) as impl:
        results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.id == "B18-all"],
                                 max_examples=20, sweep=0, seed=0, shrink=False)
    assert results[0].status == "fail" and f".{field} " in results[0].message, results[0].message


def _run_convention(name, convention, questions):
    with InProcessImpl(str(FIXTURES / f"{name}.py")) as impl:
        ctx = Context(impl, convention=convention)
        results, _ = run_catalog(ctx, [p for p in CATALOG if p.question in questions],
                                 max_examples=15, sweep=300, seed=0, shrink=False)
    return {r.id: r.status for r in results}, ctx.kinks


def test_any_subgradient_accepts_a_consistent_rect_slope_of_1():
    questions = ("A7", "B13", "B14", "B15", "B16", "B17")
    strict, _ = _run_convention("bug_rect_ge", "seed", questions)
    loose, kinks = _run_convention("bug_rect_ge", "any-subgradient", questions)
    assert kinks == (0.0, 1.0)
    assert "fail" in strict.values()
    assert set(loose.values()) == {"pass"}, loose


def test_any_subgradient_still_refuses_what_is_no_subgradient():
    statuses, _ = _run_convention("bug_abs_quotient", "any-subgradient", ("A6", "A9"))
    assert statuses == {"A6": "fail", "A9": "fail"}
    statuses, _ = _run_convention("bug_l1_constant", "any-subgradient", ("B18",))
    assert statuses["B18-l11"] == "fail" and statuses["B18-l21"] == "fail"
