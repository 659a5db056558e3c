"""Limits for a submission's whole process tree: a control group of its own, where the machine offers one.

``RLIMIT_AS`` and ``RLIMIT_NPROC`` count per process and per user: five forked
children may each hold the whole memory limit. A control group counts the
tree: memory (private ``/tmp`` included, a tmpfs being memory) and processes.
The grader makes one per submission under its own group, when it may write
there (as root, as in an autograder's container): cgroup v1's ``memory`` and
``pids`` hierarchies, or cgroup v2 where both controllers are delegated to its
group. The worker's first process joins it before anything of the submission's
runs (:meth:`TreeLimits.prefix`); whatever it starts is counted with it.

Where neither is possible, :func:`open_tree_limits` returns None and the limits
are per process (the report's header says so).
"""

from __future__ import annotations

import itertools
import os
import pathlib
import signal
import time

__all__ = ["TreeLimits", "open_tree_limits", "ROOT"]

ROOT = pathlib.Path("/sys/fs/cgroup")
_COUNT = itertools.count()
#: The worker's first words: join each group named before ``--``, then run the rest.
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'


def _own_groups() -> dict[str, str]:
    """This process's group per controller (``""`` for cgroup v2's unified one), from /proc/self/cgroup."""
    out = {}
    try:
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


def _write(path: pathlib.Path, value: str) -> None:
    path.write_text(value)


class TreeLimits:
    """A control group (one or two folders) holding a submission's processes: memory and process count."""

    def __init__(self, folders: dict[str, pathlib.Path], memory: int, processes: int) -> None:
        self.folders, self.memory, self.processes = folders, memory, processes

    def prefix(self) -> list[str]:
        """The words that start the worker inside the group (a shell that joins it, then execs the rest)."""
        procs = [str(f / "cgroup.procs") for f in self.folders.values()]
        return ["/bin/sh", "-c", _JOIN, "sh", *procs, "--"]

    def oom_kills(self) -> int:
        """How many of the group's processes the kernel killed for its memory limit so far."""
        return self._count(("memory.oom_control", "memory.events"), "oom_kill")

    def process_refusals(self) -> int:
        """How many times a process of the group was refused a new process or thread for the limit."""
        return self._count(("pids.events",), "max")

    def _count(self, files: tuple[str, ...], key: str) -> int:
        """The count ``key`` of the first of ``files`` (lines "key count") a folder of the group holds; 0."""
        for folder in self.folders.values():
            for name in files:
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    word, _, count = line.partition(" ")
                    if word == key and count.strip().isdigit():
                        return int(count)
        return 0

    def tasks(self) -> list[int] | None:
        """The ids of the group's threads now (every task: a thread may hold a descriptor table of its own), or
        None when the group cannot be read."""
        for folder in self.folders.values():
            for name in ("cgroup.threads", "tasks"):
                try:
                    return [int(t) for t in (folder / name).read_text().split()]
                except (OSError, ValueError):
                    continue
        return None

    def kill(self) -> None:
        """Kill every process still in the group."""
        for folder in self.folders.values():
            try:
                pids = (folder / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, PermissionError, ValueError):
                    pass

    def close(self) -> None:
        """Kill what is left and remove the group."""
        self.kill()
        for folder in self.folders.values():
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still leaving
                    time.sleep(0.01)


def _v1(groups: dict[str, str], name: str, memory: int, processes: int) -> dict[str, pathlib.Path] | None:
    if not all(c in groups and (ROOT / c).is_dir() for c in ("memory", "pids")):
        return None
    made: dict[str, pathlib.Path] = {}
    try:
        for c in ("memory", "pids"):
            folder = ROOT / c / groups[c].lstrip("/") / name
            folder.mkdir()
            made[c] = folder
        _write(made["memory"] / "memory.limit_in_bytes", str(memory))
        if (made["memory"] / "memory.memsw.limit_in_bytes").exists():
            _write(made["memory"] / "memory.memsw.limit_in_bytes", str(memory))  # no way round it through swap
        _write(made["pids"] / "pids.max", str(processes))
    except OSError:
        for folder in made.values():
            try:
                folder.rmdir()
            except OSError:
                pass
        return None
    return made


def _v2(groups: dict[str, str], name: str, memory: int, processes: int) -> dict[str, pathlib.Path] | None:
    if "" not in groups or not (ROOT / "cgroup.controllers").exists():
        return None
    parent = ROOT / groups[""].lstrip("/")
    try:
        delegated = (parent / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    if not {"memory", "pids"} <= set(delegated):
        return None
    folder = parent / name
    try:
        folder.mkdir()
        _write(folder / "memory.max", str(memory))
        _write(folder / "memory.swap.max", "0")
        _write(folder / "pids.max", str(processes))
    except OSError:
        try:
            folder.rmdir()
        except OSError:
            pass
        return None
    return {"": folder}


def open_tree_limits(memory: int, processes: int) -> TreeLimits | None:
    """A fresh control group with these limits, or None where this process may not make one."""
    if os.environ.get("HANDGRAD_TREE_LIMITS") == "off":  # to compare with the per-process limits
        return None
    groups = _own_groups()
    name = f"handgrad-{os.getpid()}-{next(_COUNT)}"
    folders = _v1(groups, name, memory, processes) or _v2(groups, name, memory, processes)
    return TreeLimits(folders, memory, processes) if folders else None
