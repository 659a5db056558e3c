"""Memory: a hog is stopped by its limit, a huge reply is refused unread, and the grader's own peak stays small."""

import json
import subprocess
import sys

from support import HONEST, ROOT, strict_json

PEAK = """
import resource, sys
from reference.compare.cli import main
status = main(sys.argv[1:])
print("PEAK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)
sys.exit(status)
"""


def _graded_with_peak(tmp_path, source, *args):
    sub = tmp_path / "submission.py"
    sub.write_text(source)
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-c", PEAK, "--impl", str(sub), "--format", "json", "--output", str(out),
                           *args], capture_output=True, text=True, timeout=300, cwd=ROOT)
    peak = int(done.stderr.split("PEAK")[-1].split()[0])
    return done, strict_json(out.read_text()), peak


def test_a_memory_hog_is_an_error_of_its_own_property(tmp_path):
    source = HONEST + '''
import numpy as np
def sigmoid(x):
    hog = np.ones((8 << 30) // 8)
    return hog[: np.size(x)].reshape(np.shape(x))
'''
    done, report, _ = _graded_with_peak(tmp_path, source, "--property", "A1-sigmoid", "--property", "A5",
                                        "--examples", "2", "--sweep", "0", "--memory-limit", "2G")
    props = {p["id"]: p for p in report["properties"]}
    assert props["A1-sigmoid"]["status"] == "error" and "MemoryError" in props["A1-sigmoid"]["message"]
    assert props["A5"]["status"] == "pass"


def test_a_huge_reply_is_refused_and_the_grader_stays_small(tmp_path):
    source = HONEST + '''
import numpy as np
def d_tanh(x):
    return np.zeros(10**8)  # 800 MB
'''
    done, report, peak = _graded_with_peak(tmp_path, source, "--property", "A4", "--property", "A5",
                                           "--examples", "3", "--sweep", "0")
    props = {p["id"]: p for p in report["properties"]}
    assert props["A4"]["status"] == "error" and "more than" in props["A4"]["message"], props["A4"]
    assert props["A5"]["status"] == "pass"
    assert peak < 1.5e9, f"the grader peaked at {peak / 1e9:.2f} GB"
    print(json.dumps({"grader_peak_bytes": peak}))
