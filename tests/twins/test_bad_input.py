"""Both twins refuse bad input with a ValueError that names the argument."""

import numpy as np
import pytest

import handgrad
import reference
from handgrad.types import Lambdas, Params

TWINS = [handgrad, reference]


def _good():
    rng = np.random.default_rng(0)
    p = Params(rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4)), rng.normal(size=2))
    return p, rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1]), Lambdas(0.1, 0.1, 0.1, 0.1)


def _case(**change):
    p, X, y, lam = _good()
    p = p._replace(**{k: v for k, v in change.items() if k in Params._fields})
    return (p, change.get("X", X), change.get("y", y), change.get("lambdas", lam))


BAD = {
    "X": [_case(X=np.ones((5, 2))), _case(X=np.ones(5)), _case(X=np.full((5, 3), np.nan)),
          _case(X=np.ones((0, 3))), _case(X=np.array([[1.0, np.inf, 0.0]] * 5))],
    "W1": [_case(W1=np.ones(3)), _case(W1=np.full((4, 3), np.nan))],
    "b1": [_case(b1=np.ones(3)), _case(b1=np.array([0.0, np.inf, 0.0, 0.0]))],
    "W2": [_case(W2=np.ones((2, 5))), _case(W2=np.full((2, 4), -np.inf))],
    "b2": [_case(b2=np.ones(3)), _case(b2=np.array([np.nan, 0.0]))],
    "y": [_case(y=np.array([0, 1, 2, 0, 1])), _case(y=np.array([0, 1, -1, 0, 1])),
          _case(y=np.array([0.0, 1.0, 1.0, 0.0, 1.0])), _case(y=np.array([0, 1, 1])),
          _case(y=np.array([0, 1, 1, 0, 1, 0]))],
    "lambdas.l11": [_case(lambdas=Lambdas(-0.1, 0.0, 0.0, 0.0))],
    "lambdas.l22": [_case(lambdas=Lambdas(0.0, 0.0, 0.0, -1e-9)), _case(lambdas=Lambdas(0.0, 0.0, 0.0, np.nan))],
}
CASES = [(arg, i, case) for arg, cases in BAD.items() for i, case in enumerate(cases)]


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("arg,i,case", CASES, ids=[f"{a}-{i}" for a, i, _ in CASES])
@pytest.mark.parametrize("fn", ["risk", "backprop", "gradient_descent"])
def test_bad_input_names_the_argument(twin, fn, arg, i, case):
    kwargs = {"learning_rate": 0.1, "steps": 1} if fn == "gradient_descent" else {}
    with pytest.raises(ValueError, match=arg.split(".")[-1]):
        getattr(twin, fn)(*case, **kwargs)


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("fn", ["forward", "loss"])
def test_forward_and_loss_check_too(twin, fn):
    p, X, y, _ = _good()
    args = (p, np.ones((5, 2))) if fn == "forward" else (p, X, np.array([0, 1, 5, 0, 1]))
    with pytest.raises(ValueError, match="X" if fn == "forward" else "y"):
        getattr(twin, fn)(*args)


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("kwargs,word", [({"learning_rate": -1.0, "steps": 1}, "learning_rate"),
                                         ({"learning_rate": 0.1, "steps": -1}, "steps"),
                                         ({"learning_rate": 0.1, "steps": 1.5}, "steps")])
def test_gradient_descent_options(twin, kwargs, word):
    with pytest.raises(ValueError, match=word):
        twin.gradient_descent(*_good(), **kwargs)


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
def test_inputs_untouched_and_results_fresh(twin):
    p, X, y, lam = _good()
    copies = [a.copy() for a in (*p, X, y)]
    q = twin.gradient_descent(p, X, y, lam, learning_rate=0.1, steps=3)
    twin.backprop(p, X, y, lam)
    for a, b in zip((*p, X, y), copies):
        np.testing.assert_array_equal(a, b)
    assert not any(np.shares_memory(a, b) for a, b in zip(p, q))


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_inputs_beyond_the_square_root_of_max_are_accepted(twin, dtype):
    """The finiteness check's one dot per array overflows past √max; it then looks entry by entry."""
    p, X, _, _ = _good()
    big = 4 * np.sqrt(np.finfo(dtype).max)
    acts = twin.forward(Params(*(a.astype(dtype) for a in p)), (X * big).astype(dtype))
    assert acts.ha.shape == (5, 4)  # accepted: no ValueError


@pytest.mark.parametrize("twin", TWINS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("y,ok", [(np.array([0, 1, 1, 0, 1], np.uint8), True),
                                  (np.array([0, 1, 1, 0, 1], ">i4"), True),
                                  (np.array([0, 1, -1, 0, 1], np.int8), False),
                                  (np.array([0, 1, 2, 0, 1], np.uint64), False)])
def test_labels_of_every_integer_dtype(twin, y, ok):
    p, X, _, lam = _good()
    if ok:
        twin.backprop(p, X, y, lam)
    else:
        with pytest.raises(ValueError, match=r"y must hold labels in \[0, m\)"):
            twin.backprop(p, X, y, lam)
