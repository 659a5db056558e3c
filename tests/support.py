"""What the tests share: where the implementations under test live, and how to run the command."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Implementations under test: seeds/ (the seeds transcribed), bugs/ (classic mistakes),
#: equivalent/ (rewrites that must pass), broken/ (code that hangs, crashes, does not load).
IMPLEMENTATIONS = ROOT / "tests" / "implementations"
BROKEN = IMPLEMENTATIONS / "broken"
CLI = [sys.executable, "-m", "reference.compare.cli"]


def implementation(name: str) -> pathlib.Path:
    """The file of an implementation under test, by its name (``"bug_rect_ge"``)."""
    found = sorted(IMPLEMENTATIONS.glob(f"*/{name}.py"))
    if len(found) != 1:
        raise LookupError(f"no single implementation named {name!r} under {IMPLEMENTATIONS}: {found}")
    return found[0]


def compare(*args, timeout=300, **kwargs):
    """Run handgrad-compare with these arguments from the repository's root."""
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kwargs)


def isolation_mode() -> str:
    """The mode the sandbox runs in on this machine (namespace with bubblewrap, else same-user)."""
    from reference.compare.sandbox import isolation

    return isolation.probe()


def strict_json(text: str):
    """JSON as a strict parser reads it: NaN and Infinity are refused."""
    import json

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def attack(folder: pathlib.Path, source: str, *args, fmt: str = "json", env=None, timeout=300, cwd=None):
    """Check the submission ``source`` (written to ``folder/submission.py``) with handgrad-compare.

    Returns (completed process, report text); the report is written to ``folder/report.<fmt>``.
    """
    sub = folder / "submission.py"
    sub.write_text(source)
    out = folder / f"report.{fmt}"
    done = subprocess.run(CLI + ["--impl", str(sub), "--format", fmt, "--output", str(out), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT, env=env)
    return done, out.read_text() if out.exists() else ""


#: Attack code: ``report_path()``, the report's path read from the grader's command line in /proc (the
#: worker's environment is scrubbed, but a process of the grader's user can read its argv), or None.
REPORT_PATH = """
import os


def report_path():
    for pid in (os.listdir("/proc") if os.path.isdir("/proc") else ()):
        try:
            words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--output" in words:
            return words[words.index(b"--output") + 1].decode()
    return None
"""


def solution_source() -> str:
    """handgrad's answers as one self-contained module, as a student would hand them in: its buffers,
    validation, functions and network copied, importing only ``handgrad.types`` (the one part of handgrad a
    submission's worker sees)."""
    parts = ["from __future__ import annotations\n"]
    for name in ("_buffers.py", "validation.py", "functions.py", "network.py"):
        text = (ROOT / "handgrad" / name).read_text()
        keep = [line for line in text.splitlines() if not line.startswith(
            ("__all__ =", "from __future__", "from handgrad._buffers", "from handgrad.validation"))]
        parts.append("\n".join(keep) + "\n")
    return "\n".join(parts)


def standalone_submission(extra: str = "") -> str:
    """A correct submission in one file (:func:`solution_source`), then ``extra``."""
    return solution_source() + extra


#: A correct submission to build attacks on: handgrad's answers, copied; ``_h`` holds them under their names,
#: for an attack that replaces one and calls the honest one.
HONEST = standalone_submission(
    "\n\nimport types as _types\n\n"
    "_h = _types.SimpleNamespace(**{_k: globals()[_k] for _k in __import__('handgrad.types').types.API})\n")
#: The folders of implementations whose correct parts come from ``_solution.py`` (written by
#: :func:`write_solutions`; not kept in git: it is handgrad's own code).
SOLUTION_FOLDERS = ("bugs", "broken", "equivalent")


def write_solutions() -> None:
    """Write ``_solution.py`` (:func:`solution_source`) into each of :data:`SOLUTION_FOLDERS`, atomically and
    only when it changed (several test processes may start at once)."""
    import os
    import tempfile

    text = solution_source()
    for folder in SOLUTION_FOLDERS:
        path = IMPLEMENTATIONS / folder / "_solution.py"
        if path.exists() and path.read_text() == text:
            continue
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".solution-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(temp, path)


#: A classic mistake to append to :func:`standalone_submission`: rect'(0) = 1 (A7 fails).
RECT_GE = "\n\ndef d_rect(x):\n    return (np.asarray(x, dtype=np.float64) >= 0).astype(np.float64)\n"


def notebook(path, *cells) -> str:
    """Write a notebook of these cells (code, dedented, or ("markdown", text)); its path as a string."""
    import json
    import textwrap

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": c[0], "metadata": {}, "source": c[1]} if isinstance(c, tuple) else
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": textwrap.dedent(c).splitlines(keepends=True)} for c in cells]}
    path.write_text(json.dumps(nb))
    return str(path)


#: The environment of a grader forced to the ``unprivileged`` mode (the chroot jail of a root grader).
UNPRIVILEGED = dict(os.environ, HANDGRAD_ISOLATION="unprivileged")


def run_unprivileged(code: str, *args: str) -> str:
    """``python -c code args`` as a grader forced to the unprivileged mode; its stdout."""
    done = subprocess.run([sys.executable, "-c", code, *args], env=UNPRIVILEGED, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def unprivileged_mode_here() -> str:
    """The mode a grader forced to ``unprivileged`` gets here: ``same-user`` when nobody cannot start the worker
    (an installation nobody may read, such as a virtual environment in a root-only temporary folder)."""
    return run_unprivileged("from reference.compare.sandbox import isolation; print(isolation.probe())").strip()


def unprivileged_only():
    """The marks of a test of the unprivileged mode: a root grader with setpriv, whose workers can start (the
    module imports :func:`unprivileged_mode_here`, which the second mark calls when the tests run)."""
    import shutil

    import pytest

    return [
        pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
                           reason="the unprivileged mode is the mode of a grader running as root, with util-linux's "
                                  "setpriv"),
        pytest.mark.skipif("unprivileged_mode_here() != 'unprivileged'",
                           reason="nobody cannot read this Python installation: the grader falls back to same-user "
                                  "(said in the report's isolation line)"),
    ]
