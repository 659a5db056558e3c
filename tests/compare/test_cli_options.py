"""What users trip on: --version, several formats in one run, --property adding up, caches out of the
working folder, the submission's prints under its failing property, progress bars."""

import json
import os
import subprocess

import pytest

from reference.compare import cli
from reference.compare.reports.formats import FORMATS
from support import CLI, HONEST, implementation

PRINTING_BUG = HONEST + '''
import numpy as np


def d_rect(x):
    x = np.asarray(x, dtype=np.float64)
    print("d_rect called on", x.size, "entries; zero is", (x == 0).any())
    print("returning", end="")  # no newline: still shown before the reply is read
    return (x >= 0).astype(np.float64)
'''


def _run(*args, cwd, env=None, timeout=300):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env or dict(os.environ))


def test_the_command_knows_every_format_of_the_report():
    assert cli.FORMATS == FORMATS


def test_version():
    out = subprocess.run(CLI + ["--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("handgrad-compare ") and out.stdout.split()[1][0].isdigit()


@pytest.mark.parametrize("args, message", [
    (["--format", "json", "--format", "text"], "only one --format may go to standard output"),
    (["--output", "a.txt", "--output", "b.txt"], "give a --format for each --output"),
    (["--format", "json", "--output", "a", "--format", "text", "--output", "a"], "the same file twice"),
    (["--property", "A", "--property", "Z9"], "'Z9' matches no property, question or part"),
])
def test_options_that_do_not_add_up_exit_2(tmp_path, args, message):
    out = _run(*args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_one_run_several_reports_parts_add_up_and_no_cache_in_the_working_folder(tmp_path):
    cache = tmp_path / "cache"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    env.pop("HANDGRAD_CACHE", None)  # CI points the JAX cache elsewhere: here the default folders are tested
    work = tmp_path / "work"
    work.mkdir()
    out = _run("--property", "a", "--property", "B1", "--examples", "3", "--sweep", "50",
               "--format", "json", "--output", "r.json", "--format", "markdown", "--output", "r.md", "--format", "text",
               cwd=work, env=env)
    assert out.returncode == 0, out.stderr
    ids = [p["id"] for p in json.loads((work / "r.json").read_text())["properties"]]
    assert {i.split("-")[0] for i in ids} == {f"A{k}" for k in range(1, 10)} | {"B1"}, ids
    assert (work / "r.md").read_text().startswith("## handgrad-compare") and "questions: all 10 pass" in out.stdout
    assert sorted(p.name for p in work.iterdir()) == ["r.json", "r.md"]  # no .hypothesis/ here
    # JAX's programs are cached there; Hypothesis writes there only when its database is on (not under CI)
    assert (cache / "handgrad" / "jax").is_dir()
    assert not any(p.name == ".hypothesis" for p in tmp_path.rglob(".hypothesis"))
    assert "properties:" not in out.stderr  # not a terminal: no bars
    helped = _run("--help", cwd=work, env=dict(env, COLUMNS="1000"))  # one line: a long path is not wrapped
    assert f"Caches live in {cache / 'handgrad'}" in helped.stdout


def test_the_submissions_prints_are_shown_under_its_failing_property(tmp_path):
    sub = tmp_path / "student.py"
    sub.write_text(PRINTING_BUG)
    out = _run("--impl", str(sub), "--property", "A7", "--property", "A5", "--examples", "5", "--sweep", "0",
               "--format", "json", "--progress", cwd=tmp_path)
    props = {p["id"]: p for p in json.loads(out.stdout)["properties"]}
    assert props["A7"]["status"] == "fail" and "its output: d_rect called on" in props["A7"]["message"]
    assert "zero is True" in props["A7"]["details"]["output"]
    assert props["A7"]["details"]["output"].endswith("returning")
    assert "its output" not in props["A5"]["message"]
    assert "checking: 100%" in out.stderr.replace("\r", "\n")  # --progress: the bar even off a terminal


def test_a_failure_names_its_replay_with_a_part_expanded(tmp_path):
    out = _run("--impl", str(implementation("bug_abs_quotient")), "--property", "A", "--examples", "5",
               "--sweep", "0", "--format", "json", cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["questions"]["A6"] == "fail" and len(data["questions"]) == 9
