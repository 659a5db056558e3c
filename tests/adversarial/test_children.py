"""Processes the submission starts do not outlive the grader, whatever they do to escape."""

import os
import time

import pytest

from support import HONEST, attack, isolation_mode

pytestmark = pytest.mark.skipif(
    isolation_mode() != "namespace",
    reason="without bubblewrap the worker runs as the grader's user: a process that leaves its session, or "
           "signals or reads the grader, is not stopped (README, Running untrusted code)")


def _running(tag: bytes) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            if tag in open(f"/proc/{pid}/cmdline", "rb").read():
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_spawned_children_are_gone_after_the_grader_exits(tmp_path):
    tag = f"{os.getpid()}.{time.monotonic_ns() % 10**6}"
    source = HONEST + f'''
import subprocess
for _ in range(10):
    subprocess.Popen(["sleep", "{tag}"], start_new_session=True)
'''
    done, _ = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0")
    deadline = time.monotonic() + 30  # gone at once; the margin is for a loaded machine
    while _running(tag.encode()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(tag.encode())
