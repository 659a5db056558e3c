"""What the tests share: where the implementations under test live, and how to run the command."""

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
    for pid in os.listdir("/proc"):
        try:
            words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--output" in words:
            return words[words.index(b"--output") + 1].decode()
    return None
"""


#: A correct submission to build attacks on: handgrad's answers under other names (integrity aside).
HONEST = "from handgrad.functions import *\nfrom handgrad.network import *\nfrom handgrad.types import *\n"


def standalone_submission(extra: str = "") -> str:
    """A correct submission in one file, as a student would hand it in: handgrad's own functions copied
    (importing only handgrad's types, validation and buffers: no integrity finding), then ``extra``."""
    parts = ["from __future__ import annotations\n"]
    for name in ("functions.py", "network.py"):
        text = (ROOT / "handgrad" / name).read_text().replace("from __future__ import annotations\n", "")
        parts.append("\n".join(line for line in text.splitlines() if not line.startswith("__all__ =")) + "\n")
    return "\n".join(parts) + extra


#: A classic mistake to append to :func:`standalone_submission`: rect'(0) = 1 (A7 fails).
RECT_GE = "\n\ndef d_rect(x):\n    return (np.asarray(x, dtype=np.float64) >= 0).astype(np.float64)\n"
