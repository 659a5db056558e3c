"""Without namespaces, a grader running as root (a container's) runs the worker as nobody: it cannot write the
report, signal the grader, or read root's files. Forced here with HANDGRAD_ISOLATION=unprivileged."""

import json
import os
import subprocess
import sys
import time

from support import HONEST, REPORT_PATH, UNPRIVILEGED, attack, strict_json, unprivileged_mode_here, unprivileged_only

ENV = UNPRIVILEGED
_mode_here = unprivileged_mode_here

pytestmark = unprivileged_only()  # its second mark calls unprivileged_mode_here

#: Each time sign is called: write over the report, signal the grader, read a root-only file.
ATTACK = HONEST + REPORT_PATH + '''
import signal

REPORT = report_path() or KNOWN  # the grader's command line, else the path the student guessed

def sign(x):
    try:
        open(REPORT, "w").write('{"score": 46.0, "tests": []}')
    except (OSError, TypeError):
        pass
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except OSError:
        pass
    try:
        secret = open(SECRET).read()
    except OSError:
        secret = ""
    return _h.sign(x) * (7.0 if secret else 1.0)
'''


def test_a_worker_run_as_nobody_cannot_forge_kill_or_read(tmp_path):
    os.chmod(tmp_path, 0o755)  # the report's folder: readable by anyone, writable by root only
    secret = tmp_path / "secret.txt"
    secret.write_text("root's own")
    os.chmod(secret, 0o600)
    source = ATTACK.replace("SECRET", repr(str(secret))).replace("KNOWN", repr(str(tmp_path / "report.json")))
    done, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0", env=ENV)
    time.sleep(1)
    data = strict_json((tmp_path / "report.json").read_text())
    assert done.returncode == 0, done.stderr  # A5 passes: nothing it did reached the grader
    assert data["isolation"] == "unprivileged" and data["questions"]["A5"] == "pass"
    assert json.loads(report) == data


def test_workers_of_a_class_cannot_enter_each_others_folders(tmp_path):
    # without namespaces the workers of a class share /tmp: each has a host user and a 0700 folder of its own
    honest, prying = tmp_path / "honest" / "a.py", tmp_path / "prying" / "b.py"
    honest.parent.mkdir()
    prying.parent.mkdir()
    honest.write_text(HONEST)
    prying.write_text(HONEST + '''
import glob

def sign(x):
    return np.full(np.shape(x), float(len(glob.glob("/tmp/handgrad-worker-*/submission/a.py"))))
''')
    code = ("import os, sys\nimport numpy as np\nfrom reference.compare.sandbox import SubprocessImpl\n"
            "with SubprocessImpl(sys.argv[1]) as a, SubprocessImpl(sys.argv[2]) as b:\n"
            "    print(os.path.exists(os.path.join(a._workdir, 'submission', 'a.py')), b.isolation,\n"
            "          b.call('sign', np.zeros(1)).value[0])\n")
    done = subprocess.run([sys.executable, "-c", code, str(honest), str(prying)], env=ENV, capture_output=True,
                          text=True, timeout=120)
    # the honest worker's folder is there, and the prying one found no a.py it could reach
    assert done.stdout.split() == ["True", "unprivileged", "0.0"], (done.stdout, done.stderr[-2000:])


#: What a jailed worker tries to reach: the answer key's files (by the path the grader runs them from), its
#: virtual environment, JAX, the process table (a classmate's file named on a grader's command line), the
#: host's shared temporary folders. sign is scaled by what it reached.
PEEKING = HONEST + '''
import glob, os

def reached():
    found = [p for p in PLACES if os.path.exists(p)]
    found += glob.glob("/proc/*/cmdline") + glob.glob("/tmp/*") + glob.glob("/var/tmp/*")
    try:
        exec(open(KEY).read(), {})
        found.append("the key ran")
    except Exception:
        pass
    return found

def sign(x):
    return _h.sign(x) * (1.0 + len(reached()))
'''


def test_a_jailed_worker_cannot_reach_the_key_the_process_table_or_the_host(tmp_path):
    import jax

    import handgrad

    key = os.path.join(os.path.dirname(handgrad.__file__), "functions.py")
    places = [key, os.path.dirname(jax.__file__), sys.prefix, str(tmp_path), "/proc/self", "/home", "/etc/passwd"]
    source = PEEKING.replace("PLACES", repr(places)).replace("KEY", repr(key))
    done, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0", env=ENV)
    data = json.loads(report)
    assert data["questions"]["A5"] == "pass", (done.stdout[-3000:], data["protection"])
    assert data["isolation"] == "unprivileged" and "chroot jail" in data["protection"], data["protection"]
