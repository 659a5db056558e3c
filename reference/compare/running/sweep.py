"""The bulk random sweep: thousands of problems a second, both sides batched.

Hypothesis explores and shrinks, but pays ~4 ms an example to generate. The sweep
complements it with volume: batches of problems from :mod:`reference.compare.exercise.bulk_problems`,
the implementation called on each problem (one round trip per batch, cut and
stacked on its side), and every compared array checked against the reference's
per-entry bounds in one NumPy pass per field. Only a problem that fails is
handed to the property's own check, which writes the detailed message. A
property takes part through its ``sweep`` (function, λ mode, fields).

Batches are pipelined: the implementation works on the next batch while this
one is compared.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import numpy as np

from reference.compare.exercise import EXERCISE
from reference.compare.exercise.catalog import Context, Property, PropertyFailure
from reference.compare.running.shrink import counterexample, shrink_failure
from reference.compare.sandbox import ImplProblem, asking

__all__ = ["ROTATION", "run_sweep", "compare_batch"]

#: Functions called on a share of the sweep's problems each, in turn (``EXERCISE.sweep_always`` on all).
ROTATION = EXERCISE.sweep_rotation
_MODES = EXERCISE.sweep_modes
Batch = Any  # the exercise's batch of problems (``EXERCISE.sweep_shapes``)


def _submit(ctx: Context, batch: Batch, functions: list[str]):
    """Send a batch's calls: the functions of ``EXERCISE.sweep_always`` on every problem; those of
    :data:`ROTATION` each on a share, in turn."""
    B = len(batch)
    called: dict[str, np.ndarray] = {}
    calls = []
    sent = ~ctx.impl.refused_lambdas(batch.lambdas)  # what its adapter cannot express is not sent
    for fn in functions:
        if fn in EXERCISE.sweep_always:
            idx = np.flatnonzero(sent)
        else:
            turn = (np.arange(B) // len(_MODES)) % len(ROTATION) == ROTATION.index(fn)
            idx = np.flatnonzero(sent & turn)
        called[fn] = np.zeros(B, bool)
        called[fn][idx] = True
        calls += [(fn, int(i)) for i in idx]
    return called, ctx.impl.submit_sweep(batch.arrays(), calls)


def run_sweep(results: dict[str, Any], props: Iterable[Property], ctx: Context, *,
              count: int, seed: int = 0, deadline: float | None = None,
              batches: Iterable[Batch] | None = None,
              evaluate: Callable[[Batch, tuple], dict] = EXERCISE.evaluate_batch) -> dict[str, float]:
    """The bulk random sweep: ``count`` problems, batched on both sides.

    Every problem is checked through the functions of ``EXERCISE.sweep_always``
    (all their arrays) and through one of :data:`ROTATION` in turn. Feeds each swept
    property's error statistics (``results`` maps property ids to their
    :class:`~reference.compare.running.body.PropertyResult`); the first failing problem
    fails a property that passed under Hypothesis, with the message of its own
    check. Returns the figures: problems checked, seconds, problems per second.
    At ``deadline`` (``time.monotonic()``) it stops; a batch cut short is not judged.
    ``batches`` and ``evaluate`` (batch grading: :mod:`reference.compare.reuse.shared`) stand for
    ``EXERCISE.sweep_shapes(count, seed=seed)`` and ``EXERCISE.evaluate_batch``: drawn and evaluated once for many.
    """
    # a property judged on square problems (its function raised on other shapes) is not swept: those raise
    swept = [p for p in props if p.sweep and results[p.id].status == "pass" and "raised" not in results[p.id].details]
    if not swept or count <= 0:
        return {}
    functions = sorted({p.sweep.function for p in swept})
    fields = sorted({f for p in swept for f in p.sweep.fields})
    checked = 0
    start = time.perf_counter()
    batches = iter(batches) if batches is not None else EXERCISE.sweep_shapes(count, seed=seed)
    upcoming = next(batches, None)
    pending = _submit(ctx, upcoming, functions) if upcoming is not None else None
    while upcoming is not None:
        batch, (called, collect) = upcoming, pending
        ev = evaluate(batch, ctx.kinks)
        got = collect()
        if deadline is not None and time.monotonic() >= deadline:
            break  # what came back may be cut short by the deadline: not the implementation's fault
        # send the next batch now: the implementation works on it while this one is compared
        upcoming = next(batches, None)
        pending = _submit(ctx, upcoming, functions) if upcoming is not None else None
        errors = compare_batch(ctx, batch, ev, got, called, fields)
        errors["ordinary"] = EXERCISE.ordinary(batch, ev)
        checked += len(batch)
        for prop in swept:
            bad = _judge(results[prop.id], prop, batch, called, errors)
            if bad is not None:
                if pending is not None:  # take the batch in flight first: one exchange at a time
                    drained = pending[1]()
                    pending = (pending[0], lambda drained=drained: drained)
                _sweep_failure(results[prop.id], prop, ctx, batch.problem(bad))
    seconds = time.perf_counter() - start
    ctx.forget()
    return {"problems": checked, "seconds": seconds, "problems_per_second": checked / seconds if seconds else 0.0}


def compare_batch(ctx: Context, batch: Batch, ev: dict, got: dict, called: dict[str, np.ndarray],
                  fields: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per problem and compared array: the worst ratio to the allowed error, absolute and relative error.

    A problem whose function was not called has ratio 0 (nothing compared); an
    output that is missing or of the wrong shape or dtype has ratio inf.
    """
    B = len(batch)
    ratio, absdiff, reldiff = {}, {}, {}
    for name in fields:
        fn = name.partition(".")[0]
        if name not in got["values"]:  # no problem of this batch called fn
            ratio[name] = absdiff[name] = reldiff[name] = np.zeros(B)
            continue
        ok = got["ok"][name] | ~called[fn]  # not called: nothing to compare (and excluded below)
        want, allowed = ev["ref"][name], ev["allowed"][name]
        allowed = allowed + EXERCISE.extra_allowance(batch, name, ctx.kinks[0], ctx.convention)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(got["values"][name] - want)
        diff = np.where(np.isnan(diff), np.inf, diff).reshape(B, -1)
        ratio[name] = np.where(ok, (diff / np.reshape(allowed, (B, -1))).max(axis=1, initial=0.0), np.inf)
        ratio[name][~called[fn]] = 0.0
        scale = np.abs(want).reshape(B, -1).max(axis=1, initial=0.0)  # normwise, as in Stats.add
        worst = np.where(called[fn] & got["ok"][name], diff.max(axis=1, initial=0.0), 0.0)
        absdiff[name] = worst
        with np.errstate(divide="ignore", invalid="ignore"):
            reldiff[name] = np.where(scale > 0, worst / scale, np.where(worst > 0, np.inf, 0.0))
    return {"ratio": ratio, "absolute": absdiff, "rel": reldiff}


def _judge(r: Any, prop: Property, batch: Batch, called: dict[str, np.ndarray], errors: dict) -> int | None:
    """Add a batch to a property's figures; the index of its first failing problem, or None."""
    if r.status != "pass":
        return None
    sweep = prop.sweep
    B = len(batch)
    sel = np.ones(B, bool) if sweep.lambdas_mode == "any" else batch.modes == _MODES.index(sweep.lambdas_mode)
    sel &= called[sweep.function]
    if sweep.ordinary:
        sel &= errors["ordinary"]
    worst = np.max([errors["ratio"][f] for f in sweep.fields], axis=0)
    bad = np.flatnonzero(sel & ~(worst <= 1.0))
    if bad.size:
        return int(bad[0])
    r.sweep_examples += int(sel.sum())
    if sel.any():
        r.max_abs_error = max(r.max_abs_error, *(float(errors["absolute"][f][sel].max()) for f in sweep.fields))
        r.max_rel_error = max(r.max_rel_error, *(float(errors["rel"][f][sel].max()) for f in sweep.fields))
    return None


def _sweep_failure(r: Any, prop: Property, ctx: Context, problem: Any) -> None:
    """Re-run the property's own check on the failing problem, for its message (what it prints is the property's)."""
    ctx.forget()
    r.counterexample = counterexample(problem)
    with asking(ctx.impl, prop.id):
        try:
            prop.check(ctx, problem)
        except PropertyFailure as exc:
            r.status, r.message = exc.status, exc.message + " (found by the bulk sweep)"
            r.details = exc.details()
            r.take_failure(ctx.example_stats)  # the failing problem's figures, not the sweep's so far
            shrink_failure(r, prop, ctx, problem)
            return
        except ImplProblem as exc:
            r.status, r.message = "error", f"{exc} (found by the bulk sweep)"
            return
    r.status = "fail"
    r.message = "an entry exceeds the allowed error in the bulk sweep (the single-problem check passed)"

