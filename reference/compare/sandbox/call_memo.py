"""Each question asked once: a call the implementation already answered is answered again from its reply.

Properties that draw with the same strategy and seed check the same problems,
and one check often makes the call another just made (several questions each look
at one array of the same call on the same examples): about a third of a default run's
calls repeat an earlier one. :class:`CallMemo` keeps, per submission, the replies
of calls that returned, filed under the call as the worker sees it: the
function's name and every argument by type, dtype, shape, memory order and bits
(−0.0 is not 0.0, nor ``np.float64(1)`` the float 1.0). A repeated call is
answered with a copy of that reply (its value, the inputs it modified, its
warnings) and is not sent; calls repeated within one request are sent once.

What is judged is unchanged for an implementation that computes a function of
its inputs, which is what the API asks: each property checks the reply to the
same call. An implementation whose answers change from call to call (it counts
its calls, draws random numbers) is judged on its first answer to each call.
That holds for a call that raised or exited too: it is kept (:class:`ImplRaised`,
:class:`ImplExited`, by a digest of the call) and every later asker gets the same
problem, so a function that raises the first time it sees an input and answers
afterwards is an error of the property whose call raised, whether that call was
made by its check, fetched ahead for it, or made again by Hypothesis replaying the
failing example (which then fails the same way: no Flaky). A time-out or a crash
is not kept: it may be the machine's or the grader's, and the call is made again.
The replies that returned take at most ``limit`` bytes, counted over what an
entry keeps (the call's arguments, in its key, and the reply: arrays, text, and
an overhead per value), the least recently used dropped first; the problems,
a quarter of that, the oldest dropped first.

>>> import numpy as np
>>> memo = CallMemo()
>>> key = memo.key(("f", (np.zeros(2),), {}))
>>> key == memo.key(("f", (-np.zeros(2),), {}))
False
"""

from __future__ import annotations

import collections
import hashlib
import pickle
import struct
from typing import Any, Callable, Sequence

import numpy as np

from reference.compare.sandbox.interface import Call, ImplExited, ImplProblem, ImplRaised

__all__ = ["CallMemo", "LIMIT"]

#: The memo's default size in bytes (see :func:`_size`).
LIMIT = 64 << 20


class _Unkeyed(Exception):
    """An argument of a kind the memo does not file: its call is always sent."""


def _key(v: Any) -> Any:
    t = type(v)
    if t is np.ndarray:  # the strides say the memory order (a pickled array keeps C or Fortran order)
        if v.dtype.hasobject:  # its bytes are pointers, not values
            raise _Unkeyed
        return (v.dtype, v.shape, v.strides, v.flags.writeable, v.tobytes())  # pickle keeps read-only
    if t is list or isinstance(v, tuple):  # named tuples too, told apart by their type
        return (t, tuple([_key(x) for x in v]))
    if isinstance(v, float):  # np.float64 too, told apart by its type
        return (t, struct.pack("<d", v))
    if isinstance(v, np.generic):
        return (t, v.dtype, v.tobytes())
    if v is None or isinstance(v, (bool, int, str)):
        return (t, v)
    if t is dict and all(isinstance(k, str) for k in v):
        return (dict, tuple((k, _key(x)) for k, x in v.items()))
    raise _Unkeyed


def _copy(v: Any) -> Any:
    """A reply's value, copied: nothing the checks do to one answer reaches another."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, tuple):
        items = [x.copy() if type(x) is np.ndarray else _copy(x) for x in v]
        return type(v)(*items) if hasattr(v, "_fields") else tuple(items)
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


def _copied(c: Call) -> Call:
    return Call(_copy(c.value), list(c.mutated), list(c.warnings))


#: The problems kept: what the submission did, the same each time it is asked (not a time-out, not a crash).
_KEPT_PROBLEMS = (ImplRaised, ImplExited)


def _fresh(problem: ImplProblem) -> ImplProblem:
    """A copy of a kept problem without a traceback: each asker raises its own, from where it raises it
    (the first asker too, so that Hypothesis sees every asker's failure come from the same place)."""
    copy = type(problem).__new__(type(problem), *problem.args)
    copy.args = problem.args
    copy.__dict__.update(problem.__dict__)
    return copy


def _digest(key: Any) -> bytes:
    """A kept problem's key: a digest of the call's key, not its arguments' bytes."""
    return hashlib.blake2b(pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()


#: Bytes counted for each value, array or string besides its contents (Python's own headers).
_NODE = 64
#: Values that are only a node.
_PLAIN = frozenset({float, int, bool, type(None)})


def _size(v: Any) -> int:
    """What keeping ``v`` costs, roughly: contents (array bytes, characters) and a node's overhead each."""
    if isinstance(v, np.ndarray):
        return _NODE + v.nbytes
    if isinstance(v, (str, bytes)):
        return _NODE + len(v)
    if isinstance(v, (tuple, list)):  # the frequent items (arrays, numbers) counted here, without a call each
        return _NODE + sum([_NODE + x.nbytes if type(x) is np.ndarray else _NODE if type(x) in _PLAIN else _size(x)
                            for x in v])
    if isinstance(v, dict):
        return _NODE + sum(_size(k) + _size(x) for k, x in v.items())
    return _NODE


class CallMemo:
    """The replies of one submission's calls that returned, by call (at most ``limit`` bytes, roughly), and the
    problems of those that raised or exited (at most ``limit // 4``)."""

    def __init__(self, *, limit: int = LIMIT) -> None:
        self.limit, self.held = int(limit), 0
        self.hits = self.sent = 0  # calls answered here, calls sent: for the curious (and the tests)
        self._replies: collections.OrderedDict = collections.OrderedDict()
        self._problems: collections.OrderedDict = collections.OrderedDict()  # digest → (problem, size)
        self.problems_held = 0

    @staticmethod
    def key(call: tuple[str, tuple, dict]) -> Any:
        """What ``call`` (name, args, kwargs) is filed under; None if it is not filed."""
        name, args, kwargs = call
        try:
            return (name, _key(tuple(args)), _key(dict(kwargs)))
        except _Unkeyed:
            return None

    def _get(self, key: Any) -> Call | ImplProblem | None:
        if key is None:
            return None
        if key in self._replies:
            self._replies.move_to_end(key)
            return _copied(self._replies[key][0])
        if self._problems:
            kept = self._problems.get(_digest(key))
            if kept is not None:
                return _fresh(kept[0])
        return None

    def _put(self, key: Any, call: tuple, result: Any) -> None:
        if key is None or key in self._replies:
            return
        if isinstance(result, _KEPT_PROBLEMS):
            digest = _digest(key)
            if digest not in self._problems:
                size = 2 * _NODE + len(digest) + _size(str(result))
                self._problems[digest] = (_fresh(result), size)
                self.problems_held += size
                while self.problems_held > self.limit // 4:
                    self.problems_held -= self._problems.popitem(last=False)[1][1]
            return
        if not isinstance(result, Call):
            return
        size = _size(call) + _size(result.value) + _size(result.mutated) + _size(result.warnings)
        if size > self.limit:
            return
        self._replies[key] = (_copied(result), size)
        self.held += size
        while self.held > self.limit:
            self.held -= self._replies.popitem(last=False)[1][1]

    def submit(self, calls: Sequence[tuple[str, tuple, dict]],
               send: Callable[[list], Callable[[], list]]) -> Callable[[], list]:
        """``send`` (a ``submit_each``) given only the calls not answered yet, each once; the collector of all."""
        keys = [self.key(c) for c in calls]
        out: list = [self._get(k) for k in keys]
        first: dict = {}
        sent: list = []
        sent_keys: list = []
        where: list[tuple[int, int]] = []  # (index in calls, index in sent)
        for i, (k, hit) in enumerate(zip(keys, out)):
            if hit is not None:
                continue
            if k is not None and k in first:
                where.append((i, first[k]))
                continue
            if k is not None:
                first[k] = len(sent)
            where.append((i, len(sent)))
            sent.append(calls[i])
            sent_keys.append(k)
        self.hits += len(calls) - len(sent)
        self.sent += len(sent)
        if not sent:
            return lambda: out
        collect = send(sent)
        done: list = []

        def finish() -> list:
            if not done:
                results = collect()
                for k, c, r in zip(sent_keys, sent, results):
                    self._put(k, c, r)
                taken: set = set()
                for i, j in where:
                    r = results[j]
                    if isinstance(r, _KEPT_PROBLEMS):
                        r = _fresh(r)  # as every later asker gets it
                    out[i] = _copied(r) if j in taken and isinstance(r, Call) else r
                    taken.add(j)
                done.append(out)
            return done[0]
        return finish
