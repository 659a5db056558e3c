"""Replaying a record: a property's check on the examples a run drew, with the answers and calls kept.

:mod:`reference.compare.reuse.shared` says when a record stands for a run; this module
keeps records (:class:`Recording`, :func:`recording`) and replays one
(:class:`Replayer`), its calls fetched ahead (:mod:`reference.compare.reuse.prefetch`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from hypothesis.errors import UnsatisfiedAssumption

from reference.compare.exercise.catalog import Context, Property
from reference.compare.reuse.prefetch import Serving, Tap, fetch_ahead, submit_ahead
from reference.compare.running.body import (
    ABORTING,
    PropertyResult,
    PropertyTest,
    lacking,
    outcome_signature,
    reject_outside,
)
from reference.compare.sandbox import Refused, asking

__all__ = ["Recording", "recording", "Replayer", "replay_property", "DEFAULT_KINKS"]

#: The reference's slopes at 0 under the course's convention; evaluations at other kinks are not shared.
DEFAULT_KINKS = (0.0, 0.0)


@dataclass
class Recording:
    """What a property's run drew, in order: each example, the reference's answers (or None), the calls made."""

    examples: list = field(default_factory=list)
    #: per example, what its check asked of the reference ({the reference memo's key: answer}), or None: not kept
    evaluations: list = field(default_factory=list)
    #: per example, the calls its check made to the implementation: (name, args, kwargs)
    calls: list = field(default_factory=list)
    kinks: tuple[float, float] = DEFAULT_KINKS
    #: an example was not sent (its adapter cannot express it: :class:`Refused`): Hypothesis drew another, so what
    #: this run drew is its own, not what every passing run draws; never kept
    refused: bool = False


def recording(prop: Property, sink: Recording) -> Property:
    """``prop`` with a check that also keeps each example, its reference evaluation and its calls in ``sink``."""
    def check(ctx: Context, example: Any) -> None:
        calls: list = []
        sink.examples.append(example)
        sink.evaluations.append(None)
        sink.calls.append(calls)
        real, ctx.impl = ctx.impl, Tap(ctx.impl, calls)
        try:
            prop.check(ctx, example)
        except Refused:
            sink.refused = True
            raise
        finally:
            ctx.impl = real
            sink.evaluations[-1] = dict(ctx.answers)
    return dataclasses.replace(prop, check=check)


class Replayer:
    """Replays records to the implementation of ``ctx``; fetches each property's calls ahead while that goes well."""

    def __init__(self, ctx: Context, *, fetch: bool = True) -> None:
        self.ctx, self.fetch = ctx, fetch
        #: (example index, how its check ended) where the last replay gave up
        self.failure: tuple | None = None
        #: whether a property's calls may be sent while the one before is checked (not when they came back slowly)
        self.ahead = fetch

    def _limit(self) -> float | None:
        return getattr(self.ctx.impl, "timeout", None)

    def _slow(self, start: float, rec: Recording) -> bool:
        """Whether the calls of ``rec``'s other examples, at the pace of its first, would take half a call's limit."""
        limit = self._limit()
        return limit is not None and (time.perf_counter() - start) * (len(rec.examples) - 1) > limit / 2

    def submit(self, prop: Property, rec: Recording | None):
        """``rec``'s calls sent now (the worker computes them while this process checks the property before), with
        the time they were sent; None when they should not be."""
        if not (self.fetch and self.ahead and rec is not None and rec.examples and len(rec.calls) == len(rec.examples)
                and not lacking(prop, self.ctx.impl)):
            return None
        with asking(self.ctx.impl, prop.id):  # what they print is the property's they are for
            return submit_ahead(self.ctx.impl, rec.calls), time.perf_counter()

    def _fetched(self, sent: tuple) -> list:
        future, when = sent
        served, ok = future()
        limit = self._limit()
        self.fetch = self.fetch and ok
        self.ahead = self.ahead and ok and not (limit is not None and time.perf_counter() - when > limit / 2)
        return served

    def _the_others(self, rec: Recording, start: float, then: Callable[[], None]) -> list:
        """The calls of ``rec``'s examples after the first, fetched at once if that is worth it ([] if not)."""
        if not (self.fetch and len(rec.calls) == len(rec.examples) and not self._slow(start, rec)):
            return []
        served, self.fetch = fetch_ahead(self.ctx.impl, rec.calls[1:])
        then()
        return [[]] + served

    def run(self, prop: Property, rec: Recording, *, replay: str = "", shrink: bool = True,
            sent: tuple | None = None, then: Callable[[], None] = lambda: None) -> PropertyResult | None:
        """The result a run of ``prop`` gives on ``rec``'s examples; None when one fails (run it under Hypothesis).

        The runner's test body (:class:`~reference.compare.running.body.PropertyTest`) is called on each example,
        with the reference's answers the record keeps, and ends the run as it ends the runner's: an inherited
        (else uninformed) failure does not stop it, and a hang, crash or exit ends it at that example, unshrunk.
        At any other failure, a refusal or a NotImplementedError it gives up: the runner decides (and shrinks).
        The calls are fetched ahead: after the first example, or all while the property before was checked
        (``sent``); ``then()`` may then send the next property's.
        """
        ctx, self.failure = self.ctx, None
        if lacking(prop, ctx.impl):
            return None  # "missing": the runner says so without an example
        test = PropertyTest(prop, ctx, replay=replay, reject=reject_outside)
        preload, served, aborted = tuple(ctx.kinks) == tuple(rec.kinks), [], None
        if sent is not None:
            served = self._fetched(sent)
            then()
        for i, (example, evaluation) in enumerate(zip(rec.examples, rec.evaluations)):
            if i == 1 and sent is None:
                served = self._the_others(rec, test.start, then)
            real, refused = ctx.impl, test.not_applicable
            if served and served[i]:
                ctx.impl = Serving(real, served[i])
            try:
                test(example, evaluation if preload else None)
            except ABORTING as exc:  # the runner stops at once on these, with this example, unshrunk
                aborted = exc
                break
            except Exception as exc:  # noqa: BLE001 - a failure, a refusal, a rejection, our error: see below
                if isinstance(exc, UnsatisfiedAssumption) and test.not_applicable == refused:
                    continue  # rejected: the runner draws another, and the record holds it next
                self.failure = (i, outcome_signature(exc))
                return None
            finally:
                ctx.impl = real
                if preload and evaluation is None:  # asked here: kept for the next implementation
                    rec.evaluations[i] = dict(ctx.answers)
        return test.end(aborted, shrink=shrink)


def replay_property(prop: Property, rec: Recording, ctx: Context, *, replay: str = "",
                    fetch: bool = False) -> PropertyResult | None:
    """:meth:`Replayer.run` once: the result of ``prop`` on ``rec``'s examples, or None when one fails."""
    return Replayer(ctx, fetch=fetch).run(prop, rec, replay=replay)
