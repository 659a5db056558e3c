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
