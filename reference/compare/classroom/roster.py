"""The submissions of a class's folder: their ids, the file each is checked by, and a fingerprint of its files.

A submission is an entry of the folder: a ``.py`` file, a ``.ipynb`` notebook,
or a folder holding one (with its own helper modules). Its id is its name
without ``.py``/``.ipynb``, unique and the same in every run
(:func:`submission_ids`). An entry that is a link, a FIFO, a socket or
unreadable has no file to check (a ``cannot-load`` row, with its reason on one
line), and neither has one that holds more than its worker may be given
(:func:`over_limit`: staging's ``MAX_FILES`` and ``MAX_BYTES``), told by its
files' sizes before anything is read. :func:`content_hash` reads what the
worker is given, in chunks, following no link: ``--resume``'s fingerprint.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import pathlib
import stat
import time
from typing import Any, Iterator

from reference.compare.sandbox.staging import COMPILED, MAX_BYTES, MAX_FILES

__all__ = ["Submission", "find_submissions", "submission_ids", "over_limit", "content_hash", "printable", "utf8",
           "source_keys"]

_KINDS = (".py", ".ipynb")
#: The longest id, in bytes of UTF-8: it names a folder of reports (file systems allow 255).
_MAX_ID = 200
#: Bytes of a file read at a time to fingerprint it.
_CHUNK = 1 << 20


@dataclasses.dataclass
class Submission:
    """One entry of the submissions folder: its id, the entry, the file to check (or why there is none)."""

    id: str
    entry: pathlib.Path
    target: pathlib.Path | None
    error: str = ""


def _target(entry: pathlib.Path) -> tuple[pathlib.Path | None, str]:
    """The file to check in a submission: the file itself, or the one .py or .ipynb file of a folder; or None and
    why not, on one line."""
    shown = printable(str(entry))
    try:
        if entry.is_symlink():
            return None, f"{shown}: a symbolic link: not graded (put the submission itself in the folder)"
        if entry.is_file():
            os.close(os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK))  # it can be read
            return entry, ""
        if not entry.is_dir():
            return None, f"{shown}: neither a regular file nor a folder: not graded"
        found = sorted(p for p in entry.iterdir() if p.suffix in _KINDS and p.is_file() and not p.is_symlink()
                       and not p.name.startswith((".", "_")))
    except OSError as exc:
        return None, f"{shown}: cannot be read ({exc.strerror})"
    if len(found) == 1:
        return found[0], ""
    for name in ("submission.py", "solution.py", "submission.ipynb", "solution.ipynb"):
        if (entry / name).is_file():
            return entry / name, ""
    what = ", ".join(printable(p.name) for p in found) or "none"
    return None, f"{shown}: a submission folder must hold one .py or .ipynb file to check (found: {what})"


def utf8(text: str) -> str:
    """``text`` as UTF-8 can hold it: a byte of a file name that is not UTF-8 (a lone surrogate to Python) as
    ``\\xff`` (and, should it hold any other lone surrogate, every surrogate as ``\\udc80``)."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def printable(text: str) -> str:
    """``text`` on one line, as UTF-8 can hold it (:func:`utf8`): a control character as its escape (``\\n``)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in utf8(text))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def _label(name: str, tag: str = "") -> str:
    """An id made of ``name`` (:func:`printable`) and ``tag``; a name too long for a folder is cut, and a digest
    of the whole added."""
    text, most = printable(name), _MAX_ID - len(tag.encode())
    if len(text.encode()) > most:
        text = text.encode()[:most - 9].decode("utf-8", "ignore") + "~" + _digest(text.encode())
    return text + tag


def _shared(ids: list[str]) -> list[int]:
    """The places of ``ids`` that hold an id held more than once."""
    counts = collections.Counter(ids)
    return [i for i, x in enumerate(ids) if counts[x] > 1]


def submission_ids(entries: list[pathlib.Path]) -> list[str]:
    """The ids of the entries of a submissions folder: unique, and the same in every run.

    An id is the entry's name without ``.py``/``.ipynb``, printable (a byte that
    is not UTF-8 as ``\\xff``, a newline as ``\\n``); the whole name when that
    is another's id too (``d.py``, ``d.ipynb`` and ``d.py.py`` are all three
    whole); and when even whole names print alike, a digest of the name's bytes
    after ``~``.

    >>> submission_ids([pathlib.Path(n) for n in ("ada.py", "d.ipynb", "d.py", "d.py.py")])
    ['ada', 'd.ipynb', 'd.py', 'd.py.py']
    """
    names = [_label(p.name) for p in entries]
    ids = [name if p.is_dir() else _label(p.stem) for p, name in zip(entries, names)]
    while longer := [i for i in _shared(ids) if ids[i] != names[i]]:
        for i in longer:
            ids[i] = names[i]
    for i in _shared(ids):
        ids[i] = _label(entries[i].name, "~" + _digest(os.fsencode(entries[i].name)))
    return ids


def _resolved(path: pathlib.Path) -> pathlib.Path:
    """``path`` with its links resolved; as it is when they cannot be (a link to itself)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def find_submissions(folder: pathlib.Path, *, exclude: tuple[pathlib.Path, ...] = ()) -> list[Submission]:
    """The submissions in ``folder``, in order of name, with their ids (:func:`submission_ids`); hidden entries,
    ``__pycache__`` and ``exclude`` skipped. One that holds more than its worker may be given
    (:func:`over_limit`) is not graded."""
    skip = {_resolved(p) for p in exclude}
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".") and p.name != "__pycache__"
               and (p.is_dir() or p.suffix.lower() in _KINDS) and _resolved(p) not in skip]
    out = []
    for entry, sub_id in zip(entries, submission_ids(entries)):
        target, error = _target(entry)
        if not entry.is_dir() and entry.suffix not in _KINDS:  # alice.PY: told, not passed over in silence
            target, error = None, (f"{printable(str(entry))}: not graded: a submission file's name ends in "
                                   f"{' or '.join(_KINDS)}, in lower case (rename it)")
        beyond = over_limit(entry) if target is not None else ""
        if beyond:
            target, error = None, (f"{printable(str(entry))}: {beyond}: not graded (a submission may hold at "
                                   f"most {MAX_FILES} files and {MAX_BYTES >> 20} MB)")
        out.append(Submission(sub_id, entry, target, error))
    return out


def _worker_files(entry: pathlib.Path) -> Iterator[tuple[pathlib.Path, os.stat_result]]:
    """The files of a submission that its worker is given, with their ``lstat``, in a fixed order.

    Staging's rule (:mod:`reference.compare.sandbox.staging`): regular files,
    no hidden ones, no ``__pycache__`` or compiled code, and no link followed;
    a folder that cannot be read is passed over, as staging passes it over.
    OSError when ``entry`` itself cannot be looked at.
    """
    top = os.lstat(entry)
    if stat.S_ISREG(top.st_mode):
        yield entry, top
    if not stat.S_ISDIR(top.st_mode):
        return
    folders = [entry]
    while folders:  # depth first, without recursion: a folder may be nested deeper than Python recurses
        folder, below = folders.pop(), []
        try:
            with os.scandir(folder) as listing:
                found = sorted(((e.name, e.stat(follow_symlinks=False)) for e in listing
                                if not e.name.startswith(".")), key=lambda item: item[0])
        except OSError:
            continue
        for name, info in found:
            if stat.S_ISDIR(info.st_mode) and name != "__pycache__":
                below.append(folder / name)
            elif stat.S_ISREG(info.st_mode) and not name.endswith(COMPILED):
                yield folder / name, info
        folders += reversed(below)


def over_limit(entry: pathlib.Path) -> str:
    """What a submission holds beyond what its worker may be given (staging's ``MAX_FILES`` files and
    ``MAX_BYTES`` bytes), or ""; told from the files' sizes: none is read."""
    files = size = 0
    try:
        for _, info in _worker_files(entry):
            files, size = files + 1, size + info.st_size
            if files > MAX_FILES:
                return f"more than {MAX_FILES} files"
            if size > MAX_BYTES:
                return f"more than {MAX_BYTES >> 20} MB in its files"
    except OSError:  # what cannot be read is said when it is graded
        pass
    return ""


def _hash_file(h: Any, path: pathlib.Path, most: int) -> int:
    """Feed ``h`` the regular file ``path``, at most ``most`` bytes, in chunks; how many were read.

    Opened without following a link; OSError when it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        read = 0
        if stat.S_ISREG(os.fstat(fd).st_mode):  # else it changed since it was listed: nothing to read
            while read < most and (chunk := os.read(fd, min(_CHUNK, most - read))):
                h.update(chunk)
                read += len(chunk)
        return read
    finally:
        os.close(fd)


def content_hash(entry: pathlib.Path) -> str:
    """A digest of what a submission's worker is given: each file's path and contents, read in chunks.

    No link is followed, and no more than ``MAX_BYTES`` is read. A submission
    over the limit (:func:`over_limit`; it is not graded) is told by its files'
    paths, sizes and times: none is read.
    """
    h, whole, left = hashlib.sha256(), not over_limit(entry), MAX_BYTES
    try:
        for path, info in _worker_files(entry):
            h.update(os.fsencode(path.relative_to(entry.parent)) + b"\0")
            if whole:
                left -= _hash_file(h, path, left)
            else:
                h.update(f"{info.st_size} {info.st_mtime_ns}".encode())
            h.update(b"\0")
    except OSError as exc:  # graded as it is (it will not load); its row is redone next time
        h.update(f"unreadable {time.time()} {exc}".encode("utf-8", "backslashreplace"))
    return h.hexdigest()


#: Past this size a submission's source is not compared with its classmates'.
_MOST_COMPARED = 1 << 20


def source_keys(target: pathlib.Path | None) -> tuple[str, str] | None:
    """Two digests of a submission's code, to notice classmates who handed in the same: of its tokens without
    comments, blank lines or spacing; and of the same with every name replaced by its order of first use
    (the same code with other names). None when there is no code to read (not a file, over 1 MiB, not
    Python). A notebook's code is its code cells'. Nothing of it is run.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.py").write_text("def f(x):\\n    return x + 1  # add one\\n")
    >>> _ = (d / "b.py").write_text("def g(y):\\n\\n    return y+1\\n")
    >>> a, b = source_keys(d / "a.py"), source_keys(d / "b.py")
    >>> a[0] == b[0], a[1] == b[1]
    (False, True)
    """
    import io
    import keyword
    import tokenize

    try:
        if target is None or target.is_symlink() or not target.is_file():
            return None
        with os.fdopen(os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as f:
            data = f.read(_MOST_COMPARED + 1)
        if len(data) > _MOST_COMPARED:
            return None
        text = data.decode("utf-8", errors="replace")
        if target.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                             for c in cells if isinstance(c, dict) and c.get("cell_type") == "code")
        skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                tokenize.ENDMARKER, tokenize.ENCODING}
        tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in skip]
    except (OSError, ValueError, SyntaxError, tokenize.TokenError, AttributeError, TypeError, RecursionError):
        return None
    if not tokens:
        return None
    names: dict[str, str] = {}
    renamed = [names.setdefault(t, f"n{len(names)}") if t.isidentifier() and not keyword.iskeyword(t) else t
               for t in tokens]
    # a lone surrogate (a notebook's JSON may hold one) is hashed as it is, not an error (attack round 15)
    return (hashlib.sha256("\0".join(tokens).encode("utf-8", "surrogatepass")).hexdigest(),
            hashlib.sha256("\0".join(renamed).encode("utf-8", "surrogatepass")).hexdigest())
