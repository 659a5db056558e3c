"""The pytest plugin, from a project of its own outside the repository: one test per property, readable failures."""

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from support import ROOT

PLUGIN = "reference.compare.pytest_plugin"


def plugin_args() -> list[str]:
    """``-p`` the plugin unless pytest loads it from an installed entry point (loading it twice is an error)."""
    autoloaded = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and any(
        ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if autoloaded else ["-p", PLUGIN]


@pytest.fixture
def project(tmp_path):
    """A project of someone's: a student's file and a test of its own; no conftest, no handgrad source."""
    shutil.copy(ROOT / "docs" / "student.py", tmp_path / "student.py")
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert 1 + 1 == 2\n")
    return tmp_path


def pytest_in(folder, *args, timeout=600):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin_args(),
                           *args], capture_output=True, text=True, cwd=folder, env=env, timeout=timeout)


def test_one_test_per_property_and_a_readable_failure(project):
    out = pytest_in(project, "-q", "-rA", "--handgrad-impl", "student.py", "--handgrad-property", "A5",
                    "--handgrad-property", "A7", "--handgrad-property", "B13")
    text = out.stdout
    assert out.returncode == 1, text[-3000:] + out.stderr[-2000:]
    assert "PASSED test_own.py::test_own" in text and "PASSED handgrad[student.py]::A5" in text
    assert "FAILED handgrad[student.py]::A7" in text and "FAILED handgrad[student.py]::B13" in text
    assert "d_rect(x) vs jax.grad(rect)" in text and "x = [0.0, -0.0, 1.0, -1.0]" in text
    assert "W1 = [[" in text and "replay: pytest --handgrad-impl" in text
    assert "Context(" not in text and "Property(" not in text and "Traceback" not in text
    assert sorted(p.name for p in project.iterdir() if not p.name.startswith("__")) == [
        "student.py", "test_own.py"]  # nothing written in the project: no .hypothesis/


def test_k_selects_and_a_bad_property_is_a_usage_error(project):
    out = pytest_in(project, "-q", "--handgrad-impl", "student.py", "-k", "A5 and handgrad")
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout[-2000:]
    bad = pytest_in(project, "-q", "--handgrad-impl", "student.py", "--handgrad-property", "Z9")
    assert bad.returncode == 4 and "'Z9' matches no property" in bad.stderr + bad.stdout


def test_an_implementation_that_cannot_load_fails_each_test_with_the_reason(project):
    (project / "broken.py").write_text("def sign(x):\n    return x +\n")
    out = pytest_in(project, "-q", "--handgrad-impl", "broken.py", "--handgrad-property", "A5")
    assert out.returncode == 1 and "cannot check" in out.stdout and "syntax error" in out.stdout, out.stdout[-2000:]
