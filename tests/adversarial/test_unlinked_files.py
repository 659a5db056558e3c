"""Files a worker unlinks from its folder but keeps open (or mapped) count in its disk limit (the unprivileged
mode's jail: its folder is on the grader's disk, measured by the grader). Before, the folder's walk did not see
them: a worker held 64 MiB per file times 256 open files per process. Forced here with
HANDGRAD_ISOLATION=unprivileged; the fills are bounded (a few MiB against a limit of 8 MiB, and one run at the
default limits: 320 MiB against 256 MiB)."""

import json

import pytest

from support import HONEST, UNPRIVILEGED, attack, run_unprivileged, unprivileged_mode_here, unprivileged_only  # noqa: F401 (unprivileged_mode_here)

ENV = UNPRIVILEGED
_run = run_unprivileged


pytestmark = [  # unprivileged_only's second mark calls unprivileged_mode_here
    *unprivileged_only(),
    pytest.mark.skipif("_run('from reference.compare.sandbox import folders; print(folders.reads_fds())')"
                       ".strip() != 'True'",
                       reason="this grader may not read another user's /proc/PID/fd: its workers' folders alone "
                              "are measured"),
]

#: sigmoid makes ``COUNT`` files of ``SIZE`` MiB in its folder (``HOW``: kept open, or mapped with the descriptor
#: closed), unlinks them, then waits: what it holds no longer has a name in its folder.
HOLD = HONEST + '''
import mmap, os, time

_kept = []

def sigmoid(x):
    if HOW == "hidden":  # not dumpable: a root grader without CAP_SYS_PTRACE may not read its /proc/PID/fd
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    block = bytes(1 << 20)
    for i in range(COUNT):
        f = open(f"held{i}", "w+b")
        for _ in range(SIZE):
            f.write(block)
        f.flush()
        os.unlink(f"held{i}")
        if HOW == "mapped":
            _kept.append(mmap.mmap(f.fileno(), 4096))
            f.close()
        else:
            _kept.append(f)
    time.sleep(WAIT)
    return _h.sigmoid(x)
'''

_CALL = '''
import os, sys
import numpy as np
from reference.compare.sandbox import SubprocessImpl, isolation
with SubprocessImpl(sys.argv[1], timeout=60, limits=isolation.Limits(disk=8 << 20, file_size=4 << 20)) as impl:
    try:
        impl.call("sigmoid", np.zeros(2))
        print("returned")
    except Exception as exc:
        print("problem:", exc)
    print("then:", impl.call("d_rect", np.ones(2)).value.tolist())
'''


def _hold(tmp_path, how: str, count: int, size: int, wait: float = 20) -> list[str]:
    sub = tmp_path / f"{how}.py"
    sub.write_text(HOLD.replace("COUNT", str(count)).replace("SIZE", str(size)).replace("HOW", repr(how))
                   .replace("WAIT", str(wait)))
    return _run(_CALL, str(sub)).splitlines()


@pytest.mark.parametrize("how", ["open", "mapped"])
def test_unlinked_files_a_worker_keeps_count_in_its_disk_limit(tmp_path, how):
    # 3 files of 4 MiB, unlinked: 12 MiB against 8 (the folder itself holds less than 1 MiB)
    lines = _hold(tmp_path, how, 3, 4)
    assert lines[0].startswith("problem: sigmoid: the process was killed: its folder and the deleted files its "
                               "processes keep open"), lines
    assert "reached the disk limit (8 MiB)" in lines[0], lines
    assert lines[1:] == ["then: [1.0, 1.0]"], lines  # the grader goes on: a fresh worker answers


def test_a_worker_hiding_its_open_files_is_stopped(tmp_path):
    # with CAP_SYS_PTRACE the grader reads them all the same and counts them; without, it stops the worker for
    # hiding them (two checks in a row)
    lines = _hold(tmp_path, "hidden", 3, 4)
    assert lines[0].startswith("problem: sigmoid: the process was killed: "), lines
    assert ("deleted files its processes keep open" in lines[0]
            or "hid its open files from the grader" in lines[0]), lines
    assert lines[1:] == ["then: [1.0, 1.0]"], lines


def test_unlinked_files_under_the_limit_are_the_workers_to_keep(tmp_path):
    lines = _hold(tmp_path, "open", 1, 4, wait=1)  # 4 MiB against 8: no kill (a check runs every 0.2 s)
    assert lines == ["returned", "then: [1.0, 1.0]"], lines


def test_a_grade_run_stops_a_submission_holding_320_mib_unlinked(tmp_path):
    # the default limits: 64 MiB per file (RLIMIT_FSIZE), 256 MiB for the folder; 5 files held: 320 MiB
    source = HOLD.replace("COUNT", "5").replace("SIZE", "64").replace("HOW", "'open'").replace("WAIT", "60")
    done, text = attack(tmp_path, source, "--property", "A1-sigmoid", "--examples", "3", "--sweep", "0",
                        "--no-cache", env=ENV)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(text)
    assert not report.get("internal_error") and report["properties"][0]["status"] == "error", text[:3000]
    assert "deleted files its processes keep open" in report["properties"][0]["message"], text[:3000]
    assert "reached the disk limit (256 MiB)" in report["properties"][0]["message"], text[:3000]
