"""What a wrong array looks like: one line naming the classic mistake it matches, or None.

:func:`diagnose` compares a failing array ``got`` with the reference ``want`` and
tries a few patterns, most specific first; a pattern is named only when it holds
within the allowed error on every entry:

1. the reference transposed or reshaped (got of another shape holding its entries);
2. non-finite entries where the reference is finite (nan or inf, how many; at the kinks only?
   at logits past exp's range, an unshifted softmax?);
3. a named wrong answer the caller computed (``alternatives``: the reference with labels from 1…);
4. the L1 gradient written as the constant λ instead of λ·sign(W), left out, or ±λ at a zero weight
   (abs'(0) = ±1); the L2 gradient written λ·W instead of 2λ·W, or left out;
5. a difference only at the kinks (pre-activation, input or weight exactly 0): rect'(0) = 1 or
   abs'(0) = ±1 when ``at_kinks`` names the function;
6. the reference transposed, or transposed and then reshaped to its shape;
7. a constant multiple c of it (c = n: summed instead of averaged; 1/n: averaged twice;
   2 or 1/2: a lost factor 2, "×n or ×2" at n = 2; −1: the sign flipped; any other c);
8. right up to an index along an axis and wrong beyond it (a loop bound).

When none fits, :func:`tried` lists the patterns that were tried, for the report
("no diagnosis: tried …"); :func:`explain` attaches either line to a failure.

>>> import numpy as np
>>> want = np.array([[0.5, -1.0], [2.0, 0.25]])
>>> diagnose(3 * want, want, n=3)
'summed over the batch instead of averaged (n = 3 times the reference)'
>>> diagnose(want + np.array([[0.0, 1e-3], [0.0, 0.0]]), want) is None
True
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = ["RELATIVE", "OVERFLOW", "Alternative", "diagnose", "tried", "explain", "explaining", "diagnosed",
           "overflow",
           "multiple_of", "labels_from_1", "labels", "gradient_failure"]


#: The default allowed error: RELATIVE · max |want| on every entry (normwise, as the report's relative error).
RELATIVE = 1e-9
#: An estimated multiple this close to 1 is roundoff, not a multiple.
_NEAR_ONE = 1e-6
#: exp(x) overflows float64 past x = ln(max float64) ≈ 709.78.
OVERFLOW = float(np.log(np.finfo(np.float64).max))
#: What ``at_kinks`` may name: the function whose derivative is taken at 0, by itself or by its API name.
_KINK_RULES = {"rect": "rect", "d_rect": "rect", "abs": "abs", "d_abs": "abs", "grad_l1": "abs"}


class Alternative(NamedTuple):
    """A wrong answer the caller computed: ``tag`` names it in :func:`tried`, ``line`` is the diagnosis."""

    tag: str
    line: str
    value: np.ndarray


class _Case(NamedTuple):
    got: np.ndarray
    want: np.ndarray
    allowed: np.ndarray
    bad: np.ndarray
    n: int | None
    kinks: np.ndarray | None
    W: np.ndarray | None
    lam: float | None
    lam2: float | None
    at_kinks: str | None
    upstream: np.ndarray | None
    alternatives: tuple
    logits: np.ndarray | None


def _close(a: np.ndarray, b: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """|a − b| ≤ allowed, entry by entry; nan or inf never close."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - b) <= allowed


def _array(name: str, value: Any, shape: tuple | None = None, dtype=np.float64) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of {np.dtype(dtype)}; got {type(value).__name__}") from exc
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have want's shape {shape}; got {a.shape}")
    return a


def _lambda(name: str, lam: Any) -> float | None:
    number = isinstance(lam, (int, float, np.integer, np.floating)) and not isinstance(lam, bool)
    if lam is not None and not (number and np.isfinite(lam) and lam >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {lam!r}")
    return None if lam is None else float(lam)


def _validated(got, want, allowed, n, kinks, W, lam, lam2, at_kinks, upstream, alternatives, logits) -> _Case:
    want = _array("want", want)
    if not np.isfinite(want).all():
        raise ValueError("want (the reference) must be finite")
    got = _array("got", got)
    if got.shape != want.shape and got.size != want.size:
        raise ValueError(f"got must have want's shape {want.shape} or its size {want.size}; got {got.shape}")
    scale = float(np.max(np.abs(want), initial=0.0))
    allowed = RELATIVE * scale if allowed is None else allowed
    allowed = _array("allowed", allowed)
    try:
        allowed = np.broadcast_to(allowed, want.shape)
    except ValueError:
        raise ValueError(f"allowed must broadcast to want's shape {want.shape}; got {allowed.shape}") from None
    if not (np.isfinite(allowed).all() and (allowed >= 0).all()):
        raise ValueError("allowed must be finite and >= 0")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    kinks = None if kinks is None else _array("kinks", kinks, want.shape, bool)
    W = None if W is None else _array("W", W, want.shape)
    lam, lam2 = _lambda("lam", lam), _lambda("lam2", lam2)
    if (W is None) != (lam is None and lam2 is None):
        raise ValueError("W and lam go together: give W with lam or lam2, or none of them")
    if at_kinks is not None and at_kinks not in _KINK_RULES:
        raise ValueError(f"at_kinks must be one of {', '.join(_KINK_RULES)}; got {at_kinks!r}")
    upstream = None if upstream is None else _array("upstream", upstream, want.shape)
    alts = []
    for a in alternatives or ():
        if not isinstance(a, Alternative):
            raise ValueError(f"alternatives must hold Alternative(tag, line, value); got {type(a).__name__}")
        alts.append(a._replace(value=_array(f"alternative {a.tag!r}", a.value, want.shape)))
    logits = None if logits is None else _array("logits", logits)
    return _Case(got, want, allowed, np.zeros(want.shape, bool), None if n is None else int(n), kinks, W, lam,
                 lam2, None if at_kinks is None else _KINK_RULES[at_kinks], upstream, tuple(alts), logits)


def diagnose(got, want, *, allowed=None, n: int | None = None, kinks=None, W=None, lam: float | None = None,
             lam2: float | None = None, at_kinks: str | None = None, upstream=None, alternatives=None,
             logits=None) -> str | None:
    """One line saying what mistake ``got`` looks like next to the reference ``want``, or None.

    ``got``, ``want``: float64 arrays of one shape (``got`` may also have another
    shape of want's size: transposed, reshaped); ``got`` may hold nan or inf,
    ``want`` must be finite. Options, all keyword-only:

    - ``allowed``: the allowed error per entry (a scalar or an array that
      broadcasts to want's shape); default ``RELATIVE · max |want|``;
    - ``n``: the batch size, to recognize a sum over the batch (c = n) or a
      second average (c = 1/n);
    - ``kinks``: a boolean mask of want's shape, True where a pre-activation,
      an input or a weight is exactly 0;
    - ``at_kinks``: whose derivative is taken at the kinks (``"rect"`` or
      ``"abs"``, or the API's ``"d_rect"``, ``"d_abs"``, ``"grad_l1"``), to
      name rect'(0) = 1 or abs'(0) = ±1; ``upstream``: the gradient it
      multiplies (∂L/∂hs for ∂L/∂ha), when it is not taken alone;
    - ``W`` with ``lam`` and/or ``lam2``: for the gradient of a weight matrix,
      the weight (want's shape) and the λ of its L1 and L2 terms, to
      recognize the L1 and L2 mistakes;
    - ``alternatives``: :class:`Alternative` wrong answers (the reference
      with labels from 1…), named when ``got`` is one of them;
    - ``logits``: the logits of the problem, to tell an overflowing exp.

    None when ``got`` agrees with ``want`` within ``allowed``, or when no
    pattern fits every entry (:func:`tried` lists the patterns). A bad
    argument raises ValueError naming it.

    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [-2.0, 3.0]])
    >>> want = np.array([[0.1, 0.2], [0.3, 0.4]]) + 0.5 * np.sign(W)
    >>> diagnose(want - 0.5 * np.sign(W) + 0.5, want, W=W, lam=0.5)
    'the L1 gradient written as the constant λ instead of λ·sign(W)'
    >>> diagnose(-want, want)
    'the sign is flipped (-1 times the reference)'
    """
    c = _validated(got, want, allowed, n, kinks, W, lam, lam2, at_kinks, upstream, alternatives, logits)
    if c.got.shape != c.want.shape:
        return _other_shape(c)
    bad = ~_close(c.got, c.want, c.allowed)
    if not bad.any():
        return None
    c = c._replace(bad=bad)
    for explain_ in (_non_finite, _alternative, _l1, _l2, _at_kinks, _transposed, _multiple, _loop_bound):
        text = explain_(c)
        if text is not None:
            return text
    return None


def tried(*, n: int | None = None, kinks=None, W=None, lam: float | None = None, lam2: float | None = None,
          at_kinks: str | None = None, alternatives=None, **_ignored) -> str:
    """The patterns :func:`diagnose` tries with these options, for "no diagnosis: tried …".

    >>> tried(n=5)
    'nan/inf, transposed, reshaped, ×n, ×1/n, ×2, ×1/2, ×(-1), ×0, a constant multiple, a loop bound'
    """
    names = ["nan/inf"] + [a.tag for a in alternatives or ()]
    if W is not None and lam:
        names += ["the L1 gradient as λ", "the L1 term left out", "abs'(0) = ±1"]
    if W is not None and lam2:
        names += ["λ·W for 2λ·W", "the L2 term left out"]
    if kinks is not None:
        rule = _KINK_RULES.get(at_kinks or "")
        names += ["rect'(0) = 1" if rule == "rect" else "abs'(0) = ±1" if rule == "abs" else "only at the kinks"]
    names += ["transposed", "reshaped"] + (["×n", "×1/n"] if n is not None and n > 1 else [])
    names += ["×2", "×1/2", "×(-1)", "×0", "a constant multiple", "a loop bound"]
    return ", ".join(dict.fromkeys(names))


def _other_shape(c: _Case) -> str | None:
    """``got`` has another shape than want's and its size: transposed or reshaped, possibly with a second mistake."""
    got, want = c.got, c.want
    shapes = f"shape {got.shape} for {want.shape}"
    readings = [(got.reshape(want.shape), "reshaped")]
    if want.ndim == 2:
        readings.append((got.reshape(want.T.shape).T, "transposed and reshaped"))
        if got.shape == want.T.shape:
            readings.insert(0, (got.T, "transposed"))
    for back, what in readings:
        if _close(back, want, c.allowed).all():
            return f"the reference {what} ({shapes})"
    back, what = readings[0]
    inner = diagnose(back, want, allowed=c.allowed, n=c.n, kinks=c.kinks, W=c.W, lam=c.lam, lam2=c.lam2,
                     at_kinks=c.at_kinks, upstream=c.upstream, alternatives=c.alternatives, logits=c.logits)
    return None if inner is None else f"{what} ({shapes}), and then {inner}"


def overflow(logits) -> str | None:
    """The line for values not finite at these logits when exp overflows at them (|oa| > 709.78), else None.

    >>> overflow(np.array([[1e3, -2.0]]))
    'exp overflows at |oa| up to 1e+03 (> 709.78): softmax or log-sum-exp without subtracting the max first?'
    """
    try:
        oa = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    finite = oa[np.isfinite(oa)]
    top = float(np.max(np.abs(finite), initial=0.0))
    if top <= OVERFLOW:
        return None
    return (f"exp overflows at |oa| up to {top:.3g} (> {OVERFLOW:.2f}): softmax or log-sum-exp "
            f"without subtracting the max first?")


def _non_finite(c: _Case) -> str | None:
    nan, inf = np.isnan(c.got), np.isinf(c.got)
    off = nan | inf
    if not off.any():
        return None
    parts = [f"{int(k.sum())} {name}" for k, name in ((nan, "nan"), (inf, "inf")) if k.any()]
    what = f"{' and '.join(parts)} of {c.got.size} entries where the reference is finite"
    rest_right = not (c.bad & ~off).any()
    if rest_right and c.kinks is not None and not (off & ~c.kinks).any():
        return f"{what}, all at the kinks, right elsewhere (a quotient like x/|x| at 0?)"
    said = None if c.logits is None else overflow(c.logits)
    if said is not None:
        return f"{what}: {said}"
    return what + (", right elsewhere" if rest_right else "")


def _alternative(c: _Case) -> str | None:
    for a in c.alternatives:
        if _close(c.got, a.value, c.allowed).all():
            return a.line
    return None


def _l1(c: _Case) -> str | None:
    if c.W is None or not c.lam:
        return None
    lam_sign = c.lam * np.sign(c.W)
    if (c.W < 0).any() and _close(c.got, c.want - lam_sign + c.lam, c.allowed).all():
        return "the L1 gradient written as the constant λ instead of λ·sign(W)"
    if (c.W != 0).any() and _close(c.got, c.want - lam_sign, c.allowed).all():
        return "the L1 term's gradient left out (λ·sign(W) missing)"
    zero = c.W == 0
    if (c.bad & ~zero).any():
        return None
    off = c.got - c.want
    plus, minus = _close(off, c.lam, c.allowed), _close(off, -c.lam, c.allowed)
    if (plus | minus)[c.bad].all():
        sign = "1" if plus[c.bad].all() else "-1" if minus[c.bad].all() else "±1"
        return (f"abs'(0) taken as {sign} in the L1 term, the course's is 0 (sign(0) = 0): "
                f"off by {'±' if sign == '±1' else '-' if sign == '-1' else ''}λ at {int(c.bad.sum())} "
                f"of {int(zero.sum())} zero weights")
    return None


def _l2(c: _Case) -> str | None:
    if c.W is None or not c.lam2 or not (c.W != 0).any():
        return None
    two = 2 * c.lam2 * c.W
    if _close(c.got, c.want - two / 2, c.allowed).all():
        return "a lost factor 2 in the L2 term: its gradient written λ·W instead of 2λ·W"
    if _close(c.got, c.want + two, c.allowed).all():
        return "the L2 term's gradient doubled: 4λ·W instead of 2λ·W"
    if _close(c.got, c.want - two, c.allowed).all():
        return "the L2 term's gradient left out (2λ·W missing)"
    return None


def _at_kinks(c: _Case) -> str | None:
    if c.kinks is None or (c.bad & ~c.kinks).any():
        return None
    k, total = int(c.bad.sum()), int(c.kinks.sum())
    got = c.got[c.bad]
    unit = got if c.upstream is None else np.divide(got, c.upstream[c.bad], out=np.full(got.shape, np.nan),
                                                    where=c.upstream[c.bad] != 0)
    with np.errstate(invalid="ignore"):
        ones, minus = unit == 1.0, unit == -1.0
        if c.upstream is not None:  # the upstream times the slope, within the allowed error
            scale = np.abs(c.upstream[c.bad])
            ones = np.abs(got - c.upstream[c.bad]) <= c.allowed[c.bad] + 1e-15 * scale
            minus = np.abs(got + c.upstream[c.bad]) <= c.allowed[c.bad] + 1e-15 * scale
    if c.at_kinks == "rect" and ones.all():
        return f"rect'(0) taken as 1, the course's is 0 (a mask written >= 0?): {k} of {total} kink entries"
    if c.at_kinks == "abs" and (ones | minus).all():
        sign = "1" if ones.all() else "-1" if minus.all() else "±1"
        return (f"abs'(0) taken as {sign}, the course's is 0 (sign(0) = 0; a sign written with >= or "
                f"np.where?): {k} of {total} kink entries")
    return (f"differs only at the kinks (the convention at 0: rect'(0), sign(0)): "
            f"{k} of {total} kink entries")


def _transposed(c: _Case) -> str | None:
    if c.want.ndim != 2:
        return None
    if c.want.shape[0] == c.want.shape[1]:
        if _close(c.got, c.want.T, c.allowed.T).all():
            return "the reference transposed"
        return None
    if _close(c.got, c.want.T.reshape(c.want.shape), c.allowed).all():
        return f"the reference transposed and reshaped to {c.want.shape} (.reshape where .T was meant?)"
    return None


def _multiple_names(n: int | None) -> list[tuple[float, str]]:
    """Constants with a name, most specific first."""
    names = []
    if n == 2:  # the two readings cannot be told apart at n = 2
        names += [(2.0, "×n or ×2: summed over the batch instead of averaged, or a lost factor 2 "
                        "(2 times the reference at n = 2)"),
                  (0.5, "×1/n or ×1/2: averaged twice, or a lost factor 2 (1/2 of the reference at n = 2)")]
    elif n is not None and n > 1:
        names += [(float(n), f"summed over the batch instead of averaged (n = {n} times the reference)"),
                  (1.0 / n, f"averaged twice (1/n = 1/{n} of the reference)")]
    return names + [(2.0, "a lost factor 2 (2 times the reference)"),
                    (0.5, "a lost factor 2 (1/2 of the reference)"),
                    (-1.0, "the sign is flipped (-1 times the reference)"),
                    (0.0, "zero where the reference is not (0 times the reference: a term left out?)")]


def multiple_of(got, want, allowed=None) -> float | None:
    """c when ``got`` = c·``want`` on every entry within ``allowed`` (c by least squares), else None.

    >>> multiple_of(np.array([3.0, -6.0]), np.array([1.0, -2.0]))
    3.0
    """
    want = _array("want", want)
    got = _array("got", got, want.shape)
    scale = float(np.max(np.abs(want), initial=0.0))
    allowed = np.broadcast_to(_array("allowed", RELATIVE * scale if allowed is None else allowed), want.shape)
    support = np.abs(want) > allowed
    if not support.any() or not np.isfinite(got).all():
        return None
    top = float(np.max(np.abs(want[support])))
    w, g = want[support] / top, got[support] / top
    with np.errstate(over="ignore", invalid="ignore"):
        k = float(w @ g) / float(w @ w)
    if not (np.isfinite(k) and _close(got, k * want, max(1.0, abs(k)) * allowed).all()):
        return None
    return k


def _multiple(c: _Case) -> str | None:
    """got = c·want: c by least squares where want is not ~0, then checked on every entry."""
    k = multiple_of(c.got, c.want, c.allowed)
    if k is None:
        return None

    def fits(value: float) -> bool:
        return bool(_close(c.got, value * c.want, max(1.0, abs(value)) * c.allowed).all())

    for value, text in _multiple_names(c.n):
        if abs(k - value) <= _NEAR_ONE * max(abs(value), 1.0) and fits(value):
            return text
    if abs(k - 1.0) <= _NEAR_ONE:
        return None
    return f"a constant multiple {k:.6g} of the reference"


def _loop_bound(c: _Case) -> str | None:
    """Right at every index < k along an axis; from k on every entry off (where want is not ~0)."""
    support = np.abs(c.want) > c.allowed
    for axis in range(c.want.ndim):
        size = c.want.shape[axis]
        bad = np.moveaxis(c.bad, axis, 0).reshape(size, -1)
        held = np.moveaxis(support, axis, 0).reshape(size, -1)
        slices_off = bad.any(axis=1)
        k = int(np.argmax(slices_off))
        if k == 0 or not slices_off[k:].all() or (held[k:] & ~bad[k:]).any():
            continue
        return f"right up to index {k - 1} along axis {axis}, wrong beyond (a loop bound?)"
    return None


# ---------------------------------------------------------------------------
# On a failure: the line in its message and details
# ---------------------------------------------------------------------------
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
    from reference.compare.exercise.tolerance import accepted

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


#: The rows of a shrunk two-example batch that make it three, to tell ×n from ×2.
_THREE = np.array([0, 1, 0])


def _at_three(ctx: Any, p: Any, f: str) -> float | None:
    """got / want for gradient ``f`` on ``p``'s two examples and the first again (n = 3), or None."""
    from reference.compare.exercise.tolerance import accepted

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
    near = lambda value: abs(k3 - value) <= _NEAR_ONE * max(value, 1.0)  # noqa: E731
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
        options.update(kinks=lambda: ctx.ref(p).acts.ha == 0, at_kinks="rect", upstream=lambda: ctx.ref(p).grads.hs)
    elif f == "oa":
        options.update(labels(ctx, p, "oa"))
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
