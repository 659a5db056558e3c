"""A submission's folder is copied for its worker: links, devices, FIFOs and compiled code stay behind."""

import json
import os
import pathlib
import shutil
import tempfile

import pytest

from reference.compare.sandbox.staging import copy_folder
from support import attack, isolation_mode, standalone_submission


def test_only_regular_files_are_copied(tmp_path):
    sub = tmp_path / "sub"
    (sub / "__pycache__").mkdir(parents=True)
    (sub / "deep").mkdir()
    (sub / "mlp.py").write_text("x = 1\n")
    (sub / "deep" / "data.csv").write_text("1,2\n")
    (tmp_path / "secret.txt").write_text("the answers")
    os.symlink(tmp_path / "secret.txt", sub / "answers.txt")  # a link to the grader's files
    os.symlink(tmp_path, sub / "up")  # a link to a folder
    os.symlink("/dev/zero", sub / "zeros.py")  # endless
    os.mkfifo(sub / "pipe.py")
    (sub / "helper.pyc").write_bytes(b"compiled")  # would run instead of a source the integrity check reads
    (sub / "__pycache__" / "mlp.cpython-311.pyc").write_bytes(b"compiled")
    copy_folder(sub, tmp_path / "copy")
    got = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert got == ["deep", "deep/data.csv", "mlp.py"]


def test_a_link_in_the_folder_does_not_bring_a_file_in(tmp_path):
    # the file behind the link stands for what the worker must not read (in namespace mode it cannot
    # read the original path either; in same-user mode that is the mode's known limit)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("7")
    folder = tmp_path / "student"
    folder.mkdir()
    os.symlink(secret / "answers.txt", folder / "answers.txt")
    source = standalone_submission(
        "\n\nimport os\nSEEN = os.path.exists(os.path.join(os.path.dirname(__file__), 'answers.txt'))\n\n"
        "def sign(x):\n    return np.full(np.shape(x), 7.0) if SEEN else np.sign(np.asarray(x, dtype=np.float64))\n")
    done, report = attack(folder, source, "--property", "A5", "--examples", "5", "--sweep", "0")
    assert done.returncode == 0, done.stderr
    assert json.loads(report)["questions"]["A5"] == "pass"


@pytest.mark.skipif(isolation_mode() != "namespace", reason="needs bubblewrap: in same-user mode a submission "
                                                             "reads what the grader's user reads")
def test_other_workers_folders_are_hidden_when_the_temporary_folder_is_not_tmp(tmp_path):
    # $TMPDIR outside /tmp: the workers' folders (another student's copy, in a batch) are side by side there
    temp = pathlib.Path(tempfile.mkdtemp(prefix="handgrad-test-", dir="/var/tmp"))
    try:
        neighbour = temp / "handgrad-worker-other" / "submission"
        neighbour.mkdir(parents=True)
        (neighbour / "theirs.py").write_text("# another student's work\n")
        source = standalone_submission(
            f"\n\nimport os\nSEEN = os.path.exists({str(neighbour / 'theirs.py')!r})\n\n"
            "def sign(x):\n"
            "    return np.full(np.shape(x), 7.0) if SEEN else np.sign(np.asarray(x, dtype=np.float64))\n")
        done, report = attack(tmp_path, source, "--property", "A5", "--examples", "5", "--sweep", "0",
                              env=dict(os.environ, TMPDIR=str(temp)))
        assert done.returncode == 0, done.stderr
        assert json.loads(report)["questions"]["A5"] == "pass"
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_folders_nested_too_deep_are_refused_not_a_crash(tmp_path):
    # folders within folders past the cap (1,500 crashed os.walk, which recurses): a load error, with its report
    from support import attack, strict_json

    deep = tmp_path
    for _ in range(200):
        deep = deep / "a"
    deep.mkdir(parents=True)
    done, report = attack(tmp_path, "def sign(x):\n    return x\n", "--property", "A5", "--examples", "2",
                          "--sweep", "0", "--whole-folder")  # its folder is its own: copied whole
    assert done.returncode == 2 and "nested more than 32 deep" in strict_json(report)["error"], done.stderr
