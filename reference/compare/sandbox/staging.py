"""What the worker is given: copies of the submission and of its adapter file, in its own folder.

The worker runs contained, with its own folder as the one place it reads the
submission from. A submission file (a .py file or a notebook) comes with the
local modules it imports (:func:`local_imports`: found in its source with
``ast``, transitively, in its folder and that folder's packages; and the modules
an adapter names), nothing else of its folder: a folder of several students'
files, graded one file at a time, gives none of them the others' work. A
submission that is a folder of its own (``whole_folder``: a folder of a class,
Gradescope's submission folder) comes whole: the other regular files of its
folder and sub-folders. Either way at most :data:`MAX_FILES`
files and :data:`MAX_BYTES` bytes. Left behind: hidden files and folders,
symbolic links (one could name the grader's files: they are not followed),
anything that is not a regular file (a FIFO, a device), and compiled code
(``__pycache__``, ``.pyc``, extension modules), which would run in place of the
source the integrity check reads. An adapter file is copied beside it. A
message from the worker names these copies; :meth:`Staged.shown` names them
again as the user did.

>>> import tempfile
>>> staged = stage(tempfile.mkdtemp(), "handgrad")
>>> staged.target, staged.options
('handgrad', [])
"""

from __future__ import annotations

import os
import pathlib
import shutil
import stat
from dataclasses import dataclass, field

from reference.compare.sandbox.worker_side import is_path
from reference.compare.submissions.local_modules import local_imports

__all__ = ["Staged", "stage", "copy_folder", "copy_file", "local_imports", "MAX_FILES", "MAX_BYTES", "MAX_DEPTH",
           "COMPILED"]

#: What a submission's folder may hold, copied: files, bytes in all, and folders within folders.
MAX_FILES, MAX_BYTES, MAX_DEPTH = 2000, 256 << 20, 32
#: Compiled code, left behind (by the ends of its files' names).
COMPILED = (".pyc", ".pyo", ".so", ".pyd", ".dylib")


#: How a folder or file of a submission is opened: never through a link, never blocking on a FIFO.
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


def copy_folder(source: pathlib.Path, dest: pathlib.Path, *, exclude: tuple[str, ...] = ()) -> None:
    """Copy ``source``'s regular files into ``dest`` (see above); ValueError when it holds too much.

    Nothing is followed, even when the folder changes while it is copied (attack round 15: a sub-folder swapped
    for a link between its listing and its copy was followed): every folder is opened from its parent's open
    descriptor without following a link, and every file from its folder's, checked to be regular once open.
    Folders in ``exclude`` (the grader's caches, should they lie inside) are left behind.
    """
    left = {os.path.realpath(p) for p in exclude}
    try:
        top = os.open(source, _DIR)
    except OSError as exc:
        raise ValueError(f"its folder cannot be opened without following a link ({exc.strerror})") from None
    counts = [0, 0]  # files, bytes
    try:
        _copy_below(top, pathlib.Path(source), dest, left, counts, 0)
    finally:
        os.close(top)


def _copy_below(fd: int, path: pathlib.Path, dest: pathlib.Path, left: set, counts: list, depth: int) -> None:
    """:func:`copy_folder`'s walk, from the open folder ``fd`` (``path`` names it, for ``exclude``)."""
    dest.mkdir(parents=True, exist_ok=True)
    with os.scandir(fd) as entries:
        listed = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False)) for e in entries)
    for name, is_dir, is_file in listed:
        if name.startswith(".") or name == "__pycache__":
            continue
        if is_dir:
            if os.path.realpath(path / name) in left:
                continue
            if depth + 1 > MAX_DEPTH:
                raise ValueError(f"its folders are nested more than {MAX_DEPTH} deep: give it a folder of its own")
            try:
                sub = os.open(name, _DIR, dir_fd=fd)
            except OSError:  # a link now, or gone
                continue
            try:
                _copy_below(sub, path / name, dest / name, left, counts, depth + 1)
            finally:
                os.close(sub)
        elif is_file and not name.endswith(COMPILED):
            copied = _copy_open(lambda name=name: os.open(name, _FILE, dir_fd=fd), dest / name, MAX_BYTES - counts[1])
            if copied is not None:
                counts[0], counts[1] = counts[0] + 1, counts[1] + copied
                if counts[0] > MAX_FILES:
                    raise ValueError(f"its folder holds more than {MAX_FILES} files: give it a folder of its own")


def copy_file(source: pathlib.Path, dest: pathlib.Path, *, limit: int = MAX_BYTES,
              below: pathlib.Path | None = None) -> int | None:
    """Copy ``source`` if it is a regular file and not a link; its size, or None when left behind. ``below``: a
    folder ``source`` lies in, every part of the path from it opened without following a link (a folder of the
    path swapped for a link while the grader works is not followed: attack round 15).

    ValueError when it is larger than ``limit`` bytes.
    """
    if below is None:
        return _copy_open(lambda: os.open(source, _FILE), dest, limit)
    try:
        parts = pathlib.Path(source).relative_to(below).parts
    except ValueError:
        return None
    fds = []
    try:
        fd = os.open(below, _DIR)
        fds.append(fd)
        for part in parts[:-1]:
            fd = os.open(part, _DIR, dir_fd=fd)
            fds.append(fd)
        return _copy_open(lambda: os.open(parts[-1], _FILE, dir_fd=fd), dest, limit)
    except OSError:  # a link on the way, or gone
        return None
    finally:
        for opened in fds:
            os.close(opened)


def _copy_open(opener, dest: pathlib.Path, limit: int) -> int | None:
    """Copy the file ``opener()`` opens if it is regular; its size, or None when left behind."""
    try:
        fd = opener()
    except OSError:  # a link, or unreadable
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > limit:
            raise ValueError(f"its files hold more than {MAX_BYTES >> 20} MB: give it a folder of its own")
        copied = 0
        with open(dest, "wb") as out:  # at most the limit, should the file grow while it is copied (round 16)
            while chunk := f.read(min(1 << 20, limit + 1 - copied)):
                out.write(chunk)
                copied += len(chunk)
                if copied > limit:
                    raise ValueError(f"its files hold more than {MAX_BYTES >> 20} MB: give it a folder of its own")
        return copied


def _adapter_modules(adapter: pathlib.Path | None) -> tuple[str, ...]:
    """The modules an adapter file names (``"module:function"``), or none."""
    if adapter is None:
        return ()
    from reference.compare.submissions.adapter import read_adapter

    try:
        return tuple({call.module for call in read_adapter(adapter)[1].calls.values() if call.module})
    except ValueError:
        return ()  # the worker says what is wrong with it


@dataclass
class Staged:
    """What the worker loads, with which options, and where each copy came from."""

    #: The worker's copy of the submission file, or a module name (imported as installed).
    target: str
    #: The worker's options after the socket and the target (``--adapter FILE``, ``--run-all-cells``).
    options: list[str] = field(default_factory=list)
    #: (a path in the worker's folder, the path the user gave), longest copy first.
    copies: list[tuple[str, str]] = field(default_factory=list)
    #: The .py files beside a submission file that it does not import, not given to the worker (their names).
    left_out: list[str] = field(default_factory=list)

    def shown(self, text: str) -> str:
        """``text`` with the worker's copies named as the user named them."""
        for copy, original in self.copies:
            text = text.replace(copy, original)
        return text


def _copy_with_imports(path: pathlib.Path, home: pathlib.Path, adapter: pathlib.Path | None,
                       exclude: tuple[str, ...]) -> list[str]:
    """Copy the file ``path`` and its local imports into ``home``; the names of the .py files beside it left out."""
    home.mkdir(parents=True, exist_ok=True)
    path = path.absolute()
    left = tuple(os.path.realpath(p) + os.sep for p in exclude)
    files = [path, *(f for f in local_imports(path, _adapter_modules(adapter))
                     if not os.path.realpath(f).startswith(left))]
    if len(files) > MAX_FILES:
        raise ValueError(f"it imports more than {MAX_FILES} files: give it a folder of its own")
    size = 0
    for file in files:
        dest = home / file.relative_to(path.parent)
        dest.parent.mkdir(parents=True, exist_ok=True)
        size += copy_file(file, dest, limit=MAX_BYTES - size, below=path.parent) or 0
    taken = {f.name for f in files if f.parent == path.parent}
    try:
        beside = sorted(e.name for e in os.scandir(path.parent) if e.name.endswith(".py") and e.name not in taken)
    except OSError:
        beside = []
    return beside


def stage(workdir: str, spec: str, *, adapter: pathlib.Path | None = None, run_all_cells: bool = False,
          exclude: tuple[str, ...] = (), seen_as: str | None = None, whole_folder: bool = False) -> Staged:
    """Copy the submission (when ``spec`` is a file) and the adapter file into ``workdir``; ``exclude``: folders
    never copied (:func:`copy_folder`); ``seen_as``: the path the worker knows ``workdir`` by (in a jail);
    ``whole_folder``: the file's folder is the submission's own, copied whole, else the file and its imports."""
    seen = pathlib.Path(seen_as or workdir)
    staged = Staged(spec, ["--run-all-cells"] if run_all_cells else [])
    path = pathlib.Path(spec)
    if is_path(spec) and path.is_file():  # else: a module name, or a file the worker says does not exist
        home = pathlib.Path(workdir, "submission")
        if whole_folder:
            copy_folder(path.parent, home, exclude=exclude)
        else:
            staged.left_out = _copy_with_imports(path, home, adapter, exclude)
        staged.target = str(seen / "submission" / path.name)
        staged.copies.append((str(seen / "submission"), str(path.parent.resolve())))
    if adapter is not None:
        copy = pathlib.Path(workdir, "adapter", adapter.name)
        copy.parent.mkdir()
        shutil.copyfile(adapter, copy)
        staged.options += ["--adapter", str(seen / "adapter" / adapter.name)]
        staged.copies.insert(0, (str(seen / "adapter" / adapter.name), str(adapter)))
    return staged
