"""A function that raises on some problems (issue 27, item 2): judged where it answers, its raising charged once.

A raise of a problem's shapes (the function raises on other values of those shapes too) is judged on the
example's square problem (every side equal, its own values), and charged once: at the first failing property of
that function, else at the first that saw it raise. A raise of the values, or one on square problems, is an error
where it happens, as before: refusing an input earns nothing.
"""

from reference.compare.exercise import EXERCISE
from reference.compare.exercise.catalog import Context, by_id
from reference.compare.exercise.problems import problem_from_seed
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation

#: properties of backprop from the start of the chain to its end, and one of another function
_PROPS = ["B7", "B9", "B11", "B13", "B15-W1", "B16", "B17", "B4"]


def _run(name, props=_PROPS, examples=12, sweep=0):
    with InProcessImpl(str(implementation(name))) as impl:
        results, _ = run_catalog(Context(impl), [by_id(p) for p in props], max_examples=examples, sweep=sweep,
                                 seed=0, shrink=False)
    return {r.id: r for r in results}


def test_a_square_problem_keeps_the_example_s_values():
    p = problem_from_seed(1, 5, 3, 4, seed=0)
    q = EXERCISE.shrinking.square(p)
    assert q.dims == (2, 2, 2, 2)
    assert (q.X == p.X[[0, 0]][:, :2]).all() and (q.params.W2 == p.params.W2[:2, :2]).all()
    assert EXERCISE.shrinking.square(q) is None and EXERCISE.shrinking.square(p.X) is None


def test_a_raise_of_the_shapes_is_charged_once_and_the_rest_judged_where_it_answers():
    results = _run("bug_raises_unless_square")
    charged = [r for r in results.values() if r.status not in ("pass", "inherited")]
    assert [r.id for r in charged] == ["B7"], [(r.id, r.status, r.message) for r in results.values()]
    root = results["B7"]
    assert root.status == "error" and "W1 must be square" in root.message and "right where it answers" in root.message
    assert root.counterexample and root.details["raised"]["squared"] > 0
    for pid in ["B9", "B11", "B13", "B15-W1", "B16", "B17"]:
        r = results[pid]
        assert r.status == "inherited" and r.details["root"] == "B7" and "charged at B7" in r.message, r.message
        assert r.examples > 0
    assert results["B4"].status == "pass"  # another function: untouched


def test_the_raise_joins_a_failure_of_its_function_where_it_answers():
    results = _run("bug_transposed_raises", props=["B7", "B9", "B11", "B13"])
    assert results["B9"].status == "fail" and "charged here once" in results["B9"].message
    assert {pid: results[pid].status for pid in ["B7", "B11", "B13"]} == dict.fromkeys(["B7", "B11", "B13"],
                                                                                     "inherited")


def test_a_raise_of_the_values_is_an_error_where_it_happens():
    results = _run("bug_raises_at_kinks", props=["B13", "B15-W1"])
    for r in results.values():
        assert r.status == "error" and "rect has no derivative at 0" in r.message, (r.id, r.status, r.message)


def test_a_property_judged_on_squares_is_not_swept_on_the_shapes_it_raises_on():
    results = _run("bug_raises_unless_square", props=["B7", "B11"], sweep=200)
    assert results["B7"].status == "error" and results["B11"].status == "inherited"
    assert results["B11"].sweep_examples == 0
