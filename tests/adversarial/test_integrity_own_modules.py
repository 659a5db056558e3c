"""A module of the submission's own named like an autodiff library is its code, not the library.

Attack round 6: a correct submission with its own three-line ``autograd.py`` beside it (staged by the grader
itself) failed the integrity check, exit 1, a Gradescope score of 0. The grader now tells its own module from the
package by the files it stages, and still flags the package, and a local module that imports the package past
itself.
"""

import json

from support import HONEST, compare

HELPER = '"""my own tiny tape, written by hand"""\ndef tape():\n    return 1\n'


def _submission(folder, first_line="import autograd  # my own helper, beside this file\n"):
    folder.mkdir(exist_ok=True)
    (folder / "sub.py").write_text(HONEST + "\n" + first_line)
    return folder / "sub.py"


def test_a_correct_submission_with_its_own_autograd_py_passes_integrity_and_scores(tmp_path):
    sub = _submission(tmp_path / "a")
    (tmp_path / "a" / "autograd.py").write_text(HELPER)
    r, gs = tmp_path / "r.json", tmp_path / "gs.json"
    done = compare("--impl", str(sub), "--format", "json", "--output", str(r), "--format", "gradescope",
                   "--output", str(gs), "--property", "A5", "--property", "B1", "--examples", "3", "--sweep", "0",
                   "--seed", "0")
    report = json.loads(r.read_text())
    assert report["integrity"] == {"status": "pass", "findings": [], "allowed": []}, report["integrity"]
    assert done.returncode == 0, done.stderr
    assert json.loads(gs.read_text())["score"] == 2


def test_the_decision_is_the_graders_from_the_files_it_stages(tmp_path):
    from reference.compare.submissions.integrity import findings_in_files, integrity, own_modules

    own = _submission(tmp_path / "own")
    (tmp_path / "own" / "autograd.py").write_text(HELPER)
    assert list(own_modules(str(own))) == ["autograd"]
    # the worker's word that autograd was imported is its own file's name: no finding
    assert integrity(str(own), {"autograd"})["status"] == "pass"
    # the real package, not staged: flagged by the source and by the process
    real = _submission(tmp_path / "real")
    entry = integrity(str(real), {"autograd"})
    assert entry["status"] == "fail" and entry["findings"] == [
        "sub.py: imports autograd (an autodiff library)", "its process imported autograd (an autodiff library)"]
    # the process's word alone still counts where no such file is staged
    assert integrity(str(_submission(tmp_path / "quiet", "")), {"jax"})["status"] == "fail"
    # a file beside it that it does not import is not staged: no excuse
    unused = _submission(tmp_path / "unused", "import jax\n")
    (tmp_path / "unused" / "autograd.py").write_text(HELPER)
    assert findings_in_files(str(unused)) == ["sub.py: imports jax (an autodiff library)"]


def test_its_own_module_is_checked_as_the_submission_is(tmp_path):
    from reference.compare.submissions.integrity import findings_in_files, integrity

    # a local jax.py that steps past itself to the installed jax
    sub = _submission(tmp_path / "past", "import jax\n")
    (tmp_path / "past" / "jax.py").write_text(
        "import sys\ndel sys.modules[__name__]\nsys.path.pop(0)\nfrom jax import grad\n")
    assert findings_in_files(str(sub)) == ["jax.py: imports jax (an autodiff library)"]
    # a local helper that imports an autodiff library or the key: its import is the submission's
    sub = _submission(tmp_path / "helper", "import autograd\n")
    (tmp_path / "helper" / "autograd.py").write_text("import torch\nfrom handgrad import backprop\n")
    assert integrity(str(sub), {"autograd", "torch"})["findings"] == [
        "autograd.py: imports torch (an autodiff library)", "autograd.py: imports handgrad's own backprop",
        "its process imported torch (an autodiff library)"]


def test_a_local_reference_or_handgrad_is_never_its_own(tmp_path):
    # the worker imports its own handgrad and reference before the submission: a file named so is not what runs
    from reference.compare.submissions.integrity import findings_in_files

    sub = _submission(tmp_path / "key", "import reference\nfrom handgrad import backprop\n")
    (tmp_path / "key" / "reference.py").write_text(HELPER)
    (tmp_path / "key" / "handgrad.py").write_text(HELPER)
    assert findings_in_files(str(sub)) == ["sub.py: imports reference (the grader's answer key)",
                                           "sub.py: imports handgrad's own backprop"]
