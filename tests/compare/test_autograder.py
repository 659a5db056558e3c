"""The Gradescope autograder: the folder handgrad-compare writes, and run_autograder against a temporary root."""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from reference.compare.classroom.autograder import write_autograder
from support import RECT_GE, ROOT, compare, standalone_submission, strict_json

OPTIONS = ["--examples", "3", "--sweep", "40", "--property", "A5", "--property", "A7", "--property", "B13"]


def test_the_command_writes_a_complete_autograder(tmp_path):
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\nA7 = 2\n[visibility]\nB13 = \"hidden\"\n")
    done = compare("--autograder", str(tmp_path / "ag"), *OPTIONS, "--weights", str(weights),
                   "--adapter", "row_functions")
    assert done.returncode == 0, done.stderr
    ag = tmp_path / "ag"
    for name in ("setup.sh", "run_autograder"):
        assert os.access(ag / name, os.X_OK) and (ag / name).read_text().startswith("#!/usr/bin/env bash")
    lines = [w for w in (ag / "handgrad-autograder.conf").read_text().splitlines() if not w.startswith("#")]
    assert lines[lines.index("--total-timeout") + 1] == "480"  # within Gradescope's 10 minutes
    assert lines[lines.index("--examples") + 1] == "3" and lines.count("--property") == 3
    assert lines[lines.index("--adapter") + 1] == "row_functions"  # a bundled template, by name
    assert lines[lines.index("--weights") + 1] == "weights.toml"
    assert (ag / "weights.toml").read_text() == '[weights]\nA7 = 2.0\n[visibility]\nB13 = "hidden"\n'
    archive = next(ag.glob("handgrad-*.tar.gz"))
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    top = archive.name.removesuffix(".tar.gz")
    assert {f"{top}/pyproject.toml", f"{top}/handgrad/network.py",
            f"{top}/reference/compare/classroom/gradescope/run_autograder"} <= names
    import zipfile

    with zipfile.ZipFile(ag / "autograder.zip") as z:  # what Gradescope takes: the files at its root
        assert set(z.namelist()) == {"setup.sh", "run_autograder", "handgrad-autograder.conf", "weights.toml",
                                     "requirements.txt", archive.name}
        assert (z.getinfo("setup.sh").external_attr >> 16) & 0o111
    assert "@VERSION@" not in (ag / "setup.sh").read_text()
    assert compare("--autograder", str(weights), *OPTIONS).returncode == 2  # a file, not a folder


def test_named_files_are_copied_and_named_in_the_configuration(tmp_path):
    adapter = tmp_path / "mine.toml"
    adapter.write_text("examples = 'rows'\n")
    written = write_autograder(tmp_path / "ag", ["--seed", "0"], files={"--adapter": str(adapter)}, archive=False)
    assert "adapter.toml" in written and (tmp_path / "ag" / "adapter.toml").read_text() == adapter.read_text()
    assert (tmp_path / "ag" / "handgrad-autograder.conf").read_text().endswith("--adapter\nadapter.toml\n")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    ag = tmp_path_factory.mktemp("autograder")
    write_autograder(ag, OPTIONS, archive=False)
    return ag


def _grade(autograder, root, files: dict, python: str = sys.executable) -> dict:
    """run_autograder on a submission of ``files`` under the Gradescope tree ``root``; its results.json."""
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), HANDGRAD_PYTHON=python,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([str(autograder / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return strict_json((root / "results" / "results.json").read_text())


def test_a_correct_and_a_buggy_submission_score_differently(autograder, tmp_path):
    right = _grade(autograder, tmp_path / "right", {"mlp.py": standalone_submission()})
    wrong = _grade(autograder, tmp_path / "wrong", {"mlp.py": standalone_submission(RECT_GE)})
    assert right["score"] == 3.0 and {t["status"] for t in right["tests"]} == {"passed"}
    assert wrong["score"] == 2.5  # A7: rect right (A7-rect), d_rect wrong (A7)
    a7 = next(t for t in wrong["tests"] if t["number"] == "A7")
    assert a7["status"] == "failed" and a7["score"] == 0.5 and "d_rect" in a7["output"]


def test_several_files_take_submission_py_and_helpers_go_with_it(autograder, tmp_path):
    helper = "from handgrad.types import Params\n"
    got = _grade(autograder, tmp_path / "r", {"submission.py": standalone_submission("\nfrom helper import Params\n"),
                                              "helper.py": helper})
    assert got["score"] == 3.0


def test_results_are_written_when_the_grader_cannot_run(autograder, tmp_path):
    broken = _grade(autograder, tmp_path / "a", {"mlp.py": standalone_submission()}, python="/bin/false")
    assert broken["score"] == 0 and "could not run" in broken["output"] and broken["tests"] == []
    none = _grade(autograder, tmp_path / "b", {"notes.txt": "hello"})
    assert none["score"] == 0 and "found 0" in none["output"]
    two = _grade(autograder, tmp_path / "c", {"a.py": "", "b \"q\".py": ""})
    assert two["score"] == 0 and "found 2: a.py b q.py" in two["output"]
    unloadable = _grade(autograder, tmp_path / "d", {"mlp.py": "def sigmoid(x:\n"})
    assert unloadable["score"] == 0 and "syntax error" in unloadable["output"]


def test_setup_sh_is_valid_bash():
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    path = ROOT / "reference" / "compare" / "classroom" / "gradescope"
    for name in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(path / name)]).returncode == 0


def test_an_installed_grader_packs_itself_as_a_wheel_for_setup_sh(tmp_path, monkeypatch):
    # installed from a wheel or an sdist there is no source tree: the installed files go in, with a new RECORD
    import base64
    import csv
    import hashlib
    import importlib.metadata
    import zipfile

    from reference.compare.classroom import autograder

    site = tmp_path / "site"
    info = site / "handgrad-0.1.0.dist-info"
    for name, text in {"handgrad/__init__.py": "x = 1\n", "reference/__init__.py": "y = 2\n",
                       "handgrad/__pycache__/__init__.cpython-311.pyc": "compiled",
                       "handgrad-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: handgrad\nVersion: 0.1.0\n",
                       "handgrad-0.1.0.dist-info/INSTALLER": "pip\n"}.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (info / "RECORD").write_text("handgrad/__init__.py,,\nreference/__init__.py,,\n"
                                 "handgrad/__pycache__/__init__.cpython-311.pyc,,\n"
                                 "handgrad-0.1.0.dist-info/METADATA,,\nhandgrad-0.1.0.dist-info/INSTALLER,,\n"
                                 "handgrad-0.1.0.dist-info/RECORD,,\n../../../bin/handgrad-compare,,\n")
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: importlib.metadata.PathDistribution(info))
    wheel = autograder.installed_wheel(tmp_path)
    assert wheel.name == "handgrad-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert names == {"handgrad/__init__.py", "reference/__init__.py", "handgrad-0.1.0.dist-info/METADATA",
                         "handgrad-0.1.0.dist-info/RECORD"}
        rows = list(csv.reader(z.read("handgrad-0.1.0.dist-info/RECORD").decode().splitlines()))
        for path, digest, size in rows:
            if path.endswith("RECORD"):
                continue
            data = z.read(path)
            assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert int(size) == len(data)


def test_without_a_package_to_ship_the_command_says_so(tmp_path, monkeypatch, capsys):
    # neither a source tree nor an installed distribution: setup.sh would have nothing to install
    from reference.compare.classroom import autograder
    from reference.compare.cli import _settings, build_parser

    monkeypatch.setattr(autograder, "source_archive", lambda dest: None)
    monkeypatch.setattr(autograder, "installed_wheel", lambda dest: None)
    args = build_parser().parse_args(["--autograder", str(tmp_path / "ag"), *OPTIONS])
    assert autograder.autograder_main(args, _settings(args, seed=0)) == 2
    assert "no package for setup.sh to install" in capsys.readouterr().err


def test_setup_sh_without_its_archive_stops_at_once_and_says_why(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    ag = tmp_path / "ag"
    write_autograder(ag, OPTIONS, archive=False)
    env = dict(os.environ, AUTOGRADER_ROOT=str(tmp_path / "root"), HANDGRAD_NO_APT="1")
    done = subprocess.run(["bash", str(ag / "setup.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no handgrad-" in done.stderr and "archive beside setup.sh" in done.stderr
    assert not (tmp_path / "root" / "handgrad-venv").exists()  # nothing was installed
