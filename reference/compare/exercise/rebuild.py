"""A network problem written down as Python that rebuilds its arrays exactly (a large counterexample's report).

>>> from reference.compare.exercise.problems import problem_from_seed
>>> print(describe_arrays(problem_from_seed(1, 1, 1, 2, seed=0, family="integers", zeros=0.0)))
# n=1, d=1, dh=1, m=2
X = np.array([[-3.0]])
y = np.array([0])
params = Params(
    W1=np.array([[2.0]]),
    b1=np.array([1.0]),
    W2=np.array([[0.0], [-2.0]]),
    b2=np.array([-1.0, -3.0]))
lambdas = Lambdas(l11=0.0, l12=0.0, l21=0.0, l22=0.0)
"""

from __future__ import annotations

import ast
import math

import numpy as np

from handgrad.types import PARAMS, Lambdas
from reference.compare.exercise.problems import Problem, problem_from_seed

__all__ = ["describe_arrays"]

_SEEDER = "reference.compare.exercise.problems.problem_from_seed"
_SEEDERS = {"problem_from_seed": _SEEDER, _SEEDER: _SEEDER}


def _seeded(origin: str) -> tuple[str, Problem] | None:
    """An origin ``problem_from_seed(...)`` with literal arguments: its text and the problem (parsed, not eval'd)."""
    try:
        call = ast.parse(origin, mode="eval").body
        if not isinstance(call, ast.Call) or ast.unparse(call.func) not in _SEEDERS:
            return None
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        if "lambdas" in kwargs:
            kwargs["lambdas"] = Lambdas(*kwargs["lambdas"])
        text = _SEEDERS[ast.unparse(call.func)] + origin.strip()[len(ast.unparse(call.func)):]
        return text, problem_from_seed(*args, **kwargs)
    except Exception:  # noqa: BLE001 - any origin that is not such a call is simply not used
        return None


def _scalar(v) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return "np.nan" if math.isnan(v) else ("np.inf" if v > 0 else "-np.inf")
    return repr(v)


def _nested(x) -> str:
    return "[" + ", ".join(map(_nested, x)) + "]" if isinstance(x, list) else _scalar(x)


def _forms(a: np.ndarray, seeded_as: str | None) -> list[tuple[str, np.dtype]]:
    """Expressions that rebuild ``a`` exactly, each with the dtype it yields before any cast."""
    flat = a.ravel()
    natural = np.array(flat[:1].tolist()).dtype if a.size else np.dtype(np.float64)
    shape = a.shape[0] if a.ndim == 1 else a.shape
    forms = [] if seeded_as is None else [(seeded_as, a.dtype)]
    keys = flat.view(f"u{a.itemsize}") if a.dtype.kind == "f" else flat
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if a.size else np.zeros(0, int)
    if starts.size <= 1:
        zero = a.size == 0 or (a.dtype.kind == "f" and keys[0] == 0)
        forms.append((f"np.zeros({shape!r})", np.dtype(np.float64)) if zero
                     else (f"np.full({shape!r}, {_scalar(flat[0].item())})", natural))
    else:
        counts = np.diff(np.r_[starts, a.size])
        reshape = "" if a.ndim == 1 else f".reshape{a.shape!r}"
        forms.append((f"np.repeat({_nested(flat[starts].tolist())}, {counts.tolist()}){reshape}", natural))
    return forms + [(f"np.array({_nested(a.tolist())})", natural)]


def _expression(a: np.ndarray, seeded_as: str | None, limit: int) -> str:
    forms = _forms(a, seeded_as)
    texts = [text + ("" if dtype == a.dtype else f".astype(np.dtype({a.dtype.str!r}))") for text, dtype in forms]
    return texts[-1] if a.size <= limit and a.size else min(texts, key=len)


def describe_arrays(problem: Problem, *, limit: int = 30) -> str:
    """Lines of Python that rebuild the problem's arrays exactly (dtype, -0.0, nan included).

    Run them with ``np``, ``Params`` and ``Lambdas`` in scope (and ``reference``
    imported, when a large array comes from the problem's ``origin``): they
    define ``X``, ``y``, ``params``, ``lambdas``, the arguments of
    ``backprop(params, X, y, lambdas)``. An array of at most ``limit`` entries is
    written out in full; a larger one as the shortest of ``np.zeros``/``np.full``
    (constant), ``np.repeat`` of its runs of equal entries (mostly zeros, say),
    the matching array of the seeded problem its ``origin`` rebuilds (the
    origin is parsed, never evaluated), or in full.
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a Problem; got {type(problem).__name__}")
    seeded = _seeded(problem.origin) if problem.origin else None
    arrays = {"X": problem.X, "y": problem.y, **dict(zip(PARAMS, problem.params))}
    text, used = {}, False
    for name, a in arrays.items():
        a = np.asarray(a)
        twin = None if seeded is None else {"X": seeded[1].X, "y": seeded[1].y, **seeded[1].params._asdict()}[name]
        same = twin is not None and twin.shape == a.shape and twin.dtype == a.dtype and twin.tobytes() == a.tobytes()
        where = f"seeded.params.{name}" if name in PARAMS else f"seeded.{name}"
        text[name] = _expression(a, where if same else None, limit)
        used |= text[name] == where
    n, d, dh, m = problem.dims
    lam = ", ".join(f"{k}={_scalar(float(v))}" for k, v in zip(Lambdas._fields, problem.lambdas))
    return "\n".join([f"# n={n}, d={d}, dh={dh}, m={m}"] + ([f"seeded = {seeded[0]}"] if used else []) + [
        f"X = {text['X']}", f"y = {text['y']}", "params = Params(",
        *(f"    {k}={text[k]}," for k in PARAMS[:-1]), f"    {PARAMS[-1]}={text[PARAMS[-1]]})",
        f"lambdas = Lambdas({lam})"])
