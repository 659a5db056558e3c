"""Beyond the seeds (X1–X5): loop versus matrix, inputs unchanged, types and shapes, large logits, descent.

X5 checks that gradient descent uses the implementation's own regularized
gradient (B6 checks the loop against the reference's gradient with λ = 0).
"""

from __future__ import annotations

import contextlib
from typing import Any

import hypothesis.strategies as st
import numpy as np

from handgrad.types import PARAMS, PART_A, Gradients
from reference.compare.call_outcomes import ImplProblem
from reference.compare.exercise import strategies as S
from reference.compare.exercise.catalog import chain
from reference.compare.exercise.catalog.check import (
    Context,
    OwnFirst,
    PropertyFailure,
    WrongShape,
    compare,
    expect_array,
    expect_fields,
    keep_only,
    reshaped,
    shows_nothing,
    value,
)
from reference.compare.exercise.catalog.context import agree as _agree
from reference.compare.exercise.catalog.part_b import (
    b4,
    descents,
    forward_check,
    gradients,
    slack,
)
from reference.compare.exercise.catalog.work import expect_work
from reference.compare.exercise.diagnose import overflow
from reference.compare.exercise.explain import diagnosed
from reference.compare.exercise.problems import Problem
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64, accepted, l1_slack

__all__ = ["x1_batch", "x2_unchanged", "x3_types", "x4_stable", "x5_cases", "x5_own_gradient"]


def x5_cases(*, lambdas_form: str = "four") -> st.SearchStrategy:
    return st.tuples(S.small_problems(max_side=5, lambdas_form=lambdas_form), st.floats(1e-3, 0.5), st.integers(1, 3))


def _descends_on_work(ctx: Context, p: Problem, prev, g, ev, t: int) -> None:
    """No credit without work: steps along an own gradient every array of which shows nothing (all zero,
    constant, not finite or scant where the reference's is not: :func:`~.check.shows_nothing`) show nothing
    either: returning the parameters unchanged would pass."""
    hows = []
    for f in PARAMS:
        bound = accepted(getattr(ev.grads_bound, f))
        if f in ("W1", "W2"):  # any-subgradient: the L1 term's slack at zero weights
            lam = p.lambdas.l11 if f == "W1" else p.lambdas.l21
            bound = bound + l1_slack(getattr(prev, f), lam, ctx.kinks[0], ctx.convention)
        gw, shape = getattr(g, f), getattr(prev, f).shape
        gw = gw.T if chain.transposed(gw, shape) else gw.reshape(shape) if reshaped(gw, shape) else gw  # read back
        gw = expect_array(f"backprop(...).{f}", gw, shape)
        how = shows_nothing(gw, getattr(ev.grads, f), bound)
        if how is None:
            return
        hows.append(f"backprop(...).{f} {how}")
    raise PropertyFailure(f"gradient_descent(steps={t}) steps along the implementation's own gradient, which does "
                          f"no work: {hows[0]}, and so does each of {', '.join(PARAMS)}; stepping along it shows "
                          "nothing", array="backprop(...)")


def _finite(params: Any) -> bool:
    """Are the parameters all finite numbers (what is not a number is the comparison's to tell)?"""
    try:
        return all(np.all(np.isfinite(np.asarray(a, dtype=np.float64))) for a in params)
    except (TypeError, ValueError):
        return True


def x5_own_gradient(ctx: Context, case) -> None:
    """gradient_descent steps with the implementation's own backprop, penalties included; at ordinary logits
    (an overflow past them is X4's)."""
    p, eta, steps = case
    keep_only(chain.ordinary_logits(ctx, p))
    prev = p.params
    iterates = descents(ctx, p, eta, steps)
    for got in iterates:
        expect_fields("gradient_descent(...)", got, PARAMS)
    # the implementation's own gradients at θ0 … θ(steps−1), in one round trip
    # (an iterate with axes of length 1 more or less, X3's mistake, read back: asked in the parameters' shapes)
    starts = [p.params] + [type(p.params)(*(_squeezed(getattr(q, f), getattr(p.params, f).shape) for f in PARAMS))
                           for q in iterates[:-1]]
    # a step along a gradient not finite somewhere (its own question's mistake) leaves a parameter so: the
    # steps before it show the loop; from it on every value is nan, and shows nothing
    starts = starts[:next((t for t in range(1, len(starts)) if not _finite(starts[t])), len(starts))]
    grads = [value(r) for r in ctx.judging.call_many("backprop", [(s, p.X, p.y, p.lambdas) for s in starts])]
    backwards = None  # a gradient returned transposed, right read back: its own question's (chain.transposed)
    for t in range(1, len(starts) + 1):
        got, g = iterates[t - 1], grads[t - 1]
        expect_fields("backprop(...)", g, Gradients._fields)
        ev = ctx.ref(p._replace(params=type(p.params)(*prev)))
        _descends_on_work(ctx, p, prev, g, ev, t)
        for f in PARAMS:
            label, w, gw = f"backprop(...).{f}", getattr(prev, f), getattr(g, f)
            if chain.transposed(gw, w.shape):  # B9's or B15's mistake, charged there: the step judged read back
                backwards = backwards or chain.inherited_transposed(label, gw, w.shape, f)
                gw = gw.T
            elif reshaped(gw, w.shape):  # axes of length 1 (keepdims): X3's, charged there
                backwards = backwards or _inherited_shape(label, gw, w.shape)
                gw = gw.reshape(w.shape)
            gw = expect_array(label, gw, w.shape)
            allowed = (2 * SAFETY * U64 * (np.abs(w) + eta * np.abs(gw))
                       + eta * SAFETY * getattr(ev.grads_bound, f) + FLOOR)
            try:
                compare(ctx, f"gradient_descent(steps={t}).{f} vs step {t - 1} - η backprop(step {t - 1}).{f}",
                        getattr(got, f), w - eta * gw, allowed)
            except PropertyFailure as failure:
                if _stepped_read_back(ctx, p, prev, getattr(got, f), gw, f, eta, allowed):
                    raise chain.Inherited(failure, chain.QUESTION[f]) from None
                if _loop_mistake(ctx, p, eta, steps):
                    raise chain.Inherited(failure, "B6") from None
                raise
        prev = got
    if backwards is not None:
        raise backwards


def _squeezed(a: Any, shape: tuple) -> Any:
    """``a`` in ``shape`` when it holds its entries with axes of length 1 more or less (:func:`~.check.reshaped`)."""
    return a.reshape(shape) if reshaped(a, shape) else a


def _stepped_read_back(ctx: Context, p: Problem, prev: Any, stepped: Any, gw: np.ndarray, f: str, eta: float,
                       allowed: np.ndarray) -> bool:
    """Did the descent step along the reference's gradient where the submission's own ``gw`` is that gradient
    transposed (a square weight's, right read back: its own question's mistake, charged there)?"""
    if gw.ndim != 2 or gw.shape[0] != gw.shape[1] or not isinstance(stepped, np.ndarray) or stepped.shape != gw.shape:
        return False
    q = p._replace(params=type(p.params)(*prev), origin="")
    w = np.asarray(getattr(prev, f), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return chain.right(ctx, q, gw.T, f) and bool(np.all(np.abs(stepped - (w - eta * gw.T)) <= allowed))


def _loop_mistake(ctx: Context, p: Problem, eta: float, steps: int) -> bool:
    """Is X5's failure the descent loop's own mistake, made at λ = 0 too (B6's: a step of 2η, a step too few, a
    gradient taken once before the loop)?

    The descents of 1 … ``steps`` steps from θ0, at λ = 0 and at the problem's λ, must each fit one model of
    the loop, in the submission's own gradient g at θ0 (that λ's): θ0 − θt = c η g for t = 1 (a multiple c,
    the step's; c = 0: no step), or θ0 − θt = t c η g for every t (a stale gradient: the one at θ0 taken at
    every step), with c fitted at λ = 0 (at the problem's λ where g is zero at λ = 0; 1 where it is zero at both;
    1 within the ulps of |w| over η|g|); a multiple is a mistake when c ≠ 1 (one only the penalties show is
    charged at X5 all the same when B6 passes: :func:`~reference.compare.running.body.settle_roots`), a stale
    gradient always (X5 failed: the steps are not along their iterates' gradients). A loop right at λ = 0
    whose steps leave out or change the penalty terms fits no such model: X5's own mistake."""
    if not any(p.lambdas):
        return True  # no penalty to leave out: at λ = 0 X5's claim is the loop's, B6's
    lams = (type(p.lambdas)(), p.lambdas)
    try:
        runs = [[value(c) for c in ctx.judging.call_each(
            [("gradient_descent", (p.params, p.X, p.y, lam), {"learning_rate": eta, "steps": t})
             for t in range(1, steps + 1)])] for lam in lams]
        grads = [value(c) for c in ctx.judging.call_many("backprop", [(p.params, p.X, p.y, lam) for lam in lams])]
        arrays = []
        for f in PARAMS:
            w = np.asarray(getattr(p.params, f), dtype=np.float64)
            its = [[np.asarray(getattr(q, f), dtype=np.float64) for q in run] for run in runs]
            g = [np.asarray(getattr(r, f), dtype=np.float64) for r in grads]
            if not all(a.shape == w.shape for a in (*its[0], *its[1], *g)):
                return False
            arrays.append((w, its, g))
    except (ImplProblem, PropertyFailure, TypeError, ValueError, AttributeError):
        return False

    def fits(a: np.ndarray, b: np.ndarray, w: np.ndarray, step: np.ndarray, dc: float = 0.0) -> bool:
        # the rounding of t steps (a few ulps of |w| and η|g| a step), and of c, fitted from the whole array:
        # the ulps of its largest |w| over η|g| carry into every entry's c η g (dc: c's own uncertainty, relative)
        allowed = (16 * SAFETY * U64 * (np.max(np.abs(w), initial=0.0) + np.abs(step)) * max(1, steps)
                   + dc * np.abs(step) + FLOOR)
        return bool(np.all(np.abs(a - b) <= allowed))

    with np.errstate(all="ignore"):
        cs, dcs = [], []
        for w, its, g in arrays:
            norm = eta * float(np.vdot(g[0], g[0]))
            if not np.isfinite(norm):
                return False
            k = 0 if norm > 0 else 1  # no gradient at λ = 0: c is the step's at the problem's λ
            norm = norm if k == 0 else eta * float(np.vdot(g[1], g[1]))
            if not np.isfinite(norm):
                return False
            c = float(np.vdot(w - its[k][0], g[k])) / norm if norm > 0 else 1.0
            # a step below the ulps of |w| fits c only to their ratio: within it, c is the right step's 1
            noise = 4 * SAFETY * U64 * float(np.max(np.abs(w), initial=0.0)) / (
                eta * float(np.max(np.abs(g[k]), initial=0.0))) if norm > 0 else 0.0
            cs.append(1.0 if abs(c - 1.0) <= noise else c)
            dcs.append(noise / max(abs(c), noise, 1e-300))
        multiple = all(fits(w - its[k][0], c * eta * g[k], w, c * eta * g[k], dc)
                       for (w, its, g), c, dc in zip(arrays, cs, dcs) for k in (0, 1))
        if multiple and any(abs(c - 1.0) > 1e-9 for c in cs):
            return True
        if steps < 2:
            return False
        # X5 failed, so the loop's steps at λ are not along the gradients of their iterates; at λ = 0 they may
        # look right (a gradient that barely moves): B6 is charged for it on its own examples, or X5 is, as the
        # root that passed (running.body.settle_roots)
        return all(fits(w - its[k][t - 1], t * c * eta * g[k], w, t * c * eta * g[k], dc)
                   for (w, its, g), c, dc in zip(arrays, cs, dcs) for k in (0, 1) for t in range(1, steps + 1))


def x1_batch(ctx: Context, p: Problem) -> None:
    """The course's loop-versus-matrix check: a batch is the mean of its examples one at a time (and the
    parameters' gradients are the same with ``input_gradient=False``).

    A backprop that does no work earns nothing here (:func:`~.work.expect_work`).
    """
    g = ctx.network("backprop", p)
    expect_fields("backprop(...)", g, Gradients._fields)
    expect_work(ctx, "backprop", p, g, "its batch agreeing with its examples shows nothing", each=True)
    ev = ctx.ref(p)
    n = p.X.shape[0]
    singles = [value(r) for r in ctx.judging.call_many(
        "backprop", [(p.params, p.X[i:i + 1], p.y[i:i + 1], p.lambdas) for i in range(n)])]
    _without_input_gradient(ctx, p, g)
    own_first = OwnFirst()
    for f in ("oa", "hs", "ha", "x"):
        rows = np.concatenate([expect_array(f"backprop(example {i}).{f}", getattr(s, f),
                                            (1,) + getattr(ev.grads, f).shape[1:]) for i, s in enumerate(singles)])
        with own_first, _batch_blamed(ctx, p, g, f, singles):
            compare(ctx, f"backprop(batch).{f} vs stacked examples", getattr(g, f), rows,
                    2 * SAFETY * getattr(ev.grads_bound, f) + FLOOR)
    for f in PARAMS:
        shape = getattr(ev.grads, f).shape
        read = _read_back(own_first, f, shape)  # a gradient returned transposed: its own question's (B9, B15)
        mean = np.mean([read(f"backprop(example {i}).{f}", getattr(s, f)) for i, s in enumerate(singles)], axis=0)
        with own_first, _batch_blamed(ctx, p, g, f, singles):
            compare(ctx, f"backprop(batch).{f} vs mean of examples", read("backprop(batch)." + f, getattr(g, f)),
                    mean, 2 * SAFETY * getattr(ev.grads_bound, f) + 2 * SAFETY * n * U64 * np.abs(mean) + FLOOR)
    own_first.done()


def _read_back(own_first: OwnFirst, f: str, shape: tuple, *, squeezed: bool = True):
    """A reader of gradient ``f``'s arrays: one returned transposed (:func:`.chain.transposed`) read back, its
    transposition kept in ``own_first`` as its own question's (inherited unless an own failure comes); one with
    axes of length 1 more or less (:func:`~.check.reshaped`, ``squeezed``) read back likewise, X3's; any other
    checked for ``shape``."""
    def read(label: str, got: Any) -> np.ndarray:
        if chain.transposed(got, shape):
            own_first.inherited = own_first.inherited or chain.inherited_transposed(label, got, shape, f)
            got = got.T
        elif squeezed and reshaped(got, shape):
            own_first.inherited = own_first.inherited or _inherited_shape(label, got, shape)
            got = got.reshape(shape)
        return expect_array(label, got, shape)
    return read


def _inherited_shape(label: str, got: np.ndarray, shape: tuple) -> WrongShape:
    """An array with axes of length 1 more or less than ``shape``'s: X3's mistake, read back elsewhere."""
    return WrongShape(f"{label} has shape {got.shape}; expected {tuple(shape)}; read back: inherited from X3",
                      array=label)


def _without_input_gradient(ctx: Context, p: Problem, g: Any) -> None:
    """``backprop(..., input_gradient=False)`` (optional in the API: a submission without it is not asked again)
    gives the parameters' gradients of the call without it: a path of its own cannot hold another answer."""
    (other,) = ctx.impl.call_each([("backprop", p.arguments("backprop"), {"input_gradient": False})])
    if isinstance(other, ImplProblem):
        return
    ev = ctx.ref(p)
    expect_fields("backprop(..., input_gradient=False)", other.value, Gradients._fields)
    for f in PARAMS:
        shape = getattr(ev.grads, f).shape  # an array transposed or with axes of length 1 more: X1 reads it back
        compare(ctx, f"backprop(..., input_gradient=False).{f} vs backprop(...).{f}", getattr(other.value, f),
                _read_back(OwnFirst(), f, shape)(f"backprop(...).{f}", getattr(g, f)),
                2 * SAFETY * getattr(ev.grads_bound, f) + FLOOR)


@contextlib.contextmanager
def _batch_blamed(ctx: Context, p: Problem, g: Any, f: str, singles: list):
    """X1's failure of array ``f``, judged where the submission's own value is wrong: on the batch, the question
    at whose step the batch goes wrong (:func:`.chain.judge`: a missing 1/n is B16's) is charged; where the
    batch is right, on the first example whose answer alone is wrong, the question at whose step that answer
    goes wrong. X1 inherits either (every mistake is charged somewhere: a root that passes charges it here,
    :func:`~reference.compare.running.body.settle_roots`); else the failure is X1's own."""
    try:
        yield
    except PropertyFailure as failure:
        where = [(p, g)] + [(p._replace(X=p.X[i:i + 1], y=p.y[i:i + 1], origin=""), s) for i, s in enumerate(singles)]
        for q, answer in where:
            if not _wrong(ctx, q, answer, f):
                continue
            judged = chain.judge(ctx, q, answer, f, failure, "X1")
            if isinstance(judged, chain.Inherited):
                raise judged from None
            break
        raise


def _wrong(ctx: Context, p: Problem, answer: Any, f: str) -> bool:
    """Is ``answer``'s array ``f`` an array of the reference's shape that differs from it on ``p``?"""
    ev = ctx.ref(p)
    got = getattr(answer, f, None)
    if not isinstance(got, np.ndarray) or got.shape != getattr(ev.grads, f).shape:
        return False
    with np.errstate(invalid="ignore"):
        return not bool(np.all(np.abs(got - getattr(ev.grads, f)) <= accepted(getattr(ev.grads_bound, f))
                               + slack(ctx, p, f)))


def _x2_calls(ctx: Context, p: Problem) -> list[tuple[str, tuple, dict]]:
    """One call of each API function the submission has (X2, X3 ask their claim of each)."""
    calls = [(name, p.arguments(name), {}) for name in ("forward", "loss", "risk", "backprop")]
    calls.append(("gradient_descent", (p.params, p.X, p.y, p.lambdas), {"learning_rate": 0.1, "steps": 1}))
    calls += [(name, (p.X,), {}) for name in PART_A]
    return [c for c in calls if c[0] in ctx.present(c[0] for c in calls)]


def x2_unchanged(ctx: Context, p: Problem) -> None:
    """Inputs unchanged, as the grader sees it: every function called again, in turn, on the very same input
    objects (in one process, none copied) returns what it returns on fresh copies. A function that writes into
    its inputs changes what the next call on them returns. Nothing the submission's process says about itself
    counts (its own report of which inputs changed is not read); a function that does no work earns nothing
    (:func:`~.work.expect_work`)."""
    calls = _x2_calls(ctx, p)
    fresh = ctx.impl.call_each(calls)
    for (name, args, _), c in zip(calls, fresh):
        expect_work(ctx, name, args[0] if name in PART_A else p, value(c), "its inputs left unchanged show nothing")
    shared = ctx.impl.call_shared(calls + calls)
    for j, (want, got) in enumerate(zip(fresh + fresh, shared)):
        if not _agree(want, got):
            raise PropertyFailure(_blame(ctx, calls, j % len(calls), j), array=calls[j % len(calls)][0])


def _blame(ctx: Context, calls: list, victim: int, at: int) -> str:
    """Which call, run first on the same inputs, changes what call ``victim`` returns; the message."""
    name = calls[victim][0]
    alone = ctx.impl.call_each([calls[victim]])[0]
    for k in range(len(calls)):
        pair = ctx.impl.call_shared([calls[k], calls[victim]])
        if len(pair) == 2 and not _agree(alone, pair[1]):
            return (f"{calls[k][0]}(...) modified its inputs in place: called after it on the same input objects, "
                    f"{name}(...) returns another value than on fresh copies")
    return (f"{name}(...) returns another value when the functions before it ran on the same input objects "
            f"(call {at + 1} of a sequence of {2 * len(calls)}): an input was modified in place")


def x3_types(ctx: Context, p: Problem) -> None:
    """Float64 arrays of the documented shapes; a function that does no work earns nothing (its arrays all
    constant where the reference's are not: :func:`~.work.expect_work`)."""
    n, d, dh, m = p.dims
    calls = _x2_calls(ctx, p)
    got = {name: value(c) for (name, _, _), c in zip(calls, ctx.impl.call_each(calls))}
    if "forward" in got:
        expect_fields("forward(...)", got["forward"], ("ha", "hs", "oa", "os"), strict=True)
        for f, shape in (("ha", (n, dh)), ("hs", (n, dh)), ("oa", (n, m)), ("os", (n, m))):
            expect_array(f"forward(...).{f}", getattr(got["forward"], f), shape, strict=True)
    if "loss" in got:
        expect_array("loss(...)", got["loss"], (n,), strict=True)
    r = got.get("risk")
    if "risk" in got and (not isinstance(r, (float, np.floating)) or np.asarray(r).dtype != np.float64):
        raise PropertyFailure(f"risk(...) must be a float64 scalar; got {type(r).__name__}", array="risk")
    if "backprop" in got:
        expect_fields("backprop(...)", got["backprop"], Gradients._fields, strict=True)
        shapes = {"oa": (n, m), "hs": (n, dh), "ha": (n, dh), "x": (n, d), "W1": (dh, d), "b1": (dh,),
                  "W2": (m, dh), "b2": (m,)}
        own_first = OwnFirst()
        for f, shape in shapes.items():
            label = f"backprop(...).{f}"
            expect_array(label, _read_back(own_first, f, shape, squeezed=False)(label, getattr(got["backprop"], f)),
                         shape, strict=True)
    if "gradient_descent" in got:
        expect_fields("gradient_descent(...)", got["gradient_descent"], PARAMS, strict=True)
        for f in PARAMS:
            expect_array(f"gradient_descent(...).{f}", getattr(got["gradient_descent"], f),
                         getattr(p.params, f).shape, strict=True)
    for name in PART_A:
        if name in got:
            expect_array(f"{name}(X)", got[name], p.X.shape, strict=True)
    shows = "its types and shapes earn nothing"
    for name, v in got.items():
        expect_work(ctx, name, p.X if name in PART_A else p, v, shows, each=True)
    if "backprop" in got:
        own_first.done()  # a gradient returned transposed: its own question's (B9, B15), charged there


def _warned(ctx: Context, name: str, p: Problem, warning: str) -> str:
    """Which warning, at which input, and whether ordinary logits (b2 = 0) raise it too."""
    top = float(np.max(np.abs(p.params.b2)))
    ordinary = p._replace(params=p.params._replace(b2=np.zeros_like(p.params.b2)), origin="")
    args = (ctx.ref(ordinary).acts.oa,) if name == "softmax" else ordinary.arguments(name)
    try:
        again = ctx.impl.call(name, *args).warnings
    except ImplProblem:
        again = []
    where = f"{name}(...) on n={p.dims[0]}, d={p.dims[1]}, dh={p.dims[2]}, m={p.dims[3]}"
    if again:
        return f"{where} warned at ordinary inputs too (b2 = 0), not a matter of large logits: {again[0]}"
    return f"{where} warned at large logits (|b2| up to {top:.3g}) and not at ordinary ones: {warning}"


def _not_finite_at_ordinary_logits(ctx: Context, p: Problem, name: str, f: str) -> str | None:
    """A gradient not finite at large logits, and not finite on the problem with its logits scaled to at most
    100 too (a quotient at a kink, not an overflow): the question whose step makes it so there, found as
    every backward failure's (:func:`.chain.judge`); None when it is X4's own (finite there, or not a
    gradient of backprop)."""
    ordinary = chain.at_ordinary_logits(ctx, p)
    if name != "backprop" or not f or ordinary is None:
        return None
    try:
        g = ctx.judged("backprop", ordinary)
        got = np.asarray(getattr(g, f), dtype=np.float64)
    except (ImplProblem, AttributeError, TypeError, ValueError):
        return None
    want = getattr(ctx.ref(ordinary).grads, f)
    if got.shape != want.shape or np.all(np.isfinite(got) | ~np.isfinite(want)):
        return None
    failure = PropertyFailure(f"backprop(...).{f} is not finite at ordinary logits too", array=f)
    judged = chain.judge(ctx, ordinary, g, f, failure, "X4")
    return judged.root if isinstance(judged, chain.Inherited) else None


def x4_stable(ctx: Context, p: Problem) -> None:
    """Logits up to ±1e300: finite values, and still the reference's values; the part-A ``softmax`` too, on
    the reference's logits. What the submission's process says it warned is shown with a failure, never
    judged (that process can silence it)."""
    names = ctx.present(("forward", "loss", "risk", "backprop", "softmax"))
    ev = ctx.ref(p)
    calls = [(name, (ev.acts.oa,) if name == "softmax" else p.arguments(name), {}) for name in names]
    for name, c in zip(names, ctx.impl.call_each(calls)):
        if isinstance(c, ImplProblem):
            raise c
        ctx.remember(name, p, c)  # the checks below reuse these calls
        leaves = tuple(c.value) if isinstance(c.value, tuple) else (c.value,)
        for i, v in enumerate(leaves):
            if not isinstance(v, (np.ndarray, np.number, float, int)) or isinstance(v, bool):
                continue  # not numbers: the value checks below say what it is
            with np.errstate(invalid="ignore"):
                finite = np.all(np.isfinite(np.asarray(v, dtype=np.float64)))
            if not finite:
                field_ = c.value._fields[i] if hasattr(c.value, "_fields") else ""
                said = f"; {_warned(ctx, name, p, c.warnings[0])}" if c.warnings else ""
                failure = diagnosed(PropertyFailure(f"{name}(...){'.' + field_ if field_ else ''} is not finite at "
                                                    f"large logits" + said, array=name), overflow(ctx.ref(p).acts.oa))
                root = _not_finite_at_ordinary_logits(ctx, p, name, field_)
                raise chain.Inherited(failure, root) if root is not None else failure
    if "forward" in names:
        forward_check("oa", "os", question="X4")(ctx, p)
    if "loss" in names:
        b4(ctx, p, "X4")
    if "backprop" in names:
        # what the logits drive, per example; the rest is B9–B18's. A step wrong on its own inputs is its own
        # question's mistake (X4 inherits it); one right on them, past an overflowing softmax, is X4's
        gradients(ctx, p, ("oa", "hs"), "X4")
    if "softmax" in names:
        compare(ctx, "softmax(oa)", value(ctx.recalled("softmax", p)), ev.acts.os, accepted(ev.acts_bound.os))
