"""The vocabulary of the catalog: a property, the context a check runs in (:mod:`.context`), and the comparison.

A :class:`Property` is a question id, a title, a Hypothesis strategy and a
check. The check calls the implementation under test through a :class:`Context`
and compares with the reference through :func:`compare`, which raises
:class:`PropertyFailure` naming the array, the worst entry, both values, the
allowed error and whether the quantity before it in the chain agrees.

>>> import numpy as np
>>> m = measure("x", np.array([1.0, 2.5]), np.array([1.0, 2.0]), 0.1)
>>> m.worst_index, float(m.diff.max()), m.failure().message
((1,), 0.5, 'x[1] = 2.5, reference 2.0 (|difference| 0.5 > allowed 0.1; 1 of 2 entries off)')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import hypothesis.strategies as st
import numpy as np

from reference.compare.exercise.catalog.context import Context, Stats
from reference.compare.exercise.tolerance import FLOOR
from reference.compare.sandbox import ImplProblem

__all__ = [
    "Property", "Sweep", "PropertyFailure", "Rejected", "keep_only", "NotImplementedField", "WrongDtype", "Stats",
    "Context", "Measure",
    "expect_array", "expect_fields", "measure", "compare", "compare_exact", "fmt_index", "value", "ratio_map",
    "RATIO_MAP_SIDE", "flat", "idle",
]


class PropertyFailure(AssertionError):
    """A claim does not hold: the message names the array, the entry and both values."""

    #: The property's status when this is what an example shows.
    status = "fail"

    def __init__(self, message: str, *, array: str | None = None, index: Any = None,
                 got: Any = None, want: Any = None, allowed: Any = None, upstream: str | None = None,
                 ratio_map: list | None = None):
        super().__init__(message)
        self.message = message
        self.array, self.index, self.got, self.want, self.allowed = array, index, got, want, allowed
        self.upstream, self.ratio_map = upstream, ratio_map
        self.diagnosis: str | None = None
        self.root: str | None = None

    def details(self) -> dict:
        """The report's ``details``: the fields that are known."""
        items = (("array", self.array), ("index", self.index), ("got", self.got), ("want", self.want),
                 ("allowed", self.allowed), ("upstream", self.upstream), ("diagnosis", self.diagnosis),
                 ("root", self.root), ("ratio_map", self.ratio_map))
        return {k: v for k, v in items if v is not None}


class Rejected(Exception):
    """The example lies outside what the property judges: Hypothesis draws another (a replay skips it)."""


def keep_only(condition: bool) -> None:
    """Go on with this example only if ``condition`` holds (``hypothesis.assume``, usable outside a test)."""
    if not condition:
        raise Rejected


class WrongDtype(PropertyFailure):
    """Right values in the wrong dtype (float32, an integer type): X3's mistake, inherited elsewhere."""

    status = "inherited"

    def __init__(self, message: str, **fields):
        super().__init__(message, **fields)
        self.root = "X3"


class NotImplementedField(PropertyFailure):
    """A result the submission leaves out (None where an array is due): not implemented, not wrong."""

    status = "not-implemented"


@dataclass(frozen=True)
class Sweep:
    """How the bulk sweep takes part in a property: the function it calls, the λ mode, the arrays compared."""

    function: str
    lambdas_mode: str
    fields: tuple[str, ...]
    #: Only problems whose every loss is at most ``part_b.ORDINARY_LOSS`` (B4, B5: the formula, not the range).
    ordinary: bool = False


@dataclass(frozen=True)
class Property:
    """One checkable claim, tagged with its question id."""

    id: str
    question: str
    title: str
    strategy: Callable[[], st.SearchStrategy]
    check: Callable[["Context", Any], None]
    #: For network properties the bulk sweep also checks; None for properties it skips.
    sweep: Sweep | None = None
    #: Examples always tried first (Hypothesis's ``@example``).
    examples: tuple = ()
    #: Small problems only: tried when the counterexample found is large, since
    #: Hypothesis cannot shrink a seeded large problem into an entry-by-entry one.
    small: Callable[[], st.SearchStrategy] | None = None
    #: The API functions the check calls: a submission without one of them is "missing" here.
    calls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", _dtype_last(self.check))


def _dtype_last(check: Callable[["Context", Any], None]) -> Callable[["Context", Any], None]:
    """``check``, telling a value right only to its dtype's precision (:class:`WrongDtype`, kept by
    :func:`compare`) once nothing else is wrong with the example: every front end calls it so."""
    if getattr(check, "dtype_last", False):
        return check

    def checked(ctx: "Context", example: Any) -> None:
        ctx.wrong_dtype = None
        check(ctx, example)
        if ctx.wrong_dtype is not None:
            raise ctx.wrong_dtype
    checked.dtype_last = True  # type: ignore[attr-defined]
    checked.__doc__, checked.__name__ = check.__doc__, getattr(check, "__name__", "check")
    return checked


# ---------------------------------------------------------------------------
# Comparisons: shape and dtype first, then values within the allowed error
# ---------------------------------------------------------------------------
def expect_array(label: str, got: Any, shape: tuple, dtype=np.float64, *, strict: bool = False) -> np.ndarray:
    """``got`` must be a NumPy array of this shape (checked before any value), and of this dtype if ``strict``.

    Not strict, a real numeric array of another dtype (float32, an integer type)
    is returned as it is: :func:`measure` judges its values at its own precision.
    """
    if got is None:
        raise NotImplementedField(f"{label} is None: not implemented", array=label)
    if not isinstance(got, np.ndarray):
        if isinstance(got, (float, np.floating)) and shape == ():
            got = np.asarray(got)
        else:
            raise PropertyFailure(f"{label} must be a NumPy array of shape {shape}; got {type(got).__name__}",
                                  array=label)
    if got.shape != shape:
        raise PropertyFailure(f"{label} has shape {got.shape}; expected {shape}", array=label)
    if got.dtype != dtype and (strict or got.dtype.kind not in "biuf"):
        raise PropertyFailure(f"{label} has dtype {got.dtype}; expected {np.dtype(dtype)} (float64 in, float64 out)",
                              array=label)
    return got


def expect_fields(label: str, value: Any, fields: tuple[str, ...]) -> None:
    """``value`` must have these attributes (a named tuple of the API)."""
    if not all(hasattr(value, f) for f in fields):
        raise PropertyFailure(f"{label} must be a named tuple with fields {', '.join(fields)}; "
                              f"got {type(value).__name__}", array=label)


def fmt_index(i: tuple) -> str:
    return "" if i == () else "[" + ", ".join(str(int(k)) for k in i) + "]"


class Measure(NamedTuple):
    """One comparison's numbers: |got − want| and its ratio to the allowed error, entry by entry."""

    label: str
    got: np.ndarray
    want: np.ndarray
    allowed: np.ndarray
    diff: np.ndarray
    ratio: np.ndarray
    bad: np.ndarray

    @property
    def worst_index(self) -> tuple[int, ...] | None:
        """The entry that exceeds its allowed error the most, None if none does."""
        if not self.bad.any():
            return None
        flat = int(np.argmax(np.where(self.bad, self.ratio, -1.0)))
        return tuple(int(k) for k in np.unravel_index(flat, self.want.shape))

    def failure(self, upstream: str | None = None) -> PropertyFailure:
        """The failure this comparison describes (call only when ``bad.any()``)."""
        idx = self.worst_index
        return PropertyFailure(
            f"{self.label}{fmt_index(idx)} = {float(self.got[idx])!r}, reference {float(self.want[idx])!r} "
            f"(|difference| {self.diff[idx]:.3g} > allowed {self.allowed[idx]:.3g}; "
            f"{int(self.bad.sum())} of {self.bad.size} entries off)" + (f"; {upstream}" if upstream else ""),
            array=self.label, index=idx, got=float(self.got[idx]), want=float(self.want[idx]),
            allowed=float(self.allowed[idx]), upstream=upstream, ratio_map=ratio_map(self.ratio))


#: The largest side of a failure's ``ratio_map``: beyond it, blocks of entries are kept by their maximum.
RATIO_MAP_SIDE = 64


def ratio_map(ratio: np.ndarray) -> list:
    """|got − want| / allowed entry by entry as a nested list of at most 64 × 64 (2-D; a block's max beyond)."""
    r = np.asarray(ratio, dtype=np.float64)
    r = r.reshape(1, -1) if r.ndim < 2 else r.reshape(-1, r.shape[-1])
    for axis in (0, 1):
        step = -(-r.shape[axis] // RATIO_MAP_SIDE)
        if step > 1:
            r = np.fmax.reduceat(r, np.arange(0, r.shape[axis], step), axis=axis)
    return r.tolist()


#: float32's unit roundoff over float64's: the same error bound, in float32's precision.
_LOW_PRECISION = 2.0 ** 29


def measure(label: str, got: Any, want: np.ndarray, allowed: np.ndarray | float) -> Measure:
    """Compare ``got`` with ``want`` entry by entry, after the shape check (which raises).

    A real array of another dtype than float64 is compared at its own precision
    (float32: the bound scaled by u32/u64); right there, it raises
    :class:`WrongDtype` (the dtype is X3's question), else the values are wrong.
    """
    want = np.asarray(want, dtype=np.float64)
    got = expect_array(label, got, want.shape)
    if got.dtype != np.float64:
        low = got.dtype.kind == "f" and got.dtype.itemsize < 8
        cast, scaled = got.astype(np.float64), np.asarray(allowed) * (_LOW_PRECISION if low else 1.0)
        seen = want  # the reference as the dtype can hold it
        if low:  # its range too: tiny values flushed or subnormal, huge ones infinite, as the dtype must
            info = np.finfo(got.dtype)
            scaled = scaled + 2 * float(info.tiny)
            seen = np.where(np.abs(want) <= 2 * float(info.tiny), 0.0, want)
            with np.errstate(invalid="ignore"):
                cast = np.where((np.abs(want) > float(info.max)) & (cast == np.sign(want) * np.inf), want, cast)
        m = measure(label, cast, want, scaled)
        # right shows something only where its values and the reference's both vary (zeros of another dtype
        # are no cast of a right answer)
        if not m.bad.any() and flat(seen) is None and flat(cast) is None:
            raise WrongDtype(f"{label} has dtype {got.dtype}; expected float64 (float64 in, float64 out); "
                             f"its values are right to {got.dtype}'s precision: inherited from X3", array=label)
        return m
    allowed = np.asarray(allowed, dtype=np.float64)
    if allowed.shape != want.shape:
        allowed = np.broadcast_to(allowed, want.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - want)
    nan = np.isnan(diff)
    if nan.any():  # inf == inf is agreement
        diff = np.where(nan, np.where(got == want, 0.0, np.inf), diff)
    ratio = diff / np.maximum(allowed, FLOOR)
    return Measure(label, got, want, allowed, diff, ratio, diff > allowed)


def compare(ctx: Context, label: str, got: Any, want: np.ndarray, allowed: np.ndarray | float, *,
            upstream: Callable[[], str] | None = None) -> None:
    """|got − want| ≤ allowed entry by entry, after the shape and dtype check; raises PropertyFailure.

    Values right only to their own dtype's precision (float32) are kept on ``ctx.wrong_dtype`` and the check
    goes on: another comparison may find the example wrong in its values (the runner raises it at the end).
    """
    try:
        m = measure(label, got, want, allowed)
    except WrongDtype as exc:
        ctx.wrong_dtype = ctx.wrong_dtype or exc
        return
    ctx.record(m)
    if m.bad.any():
        raise m.failure(upstream() if upstream else None)


def compare_exact(ctx: Context, label: str, got: Any, want: np.ndarray) -> None:
    """Equality, for functions whose values are exact (0, ±1, x)."""
    compare(ctx, label, got, want, 0.0)


# ---------------------------------------------------------------------------
# No credit without work
# ---------------------------------------------------------------------------
def flat(values: Any) -> str | None:
    """How ``values`` carry no information: ``"all zero"``, ``"constant (every entry v)"`` (one entry
    included), ``"not finite anywhere"``; None when they vary (or are not numbers).

    >>> flat(np.zeros((2, 3))), flat(np.full(2, 0.25)), flat(np.array([0.0, 1.0]))
    ('all zero', 'constant (every entry 0.25)', None)
    """
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if v.size == 0:
        return None
    if not np.isfinite(v).any():
        return "not finite anywhere"
    if not v.any():
        return "all zero"
    if (v == v.flat[0]).all():
        return f"constant (every entry {float(v.flat[0])!r})"
    return None


def idle(got: Any, want: Any, allowed: Any) -> str | None:
    """:func:`flat` of ``got`` where the reference's ``want`` is not that flat within ``allowed``: all zero where
    ``want`` is not zero, constant where it is not one value, not finite where it is finite; else None.

    A correct answer is never idle: it lies within ``allowed`` of ``want``, so it is zero or constant only
    where ``want`` can be. A structural check asks it of a function's outputs (:func:`.work.expect_work`).

    >>> idle(np.zeros(3), np.array([1.0, 2.0, 3.0]), 0.0)
    'all zero'
    >>> idle(np.full(2, 0.25), np.array([0.5, 0.0]), 1e-15)
    'constant (every entry 0.25)'
    >>> idle(np.full(2, 0.5), np.array([0.5, 0.5 + 1e-17]), 1e-15) is None  # the reference is as flat
    True
    """
    how = flat(got)
    try:
        w = np.asarray(want, dtype=np.float64)
        a = np.broadcast_to(np.asarray(allowed, dtype=np.float64), w.shape)
    except (TypeError, ValueError):
        return None
    if how is None or w.size == 0 or not np.all(np.isfinite(w)):
        return None
    if how == "all zero":
        return how if bool((np.abs(w) > a).any()) else None
    if how.startswith("constant"):
        return how if float(np.max(w - a)) > float(np.min(w + a)) else None
    return how  # not finite anywhere, where the reference is finite


def value(result: Any) -> Any:
    """The value of a call's result, or raise the implementation's problem."""
    if isinstance(result, ImplProblem):
        raise result
    return result.value
