"""Signals to the grader: it cannot be killed, stopped or interrupted by the submission."""

import pytest

from support import HONEST, attack, isolation_mode, strict_json

pytestmark = pytest.mark.skipif(
    isolation_mode() != "namespace",
    reason="without bubblewrap the worker runs as the grader's user and can signal it "
           "(README, Running untrusted code)")


@pytest.mark.parametrize("signame", ["SIGKILL", "SIGTERM", "SIGINT", "SIGSTOP"])
def test_the_grader_outlives_every_signal_the_submission_sends(tmp_path, signame):
    source = HONEST + f'''
import os, signal

def sign(x):
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()] + [os.getppid(), 0, -1]
    for pid in pids:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.{signame})
            except OSError:
                pass
    return _h.sign(x)
'''
    done, report = attack(tmp_path, source, "--property", "A5", "--property", "A7", "--examples", "3",
                          "--sweep", "0", timeout=120)
    statuses = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    assert statuses["A7"] == "pass", statuses
    assert done.returncode == 1  # the integrity finding (handgrad's answers), and A5 if it killed itself
