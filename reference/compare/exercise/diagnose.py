"""What a wrong array looks like: one line naming the classic mistake it matches, or None.

:func:`diagnose` compares a failing array ``got`` with the reference ``want`` and
tries a few patterns, most specific first; a pattern is named only when it holds
within the allowed error on every entry:

1. non-finite entries where the reference is finite (nan or inf, how many; at the kinks only?);
2. the L1 gradient written as the constant λ instead of λ·sign(W), or nonzero at a zero weight;
3. a difference only at the kinks (pre-activation or weight exactly 0);
4. the reference transposed;
5. a constant multiple c of it (c = n: summed instead of averaged; 1/n: averaged twice;
   2 or 1/2: a lost factor 2; −1: the sign flipped; any other c);
6. right up to an index along an axis and wrong beyond it (a loop bound).

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

__all__ = ["RELATIVE", "diagnose"]

#: The default allowed error: RELATIVE · max |want| on every entry (normwise, as the report's relative error).
RELATIVE = 1e-9
#: An estimated multiple this close to 1 is roundoff, not a multiple.
_NEAR_ONE = 1e-6


class _Case(NamedTuple):
    got: np.ndarray
    want: np.ndarray
    allowed: np.ndarray
    bad: np.ndarray
    n: int | None
    kinks: np.ndarray | None
    W: np.ndarray | None
    lam: float | None


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


def _validated(got, want, allowed, n, kinks, W, lam) -> tuple:
    want = _array("want", want)
    if not np.isfinite(want).all():
        raise ValueError("want (the reference) must be finite")
    got = _array("got", got)
    if got.shape != want.shape and not (want.ndim == 2 and got.shape == want.T.shape):
        raise ValueError(f"got must have want's shape {want.shape} or its transpose; got {got.shape}")
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
    number = isinstance(lam, (int, float, np.integer, np.floating)) and not isinstance(lam, bool)
    if lam is not None and not (number and np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0; got {lam!r}")
    if (W is None) != (lam is None):
        raise ValueError("W and lam go together: give both or neither")
    return got, want, allowed, None if n is None else int(n), kinks, W, None if lam is None else float(lam)


def diagnose(got, want, *, allowed=None, n: int | None = None, kinks=None, W=None,
             lam: float | None = None) -> str | None:
    """One line saying what mistake ``got`` looks like next to the reference ``want``, or None.

    ``got``, ``want``: float64 arrays of one shape (``got`` may also have the
    transposed shape of a 2-D ``want``); ``got`` may hold nan or inf, ``want``
    must be finite. Options, all keyword-only:

    - ``allowed``: the allowed error per entry (a scalar or an array that
      broadcasts to want's shape); default ``RELATIVE · max |want|``;
    - ``n``: the batch size, to recognize a sum over the batch (c = n) or a
      second average (c = 1/n);
    - ``kinks``: a boolean mask of want's shape, True where a pre-activation
      or a weight is exactly 0;
    - ``W`` and ``lam``: for the gradient of a weight matrix, the weight (want's
      shape) and λ of its L1 term, to recognize the L1 mistakes.

    None when ``got`` agrees with ``want`` within ``allowed``, or when no
    pattern fits every entry. A bad argument raises ValueError naming it.

    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [-2.0, 3.0]])
    >>> want = np.array([[0.1, 0.2], [0.3, 0.4]]) + 0.5 * np.sign(W)
    >>> diagnose(want - 0.5 * np.sign(W) + 0.5, want, W=W, lam=0.5)
    'the L1 gradient written as the constant λ instead of λ·sign(W)'
    >>> diagnose(-want, want)
    'the sign is flipped (-1 times the reference)'
    """
    got, want, allowed, n, kinks, W, lam = _validated(got, want, allowed, n, kinks, W, lam)
    if got.shape != want.shape:
        return _transposed_shape(got, want, allowed=allowed, n=n, kinks=kinks, W=W, lam=lam)
    bad = ~_close(got, want, allowed)
    if not bad.any():
        return None
    case = _Case(got, want, allowed, bad, n, kinks, W, lam)
    for explain in (_non_finite, _l1, _at_kinks, _transposed, _multiple, _loop_bound):
        text = explain(case)
        if text is not None:
            return text
    return None


def _transposed_shape(got: np.ndarray, want: np.ndarray, **options) -> str | None:
    """``got`` has the shape of wantᵀ: the transpose, possibly with a second mistake."""
    back = got.T
    if _close(back, want, options["allowed"]).all():
        return f"the reference transposed (shape {got.shape} for {want.shape})"
    inner = diagnose(back, want, **options)
    return None if inner is None else f"transposed (shape {got.shape} for {want.shape}), and then {inner}"


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
    return what + (", right elsewhere" if rest_right else "")


def _l1(c: _Case) -> str | None:
    if c.W is None or not c.lam:
        return None
    lam_sign = c.lam * np.sign(c.W)
    if (c.W < 0).any() and _close(c.got, c.want - lam_sign + c.lam, c.allowed).all():
        return "the L1 gradient written as the constant λ instead of λ·sign(W)"
    zero = c.W == 0
    if (c.bad & ~zero).any():
        return None
    off = c.got - c.want
    plus_minus = _close(off, c.lam, c.allowed) | _close(off, -c.lam, c.allowed)
    if plus_minus[c.bad].all():
        return (f"the L1 term's gradient at a zero weight should be 0 (sign(0) = 0): "
                f"off by ±λ at {int(c.bad.sum())} zero weights")
    return None


def _at_kinks(c: _Case) -> str | None:
    if c.kinks is None or (c.bad & ~c.kinks).any():
        return None
    return (f"differs only at the kinks (the convention at 0: rect'(0), sign(0)): "
            f"{int(c.bad.sum())} of {int(c.kinks.sum())} kink entries")


def _transposed(c: _Case) -> str | None:
    if c.want.ndim != 2 or c.want.shape[0] != c.want.shape[1]:
        return None
    if _close(c.got, c.want.T, c.allowed.T).all():
        return "the reference transposed"
    return None


def _multiple_names(n: int | None) -> list[tuple[float, str]]:
    """Constants with a name, most specific first."""
    names = []
    if n is not None and n > 1:
        also = ", or a lost factor 2" if n == 2 else ""
        names += [(float(n), f"summed over the batch instead of averaged{also} (n = {n} times the reference)"),
                  (1.0 / n, f"averaged twice{also} (1/n = 1/{n} of the reference)")]
    return names + [(2.0, "a lost factor 2 (2 times the reference)"),
                    (0.5, "a lost factor 2 (1/2 of the reference)"),
                    (-1.0, "the sign is flipped (-1 times the reference)"),
                    (0.0, "zero where the reference is not (0 times the reference: a term left out?)")]


def _multiple(c: _Case) -> str | None:
    """got = c·want: c by least squares where want is not ~0, then checked on every entry."""
    support = np.abs(c.want) > c.allowed
    if not support.any() or not np.isfinite(c.got).all():
        return None
    scale = float(np.max(np.abs(c.want[support])))
    w, g = c.want[support] / scale, c.got[support] / scale
    with np.errstate(over="ignore", invalid="ignore"):
        k = float(w @ g) / float(w @ w)

    def fits(k: float) -> bool:
        return bool(np.isfinite(k) and _close(c.got, k * c.want, max(1.0, abs(k)) * c.allowed).all())

    if not fits(k):
        return None
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
