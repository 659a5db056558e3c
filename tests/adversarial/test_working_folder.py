"""The grader's own settings do not come from a submission's folder: a student's ``pyproject.toml`` beside the
submission set the credit per status when the grader ran in that folder (round 3, attack 4: a zeros stub scored
32 of 32 with ``[tool.handgrad.credit] fail = 1.0``)."""

import json
import subprocess

from support import CLI, HONEST

#: sign returns zeros: it fails A5, and deserves nothing for it.
STUB = HONEST + '''

def sign(x):
    return np.zeros(np.shape(x))
'''
#: What a student ships beside the stub: every status worth full credit.
STUDENT_PYPROJECT = """[project]
name = "hw"

[tool.handgrad.credit]
fail = 1.0
error = 1.0
missing = 1.0
not-implemented = 1.0
"""
ARGS = ["--property", "A5", "--examples", "3", "--sweep", "0", "--format", "gradescope"]


def _grade(submission, cwd):
    done = subprocess.run(CLI + ["--impl", str(submission), *ARGS, "--output", "g.json"], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert (cwd / "g.json").exists(), done.stderr[-3000:]
    return done, json.loads((cwd / "g.json").read_text())


def test_a_students_pyproject_beside_the_submission_sets_nothing(tmp_path):
    (tmp_path / "hw.py").write_text(STUB)
    (tmp_path / "pyproject.toml").write_text(STUDENT_PYPROJECT)
    done, graded = _grade("hw.py", tmp_path)  # the grader cd's into the student's folder
    a5 = [t for t in graded["tests"] if t["number"] == "A5"]
    assert a5 and a5[0]["status"] == "failed", graded
    assert graded["score"] == 0.0, graded  # the stub's due, not the student's credit table's 1.0
    assert "pyproject.toml not read" in done.stderr, done.stderr[-2000:]


def test_a_pyproject_above_the_submissions_folder_is_still_read(tmp_path):
    # the documented feature: the course's pyproject.toml where the instructor works, the submission below it
    (tmp_path / "pyproject.toml").write_text("[tool.handgrad.weights]\nA5 = 3\n[tool.handgrad.credit]\nfail = 0.5\n")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "hw.py").write_text(STUB)
    done, graded = _grade("alice/hw.py", tmp_path)
    a5 = [t for t in graded["tests"] if t["number"] == "A5"]
    assert a5 and a5[0]["max_score"] == 3.0 and graded["score"] == 1.5, graded
    assert "pyproject.toml not read" not in done.stderr
