"""The grader's side of the sandbox: the implementation under test in a child process.

An implementation under check is untrusted code: it may hang, crash, exit, print,
or modify its inputs. :class:`SubprocessImpl` runs it in a child process
(:mod:`reference.compare.sandbox.worker`) with a time limit per call; a hang,
crash or exit becomes an :class:`~reference.compare.sandbox.interface.ImplProblem`
for the property concerned and the child is restarted for the next call.
"""

from __future__ import annotations

import collections
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Sequence

from handgrad.types import ARGUMENTS
from reference.compare.sandbox import worker
from reference.compare.sandbox.interface import (
    Call,
    Impl,
    ImplCrashed,
    ImplProblem,
    ImplTimeout,
    LoadError,
    Replay,
    as_call,
    as_calls,
)

__all__ = ["SubprocessImpl"]


_BOOT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


class SubprocessImpl(Impl):
    """An untrusted implementation in a child process, ``timeout`` seconds a call."""

    def __init__(self, spec: str, *, timeout: float = 10.0) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds; got {timeout!r}")
        self.spec = spec
        self.timeout = float(timeout)
        self.timeouts: collections.Counter[str] = collections.Counter()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._stderr = tempfile.TemporaryFile()
        self._start()

    # -- process management ------------------------------------------------
    def _start(self) -> None:
        parent, child = socket.socketpair()
        spec = self.spec
        if spec.endswith(".py") or "/" in spec:
            spec = str(pathlib.Path(spec).resolve()) if pathlib.Path(spec).exists() else spec
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, worker.__file__, str(child.fileno()), spec],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        child.close()
        self._conn = Connection(parent.detach())
        reply = self._receive(self.timeout, "import")
        if reply is None:
            self._kill()
            raise LoadError(f"{self.spec}: import did not finish within {self.timeout:g} s (a hang at import?)")
        if reply[0] == "load-error":
            self._kill()
            raise LoadError(reply[1])
        if reply[0] != "loaded":
            self._kill()
            raise LoadError(f"{self.spec}: {reply[1] if len(reply) > 1 else reply}")
        if reply[1]:
            self._kill()
            raise LoadError(f"{self.spec}: missing API names: {', '.join(reply[1])}")

    def _stderr_tail(self) -> str:
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-3:])

    def _receive(self, timeout: float, what: str):
        """The child's next message, None on time-out; a dead child raises or, at import, is described."""
        assert self._conn is not None and self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                if self._conn.poll(min(left, 0.5)):
                    return self._conn.recv()
            except (EOFError, OSError):
                pass
            code = self._proc.poll()
            if code is not None:
                try:
                    if self._conn.poll(0):
                        return self._conn.recv()
                except (EOFError, OSError):
                    pass
                tail = self._stderr_tail()
                detail = f"the process exited with status {code}" + (f"; stderr: {tail}" if tail else "")
                if what == "import":
                    return ("load-error", f"{self.spec}: {detail} at import")
                raise ImplCrashed(f"{what}: {detail}")

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def _ensure(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            self._start()

    def _exchange(self, message, name: str, timeout: float):
        self._ensure()
        assert self._conn is not None
        try:
            self._conn.send(message)
        except (OSError, EOFError):
            self._kill()
            raise ImplCrashed(f"{name}: the process died") from None
        try:
            reply = self._receive(timeout, name)
        except ImplCrashed:
            self._kill()
            raise
        if reply is None:
            self._kill()
            self.timeouts[name] += 1
            raise ImplTimeout(f"{name} did not return within {timeout:g} s (the process was stopped)")
        return reply

    # -- the interface -------------------------------------------------------
    def call(self, name: str, *args, **kwargs) -> Call:
        if self.timeouts[name] >= 3:
            raise ImplTimeout(f"{name} timed out 3 times already; not called again")
        reply = self._exchange(("call", name, args, kwargs, ARGUMENTS[name]), name, self.timeout)
        return as_call(reply, name)

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list[Call | ImplProblem]:
        if not arg_list:
            return []
        try:
            reply = self._exchange(("many", name, list(arg_list), kwargs, ARGUMENTS[name]),
                                   name, self.timeout)
        except ImplProblem:
            return super().call_many(name, arg_list, **kwargs)  # one by one, to find the culprit
        return as_calls(reply[1], [name] * len(arg_list))

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        return self.submit_each(calls)()

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        if not calls or any(self.timeouts[name] >= 3 for name, _, _ in calls):
            return super().submit_each(calls, checked=checked)
        message = ("each", [(name, args, kwargs, ARGUMENTS[name]) for name, args, kwargs in calls],
                   checked)
        try:
            self._ensure()
            assert self._conn is not None
            self._conn.send(message)  # the child reads at once: one message in flight, no deadlock
        except (OSError, EOFError, LoadError):
            self._kill()
            return super().submit_each(calls, checked=checked)

        def collect() -> list[Call | ImplProblem]:
            try:
                reply = self._receive(self.timeout, calls[0][0])
            except ImplCrashed:
                reply = None
            if reply is None:  # a hang or a crash somewhere: one call at a time, to find the culprit
                self._kill()
                return Impl.call_each(self, calls)
            return as_calls(reply[1], [name for name, _, _ in calls])
        return collect

    def submit_sweep(self, batch: dict, calls: list[tuple[str, int]]):
        """Sent at once; the child cuts the problems and computes while the caller evaluates the reference."""
        names = [n for n, _ in calls]
        if not calls or any(self.timeouts[n] >= 3 for n in set(names)):
            return self._sweep_one_by_one(batch, calls)
        try:
            self._ensure()
            assert self._conn is not None
            self._conn.send(("sweep", batch, calls))  # the child reads at once: one message in flight
        except (OSError, EOFError, LoadError):
            self._kill()
            return self._sweep_one_by_one(batch, calls)

        def collect():
            try:
                reply = self._receive(self.timeout, names[0])
            except ImplCrashed:
                reply = None
            if reply is None:
                self._kill()
                return self._sweep_one_by_one(batch, calls)()
            return reply[1]
        return collect

    def _sweep_one_by_one(self, batch: dict, calls: list[tuple[str, int]]):
        """After a hang or crash in a batch: each call alone, with the time limit, to find the culprit."""
        results = Impl.call_each(self, [(n, worker.cut(batch, n, i), {}) for n, i in calls])
        out = worker.sweep_calls(Replay(results), batch, calls)
        return lambda: out

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(("quit",))
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        self._stderr.close()
