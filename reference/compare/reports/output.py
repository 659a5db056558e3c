"""Where a report goes: checked writable before any work, written atomically after it.

A report file is written to a temporary file in the same folder, then renamed
over the target: a reader sees the old file or the whole new one, never a part,
and nothing the checked implementation did in between can have touched it (its
process never learns the path, and is gone before the rename).

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> check_writable(os.path.join(folder, "report.json"))
>>> write_atomic("{}", os.path.join(folder, "report.json"))
>>> check_writable(folder)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: --output: ... is a folder; give a file name
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["check_writable", "write_atomic"]


def check_writable(path: str, *, option: str = "--output") -> None:
    """Raise ValueError (naming ``option``) unless a file can be written at ``path``."""
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{option}: the folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".handgrad-probe-")
    except OSError as exc:
        raise ValueError(f"{option}: cannot write in {folder}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(probe)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{option}: {path} is not writable")


def write_atomic(text: str | bytes, path: str) -> None:
    """Write ``text`` (or bytes) to ``path`` through a temporary file in the same folder and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".handgrad-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
