"""IPC: a worker without an IPC namespace of its own (the ``unprivileged`` jail) shared the host's, where it could
read the host's shared memory segments and leave its own behind, filled, after the run (round 3, attacks 10 and
11), and read and leave POSIX message queues, which need no file (round 4, attack 14). The worker's seccomp filter
refuses every System V IPC call, the message queues' and the keyrings', in every mode."""

import ctypes
import json
import os
import shutil
import subprocess
import sys

import pytest

from support import HONEST, attack

#: What sign tries before it answers: make a segment (and a message queue, a semaphore set), and list and read
#: the host's segments. Anything it reached is raised, so A5 passes only when it reached nothing.
PROBING = HONEST + '''
import ctypes, os

def reached():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    found = []
    sid = libc.shmget(KEY, 1 << 20, 0o1000 | 0o666)  # IPC_CREAT
    if sid >= 0:
        found.append(f"made segment {sid}")
    if libc.msgget(KEY, 0o1000 | 0o600) >= 0:
        found.append("made a message queue")
    if libc.semget(KEY, 1, 0o1000 | 0o600) >= 0:
        found.append("made a semaphore set")
    queue = libc.mq_open(b"/handgrad-probe", 0o100 | 0o2, 0o600, None)  # O_CREAT | O_RDWR: needs no file
    if queue >= 0:
        found.append("made a POSIX message queue")
        libc.mq_unlink(b"/handgrad-probe")
    if os.uname().machine == "x86_64" and libc.syscall(248, b"user", b"handgrad-probe", b"x", 1, -2) >= 0:
        found.append("added a key to a keyring")  # add_key into the process keyring (KEY_SPEC_PROCESS_KEYRING)
    import socket, tempfile
    a, b = socket.socketpair()
    with tempfile.TemporaryFile() as held:
        try:  # a descriptor in flight on a socket is in no process's /proc: it escaped the disk measure
            socket.send_fds(a, [b"x"], [held.fileno()])
            found.append("sent a file descriptor on a socket")
        except PermissionError:
            pass
    buf = ctypes.create_string_buffer(256)
    for index in range(256):
        host = libc.shmctl(index, 13, buf)  # SHM_STAT: lists every segment, needs no permission
        if host < 0:
            continue
        addr = libc.shmat(host, None, 0o10000)  # SHM_RDONLY
        found.append(f"host segment {host}: " + (ctypes.string_at(addr, 40).decode("latin-1")
                                                 if addr not in (None, ctypes.c_void_p(-1).value) else "listed"))
    return found

def sign(x):
    found = reached()
    if found:
        raise RuntimeError("; ".join(found))
    return _h.sign(x)
'''

SECRET = b"HOST-SEGMENT-SECRET-3141"


def _modes() -> list[str]:
    modes = ["default"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv"):
        code = "from reference.compare.sandbox import isolation; print(isolation.probe())"
        env = dict(os.environ, HANDGRAD_ISOLATION="unprivileged")
        if subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() \
                == "unprivileged":
            modes.append("unprivileged")
    return modes


@pytest.fixture
def host_segment():
    """A segment of the host's, readable by anyone (as a database or an X server may leave), holding SECRET."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    sid = libc.shmget(0, 4096, 0o1000 | 0o644)  # IPC_PRIVATE
    if sid < 0:
        pytest.skip(f"this host makes no System V segment (errno {ctypes.get_errno()})")
    addr = libc.shmat(sid, None, 0)
    ctypes.memmove(addr, SECRET, len(SECRET))
    libc.shmdt(ctypes.c_void_p(addr))
    try:
        yield sid
    finally:
        libc.shmctl(sid, 0, None)  # IPC_RMID


def _host_keys() -> set[int]:
    """The keys of the host's segments, queues and semaphore sets (as this namespace sees them)."""
    keys = set()
    for kind in ("shm", "msg", "sem"):
        try:
            lines = open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]
        except OSError:
            continue
        keys.update(int(line.split()[0]) for line in lines if line.split())
    return keys


def _remove(key: int) -> None:
    """Remove what a worker left under ``key`` on the host (the code before the filter left all three)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for get, control, args in ((libc.shmget, libc.shmctl, (0, 0)), (libc.msgget, libc.msgctl, (0,)),
                               (libc.semget, libc.semctl, (0, 0))):
        ident = get(key, *args)
        if ident >= 0:
            if control is libc.semctl:
                control(ident, 0, 0)  # IPC_RMID
            else:
                control(ident, 0, None)


@pytest.mark.parametrize("mode", _modes())
def test_a_worker_makes_no_system_v_object_and_reads_none_of_the_host(tmp_path, host_segment, mode):
    key = 0x68670000 + os.getpid() % 0xFFFF
    env = dict(os.environ, HANDGRAD_ISOLATION="unprivileged") if mode == "unprivileged" else None
    source = PROBING.replace("KEY", str(key))
    try:
        done, report = attack(tmp_path, source, "--property", "A5", "--examples", "3", "--sweep", "0", env=env)
        left = key in _host_keys()
    finally:
        _remove(key)
    data = json.loads(report)
    if mode == "unprivileged":
        assert data["isolation"] == "unprivileged", data["protection"]
    # A5 passes: every call refused, no host segment listed or read (the error would say what was reached)
    assert data["questions"]["A5"] == "pass", (data["properties"][0]["message"][:500], data["protection"])
    assert SECRET.decode() not in report
    assert not left  # nothing left behind on the host
    assert "no System V IPC" in data["protection"] or data["isolation"] == "namespace"
