"""handgrad-compare end to end: exit statuses, replay, options, the pytest option."""

import json
import os
import subprocess
import sys

from support import ROOT, compare, implementation


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
    out = compare("--impl", str(implementation("bug_l1_constant")), "--property", "B18-l11", "--examples", "20",
                  "--sweep", "0", "--format", "json", "--output", str(path))
    assert out.returncode == 1
    prop = json.loads(path.read_text())["properties"][0]
    assert prop["status"] == "fail" and prop["question"] == "B18"
    assert prop["details"]["array"].startswith("backprop(...).W1") and prop["details"]["index"] is not None
    assert "agrees" in prop["details"]["upstream"]
    assert prop["counterexample"]["kind"] == "network" and prop["counterexample"]["lambdas"]["l11"] > 0
    replay = subprocess.run(prop["replay"].replace("handgrad-compare", f"{sys.executable} -m reference.compare.cli", 1)
                            + " --format json", shell=True, capture_output=True, text=True,
                            cwd=ROOT)
    again = json.loads(replay.stdout)["properties"][0]
    assert again["counterexample"] == prop["counterexample"] and again["message"] == prop["message"]


def test_unknown_module_exits_2():
    out = compare("--impl", "no_such_module_xyz")
    assert out.returncode == 2 and "no module named" in out.stderr


def test_bad_arguments_exit_2_without_traceback():
    for args in (["--examples", "0"], ["--timeout", "-1"], ["--property", "Z9"], ["--format", "xml"]):
        out = compare(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, args


def test_pytest_impl_option_runs_the_catalog_on_a_file():
    env = dict(os.environ, HYPOTHESIS_PROFILE="dev")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "tests/compare/test_catalog.py",
                          "--impl", str(implementation("bug_abs_quotient")), "-k", "A6 or A5"],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert "handgrad[bug_abs_quotient.py]::A6" in out.stdout and "failed" in out.stdout
    assert "1 failed" in out.stdout, out.stdout[-2000:]
