"""A failing property's run under Hypothesis, kept: the next submission that fails it the same way follows it.

With a seed, Hypothesis's choices depend only on what each call of the test did:
returned, was rejected, or raised, and then only on the exception's type, where
it was raised and its context (its "interesting origin"). So the calls of a run
that fails, shrinking included, are the same for every implementation whose
calls end the same way. :class:`Journal` keeps, per call of the test, the
example, how the call ended (:func:`~reference.compare.running.body.outcome_signature`),
the calls made to the implementation and the reference's answers. :func:`follow`
calls the test again on those examples, in order, with the next submission (its
calls fetched ahead in one round trip, the answers not asked of JAX again), and
gives the run's result if every call ends as it did; at the first that does not,
None: the property then runs under Hypothesis, as it would have.

In a class, a mistake made by several students (a sum for a mean, a wrong slope at a kink)
is shrunk by Hypothesis once and followed by the others. A property's
journals are kept in memory for the batch (:class:`~reference.compare.reuse.shared.SharedCatalog`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import hypothesis.errors

from reference.compare.exercise import EXERCISE
from reference.compare.exercise.catalog import Context, Property
from reference.compare.reuse.prefetch import Serving, Tap, fetch_ahead
from reference.compare.running.body import PropertyResult, outcome_signature
from reference.compare.running.runner import follow_property

__all__ = ["Journal", "follow", "KEPT"]

#: Journals kept per property (the most recent).
KEPT = 4


@dataclass
class Journal:
    """A run's calls of its test, in order: (example, how it ended, the implementation's calls, the answers)."""

    steps: list = field(default_factory=list)
    #: the run ended with the exception of its last call (not a Flaky or another error of Hypothesis's)
    clean: bool = False
    _last: Any = None

    def key(self) -> tuple | None:
        """(index, how it ended) of the first call that failed: what a replay that gave up there saw.

        A call whose example was rejected did not fail: a replay passes over it, and so does the key.
        """
        for i, (_, ended, _, _) in enumerate(self.steps):
            if ended is not None and ended[0] is not hypothesis.errors.UnsatisfiedAssumption:
                return i, ended
        return None

    def wrap(self, body: Callable, ctx: Context) -> Callable:
        """``body`` (the test body, :class:`~reference.compare.running.body.PropertyTest`), each call kept."""
        def test(example: Any) -> None:
            calls: list = []
            real, ctx.impl = ctx.impl, Tap(ctx.impl, calls)
            ended, self._last = None, None
            try:
                body(example)
            except Exception as exc:
                ended, self._last = outcome_signature(exc), exc
                raise
            finally:
                ctx.impl = real
                self.steps.append((example, ended, calls, dict(ctx.answers)))
        return test

    def end(self, exc: BaseException) -> None:
        """What the run raised in the end: the journal can be followed if it is its last call's exception."""
        self.clean = exc is self._last and bool(self.steps)
        self._last = None  # its traceback holds the run's frames, and through them this journal: no cycle kept


def follow(journal: Journal, prop: Property, ctx: Context, *, shrink: bool = True,
           replay: str = "") -> PropertyResult | None:
    """The result of ``prop``'s run on ``ctx``'s implementation if its test's calls end as ``journal``'s; else None."""
    for *_, answers in journal.steps:
        for name, answer in answers.items():
            EXERCISE.reference_memo.put(name, answer)
    served, _ = fetch_ahead(ctx.impl, [calls for _, _, calls, _ in journal.steps])
    impls = [Serving(ctx.impl, s) if s else None for s in served]
    return follow_property(prop, ctx, [(example, ended) for example, ended, _, _ in journal.steps], impls,
                           shrink=shrink, replay=replay)
