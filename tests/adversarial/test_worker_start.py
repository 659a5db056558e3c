"""A grader that cannot start a worker (its user out of processes: one classmate's fork bomb, with a grader that
is not root) is the grader's failure: "internal", graded again by --resume, never a classmate's "cannot-load";
and a worker counted with the grader's user gets a process limit of its own (RLIMIT_NPROC above that user's count).

The tests here run as whatever user runs them: the failure to start is simulated (the grader's fork refused with
EAGAIN; bubblewrap's own "Can't fork" message), and the limit is read from the command line built for a grader
that is not root. RLIMIT_NPROC itself is the kernel's (a root grader is not subject to it)."""

import errno
import inspect
import os
import shutil
import subprocess
import sys

import pytest

from reference.compare.grade_one import Settings, grade
from reference.compare.reports.formats import render
from reference.compare.reports.summary import status_of
from reference.compare.sandbox import LoadError, StartFailed, SubprocessImpl, grader_side, isolation
from support import HONEST

SETTINGS = Settings(properties=("A5",), examples=2, sweep=0)


@pytest.fixture
def honest(tmp_path):
    path = tmp_path / "honest.py"
    path.write_text(HONEST)
    return str(path)


def _refused(*args, **kwargs):
    raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")


def test_the_graders_fork_refused_is_internal_not_the_submissions(honest, monkeypatch):
    monkeypatch.setattr(grader_side.subprocess, "Popen", _refused)
    with pytest.raises(StartFailed, match="the grader could not start a worker"):
        SubprocessImpl(honest)
    report, status = grade(honest, SETTINGS)
    assert status == 3 and status_of(report, status) == "internal", (status, report.error, report.internal_error)
    assert not report.error and "Resource temporarily unavailable" in report.internal_error
    for fmt in ("json", "text", "gradescope"):  # the report still renders
        assert render(report, fmt)


#: What bubblewrap prints and does when the grader's user has no process left for its pid 1.
BWRAP_CANNOT_FORK = [sys.executable, "-c", "import sys; sys.stdout.write(\"bwrap: Can't fork for pid 1: Resource "
                     "temporarily unavailable\\n\"); sys.exit(1)"]


def test_a_starter_that_cannot_fork_is_internal(honest, monkeypatch):
    monkeypatch.setattr(grader_side.isolation, "command", lambda *a, **k: (BWRAP_CANNOT_FORK, None))
    with pytest.raises(StartFailed, match="bwrap: Can't fork for pid 1"):
        SubprocessImpl(honest)
    report, status = grade(honest, SETTINGS)
    assert status_of(report, status) == "internal"


def test_a_submission_that_fails_its_import_is_still_cannot_load(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("raise ImportError('no such thing')\n")
    with pytest.raises(LoadError):
        SubprocessImpl(str(path))
    report, status = grade(str(path), SETTINGS)
    assert status_of(report, status) == "cannot-load"


def test_a_worker_of_a_grader_that_is_not_root_has_a_process_limit(monkeypatch):
    now = isolation.user_tasks()
    assert now is not None and now >= 1  # this process at least
    monkeypatch.setattr(isolation, "_is_root", lambda: False)
    monkeypatch.setattr(isolation, "user_tasks", lambda uid=None: 300)
    limits = isolation.Limits(processes=64)
    for mode in ("namespace", "same-user"):
        line, preexec = isolation.command(["x"], workdir="/tmp", mode=mode, limits=limits, allowed=())
        assert ("--nproc=364" in line) if preexec is None else True, line
    assert isolation._nproc(limits, "namespace", own_user=False) == 364
    assert "plus 64 at most" in isolation.protection("namespace", trusted=False, tree=False, processes=64)


#: As a user that is not root (setpriv), with the system's Python: RLIMIT_NPROC at that user's count
#: (:func:`isolation.user_tasks`, its source) plus 16; a child forks without end and counts what it got.
BOMB = """
import os, resource, time
{source}
n = user_tasks() + 16
resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
k = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        k += 1
except BlockingIOError:
    print(k)
"""


@pytest.mark.skipif(shutil.which("setpriv") is None or not os.path.exists("/usr/bin/python3")
                    or not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="run as root, with util-linux's setpriv, to become a user that is not root")
def test_the_process_limit_stops_a_fork_bomb_of_a_user_that_is_not_root():
    source = inspect.getsource(isolation.user_tasks).replace("int | None", "object")
    line = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-I", "-c",
            BOMB.format(source=source)]
    done = subprocess.run(line, capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    assert 10 <= int(done.stdout) <= 16, done.stdout  # 16 at most; the user's own other tasks may come and go
