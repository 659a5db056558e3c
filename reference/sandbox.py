"""Calling an implementation under test: in this process, or in a child process.

An implementation under check is untrusted code: it may hang, crash, exit, print,
or modify its inputs. :class:`SubprocessImpl` runs it in a child process with a
time limit per call; a hang, crash or exit becomes an :class:`ImplProblem` for the
property concerned and the child is restarted for the next call.
:class:`InProcessImpl` calls a trusted module directly (the pytest default). Both
pass copies of the inputs, report which inputs were modified and what warned.

>>> impl = InProcessImpl("handgrad")
>>> impl.call("d_rect", [0.0, 1.0]).value
array([0., 1.])
"""

from __future__ import annotations

import collections
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Sequence

from reference import _worker

__all__ = [
    "API", "Call", "ImplProblem", "ImplRaised", "ImplExited", "ImplCrashed", "ImplTimeout",
    "LoadError", "Impl", "InProcessImpl", "SubprocessImpl", "open_impl",
]

API = _worker.API
ARG_NAMES = {
    "forward": ("params", "X"), "loss": ("params", "X", "y"),
    "risk": ("params", "X", "y", "lambdas"), "backprop": ("params", "X", "y", "lambdas"),
    "gradient_descent": ("params", "X", "y", "lambdas"),
}


@dataclass
class Call:
    """A call that returned: its value, the inputs it modified, the warnings it raised."""

    value: Any
    mutated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Replay:
    """Stands for the implementation: gives back, in order, results already obtained call by call."""

    def __init__(self, results: list) -> None:
        self._results = iter(results)

    def __getattr__(self, name: str):
        def replay(*args, **kwargs):
            r = next(self._results)
            if isinstance(r, ImplProblem):
                raise r
            return r.value
        return replay


class ImplProblem(Exception):
    """The implementation did not return: it raised, exited, crashed or hung."""


class ImplRaised(ImplProblem):
    pass


class ImplExited(ImplProblem):
    pass


class ImplCrashed(ImplProblem):
    pass


class ImplTimeout(ImplProblem):
    pass


class LoadError(Exception):
    """The implementation cannot be loaded, or lacks API names (exit status 2)."""


_nt_cache: dict[tuple, type] = {}


def _restore(v):
    if isinstance(v, tuple) and len(v) == 4 and v[0] == "namedtuple":
        _, typename, fields, values = v
        key = (typename, fields)
        if key not in _nt_cache:
            _nt_cache[key] = collections.namedtuple(typename, fields)
        return _nt_cache[key](*(_restore(x) for x in values))
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "object":
        return _Opaque(v[1], v[2])
    if isinstance(v, tuple):
        return tuple(_restore(x) for x in v)
    return v


@dataclass
class _Opaque:
    """A returned object that could not cross the process boundary."""

    typename: str
    text: str


def _replies(replies, names) -> list:
    out: list = []
    for r, name in zip(replies, names):
        try:
            out.append(_reply(r, name))
        except ImplProblem as exc:
            out.append(exc)
    return out


def _reply(reply, name: str) -> Call:
    kind = reply[0]
    if kind == "ok":
        return Call(_restore(reply[1]), list(reply[2]), list(reply[3]))
    if kind == "raised":
        _, typ, msg, where = reply
        raise ImplRaised(f"{name} raised {typ}: {msg}" + (f" (at {where})" if where else ""))
    if kind == "exit":
        raise ImplExited(f"{name} called exit({reply[1]!r})")
    raise ImplCrashed(f"{name}: unexpected reply {kind!r}")


class Impl:
    """The interface the catalog uses: ``call`` one function, ``call_many`` on many inputs."""

    spec: str

    def call(self, name: str, *args, **kwargs) -> Call:
        raise NotImplementedError

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list[Call | ImplProblem]:
        """``name`` on each of ``arg_list`` (one round trip in a child process)."""
        out: list[Call | ImplProblem] = []
        for args in arg_list:
            try:
                out.append(self.call(name, *args, **kwargs))
            except ImplProblem as exc:
                out.append(exc)
        return out

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        """Start :meth:`call_each`; the returned function waits for the results.

        In a child process the calls run while the caller goes on (the bulk sweep
        evaluates the reference meanwhile). ``checked=False`` skips watching
        inputs and warnings (properties X2 and X4 check those).
        """
        results = Impl.call_each(self, calls)  # the one-by-one version, whatever the subclass
        return lambda: results

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        """Several different calls ``(name, args, kwargs)`` (one round trip in a child process)."""
        out: list[Call | ImplProblem] = []
        for name, args, kwargs in calls:
            try:
                out.append(self.call(name, *args, **kwargs))
            except ImplProblem as exc:
                out.append(exc)
        return out

    def submit_sweep(self, batch: dict, calls: list[tuple[str, int]]):
        """The bulk sweep's calls ``(name, problem index)`` on a padded batch; returns a collector."""
        results = _worker.sweep_calls(self.module, batch, calls)
        return lambda: results

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class InProcessImpl(Impl):
    """A trusted module, called directly (inputs still copied and watched)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        try:
            self.module = _worker.load(spec)
        except BaseException as exc:  # noqa: BLE001
            raise LoadError(_worker.describe_load_error(spec, exc)) from None
        missing = [n for n in API if not hasattr(self.module, n)]
        if missing:
            raise LoadError(f"{spec}: missing API names: {', '.join(missing)}")

    def call(self, name: str, *args, **kwargs) -> Call:
        reply = _worker.call_checked(getattr(self.module, name), args, kwargs, ARG_NAMES.get(name, ("x",)))
        return _reply(reply, name)


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
            [sys.executable, "-c", _BOOT, _worker.__file__, str(child.fileno()), spec],
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
        reply = self._exchange(("call", name, args, kwargs, ARG_NAMES.get(name, ("x",))), name, self.timeout)
        return _reply(reply, name)

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list[Call | ImplProblem]:
        if not arg_list:
            return []
        try:
            reply = self._exchange(("many", name, list(arg_list), kwargs, ARG_NAMES.get(name, ("x",))),
                                   name, self.timeout)
        except ImplProblem:
            return super().call_many(name, arg_list, **kwargs)  # one by one, to find the culprit
        return _replies(reply[1], [name] * len(arg_list))

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        return self.submit_each(calls)()

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        if not calls or any(self.timeouts[name] >= 3 for name, _, _ in calls):
            return super().submit_each(calls, checked=checked)
        message = ("each", [(name, args, kwargs, ARG_NAMES.get(name, ("x",))) for name, args, kwargs in calls],
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
            return _replies(reply[1], [name for name, _, _ in calls])
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
        results = Impl.call_each(self, [(n, _worker._cut(batch, n, i), {}) for n, i in calls])
        out = _worker.sweep_calls(_Replay(results), batch, calls)
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


def open_impl(spec: str, *, isolate: bool = True, timeout: float = 10.0) -> Impl:
    """The implementation ``spec`` (module name or .py path), in a child process unless ``isolate=False``."""
    return SubprocessImpl(spec, timeout=timeout) if isolate else InProcessImpl(spec)
