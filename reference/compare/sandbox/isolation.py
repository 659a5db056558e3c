"""How the worker is contained: its own namespaces and file system where the machine allows, limits always.

Three modes, chosen once per run by :func:`probe`:

- ``namespace`` (bubblewrap, ``bwrap``): the worker runs in new PID, mount,
  network, IPC and UTS namespaces, no network, no capabilities, on a file
  system built from an allow-list (:mod:`.view`): the interpreter and its
  standard library, NumPy, the allowed packages, the worker's own modules,
  its own folder and a private ``/tmp``, both sized tmpfs (``Limits.disk``).
  The answer key, JAX, the grader's caches and the rest of the host are not
  there to be read. When the grader is root (an autograder's container) the
  worker runs as a host user of its own (:func:`fresh_uid`: no groups, no
  capabilities), dropped before anything of the submission's runs; otherwise
  nobody in a user namespace, still the grader's user on the host. ``--die-with-parent`` and the
  PID namespace end every process it started, whatever ends the grader.
  A module name (``--impl handgrad``: installed code the caller trusts) is
  imported with the whole file system in view, read-only.
- ``unprivileged`` (no working bubblewrap, the grader is root: a container's
  default): a submission's worker runs in a chroot jail, the same allow-list as
  a folder of its own (:func:`.view.jail`: no ``/proc``, no other file of the
  host), as a host user of its own without groups or capabilities; it shares
  the host's network namespace, where it may open no socket. Its folder is on
  disk, measured by the grader with the files its processes unlinked but keep
  open (``Limits.disk``: :mod:`.folders`). Without chroot it sees the file system's
  world-readable parts and the process table.
- ``same-user`` (no bubblewrap): the worker runs as the grader's user: a fresh
  folder, a scrubbed environment, Python in isolated mode, its own session,
  the limits below; it can read what the grader's user can. Reports say which
  mode ran and what it protects (:func:`protection`).

In every mode the worker opens no socket of its own and makes no System V IPC, message queue or key
call (shared memory, messages, semaphores: :mod:`.syscall_filter`, a seccomp
filter set before the submission's first line), so a worker sharing the host's
IPC namespace neither reads the host's segments nor leaves its own behind.

Limits: address space (``memory`` bytes), file size, CPU seconds, open files and
no core dumps per process (util-linux's ``prlimit``, or ``resource.setrlimit``);
memory and processes for the worker's whole tree where a control group can be
made (:mod:`.cgroup`, as root), else ``RLIMIT_NPROC`` per user; the worker is
killed if the grader dies (``PR_SET_PDEATHSIG``, by ``setpriv``).
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from reference.compare.sandbox import cgroup, syscall_filter, view
from reference.compare.sandbox.child import BOOT
from reference.compare.sandbox.interface import TABLE

__all__ = ["Limits", "probe", "protection", "command", "view_of", "environment", "preexec", "MODES"]

MODES = ("namespace", "unprivileged", "same-user")
#: The user and group a worker runs as inside its user namespace (a grader that is not root).
NOBODY = 65534
#: A root grader's workers each run as a host user of their own, from this range (no name, no home, no files).
FIRST_UID, UID_SPAN = 200_000, 100_000
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What the worker may use."""

    memory: int = 4 << 30        # bytes: address space per process, and the whole tree's memory (control group)
    file_size: int = 64 << 20    # bytes in any one file it writes
    cpu_seconds: int = 3600      # CPU time over its life (a hang is caught by the per-call timeout first)
    open_files: int = 256
    processes: int = 64          # processes and threads of its tree (control group; else per user, when its own)
    disk: int = 256 << 20        # bytes its folder and its /tmp may each hold (namespace mode: sized tmpfs)


def _tree() -> str:
    """The folder this package was imported from (a checkout or site-packages)."""
    import reference

    return os.path.dirname(os.path.dirname(os.path.realpath(reference.__file__)))


def _needed() -> set[str]:
    """The folders a trusted module's worker needs to run: the interpreter's and this package's."""
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


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _namespaces(trusted: bool = False) -> list[str]:
    """bubblewrap's namespaces: as root, for a submission, no user namespace (the worker is then dropped to a
    host user of its own, see :func:`_python`); otherwise (a grader that is not root, or an installed module
    the caller trusts) a user namespace, nobody inside, the grader's user outside."""
    flags = ["--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--new-session"]
    if trusted or not _is_root():  # an installed module the caller trusts reads as the grader does
        flags += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL"]
    return flags


def _trusted_view(workdir: str, hide: tuple[str, ...]) -> list[str]:
    """An installed module's view: the whole file system, read-only, but a private /tmp and its folder."""
    flags = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in _needed_under_tmp():
        flags += ["--ro-bind", path, path]
    flags += _private_temp()
    for path in hide:  # folders the worker must not read (other submissions, the report's folder)
        if os.path.isdir(path) and not workdir.startswith(os.path.abspath(path) + os.sep):
            flags += ["--tmpfs", os.path.abspath(path)]
    return flags + ["--bind", workdir, workdir, "--chdir", workdir]


def _allowed_view(workdir: str, allowed: tuple[str, ...], disk: int, memory: int = 4 << 30) -> list[str]:
    """A submission's view (:mod:`.view`): the allow-list, a sized private /tmp, a sized folder of its own
    with its staged copies in it, read-only; ``/proc``'s files of the machine's state as stand-ins that never
    change (:func:`.view.host_state`: a worker of ``memory`` bytes)."""
    words, _ = view.mounts(_tree(), allowed)
    flags = [*words, "--dev", "/dev", "--proc", "/proc", *view.host_state(memory),
             "--size", str(disk), "--perms", "1777", "--tmpfs", "/tmp",
             "--size", str(disk), "--perms", "1777", "--tmpfs", workdir]
    for part in ("submission", "adapter"):
        if os.path.isdir(os.path.join(workdir, part)):
            flags += ["--ro-bind", os.path.join(workdir, part), os.path.join(workdir, part)]
    return flags + ["--chdir", workdir]


def _python(allowed: tuple[str, ...] | None, mode: str, uid: int = NOBODY) -> tuple[list[str], str, str]:
    """The words that start the worker's Python (as ``uid`` where the grader is root, in the
    namespace), the folders for its ``sys.path``, and the path of ``worker_side.py`` as it sees them."""
    worker_file = os.path.join(_tree(), "reference", "compare", "sandbox", "worker_side.py")
    python, root = [sys.executable], _tree()
    if mode == "namespace" and allowed is not None:
        python, (_, root) = [view.interpreter()[0]], view.mounts(_tree(), allowed)
        worker_file = f"{view.WORKER}/reference/compare/sandbox/worker_side.py"
    if mode == "namespace" and allowed is not None and _is_root():
        python = [*_setpriv_drop(uid), *python]
    return python, root, worker_file


def _setpriv_drop(uid: int) -> list[str]:
    """setpriv's words that run the rest as ``uid`` (and gid), without groups or capabilities."""
    return [os.path.realpath(shutil.which("setpriv") or "/usr/bin/setpriv"), f"--reuid={uid}", f"--regid={uid}",
            "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]


_UIDS = itertools.count()


def fresh_uid() -> int:
    """A host user of its own for a worker, when the grader is root: no two workers of a class (nor of two
    grading processes) share one, so none can reach another's folder or processes; else ``NOBODY``."""
    if not _is_root():
        return NOBODY
    return FIRST_UID + (os.getpid() * 97 + next(_UIDS)) % UID_SPAN


def view_of(spec_is_path: bool, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """The packages in a worker's view: ``allowed`` for a submission file, None (the whole file system) for
    a module name, which is installed code the caller trusts."""
    return tuple(allowed) if spec_is_path else None


def _starts(mode: str) -> bool:
    """Whether the worker's own start (the interpreter, NumPy, the worker's modules) succeeds in ``mode``."""
    workdir = tempfile.mkdtemp(prefix="handgrad-probe-")
    os.chmod(workdir, 0o755)
    try:
        done = subprocess.run(_probe_line(mode, workdir), stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              cwd="/")
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return done.returncode == 0


#: The worker's first imports (its folders, NumPy, the API's table, the wire), tried: ``{api}`` is the table's module.
_CHECK = ("import sys; sys.path[1:1] = sys.argv[1].split({sep!r}); "
          "import numpy, {api}, reference.compare.sandbox.wire")


def _probe_line(mode: str, workdir: str) -> list[str]:
    python, root, _ = _python((), mode)
    check = [*python, "-I", "-c", _CHECK.format(sep=os.pathsep, api=TABLE.api.__name__), root]
    if mode == "namespace":
        return [shutil.which("bwrap") or "bwrap", *_namespaces(), *_allowed_view(workdir, (), 1 << 20), *check]
    return [*(_drop() or []), *check]


def _drop(uid: int = NOBODY) -> list[str] | None:
    """:func:`_setpriv_drop`'s words, when the grader is root and setpriv is there (else None)."""
    return _setpriv_drop(uid) if shutil.which("setpriv") is not None and _is_root() else None


@functools.lru_cache(maxsize=None)
def nobody_reads() -> bool:
    """Whether a worker dropped to a host user of its own starts outside a jail (it can read this Python
    installation: a virtual environment in a root-only folder cannot be)."""
    return _starts("unprivileged")


@functools.lru_cache(maxsize=None)
def probe() -> str:
    """``namespace`` if bubblewrap can start a contained Python here; else ``unprivileged`` if the grader is root
    and a worker starts as nobody; else ``same-user``.

    ``HANDGRAD_ISOLATION=unprivileged`` or ``=same-user`` forces a weaker mode (for comparison; never needed).
    """
    forced = os.environ.get("HANDGRAD_ISOLATION")
    # tried three times: a start that times out on a loaded machine is no reason to contain the worker less
    if forced not in ("same-user", "unprivileged") and shutil.which("bwrap") is not None \
            and any(_starts("namespace") for _ in range(3)):
        return "namespace"
    if forced != "same-user" and _drop() is not None and (jailed() or nobody_reads()):
        return "unprivileged"
    return "same-user"


def protection(mode: str, *, trusted: bool, tree: bool, processes: int = Limits.processes) -> str:
    """What the worker is kept from in ``mode`` (the report's header), in a few words."""
    seen = ("the whole file system, read-only (an installed module: trusted)" if trusted else
            "only Python, NumPy, the allowed packages and its own folder")
    who = "a host user of its own" if _is_root() and not trusted else "the grader's user (in a user namespace)"
    limits = "memory and processes per submission" if tree else "memory per process"
    if not tree and mode in ("namespace", "same-user") and not _is_root() and user_tasks() is not None:
        limits += f"; processes: its user's count at its start plus {processes} at most"
    net = ("no sockets of its own, no System V IPC" if syscall_filter.supported()
           else "shares the network and the System V IPC")
    return {"namespace": f"sees {seen}; runs as {who}; {limits}",
            "unprivileged": (f"sees only Python, NumPy, the allowed packages and its own folder (a chroot jail); runs "
                             f"as a host user of its own; {net}; {limits}" if not trusted and jailed()
                             else f"runs as a host user of its own but sees the whole file system; {net}; {limits}"),
            "same-user": f"runs as the grader's user and sees what it can; {net}; {limits}"}.get(mode, "")


def user_tasks(uid: int | None = None) -> int | None:
    """Processes and threads of the user ``uid`` (the grader's real user) now, what ``RLIMIT_NPROC`` counts; None
    when /proc cannot tell."""
    uid = os.getuid() if uid is None else uid
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    count = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                fields = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
            if int(fields[b"Uid"].split()[0]) == uid:
                count += int(fields[b"Threads"])
        except (OSError, KeyError, ValueError, IndexError):  # gone meanwhile, or not this form
            continue
    return count or None


def _nproc(limits: Limits, mode: str, own_user: bool) -> int | None:
    """The worker's ``RLIMIT_NPROC`` without a control group: ``Limits.processes`` for a host user of its own;
    for a worker counted with the grader's user (a grader that is not root: namespace or same-user), that
    user's processes and threads now plus ``Limits.processes`` (the limit counts every task of the user: a
    fork bomb stops there, the grader's user keeps the rest of its own limit for the next workers)."""
    if own_user:
        return limits.processes
    if mode in ("namespace", "same-user") and not _is_root():
        now = user_tasks()
        return None if now is None else now + limits.processes
    return None


def _limiter(limits: Limits, nproc: int | None) -> list[str] | None:
    """util-linux's setpriv and prlimit as a prefix that sets the limits and death with the grader, or None."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if not (setpriv and prlimit):
        return None
    return [setpriv, "--pdeathsig", "KILL", prlimit, f"--as={limits.memory}", f"--fsize={limits.file_size}",
            f"--cpu={limits.cpu_seconds}", f"--nofile={limits.open_files}", "--core=0",
            *([f"--nproc={nproc}"] if nproc is not None else []), "--"]


def command(tail: list[str], *, workdir: str, mode: str, limits: Limits, allowed: tuple[str, ...] | None = None,
            group: cgroup.TreeLimits | None = None, hide: tuple[str, ...] = (),
            uid: int = NOBODY) -> tuple[list[str], object]:
    """The command line that starts the worker (``worker_side.py`` with ``tail``) contained in ``mode``, and its
    ``preexec_fn``.

    ``allowed``: the packages in a submission's view (None: a trusted module,
    the whole file system). ``group``: the control group its tree joins first.
    The limits are set by a prefix of util-linux commands where they exist, so
    that the grader (a multithreaded process: JAX) need not run Python between
    fork and exec; else by ``preexec_fn``.
    """
    python, root, worker_file = _python(allowed, mode, uid)
    argv = [*python, "-I", "-c", BOOT, root, worker_file, *tail]
    if mode == "namespace":
        shown = (_trusted_view(workdir, hide) if allowed is None
                 else _allowed_view(workdir, allowed, limits.disk, limits.memory))
        contained = [shutil.which("bwrap") or "bwrap", *_namespaces(trusted=allowed is None), *shown, *argv]
    elif jail_of(mode, allowed) is not None:
        python, root = _jail_line(workdir, allowed, uid)
        contained = [*python, "-I", "-c", BOOT, root, f"{view.WORKER}/reference/compare/sandbox/worker_side.py", *tail]
    else:  # unprivileged without a jail: a trusted module (as root where a dropped user cannot read it), same-user
        dropped = mode == "unprivileged" and (allowed is not None or nobody_reads())
        contained = ((_drop(uid) or []) if dropped else []) + argv
    own_user = mode == "unprivileged" or (mode == "namespace" and _is_root())
    nproc = _nproc(limits, mode, own_user) if group is None else None
    prefix = _limiter(limits, nproc)
    start = group.prefix() if group is not None else []
    if prefix:
        return start + prefix + contained, None
    return start + contained, preexec(limits, nproc)


def _chroot() -> str:
    return shutil.which("chroot") or "/usr/sbin/chroot"


def _jail_line(workdir: str, allowed: tuple[str, ...], uid: int) -> tuple[list[str], str]:
    """The words that start the view's interpreter in the jail, in ``workdir``, as ``uid``; the folders for its
    ``sys.path``."""
    home, env = view.jail(_tree(), allowed), os.path.realpath(shutil.which("env") or "/usr/bin/env")
    _, root = view.mounts(_tree(), allowed)
    return [_chroot(), home, env, "-C", seen_as(workdir, home), *_setpriv_drop(uid), view.interpreter()[0]], root


@functools.lru_cache(maxsize=None)
def jailed() -> bool:
    """Whether a submission's worker starts in a jail (:func:`.view.jail`) here: a root grader with coreutils'
    chroot and util-linux's setpriv, allowed to use them (a container's default capabilities allow it)."""
    if not _is_root() or shutil.which("setpriv") is None or not os.path.exists(_chroot()):
        return False
    workdir = None
    try:
        workdir = tempfile.mkdtemp(prefix="handgrad-probe-", dir=os.path.join(view.jail(_tree(), ()), "tmp"))
        python, root = _jail_line(workdir, (), NOBODY)
        line = [*python, "-I", "-c", _CHECK.format(sep=os.pathsep, api=TABLE.api.__name__), root]
        return subprocess.run(line, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                              cwd="/").returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def new_workdir(mode: str, allowed: tuple[str, ...] | None) -> str:
    """A fresh folder (0700) for a worker: in the jail's ``tmp`` for a submission in the unprivileged mode, else
    in the temporary folder."""
    if mode == "unprivileged" and allowed is not None and jailed():
        return tempfile.mkdtemp(prefix="handgrad-worker-", dir=os.path.join(view.jail(_tree(), allowed), "tmp"))
    return tempfile.mkdtemp(prefix="handgrad-worker-")


def seen_as(path: str, home: str | None) -> str:
    """``path`` as the worker sees it: inside the jail ``home``, without ``home``; else as it is."""
    if home is None:
        return path
    return "/" + os.path.relpath(path, home)


def jail_of(mode: str, allowed: tuple[str, ...] | None) -> str | None:
    """The jail a worker in ``mode`` with ``allowed`` runs in, or None."""
    return view.jail(_tree(), allowed) if mode == "unprivileged" and allowed is not None and jailed() else None


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


def preexec(limits: Limits, nproc: int | None = None):
    """The function the child runs before it starts: limits, and death with the grader."""
    def limit() -> None:
        for what, value in ((resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_FSIZE, limits.file_size),
                            (resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0),
                            *([(resource.RLIMIT_NPROC, nproc)] if nproc is not None else [])):
            soft, hard = resource.getrlimit(what)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(what, (value, value))
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: the process group is still killed at the end
            pass
    return limit
