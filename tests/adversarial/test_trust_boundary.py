"""The submission's process is the submission's: nothing it says about itself earns credit, and what it must not
read is not in its view. Each attack here forged a grade, or read what it should not, before the trust boundary
was drawn where it is now."""

import os
import pathlib

import pytest

from support import HONEST, ROOT, attack, isolation_mode, strict_json

NAMESPACE = pytest.mark.skipif(isolation_mode() != "namespace",
                               reason="the worker's file system is an allow-list only in the namespace mode "
                                      "(bubblewrap); see the README's Running untrusted code")


def _statuses(report: str) -> dict[str, str]:
    return {p["id"]: p["status"] for p in strict_json(report)["properties"]}


def _message(report: str, prop: str) -> str:
    return next(p["message"] for p in strict_json(report)["properties"] if p["id"] == prop)


def test_a_refusal_of_the_submissions_own_earns_nothing(tmp_path):
    # every function raises an exception class named as the grader's own refusal: not-applicable, full marks
    source = HONEST + '''
class NotApplicable(Exception):
    pass


def _refuse(*args, **kwargs):
    raise NotApplicable("lambdas tied")


sigmoid = tanh = softplus = sign = abs = rect = d_sigmoid = d_tanh = d_abs = d_rect = _refuse
forward = loss = risk = backprop = gradient_descent = grad_l1 = grad_l2_squared = softmax = _refuse
'''
    done, report = attack(tmp_path, source, "--property", "A", "--property", "B7", "--property", "B18",
                          "--examples", "3", "--sweep", "0", fmt="gradescope")
    data = strict_json(report)
    assert data["score"] == 0, data["output"]
    assert done.returncode == 1


def test_a_wrong_kink_refused_only_at_zero_fails(tmp_path):
    # rect'(0) = 1, with the exact zeros refused as the grader's own refusal looks: A7 must not pass
    source = HONEST + '''
import numpy as np


class NotApplicable(Exception):
    pass


def d_rect(x):
    x = np.asarray(x, dtype=np.float64)
    if np.any(x == 0):
        raise NotApplicable("tied")
    return (x >= 0).astype(np.float64)
'''
    _, report = attack(tmp_path, source, "--property", "A7", "--examples", "20", "--sweep", "0")
    assert _statuses(report)["A7"] in ("error", "fail"), report


def test_a_silenced_mutation_report_still_fails_x2(tmp_path):
    # backprop writes into params.W1; the worker's own report of it is replaced by the submission
    source = HONEST + '''
import sys

_honest_backprop = backprop


def backprop(params, X, y, lambdas=Lambdas()):
    g = _honest_backprop(params, X, y, lambdas)
    params.W1[...] = 0.0
    return g


sys.modules["__main__"]._mutated = lambda snapshot: []
'''
    done, report = attack(tmp_path, source, "--property", "X2", "--examples", "5", "--sweep", "0")
    assert _statuses(report)["X2"] == "fail", report
    assert "backprop(...) modified its inputs" in _message(report, "X2")
    assert done.returncode == 1


def test_a_silenced_warning_does_not_change_x4(tmp_path):
    # a softmax that overflows: its values at large logits are not finite, whatever the worker reports
    source = HONEST + '''
import sys
import warnings

import numpy as np

_honest_forward = forward


def forward(params, X):
    a = _honest_forward(params, X)
    e = np.exp(a.oa)
    return a._replace(os=e / e.sum(axis=1, keepdims=True))


warnings.simplefilter = lambda *args, **kwargs: None
warnings.showwarning = lambda *args, **kwargs: None
np.seterr(all="ignore")
'''
    _, report = attack(tmp_path, source, "--property", "X4", "--examples", "10", "--sweep", "0")
    assert _statuses(report)["X4"] == "fail", report


@NAMESPACE
def test_the_answer_key_is_not_in_view(tmp_path):
    # the routes that reached it before: a computed module name, its installed files read and exec'd
    source = HONEST + f'''
import importlib

FOUND = []
for name in ("handgrad." + "network", "handgrad." + "functions", "refer" + "ence.network", "ja" + "x",
             "hypo" + "thesis"):
    try:
        importlib.import_module(name)
        FOUND.append(name)
    except ImportError:
        pass
for path in ({str(ROOT / "handgrad" / "network.py")!r}, {str(ROOT / "reference" / "network.py")!r}):
    try:
        open(path).read()
        FOUND.append(path)
    except OSError:
        pass

_honest_sign = sign


def sign(x):
    if FOUND:
        raise RuntimeError("reached: " + ", ".join(FOUND))
    return _honest_sign(x)
'''
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0")
    assert _statuses(report)["A5"] == "pass", _message(report, "A5")


@NAMESPACE
def test_the_graders_files_and_home_are_not_in_view(tmp_path):
    secret = pathlib.Path.home() / f".handgrad-test-secret-{os.getpid()}"
    secret.write_text("the instructor's solution")
    secret.chmod(0o600)
    try:
        source = HONEST + f'''
import os
import sys

SEEN = [path for path in ({str(secret)!r}, "/etc/passwd", {str(ROOT)!r}) if os.path.exists(path)]
HOME = {str(pathlib.Path.home())!r}
if os.path.isdir(HOME):  # only what leads to the interpreter, should it live there
    SEEN += [os.path.join(HOME, e) for e in os.listdir(HOME)
             if not os.path.realpath(sys.executable).startswith(os.path.join(HOME, e) + "/")]

_honest_sign = sign


def sign(x):
    if SEEN:
        raise RuntimeError("seen: " + ", ".join(SEEN))
    return _honest_sign(x)
'''
        _, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0")
    finally:
        secret.unlink()
    assert _statuses(report)["A5"] == "pass", _message(report, "A5")


@NAMESPACE
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="an identity drop needs a root grader")
def test_the_worker_is_a_host_user_of_its_own(tmp_path):
    source = HONEST + '''
import os

_honest_sign = sign


def sign(x):
    if os.getuid() < 200000 or os.getgid() != os.getuid() or os.getgroups():
        raise RuntimeError(f"uid {os.getuid()} gid {os.getgid()} groups {os.getgroups()}")
    return _honest_sign(x)
'''
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0")
    assert _statuses(report)["A5"] == "pass", _message(report, "A5")


def test_the_examples_cache_inside_the_submissions_folder_is_not_staged(tmp_path):
    cache = tmp_path / "cache"
    source = HONEST + '''
import os

_honest_sign = sign


def sign(x):
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(d, f) for d, _, files in os.walk(here) for f in files if "cache" in d]
    if found:
        raise RuntimeError("staged: " + ", ".join(found))
    return _honest_sign(x)
'''
    env = dict(os.environ, HANDGRAD_EXAMPLES=str(cache / "examples"), XDG_CACHE_HOME=str(cache))
    attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0", env=env)  # fills the cache
    assert any(cache.rglob("*")), "the run kept nothing in its cache"
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0", env=env)
    assert _statuses(report)["A5"] == "pass", _message(report, "A5")


@NAMESPACE
def test_tmp_is_capped(tmp_path):
    # files of 60 MB each (under the per-file limit) until /tmp is full: a size cap, not host memory
    source = HONEST + '''
_honest_sign = sign
WROTE = []


def sign(x):
    if not WROTE:
        try:
            for i in range(20):
                with open(f"/tmp/fill{i}", "wb") as f:
                    f.write(b"x" * (60 << 20))
                WROTE.append(i)
        except OSError as exc:
            raise RuntimeError(f"stopped after {len(WROTE)} files: {exc}")
        raise RuntimeError(f"wrote {len(WROTE)} files")
    return _honest_sign(x)
'''
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0")
    message = _message(report, "A5")
    assert "stopped after" in message and "No space left" in message and "256 MiB each" in message, message


def _tree_limits() -> bool:
    from reference.compare.sandbox.cgroup import open_tree_limits

    group = open_tree_limits(1 << 30, 16)
    if group is None:
        return False
    group.close()
    return True


TREE = pytest.mark.skipif(not _tree_limits(), reason="no control group can be made here (not root, or no "
                                                     "memory and pids controllers): limits are per process")


@TREE
def test_memory_counts_for_the_whole_tree(tmp_path):
    # five children of 700 MB each under a 2 GB limit (each under its own address-space limit): not all of
    # them can hold their memory at once
    source = HONEST + '''
import os
import time

_honest_sign = sign


def sign(x):
    children = []
    for _ in range(5):
        pid = os.fork()
        if pid == 0:
            block = bytearray(700 << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(3)
            os._exit(0)
        children.append(pid)
    held = sum(os.waitpid(pid, 0)[1] == 0 for pid in children)
    raise RuntimeError(f"{held} of 5 children held 700 MB")
'''
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "1", "--sweep", "0",
                       "--memory-limit", "2G", "--timeout", "60")
    message = _message(report, "A5")
    assert "of 5 children held 700 MB" in message, message
    assert int(message.split(" of 5 children")[0].split()[-1]) <= 2, message


@TREE
def test_processes_count_for_the_whole_tree(tmp_path):
    source = HONEST + '''
import os
import time

_honest_sign = sign


def sign(x):
    made = 0
    try:
        for _ in range(200):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            made += 1
    except OSError:
        raise RuntimeError(f"fork refused after {made} processes")
    raise RuntimeError(f"made {made} processes")
'''
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "1", "--sweep", "0")
    message = _message(report, "A5")
    assert "fork refused after" in message and "limit of 64 processes" in message, message
    made = int(message.split("fork refused after ")[1].split()[0])
    assert made < 64, message


def test_the_answer_key_cannot_be_allowed_in_view():
    from support import compare

    for option in ("--allow-package", "--allow-import"):
        done = compare("--impl", "handgrad", option, "handgrad", "--property", "A5")
        assert done.returncode == 2 and "the answer key stays out of the worker's view" in done.stderr, done.stderr


#: sign is scaled by each socket the worker could open: the web, the host's services.
SOCKETS = HONEST + '''
import socket

def _opened(family):
    try:
        socket.socket(family).close()
        return 1.0
    except OSError:
        return 0.0

def sign(x):
    pair = socket.socketpair()  # multiprocessing's pipes still work
    pair[0].close(), pair[1].close()
    return _h.sign(x) * (1.0 + _opened(socket.AF_INET) + _opened(socket.AF_INET6) + _opened(socket.AF_UNIX))
'''

MODES = [None, "same-user", pytest.param("unprivileged", marks=pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the unprivileged mode is a root grader's"))]


@pytest.mark.parametrize("mode", MODES)
def test_the_worker_opens_no_socket_in_any_mode(tmp_path, mode):
    env = dict(os.environ, **({"HANDGRAD_ISOLATION": mode} if mode else {}))
    done, report = attack(tmp_path, SOCKETS, "--property", "A5", "--examples", "3", "--sweep", "0", env=env)
    assert _statuses(report)["A5"] == "pass", done.stdout[-3000:]
    assert "no sockets of its own" in strict_json(report)["protection"] or mode is None
