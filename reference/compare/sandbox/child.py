"""The worker's process as the grader starts and reads it: its first lines, its hello, its output, its reply sizes."""

from __future__ import annotations

import fcntl
import math
import os
import pathlib
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time
from typing import Any, Callable, Sequence

from reference.compare.sandbox import wire, worker_side
from reference.compare.sandbox.interface import TABLE, LoadError, escape

__all__ = ["BOOT", "TREE", "SLACK", "OutputTail", "shown", "printed", "broken", "each_limit", "sweep_limit",
           "reply_entries", "loaded", "watched", "last_word", "IMPORT_FLOOR"]

#: The worker's first lines: its folders (argv[1], ``os.pathsep``-joined: the grader's own tree, or in a
#: submission's view the worker's modules and the allowed packages) go on sys.path before site-packages, so
#: that the worker imports handgrad and reference from there (``-I`` ignores PYTHONPATH, and an editable
#: install may point elsewhere); then worker_side.py runs with argv = [worker_side.py, fd, spec, ...].
BOOT = ("import os, runpy, sys; roots = sys.argv.pop(1).split(os.pathsep); "
        "at = next((i for i, p in enumerate(sys.path) if p.endswith('-packages')), len(sys.path)); "
        "sys.path[at:at] = roots; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
#: The folder holding the packages handgrad and reference this grader runs.
TREE = str(pathlib.Path(worker_side.__file__).resolve().parents[3])
SLACK = 1 << 20  # bytes any reply may hold beyond its arrays' expected size
#: Seconds the import is given at least, whatever a call's limit: starting Python and NumPy is the grader's
#: part (about 0.2 s, 1 s on a loaded machine), and a submission is never failed for it.
IMPORT_FLOOR = 5.0
SAID = 8 << 10  # bytes of output kept per asker, the first kept (2,000 characters are shown)


class OutputTail:
    """The last ``size`` bytes a process wrote to a pipe, read by a thread (memory stays bounded).

    Every read happens under the lock, the thread's and :meth:`settle`'s: what
    the pipe no longer holds is kept, so :meth:`settle` knows what is left to read.
    The pipe is the tail's from then on: only its thread closes it (its descriptor
    is read directly, and must not be reused by anything else while it is open).

    The process answers one request at a time and writes before it replies:
    what it wrote between two replies was written computing the second.
    :meth:`heard` adds it to ``said[asker]``, ``asker`` being who sent that
    request (a property); requests sent ahead keep their asker.
    """

    def __init__(self, pipe, said: dict[str, bytearray] | None = None, size: int = 64 << 10) -> None:
        self.size, self.total, self._buf, self._lock = size, 0, bytearray(), threading.Lock()
        self._pipe, self._fd, self._open = pipe, pipe.fileno(), True
        self.said, self.heard_at = said if said is not None else {}, 0  # heard_at: ``total`` at the last reply
        os.set_blocking(self._fd, False)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        try:
            while not any(event & select.POLLNVAL for _, event in poller.poll()):
                with self._lock:
                    if self._keep(1 << 16) is None:
                        return
        finally:
            with self._lock:
                self._open = False
                self._pipe.close()

    def _keep(self, most: int) -> int | None:
        """Under the lock: read and keep at most ``most`` bytes the pipe holds now; how many, None at its end."""
        try:
            chunk = os.read(self._fd, most)
        except BlockingIOError:  # the other reader took them first
            return 0
        except OSError:  # the pipe is unreadable: as at its end
            return None
        if not chunk:
            return None
        self.total += len(chunk)
        self._buf += chunk
        del self._buf[:-self.size]
        return len(chunk)

    def settle(self) -> None:
        """Keep what the process wrote so far: what its pipe holds now is read here, at once.

        The worker writes before it replies, so once its reply is in, its output
        is in the pipe or kept. Only what is there now is read: a process that
        prints without pause cannot hold the grader here.
        """
        with self._lock:
            if not self._open:
                return
            try:
                left = struct.unpack("i", fcntl.ioctl(self._fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            except OSError:
                return
            while left > 0:
                got = self._keep(min(left, 1 << 16))
                if not got:
                    return
                left -= got

    def heard(self, asker: str | None) -> None:
        """A reply came in: what the process wrote since the one before is ``asker``'s (None: nobody's)."""
        self.settle()
        with self._lock:
            new, self.heard_at = self.total - self.heard_at, self.total
            kept = self.said.setdefault(asker, bytearray()) if new and asker is not None else None
            if kept is not None and len(kept) < SAID:  # its first bytes the buffer still holds (the last 64 kB)
                start = len(self._buf) - min(new, len(self._buf))
                kept += self._buf[start:start + SAID - len(kept)]

    def since(self, mark: int) -> str:
        """What was written since ``total`` was ``mark`` (at most the last ``size`` bytes), escaped."""
        with self._lock:
            text = bytes(self._buf[-min(self.total - mark, self.size):]) if self.total > mark else b""
        return shown(text)


def shown(raw: bytes) -> str:
    """What a process wrote, as shown: decoded, escaped to one line, at most 2,000 characters."""
    return escape(bytes(raw).decode(errors="replace").strip(), 2000)


def printed(said: dict[str, bytearray], asker: str) -> str:
    """What ``said`` holds of ``asker`` (:meth:`OutputTail.heard`), as shown."""
    return shown(said.get(asker, b""))


def each_limit(calls: Sequence[tuple[str, tuple, dict]]) -> int:
    """The bytes a reply to ``calls`` may hold: four times its numbers' as float64 (the API's shapes), and SLACK."""
    return SLACK + 8 * 4 * sum(reply_entries(n, a) for n, a, _ in calls)


def sweep_limit(batch: dict) -> int:
    """The bytes a sweep reply on ``batch`` may hold: 64 times its problems' (inputs and weights), and SLACK."""
    return SLACK + 64 * 8 * sum(v.size for k, v in batch.items() if k in TABLE.shapes and v.dtype.kind == "f")


def broken(proc: subprocess.Popen, exc: Exception) -> str:
    """What ended the exchange with the worker when receiving raised ``exc``: a reply that breaks the
    protocol, else how the worker ended (it is given 2 s to)."""
    if isinstance(exc, wire.WireError):
        return f"a reply that breaks the protocol ({exc})"
    try:
        code = proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "the process stopped answering"
    if code < 0:
        return f"the process was killed by signal {signal.Signals(-code).name}"
    return f"the process exited with status {code}"


def reply_entries(name: str, args: tuple) -> int:
    """How many numbers a call of ``name`` on ``args`` returns, from the API's shapes."""
    shapes = TABLE.shapes
    if TABLE.arguments.get(name) == ("x",):  # a function of one array: as many numbers as it
        x = args[0] if args else 0
        return int(getattr(x, "size", 1))
    try:
        sizes = TABLE.problem_sizes(name, args)
        keys = [k for k in shapes if k == name or k.startswith(name + ".")] or \
            [f for f in TABLE.replies[name]._fields if f in shapes]  # its first argument, updated
        return sum(math.prod(sizes[s] for s in shapes[k]) for k in keys)
    except (AttributeError, IndexError, KeyError, TypeError):
        return 0


def watched(reply: Any) -> set[str]:
    """The watched modules a worker's reply (its hello, its last word) says its process imported."""
    modules = reply.get("modules") if isinstance(reply, dict) else None
    return {m for m in modules if m in TABLE.watched} if isinstance(modules, list) else set()


def last_word(sock: socket.socket) -> set[str]:
    """The watched modules a live worker says it imported, asked as it is closed (2 s at most); none unsaid."""
    try:
        sock.settimeout(2)
        wire.send_pickled(sock, {"op": "modules"})
        return watched(wire.receive(sock, deadline=time.monotonic() + 2, limit=1 << 16))
    except (OSError, EOFError, TimeoutError, wire.WireError):
        return set()


def loaded(hello: Any, spec: str, timeout: float, allow_missing: bool, shown: Callable[[str], str]) -> frozenset:
    """The worker's hello (None: none came in time), checked: the API names the submission lacks; LoadError
    saying why it did not load (``shown`` names the worker's copies as the user named them)."""
    if hello is None:
        raise LoadError(f"{spec}: import did not finish within {timeout:g} s (a hang at import?)")
    if isinstance(hello, dict) and isinstance(hello.get("load_error"), str):
        raise LoadError(shown(escape(hello["load_error"], 1000)))
    if not (isinstance(hello, dict) and hello.get("loaded") is True and isinstance(hello.get("missing"), list)):
        raise LoadError(f"{spec}: the worker did not start as it should")
    if hello["missing"] and not allow_missing:
        raise LoadError(f"{spec}: missing API names: {', '.join(escape(n, 40) for n in hello['missing'])}")
    return frozenset(n for n in TABLE.names if n in hello["missing"])
