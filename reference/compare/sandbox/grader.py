"""The grader's side of the sandbox: the implementation under test in a contained child process.

An implementation under check is untrusted code: it may hang, crash, exit, print,
modify its inputs, or attack the grader. :class:`SubprocessImpl` runs it in a
worker (:mod:`reference.compare.sandbox.worker`) contained as
:mod:`reference.compare.sandbox.isolation` allows, with a time limit per call;
what comes back is data (:mod:`reference.compare.sandbox.wire`), capped in size
from the shapes the calls must return. A hang, crash, exit or malformed reply
becomes an :class:`~reference.compare.sandbox.interface.ImplProblem` for the
property concerned and the worker is restarted for the next call. Its output is
kept in a bounded buffer (the last 64 kB), shown escaped.
"""

from __future__ import annotations

import collections
import math
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Sequence

from handgrad.types import API, PART_A, SHAPES
from reference.compare.sandbox import isolation, wire, worker
from reference.compare.sandbox.adapter import read_adapter
from reference.compare.sandbox.interface import (
    Call,
    Impl,
    ImplCrashed,
    ImplProblem,
    ImplTimeout,
    LoadError,
    Replay,
    as_calls,
    check_sweep,
    escape,
)
from reference.compare.sandbox.staging import stage

__all__ = ["SubprocessImpl", "DeadlineReached", "OutputTail"]

#: The worker's first lines: the grader's own tree (argv[1]) goes on sys.path before site-packages, so that the
#: worker imports handgrad and reference from the tree it was started from (``-I`` ignores PYTHONPATH, and an
#: editable install may point elsewhere); then worker.py runs with argv = [worker.py, fd, spec, ...].
_BOOT = ("import runpy, sys; root = sys.argv.pop(1); "
         "sys.path.insert(next((i for i, p in enumerate(sys.path) if p.endswith('-packages')), len(sys.path)), root); "
         "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
#: The folder holding the packages handgrad and reference this grader runs.
_ROOT = str(pathlib.Path(worker.__file__).resolve().parents[3])
_SLACK = 1 << 20  # bytes any reply may hold beyond its arrays' expected size


class DeadlineReached(ImplTimeout):
    """The run's overall deadline passed: no more calls."""


class OutputTail:
    """The last ``size`` bytes a process wrote to a pipe, read by a thread (memory stays bounded)."""

    def __init__(self, pipe, size: int = 64 << 10) -> None:
        self.size, self.total, self._buf, self._lock = size, 0, bytearray(), threading.Lock()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe) -> None:
        with pipe:
            while chunk := pipe.read1(1 << 16):
                with self._lock:
                    self.total += len(chunk)
                    self._buf += chunk
                    del self._buf[:-self.size]

    def since(self, mark: int) -> str:
        """What was written since ``total`` was ``mark`` (at most the last ``size`` bytes), escaped."""
        with self._lock:
            text = bytes(self._buf[-min(self.total - mark, self.size):]) if self.total > mark else b""
        return escape(text.decode(errors="replace").strip(), 2000)


def _entries(name: str, args: tuple) -> int:
    """How many numbers a call of ``name`` on ``args`` returns, from the API's shapes."""
    if name in PART_A:
        x = args[0] if args else 0
        return int(getattr(x, "size", 1))
    try:
        params, X = args[0], args[1]
        sizes = {"n": X.shape[0], "d": X.shape[1], "dh": params[0].shape[0], "m": params[2].shape[0]}
    except (AttributeError, IndexError, TypeError):
        return 0
    prefix = {"gradient_descent": ("W1", "b1", "W2", "b2")}.get(name)
    keys = prefix or [k for k in SHAPES if k == name or k.startswith(name + ".")]
    return sum(math.prod(sizes[s] for s in SHAPES[k]) for k in keys)


class SubprocessImpl(Impl):
    """An untrusted implementation in a contained child process, ``timeout`` seconds a call.

    ``deadline`` (a ``time.monotonic()`` value) ends every call after it with
    :class:`DeadlineReached`. ``hide`` names folders the worker must not see
    (in the namespace mode). The submission (a .py file or a notebook, with the
    other files of its folder) is copied into the worker's own folder; a module
    name is imported as installed.

    ``adapter``: an adapter file (or a bundled template's name, ``"mlp_class"``),
    read and validated here first (``ValueError`` naming the file and the key),
    then copied beside the submission and applied by the worker right after the
    import. ``run_all_cells``: a notebook runs every top-level statement, not only
    its definitions. ``allow_missing``: a submission lacking API names still loads;
    :attr:`missing` names them, and a call of one is answered as raised
    ``NotImplementedError`` (without it, :class:`LoadError`).
    """

    def __init__(self, spec: str, *, timeout: float = 10.0, deadline: float | None = None,
                 limits: isolation.Limits | None = None, hide: tuple[str, ...] = (),
                 adapter: str | os.PathLike | None = None, run_all_cells: bool = False,
                 allow_missing: bool = False) -> None:
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a finite number of seconds > 0; got {timeout!r}")
        self.adapter = read_adapter(adapter)[0] if adapter is not None else None
        self.spec, self.timeout, self.deadline = spec, float(timeout), deadline
        self.limits, self.hide = limits or isolation.Limits(), tuple(hide)
        self.run_all_cells, self.allow_missing = bool(run_all_cells), bool(allow_missing)
        self.isolation = isolation.probe()
        self.timeouts: collections.Counter[str] = collections.Counter()
        self.modules: set[str] = set()  # watched modules the submission's process imported
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._ids = 0
        self._workdir = tempfile.mkdtemp(prefix="handgrad-worker-")
        os.chmod(self._workdir, 0o777)  # the worker's own folder, whatever user it runs as
        try:
            self._staged = stage(self._workdir, spec, adapter=self.adapter, run_all_cells=self.run_all_cells)
            self._start()
        except BaseException as exc:
            shutil.rmtree(self._workdir, ignore_errors=True)
            if isinstance(exc, (ValueError, OSError)) and not isinstance(exc, LoadError):
                raise LoadError(f"{spec}: cannot copy it for its worker: {exc}") from None
            raise

    # -- process management ------------------------------------------------
    def _shown_text(self, text: str) -> str:
        """A message with the worker's copies (the submission's folder, the adapter) named as the user named them."""
        return self._staged.shown(text)

    def _start(self) -> None:
        parent, child = socket.socketpair()
        argv = [sys.executable, "-I", "-c", _BOOT, _ROOT, worker.__file__, str(child.fileno()), self._staged.target,
                *self._staged.options]
        line, preexec = isolation.command(argv, workdir=self._workdir, mode=self.isolation, limits=self.limits,
                                          hide=self.hide)
        self._proc = subprocess.Popen(
            line, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=self._workdir, env=isolation.environment(self._workdir),
            start_new_session=True, preexec_fn=preexec)
        child.close()
        self._sock = parent
        self.output = OutputTail(self._proc.stdout)
        try:
            hello = self._receive(self._left(self.timeout), "import", 1 << 16)
        except ImplProblem as exc:
            self._kill()
            raise LoadError(self._shown_text(f"{self.spec}: {exc}")) from None
        self._loaded(hello)

    def _loaded(self, hello: Any) -> None:
        if hello is None:
            self._kill()
            raise LoadError(f"{self.spec}: import did not finish within {self.timeout:g} s (a hang at import?)")
        if isinstance(hello, dict) and isinstance(hello.get("load_error"), str):
            self._kill()
            raise LoadError(self._shown_text(escape(hello["load_error"], 1000)))
        if not (isinstance(hello, dict) and hello.get("loaded") is True and isinstance(hello.get("missing"), list)):
            self._kill()
            raise LoadError(f"{self.spec}: the worker did not start as it should")
        self._note_modules(hello.get("modules"))
        if hello["missing"] and not self.allow_missing:
            self._kill()
            raise LoadError(f"{self.spec}: missing API names: {', '.join(escape(n, 40) for n in hello['missing'])}")
        self.missing = frozenset(n for n in API if n in hello["missing"])

    def _note_modules(self, modules: Any) -> None:
        if isinstance(modules, list):
            self.modules |= {m for m in modules if m in worker.WATCHED}

    def _left(self, timeout: float) -> float:
        """This call's time: ``timeout``, cut to the overall deadline."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached("not called: the overall deadline (--total-timeout) was reached")
        return min(timeout, left)

    def _receive(self, timeout: float, what: str, limit: int) -> Any:
        """The worker's next frame; None on time-out; ImplCrashed if it died or broke the protocol."""
        assert self._sock is not None and self._proc is not None
        mark = self.output.total
        try:
            return wire.receive(self._sock, deadline=time.monotonic() + timeout, limit=limit)
        except TimeoutError:
            return None
        except (EOFError, OSError, wire.WireError) as exc:
            broke = isinstance(exc, wire.WireError)
            detail = f"a reply that breaks the protocol ({exc})" if broke else self._death()
            self._kill()
            tail = self.output.since(mark)
            raise ImplCrashed(self._shown_text(f"{what}: {detail}" + (f"; output: {tail}" if tail else ""))) from None

    def _death(self) -> str:
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the process stopped answering"
        if code < 0:
            return f"the process was killed by signal {signal.Signals(-code).name}"
        return f"the process exited with status {code}"

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # the worker's session: it and what it started
            except (ProcessLookupError, PermissionError):
                self._proc.kill()
            self._proc.wait()
        if self._sock is not None:
            self._sock.close()
        self._proc = self._sock = None

    def _ensure(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            try:
                self._start()
            except LoadError as exc:
                raise ImplCrashed(f"the process could not be restarted: {exc}") from None

    def _send(self, message: dict, name: str, timeout: float) -> None:
        self._ensure()
        assert self._sock is not None
        try:
            self._sock.settimeout(timeout)
            wire.send_pickled(self._sock, message)
        except OSError:  # a worker that does not read, or died
            self._kill()
            raise ImplCrashed(f"{name}: the process does not take its calls") from None

    def _reply(self, name: str, timeout: float, limit: int, key: str) -> Any:
        """The reply to the request just sent: its ``key`` part; a time-out stops the worker."""
        reply = self._receive(timeout, name, limit)
        if reply is None:
            self._kill()
            self.timeouts[name] += 1
            raise ImplTimeout(f"{name} did not return within {timeout:g} s (the process was stopped)")
        if not isinstance(reply, dict) or reply.get("id") != self._ids or key not in reply:
            self._kill()
            raise ImplCrashed(f"{name}: a reply that does not answer the call")
        return reply[key]

    # -- the interface -------------------------------------------------------
    def call(self, name: str, *args, **kwargs) -> Call:
        result = self.call_each([(name, args, kwargs)])[0]
        if isinstance(result, ImplProblem):
            raise result
        return result

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list[Call | ImplProblem]:
        return self.call_each([(name, tuple(args), kwargs) for args in arg_list])

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        return self.submit_each(calls)()

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        if not calls:
            return lambda: []
        names = [name for name, _, _ in calls]
        try:
            timeout = self._left(self.timeout)
            if any(self.timeouts[n] >= 3 for n in names):
                raise ImplTimeout(f"{names[0]} timed out 3 times already; not called again")
            self._ids += 1
            self._send({"op": "each", "id": self._ids, "calls": [list(c) for c in calls], "checked": checked},
                       names[0], timeout)
        except ImplProblem as exc:
            problem = exc
            if isinstance(problem, ImplTimeout):  # deadline, or timed out too often: none is called
                return lambda: [problem] * len(calls)
            return (lambda: [problem]) if len(calls) == 1 else (lambda: Impl.call_each(self, calls))
        limit = _SLACK + 8 * 4 * sum(_entries(n, a) for n, a, _ in calls)

        def collect() -> list[Call | ImplProblem]:
            try:
                replies = self._reply(names[0], timeout, limit, "replies")
            except ImplProblem as exc:
                if len(calls) == 1:
                    return [exc]
                return Impl.call_each(self, calls)  # a hang or a crash somewhere: one at a time, to find it
            return [self._shown_call(r) for r in as_calls(replies, names)]
        return collect

    def _shown_call(self, r):
        if isinstance(r, ImplProblem):
            r.args = (self._shown_text(str(r)),)
        return r

    def submit_sweep(self, batch: dict, calls: list[tuple[str, int]]):
        """Sent at once; the worker cuts the problems and computes while the grader evaluates the reference."""
        names = [n for n, _ in calls]
        try:
            timeout = self._left(self.timeout)
            if not calls or any(self.timeouts[n] >= 3 for n in set(names)):
                raise ImplTimeout("one at a time")
            self._ids += 1
            self._send({"op": "sweep", "id": self._ids, "batch": batch, "calls": [list(c) for c in calls]},
                       names[0], timeout)
        except ImplProblem:
            return self._sweep_one_by_one(batch, calls)
        expected = sum(v.size for k, v in batch.items() if k in ("X", "W1", "b1", "W2", "b2")) * 8
        limit = _SLACK + 64 * expected

        def collect():
            try:
                return check_sweep(self._reply(names[0], timeout, limit, "sweep"), batch, calls)
            except ImplProblem:
                return self._sweep_one_by_one(batch, calls)()
        return collect

    def _sweep_one_by_one(self, batch: dict, calls: list[tuple[str, int]]):
        """After a hang or crash in a batch: each call alone, with the time limit, to find the culprit."""
        results = Impl.call_each(self, [(n, worker.cut(batch, n, i), {}) for n, i in calls])
        out = check_sweep(worker.sweep_calls(Replay(results), batch, calls), batch, calls)
        return lambda: out

    def close(self) -> None:
        if self._sock is not None and self._proc is not None and self._proc.poll() is None:
            try:
                self._sock.settimeout(2)
                wire.send_pickled(self._sock, {"op": "modules"})
                reply = wire.receive(self._sock, deadline=time.monotonic() + 2, limit=1 << 16)
                self._note_modules(reply.get("modules") if isinstance(reply, dict) else None)
            except (OSError, EOFError, TimeoutError, wire.WireError):
                pass
        self._kill()
        shutil.rmtree(self._workdir, ignore_errors=True)
