"""The interface the catalog calls an implementation through, and its in-process form.

An implementation under check is untrusted code: it may hang, crash, exit, print,
or modify its inputs. :class:`SubprocessImpl` runs it in a child process with a
time limit per call; a hang, crash or exit becomes an :class:`ImplProblem` for the
property concerned and the child is restarted for the next call.
:class:`InProcessImpl` calls a trusted module directly (the pytest default). Both
pass copies of the inputs, report which inputs were modified and what warned.
:class:`SubprocessImpl` lives in :mod:`reference.compare.sandbox.grader`.

>>> impl = InProcessImpl("handgrad")
>>> impl.call("d_rect", [0.0, 1.0]).value
array([0., 1.])
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any, Sequence

from handgrad.types import API, ARGUMENTS
from reference.compare.sandbox import worker

__all__ = [
    "Call", "ImplProblem", "ImplRaised", "ImplExited", "ImplCrashed", "ImplTimeout",
    "LoadError", "Impl", "InProcessImpl", "Replay", "as_calls", "as_call",
]


@dataclass
class Call:
    """A call that returned: its value, the inputs it modified, the warnings it raised."""

    value: Any
    mutated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Replay:
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


def as_calls(replies, names) -> list:
    out: list = []
    for r, name in zip(replies, names):
        try:
            out.append(as_call(r, name))
        except ImplProblem as exc:
            out.append(exc)
    return out


def as_call(message, name: str) -> Call:
    """A worker's reply to one call as a Call, or its problem raised."""
    kind = message[0]
    if kind == "ok":
        return Call(_restore(message[1]), list(message[2]), list(message[3]))
    if kind == "raised":
        _, typ, msg, where = message
        raise ImplRaised(f"{name} raised {typ}: {msg}" + (f" (at {where})" if where else ""))
    if kind == "exit":
        raise ImplExited(f"{name} called exit({message[1]!r})")
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
        results = worker.sweep_calls(self.module, batch, calls)
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
            self.module = worker.load(spec)
        except BaseException as exc:  # noqa: BLE001
            raise LoadError(worker.describe_load_error(spec, exc)) from None
        missing = [n for n in API if not hasattr(self.module, n)]
        if missing:
            raise LoadError(f"{spec}: missing API names: {', '.join(missing)}")

    def call(self, name: str, *args, **kwargs) -> Call:
        reply = worker.call_checked(getattr(self.module, name), args, kwargs, ARGUMENTS[name])
        return as_call(reply, name)
