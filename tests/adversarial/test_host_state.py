"""The machine's state is no channel between a submission's workers (attack round 10, `03_x5_twoworker`).

Two workers of a submission run at once (the second answers the calls that judge a failure). The first held
3 GB once it saw X4's large logits; the second read /proc/meminfo's MemAvailable and answered the descent's
re-asked gradients without penalties when it had dropped: both gave the same forged answer, and X5 passed
(31 → 32 of 32 in 4 runs of 6). In the namespace mode, /proc's files of the machine's state are stand-ins that
never change, and ``sysinfo`` is refused in every mode."""

import json

from support import HONEST, attack

#: sign answers only when the machine's state is the stand-ins' and sysinfo is refused; else it raises what
#: it read, so A5 passes only when nothing moved.
PROBING = HONEST + '''
import ctypes, os

def read_all():
    seen = {}
    for name in ("meminfo", "loadavg", "stat", "vmstat", "pressure/memory", "pressure/cpu"):
        try:
            seen[name] = open("/proc/" + name).read()
        except OSError:
            pass
    return seen

def what_moves():
    before = read_all()
    held = bytearray(300 << 20)  # 300 MB, touched, and a tenth of a second of work
    for i in range(0, len(held), 4096):
        held[i] = 1
    import time
    end = time.perf_counter() + 0.1
    while time.perf_counter() < end:
        pass
    after = read_all()
    found = [name + " moved: " + before[name][:80] for name in before if after.get(name) != before[name]]
    info = ctypes.create_string_buffer(256)
    if ctypes.CDLL(None, use_errno=True).sysinfo(info) == 0:
        found.append("sysinfo answered")
    del held
    return found

def sign(x):
    found = what_moves()
    if found:
        raise RuntimeError("; ".join(found))
    return _h.sign(x)
'''


def test_a_worker_reads_no_state_of_the_machine(tmp_path):
    done, report = attack(tmp_path, PROBING, "--property", "A5", "--examples", "3", "--sweep", "0")
    data = json.loads(report)
    if data["isolation"] != "namespace":  # sysinfo is refused in every mode; /proc is the namespace's
        assert "sysinfo answered" not in report
        return
    assert data["questions"]["A5"] == "pass", data["properties"][0]["message"][:500]
