"""An overall deadline: a slow submission still gets its report, on time, properties not reached marked."""

import time

from support import HONEST, attack, strict_json

SLOW = HONEST + '''
import time

def backprop(*args, **kwargs):
    time.sleep(0.5)
    return _h.backprop(*args, **kwargs)
'''


def test_a_slow_submission_is_reported_within_the_deadline(tmp_path):
    start = time.monotonic()
    done, report = attack(tmp_path, SLOW, "--property", "B7", "--property", "B9", "--property", "B11",
                          "--examples", "40", "--sweep", "0", "--total-timeout", "12")
    elapsed = time.monotonic() - start
    data = strict_json(report)
    statuses = {p["id"]: p["status"] for p in data["properties"]}
    assert elapsed < 40, elapsed
    assert done.returncode == 1
    assert "not-run" in statuses.values(), statuses
    assert all(s in ("pass", "error", "not-run") for s in statuses.values()), statuses
