"""How the worker is contained: its own namespaces where the machine allows, limits and a clean slate always.

Two modes, chosen once per run by :func:`probe`:

- ``namespace`` (bubblewrap, ``bwrap``, works here): the worker runs in new
  user, PID, mount, network, IPC and UTS namespaces as an unprivileged user
  (uid 65534 inside), on a read-only view of the file system with a private
  ``/tmp`` and one writable folder of its own, no network, no capabilities.
  It cannot see, signal or trace the grader, write the grader's installation,
  caches or report, or outlive it: ``--die-with-parent`` and the PID namespace
  kill every process it started, double forks included, whatever ends the grader.
- ``unprivileged`` (no working bubblewrap, the grader runs as root, as in a
  container): the worker runs as uid/gid 65534 (nobody), without groups or
  capabilities. It cannot write what root owns (the grader's installation, its
  caches, the report, Gradescope's ``results/``), read root's private files, or
  signal the grader; it still shares the file system's world-readable parts,
  the network and the process table. Otherwise as ``same-user``.
- ``same-user`` (no bubblewrap): the worker runs as the grader's user. It still
  gets a fresh folder as working directory, a scrubbed environment, Python in
  isolated mode, its own session, and the limits below, and its process group
  is killed at the end; but it can read the grader's ``/proc``, signal it,
  write what the grader's user may write, and a process that leaves its
  session survives. Reports say which mode ran.

Limits in both modes (set by util-linux's ``prlimit`` before the worker starts,
or ``resource.setrlimit`` where it is missing): address space (``memory``
bytes), file size, CPU seconds, open files, no core dumps; the worker is also
killed if the grader dies (``PR_SET_PDEATHSIG``, by ``setpriv``).
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass

__all__ = ["Limits", "probe", "command", "environment", "preexec", "MODES"]

MODES = ("namespace", "unprivileged", "same-user")
#: The user and group an ``unprivileged`` worker runs as.
NOBODY = 65534
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What the worker may use."""

    memory: int = 4 << 30        # bytes of address space
    file_size: int = 64 << 20    # bytes in any one file it writes
    cpu_seconds: int = 3600      # CPU time over its life (a hang is caught by the per-call timeout first)
    open_files: int = 256


def _tree() -> str:
    """The folder this package was imported from (a checkout or site-packages)."""
    import reference

    return os.path.dirname(os.path.dirname(os.path.realpath(reference.__file__)))


def _needed() -> set[str]:
    """The folders the worker needs to run: the interpreter's and this package's."""
    places = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)), _tree()}
    return {os.path.realpath(p) for p in places}


def _needed_under_tmp() -> list[str]:
    """Folders under /tmp the worker needs to run (an interpreter or this package installed there, as in a
    CI clone): seen again, read-only, through the worker's private /tmp."""
    return sorted(p for p in _needed() if p == "/tmp" or p.startswith("/tmp/"))


def _private_temp() -> list[str]:
    """A tmpfs over the temporary folder when it is not /tmp (``$TMPDIR``): other workers' folders live there."""
    temp = os.path.realpath(tempfile.gettempdir())
    if temp in ("/", "/tmp") or temp.startswith("/tmp/") or not os.path.isdir(temp) \
            or any(p == temp or p.startswith(temp + os.sep) for p in _needed()):
        return []
    return ["--tmpfs", temp]


def _bwrap_flags(workdir: str, hide: tuple[str, ...]) -> list[str]:
    flags = ["--die-with-parent", "--unshare-all", "--new-session", "--cap-drop", "ALL",
             "--unshare-user", "--uid", "65534", "--gid", "65534",
             "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in _needed_under_tmp():
        flags += ["--ro-bind", path, path]
    flags += _private_temp()
    for path in hide:  # folders the worker must not read (other submissions, the report's folder)
        if os.path.isdir(path) and not workdir.startswith(os.path.abspath(path) + os.sep):
            flags += ["--tmpfs", os.path.abspath(path)]
    return flags + ["--bind", workdir, workdir, "--chdir", workdir]


def _starts(prefix: list[str]) -> bool:
    """Whether the worker's own start (this interpreter, NumPy, this package) succeeds behind ``prefix``."""
    check = (f"import sys; sys.path.insert(1, {_tree()!r}); "
             "import numpy, handgrad.types, reference.compare.sandbox.wire")
    try:
        done = subprocess.run([*prefix, sys.executable, "-I", "-c", check], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30, cwd="/")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _drop() -> list[str] | None:
    """setpriv's words that run the worker as nobody, when the grader is root and setpriv is there."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@functools.lru_cache(maxsize=None)
def probe() -> str:
    """``namespace`` if bubblewrap can start a contained Python here; else ``unprivileged`` if the grader is root
    and a worker starts as nobody; else ``same-user``.

    ``HANDGRAD_ISOLATION=unprivileged`` or ``=same-user`` forces a weaker mode (for comparison; never needed).
    """
    forced = os.environ.get("HANDGRAD_ISOLATION")
    bwrap = shutil.which("bwrap")
    if forced not in ("same-user", "unprivileged") and bwrap is not None \
            and _starts([bwrap, *_bwrap_flags(os.path.realpath(os.getcwd()), ())]):
        return "namespace"
    drop = _drop()
    if forced != "same-user" and drop is not None and _starts(drop):
        return "unprivileged"
    return "same-user"


def _limiter(limits: Limits) -> list[str] | None:
    """util-linux's setpriv and prlimit as a prefix that sets the limits and death with the grader, or None."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if not (setpriv and prlimit):
        return None
    return [setpriv, "--pdeathsig", "KILL", prlimit, f"--as={limits.memory}", f"--fsize={limits.file_size}",
            f"--cpu={limits.cpu_seconds}", f"--nofile={limits.open_files}", "--core=0", "--"]


def command(argv: list[str], *, workdir: str, mode: str, limits: Limits,
            hide: tuple[str, ...] = ()) -> tuple[list[str], object]:
    """The command line that starts ``argv`` (a Python worker) contained in ``mode``, and its ``preexec_fn``.

    The limits are set by a prefix of util-linux commands where they exist, so
    that the grader (a multithreaded process: JAX) need not run Python between
    fork and exec; else by ``preexec_fn``.
    """
    contained = [shutil.which("bwrap") or "bwrap", *_bwrap_flags(workdir, hide), *argv] \
        if mode == "namespace" else list(argv)
    if mode == "unprivileged":
        contained = (_drop() or []) + contained  # probe() found it there
    prefix = _limiter(limits)
    return (prefix + contained, None) if prefix else (contained, preexec(limits))


def environment(workdir: str) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's but what Python and NumPy need to run the same.

    NumPy's BLAS runs one thread: a submission's products are small, and the
    threads of a pool (which spin while they wait for work) would only take
    processor time from the grader and from the other submissions of a batch.
    """
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # NumPy's kernels as in the grader (not secrets)
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def preexec(limits: Limits):
    """The function the child runs before it starts: limits, and death with the grader."""
    def limit() -> None:
        for what, value in ((resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_FSIZE, limits.file_size),
                            (resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0)):
            soft, hard = resource.getrlimit(what)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(what, (value, value))
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: the process group is still killed at the end
            pass
    return limit
