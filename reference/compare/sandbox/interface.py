"""The interface the catalog calls an implementation through, and its in-process form.

An implementation under check is untrusted code: it may hang, crash, exit, print,
or modify its inputs. :class:`SubprocessImpl` runs it in a child process with a
time limit per call; a hang, crash or exit becomes an :class:`ImplProblem` for the
property concerned and the child is restarted for the next call.
:class:`InProcessImpl` calls a trusted module directly (the pytest default). Both
pass copies of the inputs, report which inputs were modified and what warned.
:class:`SubprocessImpl` lives in :mod:`reference.compare.sandbox.grader_side`.

>>> impl = InProcessImpl("handgrad")
>>> one = TABLE.names[0]  # a function of one array
>>> impl.call(one, [0.0, 1.0]).value.shape
(2,)
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import os
from typing import Any, Iterator, Sequence

import numpy as np

from reference.compare.call_outcomes import (
    Call,
    ImplCrashed,
    ImplExited,
    ImplProblem,
    ImplRaised,
    ImplTimeout,
    Refused,
    WrongReply,
)
from reference.compare.exercise import EXERCISE
from reference.compare.sandbox import wire, worker_side
from reference.compare.submissions.adapter import read_adapter
from reference.compare.submissions.layouts import inexpressible

__all__ = [
    "Call", "ImplProblem", "ImplRaised", "WrongReply", "ImplExited", "ImplCrashed", "ImplTimeout", "Refused",
    "LoadError", "StartFailed", "Impl", "StandIn", "asking", "InProcessImpl", "Replay", "as_calls", "as_call",
    "check_sweep", "escape", "wrong_reply", "NAMED_REPLIES", "TABLE",
]

#: The API as the grader's side reads it: the exercise's table and answer key (its description, :data:`EXERCISE`).
#: Every worker is started with them (:meth:`~reference.compare.sandbox.worker_side.Table.start_arguments`).
TABLE = worker_side.Table(EXERCISE.api, EXERCISE.answer_key)


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


class LoadError(Exception):
    """The implementation cannot be loaded, or lacks API names (exit status 2)."""


class StartFailed(Exception):
    """The grader could not start a worker (no process left to its user, no memory: ``EAGAIN``, ``ENOMEM``),
    before any of the submission's code ran: the grader's own failure ("internal", graded again by
    ``--resume``), never the submission's load error."""


def escape(text: Any, limit: int = 500) -> str:
    """Text from the submission, safe to show on one line: control characters escaped, length capped."""
    text = text if isinstance(text, str) else repr(text)
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return out + ("…" if len(text) > limit else "")


def shell_word(word: str) -> str:
    """One word of a command line to copy into a shell, shown on one line: ``shlex.quote(word)`` when every
    character of it is printable, else bash's ``$'...'`` with each control character escaped as :func:`escape`
    shows it (``$'a\\nb'``; a byte of a file name that is not UTF-8 as ``\\xff``): copied, it is the same word,
    and nothing in it runs."""
    import shlex

    if word.isprintable():
        return shlex.quote(word)
    out = []
    for c in word:
        if c in "\\'":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF:  # a byte that is not UTF-8, as Python reads a file name
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        else:
            out.append(repr(c)[1:-1] if ord(c) < 0x80 else f"\\U{ord(c):08x}")
    return "$'" + "".join(out) + "'"


def as_calls(replies: Any, names: Sequence[str]) -> list:
    """A worker's replies to several calls: a Call or an ImplProblem each (a missing reply is a problem)."""
    if not isinstance(replies, list) or len(replies) != len(names):
        return [ImplCrashed(f"{name}: the worker's replies do not match its calls") for name in names]
    out: list = []
    for r, name in zip(replies, names):
        try:
            out.append(as_call(r, name))
        except ImplProblem as exc:
            out.append(exc)
    return out


#: The functions whose value is one of the API's named tuples: its name and fields.
NAMED_REPLIES = {fn: (t.__name__, tuple(t._fields)) for fn, t in TABLE.replies.items()}


def _what(value: Any) -> str:
    """How a message names a value the submission returned: its type, and a short form of small values."""
    kind = type(value).__name__
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return f"an int of {len(str(abs(value)))} digits" if abs(value) >= 10**20 else f"the int {value}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, wire.Opaque):
        return f"an object of type {escape(value.typename, 100)}"
    if isinstance(value, (tuple, list, dict)):
        return f"a {kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a value of type {escape(kind, 100)}"


def _unrepresentable(value: Any, depth: int = 0) -> int | None:
    """A Python int in ``value`` (its items looked into) too large for any float64, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) > 1.7976931348623157e308 else None
    if isinstance(value, (tuple, list)) and depth < 16:
        for v in value:
            bad = _unrepresentable(v, depth + 1)
            if bad is not None:
                return bad
    if isinstance(value, dict) and depth < 16:
        return _unrepresentable(list(value.values()), depth + 1)
    return None


def wrong_reply(name: str, value: Any) -> WrongReply | None:
    """Why ``value``, returned by ``name``, is not a value of the API's form (:class:`WrongReply`), or None.

    Checked once, where every reply comes in: a named tuple must carry its fields (a field may be None: not
    implemented, told by the property), and no number may be one no float64 holds.

    >>> fn, (kind, fields) = next(iter(NAMED_REPLIES.items()))
    >>> told = str(wrong_reply(fn, None))
    >>> told.startswith(f"{fn} returned None; it must return a") and told.endswith(f" {kind}, a named tuple with "
    ...                                                                            f"fields {', '.join(fields)}")
    True
    >>> wrong_reply(TABLE.names[0], 10**400) is not None
    True
    """
    named = NAMED_REPLIES.get(name)
    if named is not None and not (isinstance(value, tuple) and all(hasattr(value, f) for f in named[1])):
        article = "an" if named[0][0] in "AEIOU" else "a"
        return WrongReply(f"{name} returned {_what(value)}; it must return {article} {named[0]}, a named tuple "
                          f"with fields {', '.join(named[1])}")
    big = _unrepresentable(value)
    if big is not None:
        return WrongReply(f"{name} returned {_what(big)}, a number no float64 holds")
    return None


@functools.lru_cache(maxsize=None)
def positional(name: str) -> type:
    """The named tuple ``name`` must return, built from a plain tuple or list of its items in order: read by
    position, its values are judged; its class says so (``positional``: the types' question charges it once)."""
    kind, fields = NAMED_REPLIES[name]
    return type(kind, (collections.namedtuple(kind, fields),), {"__slots__": (), "positional": True})


def _read_by_position(name: str, value: Any) -> Any:
    """``value`` as ``name``'s named tuple when it is a plain tuple or list of as many items (attack round 13: a
    plain tuple in the fields' order was an error at every property that called the function, 17 of 32)."""
    named = NAMED_REPLIES.get(name)
    if named is not None and type(value) in (tuple, list) and len(value) == len(named[1]):
        return positional(name)(*value)
    return value


def as_call(reply: Any, name: str) -> Call:
    """A worker's reply to one call (decoded data, checked here) as a Call, or its problem raised."""
    status = reply.get("status") if isinstance(reply, dict) else None
    if status == "ok" and "value" in reply:
        mutated, warned = reply.get("mutated"), reply.get("warnings")
        if not isinstance(mutated, list) or not isinstance(warned, list):
            raise ImplCrashed(f"{name}: a reply of the wrong form")
        value = _read_by_position(name, reply["value"])
        wrong = wrong_reply(name, value)
        if wrong is not None:
            raise wrong
        return Call(value, [escape(m, 100) for m in mutated[:20]], [escape(w) for w in warned[:20]])
    if status == "raised":
        where, kind = escape(reply.get("where", ""), 300), escape(reply.get("type"), 100)
        raise ImplRaised(f"{name} raised {kind}: {escape(reply.get('message'))}" + (f" (at {where})" if where else ""),
                         kind, name)
    if status == "exit":
        raise ImplExited(f"{name} called exit({escape(reply.get('code'), 200)})")
    raise ImplCrashed(f"{name}: a reply of the wrong form")


def check_sweep(reply: Any, batch: dict, calls: list[tuple[str, int]]) -> dict:
    """The sweep's stacked results, checked: every called function's arrays of the padded shapes.

    What is missing, of another shape or dtype, counts as not returned: ``ok``
    False for every problem it concerns. The grader, not the worker, decides
    what was called (``calls``) and so what must be there.
    """
    B = len(batch["dims"])
    bucket = TABLE.padded_sizes(batch)
    called = {name for name, _ in calls}
    got = reply if isinstance(reply, dict) else {}
    values, ok = got.get("values") or {}, got.get("ok") or {}
    out_values, out_ok = {}, {}
    for name_, (fn, _, axes) in TABLE.sweep_fields.items():
        if fn not in called:
            continue
        shape = (B,) + tuple(bucket[TABLE.dims[a]] for a in axes)
        v = values.get(name_) if isinstance(values, dict) else None
        k = ok.get(name_) if isinstance(ok, dict) else None
        good = (isinstance(v, np.ndarray) and v.shape == shape and v.dtype == np.float64
                and isinstance(k, np.ndarray) and k.shape == (B,) and k.dtype == np.bool_)
        out_values[name_] = v if good else np.zeros(shape)
        out_ok[name_] = k if good else np.zeros(B, bool)
    errors = got.get("errors") if isinstance(got.get("errors"), list) else []
    return {"values": out_values, "ok": out_ok, "errors": errors}


class Impl:
    """The interface the catalog uses: ``call`` one function, ``call_many`` on many inputs."""

    spec: str
    #: The API names the submission lacks (loaded with ``allow_missing=True``; a call of one raises
    #: :class:`ImplRaised` for ``NotImplementedError``).
    missing: frozenset[str] = frozenset()
    #: The adapter as the grader read it (None: the submission follows the API): what it cannot express is
    #: not sent (:meth:`refused`).
    declared: Any = None
    #: Who sends the calls made now (a property's id; set with :func:`asking`): what the implementation
    #: prints computing them is that asker's, even when they are answered later.
    asker: str | None = None

    def printed(self, asker: str) -> str:
        """What the implementation printed computing ``asker``'s calls, escaped ("" when its output is not kept)."""
        return ""

    def refused(self, name: str, args: tuple) -> Refused | None:
        """Why a call of ``name`` on ``args`` is not sent (:class:`Refused`), or None: it is."""
        if self.declared is None:
            return None
        penalties = TABLE.argument_types["lambdas"]
        for arg in args:
            if isinstance(arg, penalties):
                reason = inexpressible(self.declared, arg)
                if reason:
                    return Refused(f"{name}: not sent: {reason}")
        return None

    def refused_lambdas(self, lambdas: np.ndarray) -> np.ndarray:
        """For the bulk sweep: which rows of λ (B × 4) are not sent, as :meth:`refused` decides."""
        if self.declared is None:
            return np.zeros(len(lambdas), bool)
        return np.array([inexpressible(self.declared, row) is not None for row in lambdas], bool)

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
        inputs and warnings (properties of their own check those).
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

    def call_shared(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        """``calls`` run in turn on the very same input objects: what one writes into its inputs, the next sees
        (a property watches for it). They get copies of the caller's objects, shared as the caller shares them; no call
        is answered from the memo; inputs and warnings are not watched."""
        shared = copy.deepcopy(list(calls))  # one copy: sharing between the calls is kept
        out: list[Call | ImplProblem] = []
        for name, args, kwargs in shared:
            try:
                refused = self.refused(name, tuple(args))
                if refused is not None:
                    raise refused
                out.append(self._call_in_place(name, tuple(args), kwargs))
            except ImplProblem as exc:
                out.append(exc)
        return out

    def _call_in_place(self, name: str, args: tuple, kwargs: dict) -> Call:
        """A call on these very objects (none copied): an implementation that can, does it."""
        return self.call(name, *args, **kwargs)

    def submit_sweep(self, batch: dict, calls: list[tuple[str, int]]):
        """The bulk sweep's calls ``(name, problem index)`` on a padded batch; returns a collector."""
        replies = TABLE.sweep_calls(self.module, batch, calls)
        results = check_sweep(wire.decode(wire.encode(replies)), batch, calls)
        return lambda: results

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StandIn:
    """Stands for ``self.impl``: what it does not define is ``impl``'s, and so is who asks (:func:`asking`).

    A stand-in that is also an :class:`Impl` has Impl's own methods (``close``…) first, but the
    implementation's ``missing`` and ``declared``: what the submission lacks and how its adapter reads.
    """

    impl: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self.impl, name)

    @property
    def missing(self) -> frozenset[str]:
        return self.impl.missing

    @property
    def declared(self) -> Any:
        return self.impl.declared

    @property
    def asker(self) -> str | None:
        return self.impl.asker

    @asker.setter
    def asker(self, asker: str | None) -> None:
        self.impl.asker = asker

    def printed(self, asker: str) -> str:
        return self.impl.printed(asker)

    def call_shared(self, calls: Sequence[tuple[str, tuple, dict]]) -> list:
        """Always the implementation's own, never answered from records: they were made on fresh copies."""
        return self.impl.call_shared(calls)


@contextlib.contextmanager
def asking(impl: Impl, asker: str | None) -> Iterator[None]:
    """The calls ``impl`` is sent meanwhile are ``asker``'s (see :meth:`Impl.printed`); a :class:`StandIn`
    passes it on.

    >>> impl = InProcessImpl("handgrad")
    >>> with asking(impl, "Q7"):
    ...     impl.asker
    'Q7'
    """
    before, impl.asker = getattr(impl, "asker", None), asker
    try:
        yield
    finally:
        impl.asker = before


class InProcessImpl(Impl):
    """A trusted module, file or notebook, called directly (inputs still copied and watched).

    ``adapter``, ``run_all_cells`` and ``allow_missing`` as for
    :class:`~reference.compare.sandbox.grader_side.SubprocessImpl`: the adapter file (or
    a template's name) is validated first (``ValueError``), then applied to the
    loaded module; a lacking name is a :class:`LoadError` unless ``allow_missing``.
    """

    def __init__(self, spec: str, *, adapter: str | os.PathLike | None = None, run_all_cells: bool = False,
                 allow_missing: bool = False) -> None:
        self.spec = spec
        path, declared = read_adapter(adapter) if adapter is not None else (None, None)
        self.declared = declared
        python = path if path is not None and path.suffix == ".py" else None
        try:
            self.module = worker_side.open_submission(spec, adapter=None if python else declared,
                                                      run_all_cells=run_all_cells, python_adapter=python)
        except (worker_side.SubmissionNotLoaded, worker_side.PythonAdapterError) as exc:
            raise LoadError(str(exc)) from None
        except BaseException as exc:  # noqa: BLE001
            raise LoadError(worker_side.describe_load_error(spec, exc)) from None
        missing = TABLE.missing_names(self.module)
        if missing and not allow_missing:
            raise LoadError(f"{spec}: missing API names: {', '.join(missing)}")
        self.missing = frozenset(missing)

    def _call_in_place(self, name: str, args: tuple, kwargs: dict) -> Call:
        reply = TABLE.call_named(self.module, name, args, kwargs, checked=False)
        return as_call(wire.decode(wire.encode(reply)), name)

    def call(self, name: str, *args, **kwargs) -> Call:
        refused = self.refused(name, args)
        if refused is not None:
            raise refused
        reply = TABLE.call_named(self.module, name, args, kwargs)
        # through the wire as in a child process: the same plain data, whatever the module returned
        return as_call(wire.decode(wire.encode(reply)), name)
