"""A worker's folder on the grader's disk (the unprivileged mode's jail): capped in size while the worker runs
(``Limits.disk``, measured by the grader), removed afterwards whatever its depth, and never the cause of a lost
report. Forced here with HANDGRAD_ISOLATION=unprivileged; the disk fill is bounded (64 MiB, against a limit of
8 MiB), never the real disk's size."""

import csv
import json
import pathlib
import subprocess

from support import CLI, HONEST, ROOT, UNPRIVILEGED, attack, run_unprivileged, unprivileged_mode_here, unprivileged_only  # noqa: F401 (unprivileged_mode_here)

ENV = UNPRIVILEGED
_run = run_unprivileged


def _jail_tmp() -> pathlib.Path:
    """Where the jail keeps its workers' folders."""
    return pathlib.Path(_run("import os\nfrom reference.compare.sandbox import isolation, view\n"
                             "print(os.path.join(isolation.jail_of('unprivileged', view.DEFAULT_PACKAGES), 'tmp'))"
                             ).strip())


pytestmark = [  # unprivileged_only's second mark calls unprivileged_mode_here
    *unprivileged_only(),
]

#: sigmoid leaves a folder nested 5000 deep (past Python's recursion limit and PATH_MAX) in its own folder.
DEEP = HONEST + '''
import os

def sigmoid(x):
    home = os.open(".", os.O_RDONLY)
    for _ in range(5000):
        os.mkdir("d")
        os.chdir("d")
    os.fchdir(home)
    return _h.sigmoid(x)
'''

#: sigmoid writes 1 MiB files (64 at most: bounded) then waits: past a disk limit of 8 MiB it is stopped.
FILL = HONEST + '''
import time

def sigmoid(x):
    block = bytes(1 << 20)
    for i in range(64):
        try:
            with open(f"fill{i}", "wb") as f:
                f.write(block)
        except OSError:
            break
    time.sleep(20)
    return _h.sigmoid(x)
'''


def _workers(tmp: pathlib.Path) -> set[str]:
    return {p.name for p in tmp.glob("handgrad-worker-*")}


def test_a_folder_nested_5000_deep_is_the_submissions_and_removed(tmp_path):
    tmp = _jail_tmp()
    before = _workers(tmp)
    done, text = attack(tmp_path, DEEP, "--property", "A1-sigmoid", "--examples", "3", "--sweep", "0", "--no-cache",
                        env=ENV)
    assert done.returncode in (0, 1) and "RecursionError" not in done.stderr, done.stderr[-2000:]
    # its own error at the property whose call nested them, never the grader's: the watcher stops the worker
    # (its depth) or, where the call returned before the watcher looked, the next call meets its own folders
    report = json.loads(text)
    assert not report.get("internal_error") and report["properties"][0]["status"] == "error", text[:3000]
    assert ("nested more than 64 deep" in report["properties"][0]["message"]
            or "FileExistsError" in report["properties"][0]["message"]), text[:3000]
    assert _workers(tmp) <= before  # its folder, 5000 deep, is gone


def test_a_class_keeps_its_reports_when_one_nests_5000_deep(tmp_path):
    tmp = _jail_tmp()
    before = _workers(tmp)
    subs = tmp_path / "class"
    subs.mkdir()
    (subs / "a_deep.py").write_text(DEEP)
    (subs / "b_honest.py").write_text(HONEST)
    out = tmp_path / "out"
    done = subprocess.run(CLI + ["--submissions", str(subs), "--output-dir", str(out), "--jobs", "1",
                                 "--property", "A1-sigmoid", "--property", "A5", "--examples", "3", "--sweep", "0",
                                 "--no-cache"], env=ENV, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode in (0, 1), (done.stdout[-2000:], done.stderr[-2000:])
    rows = {r["id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    # its own failure at A1 (sigmoid's folder), no internal row; the classmate's grade is there
    assert (rows["a_deep"]["status"], rows["b_honest"]["status"], rows["b_honest"]["total"]) == ("failed", "ok", "2")
    assert (out / "reports" / "a_deep").is_dir() and any((out / "reports" / "a_deep").iterdir())
    assert _workers(tmp) <= before


def test_a_worker_past_its_disk_limit_is_stopped_and_its_files_removed(tmp_path):
    code = '''
import os, sys
import numpy as np
from reference.compare.sandbox import SubprocessImpl, isolation, folders
path = sys.argv[1]
with SubprocessImpl(path, timeout=60, limits=isolation.Limits(disk=8 << 20, file_size=1 << 20)) as impl:
    try:
        impl.call("sigmoid", np.zeros(2))
        print("returned")
    except Exception as exc:
        print("problem:", exc)
    print("left:", folders.usage(impl._workdir) >> 20, "MiB")
    print("then:", impl.call("d_rect", np.ones(2)).value.tolist())
    where = impl._workdir
print("gone:", not os.path.exists(where))
'''
    sub = tmp_path / "fill.py"
    sub.write_text(FILL)
    out = _run(code, str(sub))
    lines = out.splitlines()
    assert lines[0].startswith("problem: sigmoid: the process was killed: its folder reached the disk limit (8 MiB)"), \
        out
    assert int(lines[1].split()[1]) < 8, out  # what it wrote is gone: the next worker starts from the copy
    assert lines[2:] == ["then: [1.0, 1.0]", "gone: True"], out


#: sigmoid leaves 12,000 links in its folder, each small (under the disk limit together), then waits: removing
#: tens of thousands of entries after the run took the grader minutes past --total-timeout (round 5b).
MANY = HONEST + '''
import os
import time

def sigmoid(x):
    for i in range(12_000):
        try:
            os.symlink("x" * 200, f"l{i}")
        except OSError:
            break
    time.sleep(20)
    return _h.sigmoid(x)
'''


def test_a_folder_of_too_many_entries_is_stopped_and_removed(tmp_path):
    tmp = _jail_tmp()
    before = _workers(tmp)
    done, text = attack(tmp_path, MANY, "--property", "A1-sigmoid", "--examples", "3", "--sweep", "0", "--no-cache",
                        env=ENV)
    report = json.loads(text)
    prop = report["properties"][0]
    assert prop["status"] == "error" and "more than 10000 entries" in prop["message"], (prop, done.stderr[-2000:])
    assert _workers(tmp) <= before
