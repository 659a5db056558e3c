"""Running the catalog: Hypothesis per property, then a bulk random sweep.

Both front ends (the pytest suite and ``handgrad-compare``) call
:func:`run_property` / :func:`run_catalog`; neither defines a property.

Settings profiles (``--hypothesis-profile`` in pytest, ``--profile`` in
handgrad-compare): ``dev`` (quick), ``ci`` (derandomized), ``thorough`` (10× the
examples of ``ci``, for nightly runs). All have ``deadline=None``: a first JAX
compile takes longer than Hypothesis's default 200 ms deadline.

>>> from reference.sandbox import InProcessImpl
>>> ctx = Context(InProcessImpl("handgrad"))
>>> run_property(by_id("A5"), ctx, max_examples=20, seed=0).status
'pass'
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Iterable

import hypothesis
import numpy as np
from hypothesis import HealthCheck, settings

from reference import strategies as S
from reference.catalog import CATALOG, Context, Property, PropertyFailure, by_id
from reference.engine import Problem
from reference.sandbox import Call, ImplCrashed, ImplExited, ImplProblem, ImplTimeout
from reference.strategies import LAMBDA_MODES
from reference.sweep import FIELDS, evaluate_batch, sweep_shapes

__all__ = ["PROFILES", "register_profiles", "PropertyResult", "run_property", "run_sweep",
           "run_catalog", "counterexample_of"]

#: name → examples per property, problems in the bulk sweep, derandomize, and
#: whether to steer Hypothesis toward large errors with ``hypothesis.target``
#: (its optimisation phase about doubles the time per example).
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 20, "sweep": 500, "derandomize": False, "target": False},
    "ci": {"max_examples": 30, "sweep": 1000, "derandomize": True, "target": False},
    "thorough": {"max_examples": 300, "sweep": 20000, "derandomize": False, "target": True},
}


def register_profiles() -> None:
    """Register the Hypothesis profiles ``dev``, ``ci`` and ``thorough``."""
    for name, p in PROFILES.items():
        settings.register_profile(
            name, max_examples=p["max_examples"], deadline=None, derandomize=p["derandomize"],
            database=None if p["derandomize"] else settings.default.database,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            print_blob=True)


register_profiles()


@dataclass
class PropertyResult:
    """What the report says about one property."""

    id: str
    question: str
    title: str
    status: str = "pass"  # pass / fail / error
    examples: int = 0
    sweep_examples: int = 0
    seconds: float = 0.0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    message: str = ""
    counterexample: dict | None = None
    replay: str = ""
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("max_abs_error", "max_rel_error"):
            if not math.isfinite(d[k]):
                d[k] = None if math.isnan(d[k]) else ("inf" if d[k] > 0 else "-inf")
        return d


def _array(a: np.ndarray, limit: int) -> Any:
    a = np.asarray(a)
    if a.size > limit:
        return {"shape": list(a.shape), "dtype": str(a.dtype), "omitted": f"{a.size} entries"}
    return a.tolist()


def counterexample_of(example: Any, *, limit: int = 400) -> dict:
    """A JSON-ready description of an example: shapes, arrays (small ones), labels, λ, how to rebuild it."""
    if isinstance(example, Problem):
        n, d, dh, m = example.dims
        out = {"kind": "network", "n": n, "d": d, "dh": dh, "m": m,
               "lambdas": dict(zip(("l11", "l12", "l21", "l22"), map(float, example.lambdas))),
               "y": _array(example.y, limit), "X": _array(example.X, limit),
               **{k: _array(v, limit) for k, v in zip(("W1", "b1", "W2", "b2"), example.params)}}
        if example.origin:
            out["origin"] = example.origin
        return out
    if isinstance(example, tuple) and example and isinstance(example[0], Problem):  # B6 cases
        p, eta, steps = example
        return {**counterexample_of(p, limit=limit), "learning_rate": float(eta), "steps": int(steps)}
    if isinstance(example, np.ndarray):
        return {"kind": "elementwise", "x": _array(example, limit)}
    return {"kind": type(example).__name__, "value": repr(example)[:2000]}


_ABORTING = (ImplTimeout, ImplCrashed, ImplExited)


def run_property(prop: Property, ctx: Context, *, max_examples: int | None = None, seed: int | None = None,
                 derandomize: bool | None = None, target: bool = False, shrink: bool = True,
                 replay: str = "") -> PropertyResult:
    """Run one property under Hypothesis; the result holds the smallest counterexample found.

    A hang, crash or exit of the implementation ends the property at once (no
    shrinking: each retry would cost a time-out or a restart) and reports the
    example that caused it.
    """
    result = PropertyResult(prop.id, prop.question, prop.title, replay=replay)
    ctx.stats = type(ctx.stats)()
    state: dict[str, Any] = {"failure": None, "example": None, "abort": None, "abort_example": None}

    def test(example):
        if state["abort"] is not None:
            raise state["abort"]  # no more calls: Hypothesis replays quickly and stops
        result.examples += 1
        ctx.example_ratio = 0.0
        ctx.forget()
        try:
            prop.check(ctx, example)
        except _ABORTING as exc:
            state["abort"], state["abort_example"] = exc, example
            raise
        except (PropertyFailure, ImplProblem) as exc:
            state["failure"], state["example"] = exc, example
            raise
        finally:
            if target and math.isfinite(ctx.example_ratio):
                hypothesis.target(min(ctx.example_ratio, 1e300), label="error / allowed")

    base = settings.default
    kwargs: dict[str, Any] = {"deadline": None, "database": None, "report_multiple_bugs": False,
                              "suppress_health_check": list(HealthCheck)}
    if max_examples is not None:
        kwargs["max_examples"] = max_examples
    if derandomize is not None:
        kwargs["derandomize"] = derandomize
    if seed is not None:
        kwargs["derandomize"] = False
    if not shrink:  # a verdict without the smallest counterexample, faster when many properties fail
        kwargs["phases"] = [hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate]
    wrapped = hypothesis.given(prop.strategy())(test)
    for ex in prop.examples:
        wrapped = hypothesis.example(ex)(wrapped)
    wrapped = settings(base, **kwargs)(wrapped)
    if seed is not None:
        wrapped = hypothesis.seed(seed)(wrapped)

    start = time.perf_counter()
    try:
        wrapped()
    except _ABORTING:
        result.status = "error"
        result.message = str(state["abort"])
        result.counterexample = counterexample_of(state["abort_example"])
    except PropertyFailure:
        result.status = "fail"
        exc = state["failure"]
        result.message = exc.message
        result.details = {k: v for k, v in (("array", exc.array), ("index", exc.index), ("got", exc.got),
                                            ("want", exc.want), ("allowed", exc.allowed),
                                            ("upstream", exc.upstream)) if v is not None}
        result.counterexample = counterexample_of(state["example"])
    except ImplProblem:
        result.status = "error"
        result.message = str(state["failure"])
        result.counterexample = counterexample_of(state["example"])
    except Exception as exc:  # noqa: BLE001 - a Hypothesis error or a bug of ours: report, never crash
        result.status = "error"
        result.message = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - start
    result.max_abs_error = ctx.stats.max_abs_error
    result.max_rel_error = ctx.stats.max_rel_error
    if result.status == "fail" and prop.small and _is_large(state["example"]):
        _try_smaller(result, prop, ctx, max_examples, seed, shrink)
    return result


def _is_large(example: Any) -> bool:
    return isinstance(example, Problem) and max(example.dims) > S.SMALL


def _try_smaller(result: PropertyResult, prop: Property, ctx: Context, max_examples, seed, shrink) -> None:
    """The failure was found on a large problem: look for one among small problems, which shrink well."""
    small = replace(prop, strategy=prop.small, small=None, examples=())
    stats = ctx.stats
    again = run_property(small, ctx, max_examples=max(100, max_examples or 0), seed=seed, shrink=shrink)
    ctx.stats = stats
    result.examples += again.examples
    result.seconds += again.seconds
    if again.status == "fail":
        result.message, result.details, result.counterexample = again.message, again.details, again.counterexample


#: Functions called on a third of the sweep's problems each (backprop is called on all).
ROTATION = ("forward", "loss", "risk")


def _submit(ctx: Context, batch, functions: list[str]):
    """Send a batch's calls: backprop on every problem; forward, loss and risk each on a third, in turn."""
    B = len(batch)
    called: dict[str, np.ndarray] = {}
    calls = []
    for fn in functions:
        if fn == "backprop":
            idx = np.arange(B)
        else:
            idx = np.flatnonzero((np.arange(B) // len(LAMBDA_MODES)) % 3 == ROTATION.index(fn))
        called[fn] = np.zeros(B, bool)
        called[fn][idx] = True
        calls += [(fn, int(i)) for i in idx]
    return called, ctx.impl.submit_sweep(batch.arrays(), calls)


def run_sweep(results: dict[str, PropertyResult], props: Iterable[Property], ctx: Context, *,
              count: int, seed: int = 0) -> dict[str, float]:
    """The bulk random sweep (:mod:`reference.sweep`): ``count`` problems, batched on both sides.

    Every problem is checked through ``backprop`` (all eight gradient arrays) and
    through one of ``forward``, ``loss``, ``risk`` in turn. Feeds each swept
    property's error statistics; the first failing problem fails
    a property that passed under Hypothesis, with the message of its own check.
    Returns the figures: problems checked, seconds, problems per second.
    """
    swept = [p for p in props if p.id in FIELDS and p.sweep and results[p.id].status == "pass"]
    if not swept or count <= 0:
        return {}
    functions = sorted({p.sweep[0] for p in swept})
    fields = sorted({f for p in swept for f in FIELDS[p.id]})
    checked = 0
    start = time.perf_counter()
    batches = sweep_shapes(count, seed=seed)
    upcoming = next(batches, None)
    pending = _submit(ctx, upcoming, functions) if upcoming is not None else None
    while upcoming is not None:
        batch, (called, collect) = upcoming, pending
        B = len(batch)
        ev = evaluate_batch(batch, ctx.kinks)
        got = collect()
        # send the next batch now: the implementation works on it while this one is compared
        upcoming = next(batches, None)
        pending = _submit(ctx, upcoming, functions) if upcoming is not None else None
        ratio, absdiff, reldiff = {}, {}, {}
        for name in fields:
            fn = name.partition(".")[0]
            if name not in got["values"]:  # no problem of this batch called fn
                ratio[name] = absdiff[name] = reldiff[name] = np.zeros(B)
                continue
            ok = got["ok"][name] | ~called[fn]  # not called: nothing to compare (and excluded below)
            want, allowed = ev["ref"][name], ev["allowed"][name]
            if name in ("backprop.W1", "backprop.W2") and ctx.convention == "any-subgradient":
                W = batch.params.W1 if name.endswith("W1") else batch.params.W2
                lam = batch.lambdas[:, 0 if name.endswith("W1") else 2].reshape((B, 1, 1))
                allowed = allowed + np.where(W == 0, lam * (1 + abs(ctx.kinks[0])), 0.0)
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
        checked += B
        for prop in swept:
            r = results[prop.id]
            if r.status != "pass":
                continue
            mode = prop.sweep[1]
            sel = np.ones(B, bool) if mode == "any" else batch.modes == LAMBDA_MODES.index(mode)
            sel &= called[prop.sweep[0]]
            worst = np.max([ratio[f] for f in FIELDS[prop.id]], axis=0)
            bad = np.flatnonzero(sel & ~(worst <= 1.0))
            if bad.size:
                if pending is not None:  # take the batch in flight first: one exchange at a time
                    drained = pending[1]()
                    pending = (pending[0], lambda drained=drained: drained)
                _sweep_failure(r, prop, ctx, batch.problem(int(bad[0])))
                continue
            r.sweep_examples += int(sel.sum())
            if sel.any():
                r.max_abs_error = max(r.max_abs_error, *(float(absdiff[f][sel].max()) for f in FIELDS[prop.id]))
                r.max_rel_error = max(r.max_rel_error, *(float(reldiff[f][sel].max()) for f in FIELDS[prop.id]))
    seconds = time.perf_counter() - start
    ctx.forget()
    return {"problems": checked, "seconds": seconds, "problems_per_second": checked / seconds if seconds else 0.0}


def _sweep_failure(r: PropertyResult, prop: Property, ctx: Context, problem: Problem) -> None:
    """Re-run the property's own check on the failing problem, for its message."""
    ctx.forget()
    r.counterexample = counterexample_of(problem)
    try:
        prop.check(ctx, problem)
    except PropertyFailure as exc:
        r.status, r.message = "fail", exc.message + " (found by the bulk sweep)"
        r.details = {k: v for k, v in (("array", exc.array), ("index", exc.index), ("got", exc.got),
                                       ("want", exc.want), ("allowed", exc.allowed),
                                       ("upstream", exc.upstream)) if v is not None}
        return
    except ImplProblem as exc:
        r.status, r.message = "error", f"{exc} (found by the bulk sweep)"
        return
    r.status = "fail"
    r.message = "an entry exceeds the allowed error in the bulk sweep (the single-problem check passed)"


def run_catalog(ctx: Context, props: Iterable[Property] = CATALOG, *, max_examples: int | None = None,
                sweep: int = 0, seed: int | None = None, derandomize: bool | None = None, target: bool = False,
                shrink: bool = True,
                replay: Callable[[Property], str] = lambda p: "",
                progress: Callable[[PropertyResult, int, int], None] | None = None) -> tuple[list[PropertyResult], dict]:
    """Every property under Hypothesis, then (if ``sweep``) the bulk sweep. Returns results and sweep figures."""
    props = list(props)
    results: dict[str, PropertyResult] = {}
    for i, prop in enumerate(props):
        r = run_property(prop, ctx, max_examples=max_examples, seed=seed, derandomize=derandomize,
                         target=target, shrink=shrink, replay=replay(prop))
        results[prop.id] = r
        if progress:
            progress(r, i + 1, len(props))
    figures: dict = {}
    if sweep:
        figures = run_sweep(results, props, ctx, count=sweep, seed=seed or 0)
    return [results[p.id] for p in props], figures
