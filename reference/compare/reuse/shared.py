"""Examples drawn once, replayed to many implementations: the expensive part of a run, shared.

A run's cost is Hypothesis drawing examples (~5 ms each, ~1,800 in a default run)
and the reference evaluating them. With a seed, ``database=None`` and no
``hypothesis.target``, a property's *passing* run draws the same examples in the
same order whatever the implementation answers: Hypothesis's choices depend on its
seed and on what it drew, not on what a passing example returned (checked for every
property in ``tests/compare/test_batch.py``). So:

- :func:`recording` wraps a property's check to keep what a run drew: each
  example and the reference's evaluation of it (a :class:`Recording`); the record
  of a run that passed stands for every implementation;
- :func:`replay_property` runs a property's check on a record's examples, in
  order, the reference's evaluations taken from it. While every example passes,
  the result is the one a run would give: the run's test body is called on each
  example and ends the replay (:mod:`reference.compare.running.body`). A hang, crash
  or exit ends a run at once without shrinking, so a replay ends there too. At the
  first example that *fails*, it gives up: the
  property is then run under Hypothesis as usual, which draws the same examples up
  to that one and shrinks, so the verdict and counterexample are a single run's
  (or that run is followed: an earlier submission's journal, :mod:`reference.compare.reuse.journal`,
  when this one's calls end the same way at every step);
- :class:`SharedCatalog` runs a catalog that way (it takes the arguments of
  :func:`~reference.compare.running.runner.run_catalog`: ``grade(..., catalog=)``), and
  shares the bulk sweep's batches and their reference evaluations too
  (:class:`SweepShare`); it records what it had to run and what passed.

The targeted profile (``thorough``, ``hypothesis.target``) steers Hypothesis by
the errors it sees: its examples depend on the implementation, so it is never
replayed (every property runs under Hypothesis, as without sharing). A run
without a seed is not replayed either.

:mod:`reference.compare.reuse.store` keeps a :class:`Shared` on disk (single runs)
and :mod:`reference.compare.classroom.grade_class` hands one to every submission of a class.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable

from reference.compare.exercise import EXERCISE
from reference.compare.exercise.catalog import CATALOG, Context, Property
from reference.compare.reuse.journal import KEPT, Journal, follow
from reference.compare.reuse.records import DEFAULT_KINKS, Recording, Replayer, recording, replay_property
from reference.compare.reuse.seeded_draws import import_all
from reference.compare.running.body import settle
from reference.compare.running.runner import PropertyResult, run_catalog, run_property
from reference.compare.running.sweep import run_sweep
from reference.compare.sandbox import asking
from reference.engine import compile_buckets

__all__ = ["Recording", "Replayer", "SweepShare", "Shared", "SharedCatalog",
           "recording", "replay_property", "record_name", "DEFAULT_KINKS"]

def record_name(prop_id: str, max_examples: int | None, seed: int, shrink: bool, form: str = "four") -> str:
    """What a record is filed under: the property and the settings its examples depend on (λ's form too:
    ``EXERCISE.penalties_form``)."""
    return f"{prop_id}.{max_examples}.{seed}" + ("" if shrink else ".noshrink") + ("" if form == "four" else f".{form}")


class SweepShare:
    """The bulk sweep's batches for (count, seed), drawn once, and their reference evaluations at the default kinks."""

    def __init__(self, count: int, seed: int) -> None:
        self.count, self.seed = count, seed
        self.batches: list = list(EXERCISE.sweep_shapes(count, seed=seed))
        self._index = {id(b): i for i, b in enumerate(self.batches)}
        self.evaluations: list[dict | None] = [None] * len(self.batches)
        self.kept = False  # the evaluations are in a store

    def evaluate(self, batch: Any, kinks: tuple) -> dict:
        """``EXERCISE.evaluate_batch(batch, kinks)``, from the share where it is one of its batches at the default
        kinks."""
        i = self._index.get(id(batch))
        if i is None or tuple(kinks) != DEFAULT_KINKS:
            return EXERCISE.evaluate_batch(batch, kinks)
        if self.evaluations[i] is None:
            self.evaluations[i] = EXERCISE.evaluate_batch(batch, kinks)
        return self.evaluations[i]

    def evaluate_all(self) -> None:
        """Every batch's evaluation now, before the implementation is sent any.

        Then the sweep reads each reply as soon as it is sent for (a worker whose
        reply waits unread past its socket's time-out gives up: a fallback one
        problem at a time).
        """
        for batch in self.batches:
            self.evaluate(batch, DEFAULT_KINKS)


class Shared:
    """Records by :func:`record_name`, and sweeps by (count, seed), for runs of the same code.

    ``store`` (optional) is where records persist: an object with
    ``load_record(name)``, ``save_record(name, rec)`` and
    ``save_evaluations(name, rec)``, ``load_sweep(name, batches)`` and
    ``save_sweep(name, evaluations)`` (:class:`reference.compare.reuse.store.Store`).
    A sweep's batches and evaluations stay in memory too, for the next implementation.
    """

    def __init__(self, store: Any = None) -> None:
        self.store = store
        self.records: dict[str, Recording | None] = {}
        self.sweeps: dict[tuple[int, int], SweepShare] = {}

    def record(self, name: str) -> Recording | None:
        if name not in self.records:
            self.records[name] = self.store.load_record(name) if self.store is not None else None
        return self.records[name]

    def add(self, name: str, rec: Recording) -> None:
        self.records[name] = rec
        if self.store is not None:
            self.store.save_record(name, rec)

    def sweep(self, count: int, seed: int) -> SweepShare:
        """The sweep's batches, with their evaluations when the store keeps them."""
        if (count, seed) not in self.sweeps:
            share = self.sweeps[(count, seed)] = SweepShare(count, seed)
            kept = self.store.load_sweep(f"sweep.{count}.{seed}", share.batches) if self.store is not None else None
            if kept is not None:
                share.evaluations, share.kept = kept, True
        return self.sweeps[(count, seed)]

    def evaluate_sweep(self, share: SweepShare) -> None:
        """Every batch of ``share`` evaluated; kept in the store the first time."""
        share.evaluate_all()
        if self.store is not None and not share.kept:
            self.store.save_sweep(f"sweep.{share.count}.{share.seed}", share.evaluations)
            share.kept = True

    def prepare(self, props: Iterable[Property], *, max_examples: int | None, seed: int, shrink: bool = True,
                spec: str = "handgrad", sweep: int = 0) -> list[str]:
        """Record the properties that have no record yet on the trusted ``spec``, evaluate the sweep's
        batches (``sweep`` problems); the ids still without a record."""
        from reference.compare.sandbox import InProcessImpl

        if sweep:
            self.evaluate_sweep(self.sweep(sweep, seed))
        props = list(props)
        missing = [p for p in props if self.record(record_name(p.id, max_examples, seed, shrink)) is None]
        if missing:
            with InProcessImpl(spec) as impl:
                SharedCatalog(self)(Context(impl), missing, max_examples=max_examples, seed=seed, shrink=shrink)
        return [p.id for p in missing if self.record(record_name(p.id, max_examples, seed, shrink)) is None]


class SharedCatalog:
    """:func:`~reference.compare.running.runner.run_catalog`, with ``shared``'s examples replayed where it has them.

    A property without a record runs under Hypothesis; if it passes (and
    ``learn``), what it drew becomes its record. ``fetch``: fetch the calls of a
    replayed property ahead (:mod:`reference.compare.reuse.prefetch`).
    """

    def __init__(self, shared: Shared, *, learn: bool = True, fetch: bool = True) -> None:
        self.shared, self.learn, self.fetch = shared, learn, fetch
        self.replayed = self.live = self.followed = self.diverged = 0  # properties, for the curious (and the tests)
        #: per property, the journals of failing runs (reference.compare.reuse.journal), the most recent last
        self.journals: dict[str, list[Journal]] = {}

    def __call__(self, ctx: Context, props: Iterable[Property] = CATALOG, *, max_examples: int | None = None,
                 sweep: int = 0, seed: int | None = None, derandomize: bool | None = None, target: bool = False,
                 shrink: bool = True, replay: Callable[[Property], str] = lambda p: "",
                 progress: Callable[[PropertyResult, int, int], None] | None = None,
                 deadline: float | None = None) -> tuple[list[PropertyResult], dict]:
        import_all()
        if target or seed is None:  # the examples depend on the implementation (or on nothing fixed)
            return run_catalog(ctx, props, max_examples=max_examples, sweep=sweep, seed=seed,
                               derandomize=derandomize, target=target, shrink=shrink, replay=replay,
                               progress=progress, deadline=deadline)
        props = list(props)
        results: dict[str, PropertyResult] = {}
        replayer = Replayer(ctx, fetch=self.fetch)
        sent: dict[str, tuple] = {}  # the next property's calls, sent while this one is checked
        form = EXERCISE.penalties_form(getattr(ctx.impl, "declared", None))
        name = lambda p: record_name(p.id, max_examples, seed, shrink, form)  # noqa: E731
        helper = self._ahead(ctx, props, name, sweep, seed)

        def send(prop: Property | None) -> None:
            if prop is not None and (ahead := replayer.submit(prop, self.shared.record(name(prop)))):
                sent[prop.id] = ahead
        try:
            for i, prop in enumerate(props):
                if deadline is not None and time.monotonic() >= deadline:
                    r = PropertyResult(prop.id, prop.question, prop.title, status="not-run",
                                       message="not run: the overall deadline (--total-timeout) came first")
                else:
                    upcoming = props[i + 1] if i + 1 < len(props) else None
                    with asking(ctx.impl, prop.id):
                        r = self._one(prop, ctx, replayer, name(prop),
                                      dict(max_examples=max_examples, seed=seed, shrink=shrink, replay=replay(prop)),
                                      sent.pop(prop.id, None), lambda upcoming=upcoming: send(upcoming))
                results[prop.id] = r
                if progress:
                    progress(r, i + 1, len(props))
        finally:  # the helper does not outlive the run (past the deadline it is left to finish alone)
            if helper is not None:
                helper.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        figures: dict = {}
        if sweep:
            share = self.shared.sweep(sweep, seed)
            if (tuple(ctx.kinks) == DEFAULT_KINKS and (deadline is None or time.monotonic() < deadline)
                    and not (helper is not None and helper.is_alive())):
                self.shared.evaluate_sweep(share)  # what the helper left (an error there is raised here)
            figures = run_sweep(results, props, ctx, count=sweep, seed=seed, deadline=deadline,
                                batches=share.batches, evaluate=share.evaluate)
        return settle([results[p.id] for p in props], props), figures

    def _ahead(self, ctx: Context, props: list[Property], name: Callable[[Property], str], sweep: int,
               seed: int) -> threading.Thread | None:
        """A thread that, while the properties run, compiles the reference's programs (when a property has no
        record: it will ask the reference) and evaluates the sweep's batches, keeping them (when no store has
        them). XLA compiles and runs outside the GIL: on a first run this work takes the other core instead of
        adding to the run's time."""
        share = self.shared.sweep(sweep, seed) if sweep else None
        sweep_ahead = share is not None and not share.kept and tuple(ctx.kinks) == DEFAULT_KINKS
        compile_ahead = any(self.shared.record(name(p)) is None for p in props)
        if not (sweep_ahead or compile_ahead):
            return None

        def work() -> None:
            try:
                if compile_ahead:
                    compile_buckets(tuple(ctx.kinks))
                if sweep_ahead:
                    self.shared.evaluate_sweep(share)
            except Exception:  # noqa: BLE001 - what it left is done again on the main thread, where errors are reported
                pass
        thread = threading.Thread(target=work, name="reference-ahead", daemon=True)
        thread.start()
        return thread

    def _followed(self, prop: Property, ctx: Context, failure: tuple, options: dict) -> PropertyResult | None:
        """``prop``'s run as an earlier submission's journal has it, if this one's calls end the same way."""
        for journal in reversed(self.journals.get(prop.id, [])):
            if journal.key() == failure:
                result = follow(journal, prop, ctx, shrink=options["shrink"], replay=options["replay"])
                if result is not None:
                    self.followed += 1
                    return result
                self.diverged += 1
        return None

    def _one(self, prop: Property, ctx: Context, replayer: Replayer, name: str, options: dict,
             sent: tuple | None = None, then: Callable[[], None] = lambda: None) -> PropertyResult:
        rec = self.shared.record(name)
        if rec is not None:
            unevaluated = any(e is None for e in rec.evaluations)
            result = replayer.run(prop, rec, replay=options["replay"], shrink=options["shrink"], sent=sent, then=then)
            if unevaluated and self.shared.store is not None and all(e is not None for e in rec.evaluations):
                self.shared.store.save_evaluations(name, rec)
            if result is not None:
                self.replayed += 1
                return result
        if rec is not None and replayer.failure is not None:  # failed on its own: as an earlier run did?
            result = self._followed(prop, ctx, replayer.failure, options)
            if result is not None:
                return result
        self.live += 1
        if rec is not None or not self.learn:
            journal = Journal()
            result = run_property(prop, ctx, **options, watch=journal)
            if journal.clean and journal.key() is not None:
                kept = self.journals.setdefault(prop.id, [])
                kept[:] = kept[-(KEPT - 1):] + [journal]
            return result
        sink = Recording(kinks=tuple(ctx.kinks))
        result = run_property(recording(prop, sink), ctx, **options)
        if result.status == "pass" and not sink.refused:
            if sink.kinks != DEFAULT_KINKS:  # the examples hold for any kinks, the evaluations do not
                sink.evaluations, sink.kinks = [None] * len(sink.examples), DEFAULT_KINKS
            self.shared.add(name, sink)
        return result
