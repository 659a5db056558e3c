"""The Gradescope autograder as Gradescope runs it: written by a grader installed from a wheel in a fresh virtual
environment with no checkout in sight, unpacked from autograder.zip, installed by its setup.sh into another fresh
environment, then run_autograder on submissions laid out as Gradescope lays them out.

The design, so that it runs in CI, which reaches PyPI and nothing else, without downloading JAX twice a run:

- the wheel is built by ``pip wheel --no-deps`` (its build backend, hatchling, comes from PyPI, or from pip's
  cache);
- each fresh environment sees the dependencies already installed in the one running the tests through a ``.pth``
  line naming a folder of links to that environment's site-packages, with handgrad itself (and any editable
  install of it), ``reference`` and pip left out: the environments' own handgrad is only the wheel's. The folder
  is inside the fresh environment, and what a worker imports is copied there (hard links): a trusted module's
  worker sees a private /tmp, where only the grader's own environment is shown again;
- setup.sh runs unchanged except for its environment: ``PIP_NO_INDEX=1`` (pip finds every dependency already
  satisfied, at the versions pyproject pins, and must not reach an index), ``HANDGRAD_NO_APT=1`` (no apt-get),
  ``AUTOGRADER_ROOT`` for /autograder; its virtual environment is made beforehand at the path it uses, which it
  takes as its own.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from support import IMPLEMENTATIONS, ROOT, standalone_submission, strict_json, write_solutions

pytestmark = pytest.mark.slow  # two virtual environments, a wheel, three runs of the grader: about a minute

OPTIONS = ["--examples", "3", "--sweep", "40", "--property", "A5", "--property", "A7", "--property", "B13"]


def _run(args, **kwargs):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _clean_env(**extra) -> dict:
    """The environment of a process that knows nothing of the checkout or of the tests' virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP") and not k.startswith("PIP_")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["PIP_CONFIG_FILE"] = os.devnull  # the machine's pip configuration (extra indexes) does not apply
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env | extra


def _link_or_copy(source, dest):
    try:
        os.link(source, dest)
    except OSError:  # another file system
        shutil.copy2(source, dest)


def _dependencies_view(folder):
    """A folder of links to this environment's installed packages, without handgrad, reference and pip.

    What a worker imports (NumPy, cloudpickle) is copied, by hard links where it can: a trusted module's worker
    sees a private /tmp, where this environment, if it lives there (a CI clone), is not shown again.
    """
    from reference.compare.sandbox.view import packages

    folder.mkdir()
    worker = set(packages(()))
    skip = ("handgrad", "_handgrad", "__editable__", "_editable_impl_handgrad", "reference", "pip-", "pip")
    for site in dict.fromkeys((sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])):
        for entry in sorted(os.listdir(site)):
            if entry.startswith(skip) or entry.endswith(".pth") or (folder / entry).exists():
                continue
            source = os.path.join(site, entry)
            if entry in worker and os.path.isdir(source):
                shutil.copytree(source, folder / entry, symlinks=True, copy_function=_link_or_copy,
                                ignore=shutil.ignore_patterns("__pycache__"))
            else:
                (folder / entry).symlink_to(source)
    return folder


def _venv(path) -> str:
    """A fresh virtual environment at ``path`` that also sees this one's dependencies; its Python."""
    _run([sys.executable, "-m", "venv", path], env=_clean_env())
    python = path / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env=_clean_env())
    view = _dependencies_view(path / "dependencies")
    (pathlib.Path(site.stdout.strip()) / "handgrad-test-dependencies.pth").write_text(f"{view}\n")
    return str(python)


def _submit(root, files: dict) -> dict:
    """run_autograder, as Gradescope calls it, on a submission of ``files``; results/results.json."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    _run([root / "run_autograder"], cwd=root, env=_clean_env(AUTOGRADER_ROOT=str(root)))
    return strict_json((root / "results" / "results.json").read_text())


def test_an_autograder_from_a_wheel_installs_and_grades_in_fresh_environments(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("setup.sh and run_autograder are bash scripts")
    away = tmp_path / "elsewhere"  # every command runs here, outside the checkout
    away.mkdir()

    # a wheel of the tree, installed in a fresh environment, writes the autograder
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp_path / "dist", ROOT], cwd=away,
         env=_clean_env())
    (wheel,) = (tmp_path / "dist").glob("handgrad-*.whl")
    teacher = _venv(tmp_path / "teacher")
    _run([teacher, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel], cwd=away, env=_clean_env())
    where = _run([teacher, "-c", "import handgrad, reference.compare; print(handgrad.__file__)"], cwd=away,
                 env=_clean_env()).stdout
    assert str(tmp_path / "teacher") in where and str(ROOT) not in where
    _run([tmp_path / "teacher" / "bin" / "handgrad-compare", "--autograder", tmp_path / "ag", *OPTIONS], cwd=away,
         env=_clean_env())

    # what is uploaded: autograder.zip, setup.sh and run_autograder at its root, the package (rebuilt from the
    # installed files: there is no source tree) beside them
    with zipfile.ZipFile(tmp_path / "ag" / "autograder.zip") as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "handgrad-autograder.conf", "requirements.txt", wheel.name} == names
        root = tmp_path / "autograder"  # Gradescope's /autograder
        z.extractall(root / "source")
    with zipfile.ZipFile(root / "source" / wheel.name) as rebuilt, zipfile.ZipFile(wheel) as built:
        assert set(rebuilt.namelist()) == set(built.namelist())
        metadata = f"handgrad-{wheel.name.split('-')[1]}.dist-info/METADATA"
        assert rebuilt.read(metadata) == built.read(metadata)  # the same dependency pins
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore the mode; Gradescope's unzip does
        (root / "source" / name).chmod(0o755)

    # setup.sh, once, as the image is built; Gradescope then copies run_autograder to /autograder
    _venv(root / "handgrad-venv")
    setup = _run(["bash", root / "source" / "setup.sh"], cwd=root,
                 env=_clean_env(AUTOGRADER_ROOT=str(root), PIP_NO_INDEX="1", HANDGRAD_NO_APT="1"))
    assert "warm-up run failed" not in setup.stderr, setup.stderr
    grader = root / "handgrad-venv" / "bin" / "handgrad-compare"
    assert grader.is_file()
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")

    right = _submit(root, {"mlp.py": standalone_submission()})
    assert right["score"] == 3.0 and {t["status"] for t in right["tests"]} == {"passed"}, json.dumps(right)
    write_solutions()
    bugs = IMPLEMENTATIONS / "bugs"  # rect'(0) = 1: A7 and B13 fail; its helper modules go with it
    wrong = _submit(root, {name: (bugs / name).read_text() for name in ("bug_rect_ge.py", "_bug.py", "_solution.py")})
    failed = {t["number"] for t in wrong["tests"] if t["status"] == "failed"}
    assert wrong["score"] == 1.5 and failed == {"A7", "B13"}, json.dumps(wrong)  # A7: rect right, d_rect wrong
