"""The report cannot be forged: not after the grader exits, not by killing the grader."""

import time

import pytest

from support import HONEST, REPORT_PATH, attack, isolation_mode, strict_json

pytestmark = pytest.mark.skipif(
    isolation_mode() != "namespace",
    reason="without bubblewrap the worker runs as the grader's user: a process that leaves its session, or "
           "signals or reads the grader, is not stopped (README, Running untrusted code)")


def test_a_grandchild_cannot_rewrite_the_report_after_the_grader_exits(tmp_path):
    source = HONEST + REPORT_PATH + '''
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        fake = '{"score": 46.0, "tests": []}'
        for _ in range(200):
            time.sleep(0.05)
            path = report_path()
            if path:
                try:
                    open(path, "w").write(fake)
                except OSError:
                    pass
        os._exit(0)
    os._exit(0)
'''
    done, report = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0",
                          fmt="gradescope")
    time.sleep(3)  # the grandchild would have written by now
    after = (tmp_path / "report.gradescope").read_text()
    assert after == report and "tests" in strict_json(after) and strict_json(after)["tests"]


def test_killing_the_parent_does_not_lose_the_report(tmp_path):
    source = HONEST + '''
import os, signal

def sign(x):
    for target in (os.getppid(), 1, -1):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    return _h.sign(x)
'''
    done, report = attack(tmp_path, source, "--property", "A5", "--property", "A7", "--examples", "2",
                          "--sweep", "0")
    data = strict_json(report)
    statuses = {p["id"]: p["status"] for p in data["properties"]}
    assert statuses["A7"] == "pass" and statuses["A5"] in ("error", "pass")
    # as the host's nobody, the worker cannot even signal its namespace's first process: A5 then passes
    assert done.returncode == (1 if statuses["A5"] == "error" else 0)
