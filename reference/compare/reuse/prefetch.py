"""Calls fetched ahead: a replayed property's calls to the implementation in one round trip.

In a contained process each call costs a round trip (~0.8 ms of processor time
on both sides for a small problem; ~0.35 ms when 40 go together). When a
property is replayed (:mod:`reference.compare.reuse.shared`), the calls its check will
make on each example are known from the record: :class:`Tap` kept them while it
was recorded. :func:`fetch_ahead` sends the calls of the remaining examples at
once, and :func:`submit_ahead` those of the next property while this one is
checked; :class:`Serving` then stands for the implementation during one
example's check and answers a call from what came back when it is the same call
(same function, arguments equal bit for bit), else passes it on.

What the implementation computes is unchanged: the same calls, with the same
inputs, in the same order (but for a call the record did not foresee, made
after the calls fetched for the next property), each with its inputs copied and
watched as usual.
Only what succeeded is served: a call that raised, crashed or hung is made again
when the check reaches it, so its message and the run's state (a worker
restarted, the count of time-outs) are those of a run without fetching ahead. In
a contained process a call that raised or exited is not sent again: the worker's
memo answers it as it did (:mod:`reference.compare.sandbox.call_memo`), and the
property whose calls were fetched has that error.
An implementation whose state changes from call to call (it counts its calls,
caches results) may see more calls than in a single run.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Sequence

import numpy as np

from reference.compare.sandbox import Call, Impl, ImplCrashed, ImplExited, ImplProblem, ImplTimeout
from reference.compare.sandbox.interface import StandIn

__all__ = ["Tap", "Serving", "fetch_ahead", "submit_ahead", "same"]


class Tap(StandIn, Impl):
    """Stands for ``impl`` while a property is recorded: passes each call on, keeps (name, args, kwargs) in ``sink``."""

    def __init__(self, impl: Impl, sink: list) -> None:
        self.impl, self.sink = impl, sink

    def call(self, name: str, *args, **kwargs) -> Call:
        self.sink.append((name, args, kwargs))
        return self.impl.call(name, *args, **kwargs)

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list:
        self.sink.extend((name, tuple(args), kwargs) for args in arg_list)
        return self.impl.call_many(name, arg_list, **kwargs)

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list:
        self.sink.extend((name, tuple(args), kwargs) for name, args, kwargs in calls)
        return self.impl.call_each(calls)

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        if checked:
            self.sink.extend((name, tuple(args), kwargs) for name, args, kwargs in calls)
        return self.impl.submit_each(calls, checked=checked)


def same(a: Any, b: Any) -> bool:
    """``a`` and ``b`` are the same data for the worker: types, shapes, dtypes and every bit (−0.0 is not 0.0).

    A NumPy float64 scalar is a float here, as on the wire.
    """
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float):  # np.float64 too: the wire carries both as a float
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


class Serving(StandIn, Impl):
    """Stands for ``impl`` during one example's check: answers from ``entries`` ((name, args, kwargs), Call)."""

    def __init__(self, impl: Impl, entries: list) -> None:
        self.impl, self.entries = impl, list(entries)

    def _take(self, name: str, args: tuple, kwargs: dict) -> Call | None:
        for i, ((n, a, k), result) in enumerate(self.entries):
            if n == name and same(tuple(a), tuple(args)) and same(dict(k), dict(kwargs)):
                del self.entries[i]
                return result
        return None

    def call(self, name: str, *args, **kwargs) -> Call:
        hit = self._take(name, args, kwargs)
        return hit if hit is not None else self.impl.call(name, *args, **kwargs)

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list:
        return self.call_each([(name, tuple(args), kwargs) for args in arg_list])

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list:
        out: list = [self._take(name, tuple(args), kwargs) for name, args, kwargs in calls]
        missing = [i for i, r in enumerate(out) if r is None]
        if missing:
            for i, r in zip(missing, self.impl.call_each([calls[i] for i in missing])):
                out[i] = r
        return out

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        if not checked:
            return self.impl.submit_each(calls, checked=False)
        results = self.call_each(calls)
        return lambda: results


def fetch_ahead(impl: Impl, calls: list[list]) -> tuple[list[list], bool]:
    """Each example's recorded ``calls`` made in one round trip: per example [(call, Call)], and whether it went well.

    Only calls that returned are kept. It went badly when one hung, crashed or
    exited, or the whole batch outlasted one call's time limit (the worker then
    retried them one at a time): fetching ahead is not worth it on that
    implementation. Its count of time-outs is left as it was.
    """
    return submit_ahead(impl, calls)()


def submit_ahead(impl: Impl, calls: list[list]) -> Callable[[], tuple[list[list], bool]]:
    """:func:`fetch_ahead` started: the calls are sent now, and computed while the caller goes on.

    The returned function waits for them and gives what :func:`fetch_ahead`
    gives. In a contained process a request made meanwhile first reads this one's
    reply (one exchange at a time), so the calls are made in the order sent.
    """
    flat = [(name, tuple(args), kwargs) for example in calls for name, args, kwargs in example]
    if not flat:
        return lambda: ([[] for _ in calls], True)
    counts = getattr(impl, "timeouts", None)
    saved = dict(counts) if counts is not None else None
    collect = impl.submit_each(flat)

    def finish() -> tuple[list[list], bool]:
        results = collect()
        timed_out = saved is not None and dict(counts) != saved  # the batch did (then was retried one at a time)
        if saved is not None:
            counts.clear()
            counts.update(saved)
        served, k = [], 0
        for example in calls:
            served.append([(c, r) for c, r in zip(example, results[k:k + len(example)])
                           if not isinstance(r, ImplProblem)])
            k += len(example)
        return served, not timed_out and not any(isinstance(r, (ImplTimeout, ImplCrashed, ImplExited)) for r in results)
    # a contained process runs it once, when waited for or before its next request (the time-outs restored then)
    in_flight = getattr(impl, "in_flight", None)
    return in_flight(finish) if in_flight is not None else finish
