"""shrink_problem finds small problems for real wrong formulas; describe_arrays writes Python that rebuilds them."""

import importlib.util

import numpy as np
import pytest

import handgrad
import reference.compare.exercise.problems
from handgrad.types import Lambdas, Params
from reference.compare.exercise.problems import Problem, problem_from_seed
from reference.compare.running.shrink import describe_arrays, shrink_problem
from support import implementation


def _load_bug(monkeypatch, name):
    path = implementation(name)
    monkeypatch.syspath_prepend(str(path.parent))
    spec = importlib.util.spec_from_file_location(f"shrunk_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Counted:
    """A predicate that counts its calls and keeps every problem it was asked about."""

    def __init__(self, fails):
        self.fails, self.asked = fails, []

    def __call__(self, p):
        self.asked.append(p)
        return self.fails(p)


def _w1_rows_up_to_16(p):
    """∂R/∂W1 from a loop over hidden units that stops at 16 (should run to dh)."""
    g = handgrad.backprop(*p[:4])
    W1 = np.zeros_like(g.W1)
    for j in range(min(p.dims[2], 16)):
        W1[j] = g.W1[j]
    return W1


def needs_17_units(p):
    return p.dims[2] >= 17 and not np.allclose(_w1_rows_up_to_16(p), handgrad.backprop(*p[:4]).W1)


def b1_summed(p):
    g = handgrad.backprop(*p[:4])
    return not np.allclose(g.ha.sum(axis=0), g.b1)  # summed over the batch instead of averaged


def _key(p):
    return tuple(a.tobytes() + str(a.shape).encode() for a in (p.X, p.y, *p.params)) + tuple(p.lambdas)


def _small_integers(p):
    return all(np.array_equal(a, np.rint(a)) and np.abs(a).max() <= 3 for a in (p.X, *p.params))


def test_a_bug_that_needs_17_hidden_units_shrinks_to_them():
    fails = Counted(needs_17_units)
    start = problem_from_seed(27, 26, 27, 12, seed=0)
    small = shrink_problem(start, fails)
    assert small.dims == (1, 1, 17, 2)
    assert _small_integers(small) and needs_17_units(small) and small.origin == ""
    assert len(fails.asked) <= 200


def test_b1_summed_instead_of_averaged_shrinks_to_two_examples():
    small = shrink_problem(problem_from_seed(27, 26, 27, 12, seed=0), b1_summed)
    assert small.dims == (2, 1, 1, 2)  # a sum and a mean differ only from n = 2 on
    assert _small_integers(small) and b1_summed(small)


def test_the_l1_constant_bug_shrinks_to_one_lambda_of_one_half(monkeypatch):
    bug = _load_bug(monkeypatch, "bug_l1_constant")

    def fails(p):
        got, want = bug.backprop(*p[:4]), handgrad.backprop(*p[:4])
        return not (np.allclose(got.W1, want.W1) and np.allclose(got.W2, want.W2))

    start = problem_from_seed(9, 7, 6, 4, seed=3, lambdas=Lambdas(0.3, 0.2, 0.7, 0.1))
    small = shrink_problem(start, fails)
    assert small.dims == (1, 1, 1, 2) and _small_integers(small)
    assert small.lambdas in (Lambdas(0.5, 0.0, 0.0, 0.0), Lambdas(0.0, 0.0, 0.5, 0.0))


@pytest.mark.parametrize("max_calls", [0, 1, 2, 7, 30])
def test_max_calls_is_respected(max_calls):
    fails = Counted(b1_summed)
    start = problem_from_seed(27, 26, 27, 12, seed=0)
    small = shrink_problem(start, fails, max_calls=max_calls)
    assert len(fails.asked) <= max_calls
    assert small is start if max_calls == 0 else b1_summed(small)


def test_the_same_problem_is_never_asked_twice_and_the_run_is_deterministic():
    runs = [Counted(needs_17_units) for _ in range(2)]
    results = [shrink_problem(problem_from_seed(27, 26, 27, 12, seed=0), f) for f in runs]
    keys = [[_key(p) for p in f.asked] for f in runs]
    assert _key(results[0]) == _key(results[1])
    assert keys[0] == keys[1] and len(set(keys[0])) == len(keys[0])


def test_an_exception_in_fails_counts_as_not_failing():
    def fails(p):
        if p.dims[0] < 3:
            raise RuntimeError("cannot run on fewer than 3 examples")
        return True
    assert shrink_problem(problem_from_seed(9, 2, 2, 2, seed=0), fails).dims[0] == 3

    def always(p):
        raise ZeroDivisionError
    start = problem_from_seed(9, 2, 2, 2, seed=0)
    assert shrink_problem(start, always) is start


def test_a_problem_that_does_not_fail_comes_back_unchanged():
    start = problem_from_seed(4, 3, 2, 3, seed=0)
    fails = Counted(lambda p: False)
    assert shrink_problem(start, fails) is start and len(fails.asked) == 1


def test_every_candidate_is_a_valid_problem_and_deleted_classes_keep_labels_consistent():
    marker = np.array([0.0, 10.0, 20.0, 30.0, 40.0])  # b2 names each class
    start = Problem(Params(np.ones((2, 1)), np.zeros(2), np.ones((5, 2)), marker.copy()),
                    np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 2, 3, 4]), Lambdas())
    errors = []

    def fails(p):
        try:
            handgrad.backprop(*p[:4])  # validates shapes and labels in [0, m)
        except ValueError as exc:
            errors.append(exc)
        return 30.0 in p.params.b2 and p.dims[0] == 4

    fails = Counted(fails)
    small = shrink_problem(start, fails)
    assert not errors and small.dims[3] == 2 and 30.0 in small.params.b2
    for p in fails.asked:  # class deletions: an example keeps its class, or goes to the first kept one
        if set(p.params.b2) <= set(marker) and np.array_equal(p.X, start.X) and p.dims[3] < 5:
            for i, label in enumerate(start.y):
                assert p.params.b2[p.y[i]] in (marker[label], p.params.b2[0])
                if marker[label] in p.params.b2:
                    assert p.params.b2[p.y[i]] == marker[label]


@pytest.mark.parametrize("kwargs, name", [
    ({"problem": (1, 2)}, "problem"), ({"fails": 3}, "fails"),
    ({"max_calls": -1}, "max_calls"), ({"max_calls": 2.5}, "max_calls"), ({"max_calls": True}, "max_calls"),
])
def test_a_bad_argument_is_named(kwargs, name):
    args = {"problem": problem_from_seed(2, 2, 2, 2, seed=0), "fails": b1_summed, **kwargs}
    with pytest.raises(ValueError, match=f"^{name} "):
        shrink_problem(args.pop("problem"), args.pop("fails"), **args)


# -- describe_arrays --------------------------------------------------------------
def _rebuilt(text):
    scope = {"np": np, "Params": Params, "Lambdas": Lambdas, "reference": reference}
    exec(text, scope)  # the text under test
    return Problem(scope["params"], scope["X"], scope["y"], scope["lambdas"])


def _assert_identical(p, q):
    for a, b in zip((p.X, p.y, *p.params), (q.X, q.y, *q.params)):
        assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert tuple(map(float, p.lambdas)) == tuple(map(float, q.lambdas))


def test_a_shrunk_problem_is_written_out_and_rebuilt_exactly():
    small = shrink_problem(problem_from_seed(27, 26, 27, 12, seed=0), needs_17_units)
    text = describe_arrays(small)
    assert text.startswith("# n=1, d=1, dh=17, m=2\n") and "np.repeat(" in text  # W2: 34 entries, mostly 0
    assert "seeded" not in text and max(map(len, text.splitlines())) < 200
    _assert_identical(_rebuilt(text), small)


def test_a_seeded_problem_is_rebuilt_from_its_origin():
    p = problem_from_seed(27, 26, 27, 12, seed=0, lambdas=Lambdas(0.1, 0.0, 0.25, 0.0))
    text = describe_arrays(p)
    assert f"seeded = {p.origin}" in text and "W1=seeded.params.W1" in text and len(text) < 1500
    _assert_identical(_rebuilt(text), p)
    changed = p._replace(params=p.params._replace(W1=p.params.W1 * 2))  # origin kept, W1 no longer its
    text = describe_arrays(changed)
    assert "seeded.params.W1" not in text and "seeded.X" in text
    _assert_identical(_rebuilt(text), changed)


def test_bare_and_unusable_origins():
    p = problem_from_seed(12, 8, 5, 3, seed=4)
    bare = p._replace(origin=p.origin.replace("reference.compare.exercise.problems.", ""))
    assert describe_arrays(bare) == describe_arrays(p)
    for origin in ("", "not python(", "__import__('os').getcwd()", "problem_from_seed(1, 1, 1, 2, seed=0)"):
        text = describe_arrays(p._replace(origin=origin))
        assert "seeded" not in text
        _assert_identical(_rebuilt(text), p)


def test_constant_runs_and_special_values():
    p = problem_from_seed(40, 27, 27, 3, seed=1)
    W1 = np.zeros((27, 27))
    W1[3, 4], W1[20, 0] = -0.0, 2.5
    X = np.full((40, 27), -1.5)
    b1 = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-300])
    odd = Problem(p.params._replace(W1=W1, b1=np.resize(b1, 27), W2=np.zeros((3, 27))), X,
                  (np.arange(40) % 3).astype(">i4"), Lambdas(0.0, 0.5, 0.0, 0.0))
    text = describe_arrays(odd)
    assert "X = np.full((40, 27), -1.5)" in text and "W2=np.zeros((3, 27))" in text
    assert "astype(np.dtype('>i4'))" in text
    _assert_identical(_rebuilt(text), odd)
    tiny = odd._replace(X=X[:2, :3], y=odd.y[:2], params=Params(W1[:1, :3], b1[:1], np.zeros((3, 1)), p.params.b2))
    _assert_identical(_rebuilt(describe_arrays(tiny)), tiny)


def test_describe_arrays_names_a_bad_argument():
    with pytest.raises(ValueError, match="^problem "):
        describe_arrays((1, 2))
