"""A worker's folder on the grader's disk, measured and removed without recursion, whatever its depth.

In the modes where a worker's folder is not a sized tmpfs (``unprivileged``,
``same-user``) it is a folder of the grader's disk: the grader measures it
while the worker runs (:func:`usage`, the watcher that enforces
``Limits.disk``) and removes it afterwards (:func:`remove`). The submission
shapes that tree: a folder nested thousands deep (past Python's recursion
limit and ``PATH_MAX``), folders without permissions, symbolic links, files by
the thousand. Both walk it with a bounded stack of open folders, entries named
relative to their folder's descriptor (``dir_fd``), links never followed.

Files a worker unlinked but keeps open or mapped have no name in the folder:
the walk does not see them, and the disk they hold is the worker's until it
closes them. The watcher counts them too (:func:`unlinked`): it lists the
worker's threads (its control group's, else its own host user's processes,
:func:`tasks_of`) and reads their ``/proc/TID/fd`` and ``/proc/PID/maps``, as
root, or, where a root grader lacks ``CAP_SYS_PTRACE`` (a container's
default), as the worker's own user (:func:`file_user`): the kernel lets a user
read its own processes' descriptors. A process made not dumpable to hide them
is found (:class:`Hidden`). Where this grader cannot read another user's
descriptors at all (:func:`reads_fds`), the folder alone is measured.

>>> import os, tempfile
>>> top = tempfile.mkdtemp()
>>> fd = os.open(top, os.O_RDONLY)
>>> for _ in range(3000):  # 6000 characters of path: past PATH_MAX and Python's recursion limit
...     os.mkdir("d", dir_fd=fd)
...     fd, up = os.open("d", os.O_RDONLY, dir_fd=fd), fd
...     os.close(up)
>>> os.close(fd)
>>> usage(top, depth=10)
Traceback (most recent call last):
...
reference.compare.sandbox.folders.TooDeep: folders nested more than 10 deep
>>> remove(top), os.path.exists(top)
(True, False)
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import shutil
import signal
import stat
import subprocess
import time

from reference.compare.sandbox import isolation
from reference.compare.sandbox.isolation import NOBODY

__all__ = ["TooDeep", "TooMany", "ENTRIES", "usage", "remove", "DEPTH", "ENTRY", "Hidden", "held", "unlinked",
           "tasks_of", "kill_user", "file_user", "reads_fds", "past_limit"]

#: Folders open at once while walking (each holds two descriptors: the folder and its listing).
DEPTH = 64
#: Entries (files, folders, links) a worker's folder may hold at once.
ENTRIES = 10_000
#: Bytes counted for every entry at least, an empty file or folder included: its inode and its entry.
ENTRY = 4096
_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_names = itertools.count()


class TooDeep(Exception):
    """The folder nests deeper than the walk measures (:data:`DEPTH`): no legitimate work does that."""


class TooMany(TooDeep):
    """The folder holds more entries than :data:`ENTRIES`: no legitimate work does that, and removing them
    after the run would take the grader minutes on a slow disk (round 5b: 55,000 links, 3 min past the
    deadline)."""


def usage(path: str, *, stop_at: int | None = None, depth: int = DEPTH) -> int:
    """Bytes the folder ``path`` takes on disk (its entries' blocks, :data:`ENTRY` at least each); 0 if it is
    gone. Stops counting past ``stop_at``; raises :class:`TooDeep` past ``depth`` nested folders,
    :class:`TooMany` past :data:`ENTRIES` entries.

    The worker may be changing the tree meanwhile: what vanishes is not counted.
    """
    try:
        top = os.open(path, _FLAGS)
    except OSError:
        return 0
    stack = [(top, os.scandir(top))]
    total = count = 0
    try:
        while stack:
            fd, listing = stack[-1]
            entry = next(listing, None)
            if entry is None:
                listing.close()
                os.close(fd)
                stack.pop()
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += max(st.st_blocks * 512, ENTRY)
            count += 1
            if stop_at is not None and total > stop_at:
                return total
            if count > ENTRIES:
                raise TooMany(f"more than {ENTRIES} entries")
            if stat.S_ISDIR(st.st_mode):
                if len(stack) > depth:
                    raise TooDeep(f"folders nested more than {depth} deep")
                try:
                    inner = os.open(entry.name, _FLAGS, dir_fd=fd)
                except OSError:
                    continue
                try:
                    stack.append((inner, os.scandir(inner)))
                except OSError:
                    os.close(inner)
    finally:
        for fd, listing in stack:
            listing.close()
            os.close(fd)
    return total


def remove(path: str, *, passes: int = 3) -> bool:
    """Remove the folder ``path`` and everything in it; True when it is gone. Never raises.

    Folders nested past :data:`DEPTH` are moved up to ``path`` itself and removed from there; a folder
    without permissions is given its owner's; what cannot be removed in one pass is tried again.
    """
    for _ in range(passes):
        try:
            _remove_once(path)
        except (OSError, ValueError):
            pass
        if not os.path.lexists(path):
            return True
    return False


def _remove_once(path: str) -> None:
    try:
        top = os.open(path, _FLAGS)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        os.unlink(path)
        return
    try:
        while _descend(top):  # folders moved up to the top: a pass over them
            pass
    finally:
        os.close(top)
    os.rmdir(path)


def _descend(top: int) -> bool:
    """Empty the folder ``top`` down to :data:`DEPTH`, moving deeper folders up into it; True if some were."""
    moved = False
    stack: list[tuple[int, str, list[str]]] = [(top, "", _emptied(top))]  # (folder, its name, folders left in it)
    try:
        while stack:
            fd, name, inner = stack[-1]
            if inner:
                sub_name = inner.pop()
                if len(stack) > DEPTH:  # moved up to the top, removed from there: no deeper stack
                    moved |= _quiet(os.rename, sub_name, f".deep-{os.getpid()}-{next(_names)}", src_dir_fd=fd,
                                    dst_dir_fd=top)
                    continue
                sub = _open_inner(sub_name, fd)
                if sub is not None:
                    stack.append((sub, sub_name, _emptied(sub)))
                continue
            stack.pop()
            if stack:
                os.close(fd)
                _quiet(os.rmdir, name, dir_fd=stack[-1][0])
    finally:
        for fd, _, _ in stack[1:]:
            _quiet(os.close, fd)
    return moved


def _open_inner(name: str, fd: int) -> int | None:
    """The folder ``name`` in ``fd``, opened; given its owner's permissions if it had none for the grader."""
    try:
        return os.open(name, _FLAGS, dir_fd=fd)
    except PermissionError:
        if not _quiet(os.chmod, name, 0o700, dir_fd=fd, follow_symlinks=False) \
                and not _quiet(os.chmod, name, 0o700, dir_fd=fd):
            return None
    except OSError:
        return None
    try:
        return os.open(name, _FLAGS, dir_fd=fd)
    except OSError:
        return None


def _emptied(fd: int) -> list[str]:
    """Remove every entry of the folder ``fd`` but its folders (and empty ones among them); the names of the
    folders left."""
    inner: list[str] = []
    try:
        with os.scandir(fd) as listing:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in listing]
    except OSError:
        return inner
    for name, is_folder in entries:
        if not is_folder:
            _quiet(os.unlink, name, dir_fd=fd)
        elif not _quiet(os.rmdir, name, dir_fd=fd):
            inner.append(name)
    return inner


def _quiet(call, *args, **kwargs) -> bool:
    """``call(*args, **kwargs)``; False if it raised OSError (what the walk can do without)."""
    try:
        call(*args, **kwargs)
    except (OSError, NotImplementedError):
        return False
    return True


class Hidden(Exception):
    """A worker's task whose open files the grader may not read (``/proc/TID/fd``): its id in ``args[0]``."""


def held(path: str, tasks: list[int], *, unknown: int, seen: dict[tuple[int, int], int] | None = None,
         device: int | None = None) -> int:
    """Bytes of files once in the folder ``path``, now unlinked, that the tasks ``tasks`` (thread ids) keep
    alive: open (``/proc/TID/fd``) or mapped (``/proc/PID/maps``); each file once, its blocks
    (``st_blocks * 512``: a sparse file counts what it holds). A deleted mapping the grader may not stat
    (``/proc/PID/map_files`` needs a capability a container lacks) counts ``unknown`` bytes (the most one file
    can hold). Raises :class:`Hidden` for a task whose descriptors or mappings the grader may not read; a task gone
    meanwhile counts nothing. ``seen`` (file, bytes), filled, counts each file once over several calls;
    ``device``: the folder's file system (``st_dev``), when the caller may not stat the folder itself.

    The folder's own walk (:func:`usage`) does not see these files: they have no name any more.
    """
    if device is None:
        try:
            device = os.stat(path).st_dev
        except OSError:
            return 0
    inside = os.path.join(path, "")
    seen = {} if seen is None else seen
    for tid in tasks:
        where = f"/proc/{tid}/fd"
        try:
            fds = os.listdir(where)
        except PermissionError:
            raise Hidden(tid) from None
        except OSError:  # gone
            continue
        for fd in fds:
            try:
                st = os.stat(f"{where}/{fd}")
                if not stat.S_ISREG(st.st_mode) or st.st_nlink or (st.st_dev, st.st_ino) in seen:
                    continue
                if st.st_dev != device and not os.readlink(f"{where}/{fd}").startswith(inside):
                    continue
            except PermissionError:
                raise Hidden(tid) from None
            except OSError:  # closed meanwhile
                continue
            seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
        _mapped(tid, inside, seen, unknown)
    return sum(seen.values())


def _mapped(tid: int, inside: str, seen: dict[tuple[int, int], int], unknown: int) -> None:
    """Add to ``seen`` the deleted files of the folder ``inside`` that the task ``tid`` maps (its descriptors
    closed): their blocks where ``/proc/TID/map_files`` lets the grader stat them, else ``unknown`` bytes."""
    try:
        with open(f"/proc/{tid}/maps", "rb") as f:
            lines = f.read().splitlines()
    except PermissionError:
        raise Hidden(tid) from None
    except OSError:
        return
    marker, start = b" (deleted)", inside.encode()
    for line in lines:
        if not line.endswith(marker):
            continue
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[5].startswith(start):
            continue
        try:
            major, minor = (int(x, 16) for x in parts[3].split(b":"))
            key = (os.makedev(major, minor), int(parts[4]))
        except ValueError:
            continue
        if key in seen:
            continue
        try:
            st = os.stat(f"/proc/{tid}/map_files/{parts[0].decode()}")
            seen[(st.st_dev, st.st_ino)] = seen[key] = st.st_blocks * 512
            if (st.st_dev, st.st_ino) != key:  # one file, counted once
                seen[key] = 0
        except FileNotFoundError:  # unmapped meanwhile
            continue
        except OSError:
            seen[key] = unknown


def tasks_of(uid: int) -> list[int]:
    """The thread ids of every process whose real user is ``uid`` (a worker's own host user), from /proc."""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    out: list[int] = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                head = f.read(1024)
            line = head[head.index(b"\nUid:") + 5:].split(b"\n", 1)[0]
            if int(line.split()[0]) == uid:
                out += [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not this form
            continue
    return out


def kill_user(uid: int) -> None:
    """Kill every process of the user ``uid`` (a worker's own host user: its processes, whatever their session)."""
    for tid in tasks_of(uid):
        try:
            os.kill(tid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@contextlib.contextmanager
def file_user(uid: int):
    """This thread reads the file system (``/proc`` included) as ``uid`` (its file-system user and group; Linux's
    ``setfsuid``, per thread), then as before: a root grader without ``CAP_SYS_PTRACE`` (a container's default)
    may then list its worker's descriptors, as their owner may."""
    libc = ctypes.CDLL(None, use_errno=True)
    before_uid, before_gid = libc.setfsuid(-1), libc.setfsgid(-1)  # -1: no change, the current one returned
    libc.setfsgid(uid)
    libc.setfsuid(uid)
    try:
        yield
    finally:
        libc.setfsuid(before_uid)
        libc.setfsgid(before_gid)


@functools.lru_cache(maxsize=None)
def reads_fds() -> bool:
    """Whether this root grader can read the open files of a process of another user (``/proc/PID/fd``, as root
    or as that user: :func:`file_user`), as the disk watcher needs; probed once on a process of ``NOBODY``."""
    cat = shutil.which("cat")
    if not isolation._is_root() or cat is None or isolation._drop() is None:
        return False
    try:
        proc = subprocess.Popen([*isolation._setpriv_drop(NOBODY), cat], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
    except OSError:
        return False
    try:
        for _ in range(500):  # its start: setpriv's change of user, then cat's own program
            try:
                with open(f"/proc/{proc.pid}/comm", "rb") as f:
                    if f.read().strip() == os.path.basename(cat).encode()[:15]:
                        break
            except OSError:
                pass
            time.sleep(0.002)
        for user in (None, NOBODY):
            try:
                with file_user(user) if user is not None else contextlib.nullcontext():
                    os.stat(f"/proc/{proc.pid}/fd/0")
                    open(f"/proc/{proc.pid}/maps", "rb").close()
                return True
            except OSError:
                continue
        return False
    finally:
        proc.stdin.close()  # cat ends at the end of its input (a grader without CAP_KILL may not signal it)
        proc.wait()


def unlinked(workdir: str, uid: int, tasks: list[int] | None, file_size: int,
             hidden: set[int]) -> tuple[int, set[int]]:
    """Bytes of the files the worker of host user ``uid`` unlinked from ``workdir`` but keeps open or mapped,
    and the tasks whose descriptors the grader could not read; -1 for the bytes when a task stayed hidden
    from one check (``hidden``: the previous one's) to the next (a process made not dumpable: only the moment
    between a user's change and its program's start is legitimately so). ``tasks``: its control group's
    threads, or None (its user's processes, from /proc); ``file_size``: what a mapping counts that the
    grader may not stat (the most one file holds)."""
    left, seen, now = list(tasks if tasks is not None else tasks_of(uid)), {}, set()
    device = os.stat(workdir).st_dev  # as root: the worker's user may not pass the folders above
    while left:
        try:
            held(workdir, left, unknown=file_size, seen=seen, device=device)
            break
        except Hidden as exc:
            tid = exc.args[0]
            try:  # as the worker's own user (a root grader without CAP_SYS_PTRACE)
                with file_user(uid):
                    held(workdir, [tid], unknown=file_size, seen=seen, device=device)
            except Hidden:
                now.add(tid)
            left = left[left.index(tid) + 1:]
    if now & hidden:
        return -1, now
    return sum(seen.values()), now


def past_limit(workdir: str, uid: int, group, limits: isolation.Limits, used: int,
               hidden: set[int]) -> tuple[str, set[int]]:
    """Why the worker of host user ``uid`` is past ``limits.disk`` with its folder (``used`` bytes) and the
    files it unlinked but keeps (:func:`unlinked`), or ""; and the tasks hidden at this check (``hidden``: at
    the previous one). ``group``: its control group (a :class:`.cgroup.TreeLimits`), or None."""
    tasks = group.tasks() if group is not None else None
    kept, hidden = unlinked(workdir, uid, tasks, limits.file_size, hidden)
    if kept < 0:
        return "one of its processes hid its open files from the grader, which counts them in the disk limit", hidden
    if used + kept <= limits.disk:
        return "", hidden
    return (f"its folder and the deleted files its processes keep open ({(used + kept) / (1 << 20):.1f} MiB "
            f"together, {kept / (1 << 20):.1f} deleted) reached the disk limit ({limits.disk / (1 << 20):g} MiB)",
            hidden)
