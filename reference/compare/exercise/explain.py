"""A failing check's diagnosis: :mod:`.diagnose`'s line after the failure's message and in its details.

What the check knows sets :func:`~.diagnose.diagnose`'s options: the problem's batch size, the weights
and λ of a weight's gradient, the kinks of ∂L/∂ha, the reference with labels from 1 for the loss and
∂L/∂oa. Two readings that a shrunk counterexample cannot tell apart are told apart by calling the
submission once more: ×n or ×2 at n = 2 on the same rows with the first repeated (n = 3), y + 1 or
y − 1 with two classes on the same problem with a third class. When no pattern fits, the message says
which were tried ("no diagnosis: tried …").
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from reference.compare.exercise.diagnose import RELATIVE, Alternative, diagnose, multiple_of, tried
from reference.compare.exercise.tolerance import accepted

__all__ = ["explain", "explaining", "diagnosed", "labels_from_1", "labels", "gradient_failure"]

#: A multiple this close to 3, 2, 1/2 or 1/3 (relatively) is that number.
_NEAR = 1e-6


def _close(a: np.ndarray, b: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """|a − b| ≤ allowed, entry by entry; nan or inf never close."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - b) <= allowed


def _options(options: dict) -> dict:
    """The options with the lazy ones (callables) evaluated; one that cannot be is left out."""
    out = {}
    for k, v in options.items():
        if callable(v):
            try:
                v = v()
            except Exception:  # noqa: BLE001 - a diagnosis is a hint: without this option, still one
                continue
        out[k] = v
    return out


def _attach(failure: Any, said: str | None, options: dict) -> Any:
    """``said`` after the failure's message and in its ``diagnosis``; without one, the patterns tried."""
    line = said if said else f"no diagnosis: tried {tried(**options)}"
    failure.message += f" — {line}"
    failure.args = (failure.message,)
    if said:
        failure.diagnosis = said
    return failure


def diagnosed(failure: Any, line: str | None) -> Any:
    """The failure with ``line`` after its message and as its ``diagnosis`` (unchanged when ``line`` is None)."""
    return failure if not line else _attach(failure, line, {})


def _own_hs(ctx: Any, p: Any) -> np.ndarray:
    """The submission's own ∂L/∂hs on ``p`` (finite, of the reference's shape), else the reference's: what its
    ∂L/∂ha takes at the kinks under rect'(0) = 1. Its own, so that this diagnosis of ∂L/∂ha (B13) says the same
    whether or not ∂L/∂hs (B11, maybe hidden) agrees with the reference."""
    want = ctx.ref(p).grads.hs
    try:
        got = getattr(ctx.network("backprop", p), "hs", None)
    except Exception:  # noqa: BLE001 - the submission's failure is told by its own check; here the reference's
        return want
    if isinstance(got, np.ndarray) and got.shape == np.shape(want) and got.dtype.kind == "f":
        got = got.astype(np.float64)
        if np.isfinite(got).all():
            return got
    return want


def _diagnosable(failure: Any, got: Any, want: Any, allowed: Any) -> tuple | None:
    """(got, want, allowed) as float64 when the failure is about these values and they differ, else None."""
    if not hasattr(failure, "message") or getattr(failure, "diagnosis", None) is not None:
        return None
    try:
        g = np.asarray(got)
        if g.dtype.kind not in "biuf":
            return None
        g, w = g.astype(np.float64), np.asarray(want, dtype=np.float64)
        a = np.broadcast_to(np.asarray(RELATIVE * float(np.max(np.abs(w), initial=0.0)) if allowed is None
                                       else allowed, dtype=np.float64), w.shape)
    except (TypeError, ValueError):
        return None
    if g.size != w.size or (g.shape == w.shape and _close(g, w, a).all()):
        return None  # another comparison failed: these values are right
    return g, w, a


def explain(failure: Any, got: Any, want: Any, allowed: Any = None, *,
            refine: Callable[[str], str] | None = None, **options) -> Any:
    """The failure (a PropertyFailure) with :func:`diagnose`'s line after its message and in its
    ``diagnosis``, or "no diagnosis: tried …"; unchanged when it has a diagnosis already, when ``got`` is
    not numbers of want's size, or when ``got`` agrees (another comparison failed). Options as
    :func:`diagnose`'s; a callable one is evaluated only here, and left out if it raises. ``refine``
    may make a line found more precise (another call of the submission)."""
    values = _diagnosable(failure, got, want, allowed)
    if values is None:
        return failure
    options = _options(options)
    try:
        said = diagnose(*values[:2], allowed=values[2], **options)
    except ValueError:
        return failure
    if said and refine is not None:
        said = refine(said)
    return _attach(failure, said, options)


class explaining:
    """``with explaining(values, **options): compare(...)``: a PropertyFailure raised inside leaves with
    :func:`explain`'s line; ``values`` is (got, want, allowed) or a callable returning them."""

    def __init__(self, values: tuple | Callable[[], tuple], **options):
        self.values, self.options = values, options

    def __enter__(self) -> "explaining":
        return self

    def __exit__(self, kind, failure, tb) -> bool:
        if failure is not None and isinstance(failure, AssertionError) and hasattr(failure, "diagnosis"):
            try:
                got, want, allowed = self.values() if callable(self.values) else self.values
            except Exception:  # noqa: BLE001 - no values, no diagnosis: the failure stands as it is
                return False
            explain(failure, got, want, allowed, **self.options)
        return False  # the failure goes on, its traceback untouched


def labels_from_1(ref: Callable[[Any], Any], p: Any, read: Callable[[Any], np.ndarray]) -> list[Alternative]:
    """The reference with labels from 1: ``read(ref(p'))`` where p' has the class index y + 1, and y − 1
    (wrapped to the classes), for a problem ``p`` with ``y`` and ``params.W2``."""
    m = int(np.shape(p.params.W2)[0])
    if m < 2:
        return []
    y = np.asarray(p.y)
    if m == 2:
        lines = {1: "labels from 1: y ± 1 used as the class index (with 2 classes, the other class)"}
    else:
        lines = {1: "labels from 1: y + 1 used as the class index (the last class wrapping to 0)",
                 -1: "labels from 1: y − 1 used as the class index (class 0 read as the last)"}
    return [Alternative("labels from 1", line, read(ref(p._replace(y=(y + s) % m)))) for s, line in lines.items()]


#: Where a label's mistake shows: the function called, its array in the result, the reference's and its bound.
_LABELLED = {"loss": ("loss", lambda r: r, lambda ev: ev.L, lambda ev: ev.L_bound),
             "oa": ("backprop", lambda r: r.oa, lambda ev: ev.grads.oa, lambda ev: ev.grads_bound.oa)}


def _labels_at_three_classes(ctx: Any, p: Any, what: str, said: str) -> str:
    """The "y ± 1" line of two classes made y + 1 or y − 1 on the same problem with a third class (W2 and
    b2 given a row more), by calling the submission once more; ``said`` when that tells nothing."""
    function, read, want, bound = _LABELLED[what]
    try:
        W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in p.params)
        q = p._replace(params=type(p.params)(W1, b1, np.vstack([W2, W2.sum(axis=0)]), np.append(b2, b2[0] + 1.0)),
                       origin="")
        got = np.asarray(read(ctx.network(function, q)), dtype=np.float64)
        allowed = accepted(bound(ctx.ref(q)))
        for alt in labels_from_1(ctx.ref, q, want):
            if got.shape == alt.value.shape and _close(got, alt.value, allowed).all():
                return f"{alt.line}, seen with a third class"
    except Exception:  # noqa: BLE001 - the submission's problem on it: the line stays as it was
        pass
    return said


def labels(ctx: Any, p: Any, what: str) -> dict:
    """The options of :func:`explain` that name labels from 1 in ``what`` (``"loss"``, or ``"oa"`` for
    ∂L/∂oa) on the problem ``p``; with two classes, told apart (y + 1 or y − 1) with a third."""
    def refine(said: str) -> str:
        if not said.startswith("labels from 1: y ± 1"):
            return said
        return _labels_at_three_classes(ctx, p, what, said)
    return {"alternatives": lambda: labels_from_1(ctx.ref, p, _LABELLED[what][2]), "refine": refine}


#: The backward steps through a weight: the gradient before it and the weight (∂L/∂hs = ∂L/∂oa · W2).
_THROUGH = {"hs": ("oa", "W2"), "x": ("ha", "W1")}


def _weight_transposed(ctx: Any, p: Any, f: str) -> list:
    """The step ``f`` (of :data:`_THROUGH`) with its weight transposed in the product, when the weight is square
    (a product that raises on other shapes answers there)."""
    up, w = _THROUGH[f]
    W = np.asarray(getattr(p.params, w), dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        return []
    g = np.asarray(getattr(ctx.ref(p).grads, up), dtype=np.float64)
    return [Alternative("a weight transposed", f"a weight transposed in the product: ∂L/∂{up} · {w}ᵀ where "
                        f"∂L/∂{up} · {w} was meant", g @ W.T)]


#: The rows of a shrunk two-example batch that make it three, to tell ×n from ×2.
_THREE = np.array([0, 1, 0])


def _at_three(ctx: Any, p: Any, f: str) -> float | None:
    """got / want for gradient ``f`` on ``p``'s two examples and the first again (n = 3), or None."""
    try:
        q = p._replace(X=np.asarray(p.X)[_THREE], y=np.asarray(p.y)[_THREE], origin="")
        got = np.asarray(getattr(ctx.network("backprop", q), f), dtype=np.float64)
        ev = ctx.ref(q)
        return multiple_of(got, getattr(ev.grads, f), accepted(getattr(ev.grads_bound, f)))
    except Exception:  # noqa: BLE001 - the submission's problem on it, or no multiple: still ambiguous
        return None


def _told_apart(said: str, k3: float | None) -> str:
    """The "×n or ×2" line at n = 2 made one reading by the multiple at n = 3, when it is 3, 2, 1/3 or 1/2."""
    if k3 is None:
        return said
    near = lambda value: abs(k3 - value) <= _NEAR * max(value, 1.0)  # noqa: E731
    if said.startswith("×n"):
        if near(3.0):
            return "summed over the batch instead of averaged (n times the reference: 2 at n = 2, 3 at n = 3)"
        if near(2.0):
            return "a lost factor 2 (2 times the reference, at n = 2 and at n = 3)"
    elif said.startswith("×1/n"):
        if near(1 / 3):
            return "averaged twice (1/n of the reference: 1/2 at n = 2, 1/3 at n = 3)"
        if near(0.5):
            return "a lost factor 2 (1/2 of the reference, at n = 2 and at n = 3)"
    return said


def gradient_failure(ctx: Any, p: Any, failure: Any, got: Any, want: np.ndarray, allowed: Any, f: str) -> Any:
    """A failing gradient ``f`` (``"W1"``, ``"ha"``…) of backprop on the problem ``p``, with its diagnosis.

    What the gradient is tells the options: the L1 and L2 terms of a weight, rect'(0) for ∂L/∂ha, labels
    from 1 for ∂L/∂oa; a multiple 2 or 1/2 at n = 2 is told apart on the same rows with the first repeated
    (n = 3) by calling the submission once more (``ctx.network``), or said "×n or ×2".
    """
    values = _diagnosable(failure, got, want, allowed)
    if values is None or not isinstance(got, np.ndarray) or got.dtype.kind != "f":
        return failure
    n = int(np.shape(p.X)[0])
    options: dict = {"n": n}
    if f in ("W1", "W2"):
        W = p.params.W1 if f == "W1" else p.params.W2
        lam, lam2 = (p.lambdas.l11, p.lambdas.l12) if f == "W1" else (p.lambdas.l21, p.lambdas.l22)
        options.update(W=np.asarray(W, dtype=np.float64), lam=float(lam), lam2=float(lam2), kinks=W == 0)
    elif f == "ha":
        options.update(kinks=lambda: ctx.ref(p).acts.ha == 0, at_kinks="rect", upstream=lambda: _own_hs(ctx, p))
    elif f == "oa":
        options.update(labels(ctx, p, "oa"))
    elif f in _THROUGH:
        options.update(alternatives=lambda: _weight_transposed(ctx, p, f))
    refine = options.pop("refine", None)
    options = _options(options)
    try:
        said = diagnose(*values[:2], allowed=values[2], **options)
    except ValueError:
        return failure
    if said and n == 2 and said.startswith(("×n or ×2", "×1/n or ×1/2")):
        said = _told_apart(said, _at_three(ctx, p, f))
    if said and refine is not None:
        said = refine(said)
    return _attach(failure, said, options)
