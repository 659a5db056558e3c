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

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import hypothesis.strategies as st
import numpy as np

from reference.compare.call_outcomes import ImplProblem
from reference.compare.exercise.catalog.context import Context, Stats
from reference.compare.exercise.strategies import lambdas_form
from reference.compare.exercise.tolerance import FLOOR

__all__ = [
    "Property", "Sweep", "PropertyFailure", "Rejected", "keep_only", "NotImplementedField", "WrongDtype", "WrongShape",
    "reshaped", "OwnFirst",
    "Stats",
    "Context", "Measure", "entry_error",
    "expect_array", "expect_fields", "measure", "compare", "compare_exact", "fmt_index", "value", "ratio_map",
    "RATIO_MAP_SIDE", "flat", "idle", "scant", "MEANINGFUL", "shows_nothing", "empty",
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
        #: The questions whose claims ``array`` and the quantity before it (``upstream``) are, where known: a
        #: report that withholds a question's feedback leaves out what is said of its quantities.
        self.array_question: str | None = None
        self.upstream_question: str | None = None

    def details(self) -> dict:
        """The report's ``details``: the fields that are known."""
        items = (("array", self.array), ("index", self.index), ("got", self.got), ("want", self.want),
                 ("allowed", self.allowed), ("upstream", self.upstream), ("diagnosis", self.diagnosis),
                 ("root", self.root), ("ratio_map", self.ratio_map), ("array_question", self.array_question),
                 ("upstream_question", self.upstream_question))
        return {k: v for k, v in items if v is not None}


class Rejected(Exception):
    """The example lies outside what the property judges: Hypothesis draws another (a replay skips it)."""


def keep_only(condition: bool) -> None:
    """Go on with this example only if ``condition`` holds (``hypothesis.assume``, usable outside a test)."""
    if not condition:
        raise Rejected


class WrongDtype(PropertyFailure):
    """Values right to float64's precision in another dtype (float32 holding exact values, an integer type): X3's
    mistake, inherited elsewhere. Right only to float32's precision is wrong (:func:`measure`)."""

    status = "inherited"

    def __init__(self, message: str, **fields):
        super().__init__(message, **fields)
        self.root = "X3"


class WrongShape(WrongDtype):
    """Values right in a shape that differs from the reference's only by axes of length 1 (``keepdims``, a
    column for a vector): X3's mistake, inherited elsewhere (:func:`reshaped`)."""


def reshaped(got: Any, shape: tuple) -> bool:
    """Is ``got`` an array of ``shape``'s entries in a shape that differs only by axes of length 1?

    >>> reshaped(np.zeros((1, 3)), (3,)), reshaped(np.zeros((3, 1)), (3,)), reshaped(np.zeros((3,)), (3,))
    (True, True, False)
    """
    shape = tuple(shape)
    return (isinstance(got, np.ndarray) and got.shape != shape and got.size == int(np.prod(shape))
            and tuple(s for s in got.shape if s != 1) == tuple(s for s in shape if s != 1))


class OwnFirst:
    """The checks of several arrays on one example: a failure of the property's own ends them at once, an
    inherited one (another question's mistake, or X3's dtype) lets the others run and is raised after them.
    One array's inherited mistake does not hide another array's own one.

    >>> own_first = OwnFirst()
    >>> for f in ("W1", "W2"):
    ...     with own_first:
    ...         pass  # compare(ctx, f, ...)
    >>> own_first.done()  # raises the first inherited failure, if any
    """

    def __init__(self) -> None:
        self.inherited: PropertyFailure | None = None

    def __enter__(self) -> OwnFirst:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, PropertyFailure) and exc.status == "inherited":
            self.inherited = self.inherited or exc
            return True
        return False

    def done(self) -> None:
        if self.inherited is not None:
            raise self.inherited


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
    #: Called with ``lambdas_form=`` (:data:`~reference.compare.exercise.strategies.LAMBDA_FORMS`) for a
    #: submission that takes λ otherwise than the API does: λ are drawn as it takes them (:meth:`draws`).
    strategy: Callable[..., st.SearchStrategy]
    check: Callable[["Context", Any], None]
    #: For network properties the bulk sweep also checks; None for properties it skips.
    sweep: Sweep | None = None
    #: Examples always tried first (Hypothesis's ``@example``).
    examples: tuple = ()
    #: Small problems only: tried when the counterexample found is large, since
    #: Hypothesis cannot shrink a seeded large problem into an entry-by-entry one.
    small: Callable[[], st.SearchStrategy] | None = None
    #: The API functions the check calls: a submission without one of them is "missing" here (unless
    #: ``partial``).
    calls: tuple[str, ...] = ()
    #: The check asks its claim of each function of ``calls`` the submission has (X2–X4): a mistake in one
    #: fails it whatever else is absent; right on those it has, it is "missing" while any is absent.
    partial: bool = False
    #: The claim is about the penalties: it needs a λ ≠ 0, and is not checked (no credit by default) for code
    #: that takes none.
    needs_lambdas: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", _dtype_last(self.check))

    def draws(self, declared: Any = None) -> st.SearchStrategy:
        """The examples for a submission whose adapter declares ``declared`` (None: the API): λ in its form."""
        form = lambdas_form(declared)
        return self.strategy() if form == "four" else self.strategy(lambdas_form=form)

    def not_drawn(self, declared: Any = None) -> str | None:
        """Why no example of this property can be put to a submission declared so (None: they can)."""
        if self.needs_lambdas and lambdas_form(declared) == "none":
            return ("not checked: its adapter declares no regularization (LAMBDAS = \"none\"), and this claim "
                    "needs a λ ≠ 0")
        return None


def _dtype_last(check: Callable[["Context", Any], None]) -> Callable[["Context", Any], None]:
    """``check``, telling a value right in another dtype than float64 (:class:`WrongDtype`, kept by
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


def expect_fields(label: str, value: Any, fields: tuple[str, ...], *, strict: bool = False) -> None:
    """``value`` must have these attributes (a named tuple of the API); ``strict``: and not be a plain tuple the
    grader read by position (``positional``: its values are judged elsewhere, its container here, X3)."""
    if not all(hasattr(value, f) for f in fields):
        raise PropertyFailure(f"{label} must be a named tuple with fields {', '.join(fields)}; "
                              f"got {type(value).__name__}", array=label)
    if strict and getattr(value, "positional", False):
        raise PropertyFailure(f"{label} is a plain tuple; it must be a named tuple with fields {', '.join(fields)} "
                              "(its items were read in that order)", array=label)


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
    #: Said after the numbers when it fails (a float32 answer right only to float32's precision).
    note: str = ""

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
            f"{int(self.bad.sum())} of {self.bad.size} entries off)" + (f"; {self.note}" if self.note else "")
            + (f"; {upstream}" if upstream else ""),
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

    A real array of another dtype than float64 is compared at float64's precision all the same: right
    there (exact values, such as small integers), it raises :class:`WrongDtype` (the dtype is X3's question),
    else its values are wrong at this question too. A deliberate exception to "each mistake charged once": an
    answer right only to float32's precision cannot be told from a float64 one wrong in its eighth digit (a
    finite-difference estimate, a perturbed answer) and then cast, so it cannot show the question's answer
    right; the failure says so (``right to float32's precision, not float64's: return float64``).
    """
    want = np.asarray(want, dtype=np.float64)
    if reshaped(got, want.shape) and got.dtype.kind in "iuf":
        m = measure(label, got.reshape(want.shape), want, allowed)
        if not m.bad.any():
            if flat(want) is None and flat(got) is None:  # right, and it shows something
                raise WrongShape(f"{label} has shape {got.shape}; expected {want.shape}; its values are right: "
                                 "inherited from X3", array=label)
            return m
    got = expect_array(label, got, want.shape)
    if got.dtype != np.float64:
        cast = got.astype(np.float64)
        m = measure(label, cast, want, allowed)
        if not m.bad.any():
            # right shows something only where its values and the reference's both vary (zeros of another dtype
            # are no cast of a right answer)
            if flat(want) is None and flat(cast) is None:
                raise WrongDtype(f"{label} has dtype {got.dtype}; expected float64 (float64 in, float64 out); "
                                 f"its values are right to float64's precision: inherited from X3", array=label)
            return m
        if got.dtype.kind == "f" and got.dtype.itemsize < 8 and _right_at_low_precision(cast, want, allowed, got.dtype):
            m = m._replace(note=f"{label} has dtype {got.dtype}: right to {got.dtype}'s precision, not float64's: "
                                "return float64")
        return m
    allowed = np.asarray(allowed, dtype=np.float64)
    if allowed.shape != want.shape:
        allowed = np.broadcast_to(allowed, want.shape)
    if np.isnan(allowed).any():  # an allowance computed from a value not finite allows nothing
        allowed = np.where(np.isnan(allowed), 0.0, allowed)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - want)
    nan = np.isnan(diff)
    if nan.any():  # inf == inf is agreement, and nan where nan is wanted (a value the submission gave twice)
        diff = np.where(nan, np.where((got == want) | (np.isnan(got) & np.isnan(want)), 0.0, np.inf), diff)
    ratio = diff / np.maximum(allowed, FLOOR)
    return Measure(label, got, want, allowed, diff, ratio, diff > allowed)


def entry_error(got: float, want: float, allowed: float) -> tuple[float, float]:
    """|got − want| and its ratio to the allowed error at one entry, as :func:`measure` computes them (nan
    against a number is an infinite difference; inf against the same inf, or nan against nan, none): a
    failure's entry, from its ``details``.

    >>> inf, nan = float("inf"), float("nan")
    >>> entry_error(-0.5, -0.25, 0.1), entry_error(nan, 1.0, 0.1)[0], entry_error(inf, inf, 0.0)
    ((0.25, 2.5), inf, (0.0, 0.0))
    """
    got, want = float(got), float(want)
    diff = abs(got - want) if not (math.isnan(got) or math.isnan(want)) else math.nan
    if math.isnan(diff):
        diff = 0.0 if got == want or (math.isnan(got) and math.isnan(want)) else math.inf
    return diff, diff / max(float(allowed), FLOOR)


def _right_at_low_precision(cast: np.ndarray, want: np.ndarray, allowed, dtype: np.dtype) -> bool:
    """Is ``cast`` (values of ``dtype``, float32, in float64) within ``allowed`` scaled to that dtype's precision
    and range (tiny values flushed or subnormal, huge ones infinite, as the dtype must)? Only to name the dtype
    in a failure: it earns nothing."""
    info = np.finfo(dtype)
    scaled = np.asarray(allowed, dtype=np.float64) * _LOW_PRECISION + 2 * float(info.tiny)
    with np.errstate(invalid="ignore"):
        cast = np.where((np.abs(want) > float(info.max)) & (cast == np.sign(want) * np.inf), want, cast)
        diff = np.abs(cast - want)
    return bool(np.all((diff <= scaled) | (np.isnan(cast) & np.isnan(want))))


def compare(ctx: Context, label: str, got: Any, want: np.ndarray, allowed: np.ndarray | float, *,
            upstream: Callable[[], str] | None = None) -> None:
    """|got − want| ≤ allowed entry by entry, after the shape and dtype check; raises PropertyFailure.

    Values right in another dtype than float64 are kept on ``ctx.wrong_dtype`` and the check
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


#: An entry is of meaningful size when it is above this fraction of the reference's largest magnitude (and
#: above float64's smallest normal number). 1e-8 is far above the error of any float64 computation of a
#: gradient (a few u · the magnitudes summed, ~1e-13 relative at the sizes drawn) and far below what an
#: honest wrong formula does to an entry (a missing 1/n, a transpose, rect'(0) = 1, a sign: factors of order
#: one): a computed array has about as many entries of meaningful size as the reference, a stub that plants one
#: subnormal (5e-324) or one value of 1e-300 in zeros has none, and one that plants a single entry has far fewer.
MEANINGFUL = 1e-8
_TINY = float(np.finfo(np.float64).tiny)


def scant(got: Any, want: Any, allowed: Any = 0.0) -> str | None:
    """How ``got`` carries far less information than the reference's ``want``: fewer entries of meaningful size
    (finite, above ``max(tiny, MEANINGFUL · max|want|)``) than half as many as ``want`` has, or none at all; else
    None (and None when either is not an array of numbers, or their shapes differ).

    The reference's entries counted are those above ``2·floor + allowed``: an answer within ``allowed`` of
    ``want`` has each of them above the floor, so a correct answer is never scant. Half, not all: an honest
    wrong formula can shrink some entries (a missing factor, a kink taken the wrong way) and must still count
    as computed; a stub that hides one subnormal, one nan or one planted value among zeros has at most one
    entry of meaningful size where the reference has one per example. Entries not finite count for nothing
    (a nan carries no magnitude; requiring finite everywhere instead would silence a whole array for the few
    rows of an unshifted softmax that overflow, and charge X4's mistake again below it); where the reference
    has no entry of meaningful size, an array not finite somewhere where it is finite needs one of its own.

    >>> scant(np.array([5e-324, 0.0, 0.0]), np.array([1.0, -2.0, 0.5]))
    'has 0 entries of meaningful size (above 2e-08) where the reference has 3'
    >>> scant(np.array([3.0, 0.0, 0.0, 0.0]), np.array([1.0, -2.0, 0.5, 4.0]))
    'has 1 entry of meaningful size (above 4e-08) where the reference has 4'
    >>> scant(np.array([2.0, -4.0, 1.0, 0.0]), np.array([1.0, -2.0, 0.5, 4.0])) is None  # wrong, but computed
    True
    >>> scant(np.array([np.nan, 0.0]), np.array([1e-320, 0.0]))
    "has 1 entry not finite where the reference's are finite, and none of meaningful size"

    """
    try:
        g = np.asarray(got, dtype=np.float64)
        w = np.asarray(want, dtype=np.float64)
        a = np.broadcast_to(np.asarray(allowed, dtype=np.float64), w.shape)
    except (TypeError, ValueError):
        return None
    if g.shape != w.shape or w.size == 0:
        return None
    finite = np.isfinite(w)
    floor = max(_TINY, MEANINGFUL * float(np.max(np.abs(w[finite]), initial=0.0)))
    with np.errstate(invalid="ignore"):
        need = int(np.count_nonzero(finite & (np.abs(w) > 2 * floor + np.where(np.isnan(a), np.inf, a))))
        have = int(np.count_nonzero(np.isfinite(g) & (np.abs(g) > floor)))
    lost = int(np.count_nonzero(finite & ~np.isfinite(g)))
    if have >= 1 and 2 * have >= need or need == 0 and lost == 0:
        return None
    entries = "entry" if have == 1 else "entries"
    if need == 0:  # nan among zeros where the reference is about zero: a nan carried is nothing computed
        return (f"has {lost} entr{'y' if lost == 1 else 'ies'} not finite where the reference's are finite, and none "
                "of meaningful size")
    return f"has {have} {entries} of meaningful size (above {floor:.3g}) where the reference has {need}"


def shows_nothing(got: Any, want: Any, allowed: Any = 0.0) -> str | None:
    """How ``got`` shows no work where the reference's ``want`` does, as words to follow its label:
    :func:`idle` (flat where the reference is not within ``allowed``) or :func:`scant`; None when it does (a
    correct answer always does).

    >>> shows_nothing(np.full(3, 0.5), np.array([0.25, 0.5, 0.75]))
    "is constant (every entry 0.5) where the reference's is not"
    """
    how = idle(got, want, allowed)
    return f"is {how} where the reference's is not" if how is not None else scant(got, want, allowed)


def empty(got: Any, want: Any, allowed: Any = 0.0) -> str | None:
    """How ``got``, an input a step was judged on, carries no information: :func:`flat` (whatever the reference's
    ``want``) or :func:`scant` against ``want``; None when it carries some."""
    return flat(got) or scant(got, want, allowed)


def value(result: Any) -> Any:
    """The value of a call's result, or raise the implementation's problem."""
    if isinstance(result, ImplProblem):
        raise result
    return result.value
