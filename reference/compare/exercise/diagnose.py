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
5. the reference transposed, or transposed and then reshaped to its shape (before the kinks: a
   transposed square array may differ only where an input is 0);
6. a difference only at the kinks (pre-activation, input or weight exactly 0): rect'(0) = 1 or
   abs'(0) = ±1 when ``at_kinks`` names the function;
7. a constant multiple c of it (c = n: summed instead of averaged; 1/n: averaged twice;
   2 or 1/2: a lost factor 2, "×n or ×2" at n = 2; −1: the sign flipped; any other c);
8. right up to an index along an axis and wrong beyond it (a loop bound).

When none fits, :func:`tried` lists the patterns that were tried, for the report
("no diagnosis: tried …"); :mod:`.explain` attaches either line to a failing check.

>>> import numpy as np
>>> want = np.array([[0.5, -1.0], [2.0, 0.25]])
>>> diagnose(3 * want, want, n=3)
'summed over the batch instead of averaged (n = 3 times the reference)'
>>> diagnose(want + np.array([[0.0, 1e-3], [0.0, 0.0]]), want) is None
True
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["RELATIVE", "OVERFLOW", "Alternative", "diagnose", "tried", "overflow", "multiple_of"]


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
    for explain_ in (_non_finite, _alternative, _l1, _l2, _transposed, _at_kinks, _multiple, _loop_bound):
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
