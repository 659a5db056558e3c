"""Odd return values: a reply of the wrong type or an unrepresentable number is the submission's mistake at the
property that asked, named in its message, never the grader's internal error, and earns no credit."""

import pytest

from reference.compare.exercise.catalog import Context, by_id
from reference.compare.running.runner import run_property
from reference.compare.sandbox import InProcessImpl
from support import HONEST

#: An honest gradient_descent that updates in place and forgets its return: a beginner's mistake.
GD_NO_RETURN = HONEST + """

def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate=0.1, steps=100):
    out = _h.gradient_descent(params, X, y, lambdas, learning_rate=learning_rate, steps=steps)
    for f in out._fields:
        getattr(params, f)[...] = getattr(out, f)
"""
GD_LIST = HONEST + """

def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate=0.1, steps=100):
    return list(_h.gradient_descent(params, X, y, lambdas, learning_rate=learning_rate, steps=steps))
"""
#: Every function answers with an int of 401 digits.
HUGE_INT = HONEST + """

def _huge(*args, **kwargs):
    return 10**400


for _name in ("sigmoid", "loss", "risk"):
    globals()[_name] = _huge


def backprop(*args, **kwargs):
    return Gradients(*([10**400] * 8))
"""
#: Nothing implemented but a backprop whose every field is None.
NONE_GRADS = HONEST + """

def backprop(*args, **kwargs):
    return Gradients(None, None, None, None, None, None, None, None)
"""
#: Gradients of shape () everywhere: no array of the right shape to be right on its own inputs.
SCALAR_GRADS = HONEST + """

def backprop(*args, **kwargs):
    return Gradients(*([np.array(1.0)] * 8))
"""


def _run(tmp_path, source: str, ids: tuple[str, ...]) -> dict:
    path = tmp_path / "submission.py"
    path.write_text(source)
    with InProcessImpl(str(path)) as impl:
        return {i: run_property(by_id(i), Context(impl), max_examples=3, seed=0, shrink=False) for i in ids}


def test_a_gradient_descent_of_the_wrong_type_is_the_submissions_error(tmp_path):
    results = _run(tmp_path, GD_NO_RETURN, ("B6", "X5"))
    for r in results.values():
        assert r.status == "error", (r.id, r.status, r.message)
        assert "gradient_descent returned None" in r.message and "Params" in r.message, r.message


def test_a_list_of_the_parameters_in_order_is_read_by_position_and_charged_at_x3_alone(tmp_path):
    """Attack round 13: a plain tuple or list of a named tuple's items, in its fields' order, was an error at
    every property calling the function; its values are judged, its container is X3's."""
    results = _run(tmp_path, GD_LIST, ("B6", "X5", "X3"))
    assert results["B6"].status == "pass" and results["X5"].status == "pass", \
        [(r.id, r.status, r.message[:200]) for r in results.values()]
    assert results["X3"].status == "fail" and "is a plain tuple" in results["X3"].message


def test_an_int_no_float64_holds_is_the_submissions_error(tmp_path):
    results = _run(tmp_path, HUGE_INT, ("A1-sigmoid", "B4", "B5-risk", "B9"))
    for r in results.values():
        assert r.status == "error", (r.id, r.status, r.message)
        assert "an int of 400 digits, a number no float64 holds" in r.message, r.message


@pytest.mark.parametrize("source", [NONE_GRADS, SCALAR_GRADS])
def test_gradients_of_no_array_inherit_nothing(tmp_path, source):
    results = _run(tmp_path, source, ("B18-l21", "B18-l22", "B18-all", "B9"))
    for r in results.values():
        assert r.status in ("fail", "not-implemented"), (r.id, r.status, r.message)


def test_the_door_names_the_function_and_the_value():
    from reference.compare.sandbox.interface import WrongReply, wrong_reply

    assert wrong_reply("forward", [1.0]).args[0].startswith("forward returned a list of 1 item; it must return "
                                                            "an Activations")
    assert isinstance(wrong_reply("risk", -(10**309)), WrongReply)
    assert wrong_reply("risk", 10**308) is None  # within float64's range: a number, judged by the property
    assert wrong_reply("backprop", (1, 2)) is not None
