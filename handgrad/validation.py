"""Input validation shared by handgrad and reference: every error names the argument.

Both twins call :func:`network_inputs` first, so they accept and refuse exactly the
same inputs. Arrays come back as contiguous floating arrays of one dtype: float64,
or float32 when every float input is float32 (integers become float64).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from handgrad.types import PARAMS, Lambdas, Params

__all__ = ["network_inputs", "as_float_array", "check_lambdas", "check_descent"]


def as_float_array(x: Any, *, name: str = "x") -> np.ndarray:
    """``x`` as a floating NumPy array (float64 unless it already is floating)."""
    a = np.asarray(x)
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "biu":
        return a.astype(np.float64)
    raise ValueError(f"{name} must be a real numeric array; got dtype {a.dtype}")


def _first_bad(a: np.ndarray) -> str:
    bad = np.argwhere(~np.isfinite(a))[0]
    index = tuple(int(i) for i in bad)
    return f"{float(a[index])!r} at index {index if len(index) != 1 else index[0]}"


def _check_finite(a: np.ndarray, name: str) -> None:
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite; found {_first_bad(a)}")


def _float(a: Any, name: str) -> np.ndarray:
    try:
        return as_float_array(a, name=name)
    except ValueError:
        raise
    except Exception as exc:  # e.g. ragged lists
        raise ValueError(f"{name} must be an array: {exc}") from None


def _four(value: Any, name: str, form: str) -> tuple:
    """``value`` as a tuple of four, or a ValueError naming it."""
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be {form}; got {type(value).__name__}") from None
    if len(items) != 4:
        raise ValueError(f"{name} must be {form}: 4 items; got {len(items)}")
    return items


def check_lambdas(lambdas: Any) -> Lambdas:
    """Four non-negative finite floats, as :class:`Lambdas`."""
    if lambdas is None:
        return Lambdas()
    values = _four(lambdas, "lambdas", "Lambdas(l11, l12, l21, l22)")
    try:
        out = Lambdas(*map(float, values))
    except (TypeError, ValueError):
        out = None
    if out is None or not all(0.0 <= v < math.inf for v in out):  # also refuses nan
        for field, v in zip(Lambdas._fields, values):
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"lambdas.{field} must be a number; got {v!r}") from None
            if not 0.0 <= f < math.inf:
                raise ValueError(f"lambdas.{field} must be finite and >= 0; got {f!r}")
    return out


def check_descent(learning_rate: Any, steps: Any) -> None:
    """B6's options: a finite ``learning_rate`` > 0 and an integer ``steps`` >= 0.

    >>> check_descent(0.1, 0)
    >>> check_descent(0.0, 1)
    Traceback (most recent call last):
    ...
    ValueError: learning_rate must be a finite number > 0; got 0.0
    """
    if not isinstance(learning_rate, numbers.Real) or not math.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a finite number > 0; got {learning_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0; got {steps!r}")


_PARAM_NAMES = tuple(f"params.{n}" for n in PARAMS)


def network_inputs(
    params: Any, X: Any, y: Any = None, lambdas: Any = None
) -> tuple[Params, np.ndarray, np.ndarray | None, Lambdas, np.dtype]:
    """Validate a network problem; return ``(params, X, y, lambdas, dtype)``.

    >>> import numpy as np
    >>> p = Params(np.ones((2, 3)), np.zeros(2), np.ones((4, 2)), np.zeros(4))
    >>> network_inputs(p, np.ones((5, 3)), np.zeros(5, int))[1].shape
    (5, 3)
    >>> network_inputs(p, np.ones((5, 2)))
    Traceback (most recent call last):
    ...
    ValueError: X must have shape (n, d) with d = 3 (columns of W1); got (5, 2)
    """
    fields = _four(params, "params", "Params(W1, b1, W2, b2)")
    W1, b1, W2, b2 = [_float(a, name) for a, name in zip(fields, _PARAM_NAMES)]
    X = _float(X, "X")
    n, _, m = _check_shapes(W1, b1, W2, b2, X)
    dtype = np.result_type(W1, b1, W2, b2, X)
    _check_all_finite((X, W1, b1, W2, b2))
    params = Params(*[a if a.dtype == dtype and a.flags.c_contiguous else np.ascontiguousarray(a, dtype=dtype)
                      for a in (W1, b1, W2, b2)])
    if X.dtype != dtype or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X, dtype=dtype)
    return params, X, None if y is None else _check_labels(y, n, m), check_lambdas(lambdas), dtype


def _check_shapes(W1, b1, W2, b2, X) -> tuple[int, int, int]:
    """The shapes agree with each other; returns (n, dh, m)."""
    if W1.ndim != 2:
        raise ValueError(f"params.W1 must have shape (dh, d); got {W1.shape}")
    dh, d = W1.shape
    if dh < 1 or d < 1:
        raise ValueError(f"params.W1 must have dh >= 1 and d >= 1; got {W1.shape}")
    if b1.shape != (dh,):
        raise ValueError(f"params.b1 must have shape (dh,) = ({dh},); got {b1.shape}")
    if W2.ndim != 2 or W2.shape[1] != dh:
        raise ValueError(f"params.W2 must have shape (m, dh) with dh = {dh}; got {W2.shape}")
    m = W2.shape[0]
    if m < 1:
        raise ValueError(f"params.W2 must have at least one row (class); got {W2.shape}")
    if b2.shape != (m,):
        raise ValueError(f"params.b2 must have shape (m,) = ({m},); got {b2.shape}")
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, d) with d = {d} (columns of W1); got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"X must hold at least one example; got shape {X.shape}")
    return X.shape[0], dh, m


def _check_all_finite(arrays: tuple[np.ndarray, ...]) -> None:
    """X, W1, b1, W2, b2 hold finite values only.

    One BLAS dot per array, one test for all: a·a is finite only if every entry
    is (nan and ±inf propagate). Only if it is not do we look for the culprit,
    which may be none: entries beyond √max (1e154 in float64, 2e19 in float32)
    overflow the squares but are finite. Neither ``vdot`` nor a sum of Python
    floats warns on overflow, so no ``errstate`` is needed (it costs more than the dots).
    """
    total = 0.0
    for a in arrays:
        total += float(np.vdot(a, a))
    if not math.isfinite(total):
        for a, name in zip(arrays, ("X", *_PARAM_NAMES)):
            _check_finite(a, name)


def _check_labels(y: Any, n: int, m: int) -> np.ndarray:
    """n integer labels in [0, m)."""
    y_arr = np.asarray(y)
    if y_arr.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer labels; got dtype {y_arr.dtype}")
    if y_arr.shape != (n,):
        raise ValueError(f"y must have shape (n,) = ({n},), one label per row of X; got {y_arr.shape}")
    # One reduction for both ends: seen as unsigned, a negative label is huge.
    if y_arr.view(y_arr.dtype.str.replace("i", "u")).max() >= m:
        i = int(np.flatnonzero((y_arr < 0) | (y_arr >= m))[0])
        raise ValueError(
            f"y must hold labels in [0, m) = [0, {m}); got {int(y_arr[i])} at index {i}"
            " (labels count from 0; the course counts from 1: subtract 1)"
        )
    return y_arr
