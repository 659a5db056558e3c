"""Hypothesis strategies for the course's functions and network problems.

Shapes start at 1 (n, d, dh ≥ 1, m ≥ 2). Most problems are small, with entries
Hypothesis draws, so it shrinks a failure to a readable counterexample; one in
sixteen is large (every dimension up to 64, or an MNIST-like d = 784), beyond
Hypothesis's data-size limit: its shape and a seed are drawn, and the arrays are
built with ``numpy.random.Generator`` (exact zeros injected the same way).

Exact zeros go where they matter: weights (L1 kinks), whole hidden units whose
pre-activation is exactly 0 while the weights downstream are not (rect kinks),
part-A inputs at 0. Each λ is in [0, 1) and often exactly 0 on its own.

λ are drawn as the submission takes them (:data:`LAMBDA_FORMS`): four of them,
or tied (one l1, l2 pair for both layers: "λ11 alone" is drawn as λ11 = λ21),
or none at all (code without regularization is put only λ = 0 problems).

>>> from hypothesis import given
>>> @given(problems(lambdas_mode="zero"))
... def test(problem):
...     assert problem.lambdas == Lambdas(0.0, 0.0, 0.0, 0.0)
>>> test()
"""

from __future__ import annotations

import functools

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

from handgrad.types import Lambdas
from reference.compare.exercise.problems import (
    LAMBDA_FORMS,
    LAMBDA_MODES,
    VALUE_FAMILIES,
    LambdaMode,
    Problem,
    lambdas_form,
    problem_from_seed,
)

__all__ = [
    "LambdaMode", "LAMBDA_MODES", "LAMBDA_FORMS", "lambdas_form", "finite_floats", "elementwise_inputs", "lambdas",
    "small_problems", "large_problems", "problems", "large_logit_problems",
    "problem_from_seed", "VALUE_FAMILIES",
]

SMALL = 8  # largest side of an entry-by-entry problem
LARGE = 64  # largest side of a seeded problem (d may also be 784)
MNIST_D = 784


@functools.lru_cache(maxsize=None)
def finite_floats(*, magnitude: float = 100.0) -> st.SearchStrategy[float]:
    """Finite float64 in [−magnitude, magnitude], no subnormals (XLA flushes them; NumPy does not)."""
    if not magnitude > 0:
        raise ValueError(f"magnitude must be > 0; got {magnitude!r}")
    return st.floats(-magnitude, magnitude, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=64)


def elementwise_inputs(*, magnitude: float = 1e300, max_side: int = 6) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of rank 0 to 3 for part A: the full range up to ±``magnitude``, 0 up-weighted."""
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1; got {max_side!r}")
    values = st.one_of(finite_floats(magnitude=10.0), finite_floats(magnitude=magnitude))
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=max_side),
                      elements=values)


@functools.lru_cache(maxsize=None)
def lambdas(mode: LambdaMode = "any", form: str = "four") -> st.SearchStrategy[Lambdas]:
    """λ for a mode of :data:`LAMBDA_MODES`, drawn in a form of :data:`LAMBDA_FORMS`.

    Tied, a penalty alone is drawn on both layers (``l11`` and ``l21`` alike: λ11 = λ21);
    ``none`` has only the data term (the properties that need λ ≠ 0 are not drawn for it).

    >>> from hypothesis import find
    >>> lam = find(lambdas("l21", "tied"), lambda lam: True)
    >>> lam.l11 == lam.l21 > 0 and lam.l12 == lam.l22 == 0
    True
    """
    if mode not in LAMBDA_MODES:
        raise ValueError(f"mode must be one of {LAMBDA_MODES}; got {mode!r}")
    if form not in LAMBDA_FORMS:
        raise ValueError(f"form must be one of {LAMBDA_FORMS}; got {form!r}")
    unit = st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False)
    positive = st.floats(1e-3, 1.0, exclude_max=True)
    if mode == "zero" or form == "none":
        return st.just(Lambdas())
    if mode == "any":
        each = st.one_of(st.just(0.0), unit)
        if form == "tied":
            return st.builds(lambda l1, l2: Lambdas(l1, l2, l1, l2), each, each)
        return st.builds(Lambdas, each, each, each, each)
    if form == "tied":
        kind = "l11" if mode in ("l11", "l21") else "l12"
        return positive.map(lambda v: Lambdas(**{kind: v, "l2" + kind[2]: v}))
    return positive.map(lambda v: Lambdas(**{mode: v}))


#: A problem's drawn entry below this in magnitude is drawn as 0. XLA flushes a subnormal result to zero and
#: NumPy does not: two tiny entries (2e-214 · 1.8e-102) made a pre-activation of 3.8e-316 for NumPy, 0 for the
#: reference, and a correct rect' mask looked wrong. With this floor a product of three entries stays normal.
SMALLEST = 1e-100


def _no_tiny(v: float) -> float:
    return 0.0 if abs(v) < SMALLEST else v


@functools.lru_cache(maxsize=None)
def _patches(total: int, magnitude: float) -> st.SearchStrategy[np.ndarray]:
    """Sparse explicit entries; nan means "keep the seeded value". Cached: building a strategy costs."""
    return hnp.arrays(np.float64, (total,), elements=finite_floats(magnitude=magnitude).map(_no_tiny),
                      fill=st.just(np.nan))


@functools.lru_cache(maxsize=None)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Cached: a composite strategy builds its inner strategies at every draw, and building costs."""
    return st.integers(lo, hi)


_SEEDS = st.integers(0, 2**32 - 1)
_FAMILIES = st.sampled_from(VALUE_FAMILIES)
_SMALL_ZEROS = st.sampled_from([0.0, 0.1, 0.3])
_LARGE_ZEROS = st.sampled_from([0.0, 0.1, 0.5])


@st.composite
def small_problems(draw, *, lambdas_mode: LambdaMode = "any", max_side: int = SMALL,
                   magnitude: float = 100.0, lambdas_form: str = "four") -> Problem:
    """A problem with every side ≤ ``max_side``: a seeded base, some entries drawn by Hypothesis.

    The drawn entries (a sparse patch, exact 0 up-weighted, up to ±``magnitude``)
    shrink toward 0 and the shape toward 1, so failures shrink to a small case.
    Drawing every entry would cost ~1 ms an array and give mostly constant arrays.
    """
    side = _ints(1, max_side)
    n, d, dh = draw(side), draw(side), draw(side)
    m = draw(_ints(2, max_side))
    seed = draw(_SEEDS)
    family = draw(_FAMILIES)
    zeros = draw(_SMALL_ZEROS)
    total = dh * d + dh + m * dh + m + n * d
    patch = draw(_patches(total, magnitude))
    return problem_from_seed(n, d, dh, m, seed, family=family, zeros=zeros,
                             lambdas=draw(lambdas(lambdas_mode, lambdas_form)), patch=patch)


@st.composite
def large_problems(draw, *, lambdas_mode: LambdaMode = "any", max_side: int = LARGE,
                   lambdas_form: str = "four") -> Problem:
    """A problem of shape up to ``max_side``; one time in eight MNIST-like (d = 784, n ≤ 16, dh ≤ 32,
    m ≤ 16), one in eight the course's size (d = 784, 65 to 256 examples, 65 to 128 hidden units); arrays
    from a drawn seed."""
    side = _ints(1, max_side)
    kind = draw(_ints(0, 7))
    if kind == 7:  # MNIST-like: d = 784, up to 16 examples, 32 hidden units, 16 classes
        n, d, dh, m = draw(_ints(1, 16)), MNIST_D, draw(_ints(1, 32)), draw(_ints(2, 16))
    elif kind == 6:  # the course's size: past 64 examples and 64 hidden units (d = 784, n = 256, dh = 100)
        n, d, dh, m = draw(_ints(LARGE + 1, 256)), MNIST_D, draw(_ints(LARGE + 1, 128)), draw(_ints(2, 16))
    else:
        n, d, dh, m = draw(side), draw(side), draw(side), draw(_ints(2, max_side))
    seed = draw(_SEEDS)
    family = draw(_FAMILIES)
    zeros = draw(_LARGE_ZEROS)
    return problem_from_seed(n, d, dh, m, seed, family=family, zeros=zeros,
                             lambdas=draw(lambdas(lambdas_mode, lambdas_form)))


@st.composite
def problems(draw, *, lambdas_mode: LambdaMode = "any", large_share: int = 16, lambdas_form: str = "four") -> Problem:
    """Mostly :func:`small_problems`, one in ``large_share`` a :func:`large_problems` (shrinks to small)."""
    if large_share and draw(_ints(0, large_share - 1)) == large_share - 1:
        return draw(large_problems(lambdas_mode=lambdas_mode, lambdas_form=lambdas_form))
    return draw(small_problems(lambdas_mode=lambdas_mode, lambdas_form=lambdas_form))


@functools.lru_cache(maxsize=None)
def _exponents(m: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, (m,), elements=st.floats(3.0, 300.0))


@st.composite
def large_logit_problems(draw, *, lambdas_mode: LambdaMode = "any", lambdas_form: str = "four") -> Problem:
    """A small problem whose output biases put |oa| between 1e3 and 1e300 (softmax and loss stability)."""
    p = draw(small_problems(lambdas_mode=lambdas_mode, magnitude=10.0, lambdas_form=lambdas_form))
    m = p.params.b2.shape[0]
    exponents = draw(_exponents(m))
    bits = draw(_ints(0, 2**m - 1))  # one draw for all the signs
    signs = np.where((bits >> np.arange(m)) & 1, -1.0, 1.0)
    b2 = signs * 10.0 ** exponents / 2
    return p._replace(params=p.params._replace(b2=b2), origin="")
