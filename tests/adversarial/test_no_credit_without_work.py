"""No credit without work: a stub that returns zeros, and a function that raises once and then answers."""

import os

from support import HONEST, IMPLEMENTATIONS, attack, compare, strict_json

#: What the all-zeros stub earned before: consistent with its own all-zero ∂L/∂oa at every step below it
#: (inherited), and zeros of the documented types and shapes (X1, X3; B5-ntheta counts them).
NOTHING_FOR = ("B5", "B9", "B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "X1", "X3")


def test_an_all_zeros_stub_earns_nothing_for_its_steps_or_its_shapes(tmp_path):
    report, points = tmp_path / "report.json", tmp_path / "results.json"
    done = compare("--impl", str(IMPLEMENTATIONS / "zeros.py"), "--examples", "10", "--sweep", "0", "--seed", "0",
                   *(a for q in NOTHING_FOR for a in ("--property", q)),
                   "--format", "json", "--output", str(report), "--format", "gradescope", "--output", str(points))
    assert done.returncode == 1, done.stderr
    props = strict_json(report.read_text())["properties"]
    assert {p["question"] for p in props} == set(NOTHING_FOR)
    for p in props:
        assert p["status"] == "fail", (p["id"], p["status"], p["message"])
        if p["question"] in ("X1", "X3") or p["id"] == "B5-ntheta":
            assert "does no work" in p["message"] and "is all zero where the reference's is not" in p["message"]
        else:
            assert "is all zero: being right on it shows nothing" in p["message"], (p["id"], p["message"])
    assert "its own ∂L/∂oa is all zero" in {p["id"]: p["message"] for p in props}["B11"]
    assert "its own loss(...) is all zero" in {p["id"]: p["message"] for p in props}["B5-risk"]
    scores = {t["number"]: t["score"] for t in strict_json(points.read_text())["tests"]}
    assert {q: scores[q] for q in NOTHING_FOR} == {q: 0 for q in NOTHING_FOR}


#: d_rect raises the first time it sees an input, and answers right afterwards.
RAISES_ONCE_PER_INPUT = HONEST + '''
import numpy as np

_seen = set()

def d_rect(x):
    a = np.asarray(x)
    key = (a.dtype.str, a.shape, a.tobytes())
    if key not in _seen:
        _seen.add(key)
        raise ValueError("not yet")
    return _h.d_rect(x)
'''

#: d_rect raises on its first call, whatever the input, and answers right afterwards.
RAISES_ON_ITS_FIRST_CALL = HONEST + '''

_calls = []

def d_rect(x):
    _calls.append(1)
    if len(_calls) == 1:
        raise ValueError("first call")
    return _h.d_rect(x)
'''


def _after_an_honest_run(tmp_path, source, *args):
    """The JSON report's properties (by id) of ``source`` checked with ``args``, the examples kept by a run of a
    correct submission: they are replayed, their calls fetched ahead and asked again by the checks."""
    env = dict(os.environ, HANDGRAD_EXAMPLES=str(tmp_path / "examples"))
    args = (*args, "--examples", "10", "--sweep", "0", "--seed", "0")
    (tmp_path / "honest").mkdir()
    _, report = attack(tmp_path / "honest", HONEST, *args, env=env)
    assert all(p["status"] == "pass" for p in strict_json(report)["properties"])
    done, report = attack(tmp_path, source, *args, env=env)
    assert done.returncode == 1
    return {p["id"]: p for p in strict_json(report)["properties"]}


def test_a_call_that_raised_is_an_error_even_when_it_answers_later(tmp_path):
    # X3's calls, fetched ahead while X2 was checked, raised; asked again by X3's check, they answered: it passed
    props = _after_an_honest_run(tmp_path, RAISES_ONCE_PER_INPUT, "--property", "X2", "--property", "X3")
    for prop in ("X2", "X3"):
        assert props[prop]["status"] == "error", props[prop]
        assert "d_rect raised ValueError: not yet" in props[prop]["message"]


def test_the_first_call_raising_is_an_error_when_the_examples_are_replayed(tmp_path):
    # the replay's first example raised; run again under Hypothesis, the same call answered: it passed
    prop = _after_an_honest_run(tmp_path, RAISES_ON_ITS_FIRST_CALL, "--property", "A7")["A7"]
    assert prop["status"] == "error" and "d_rect raised ValueError: first call" in prop["message"], prop


def test_hypothesis_replays_a_call_that_raised_as_it_was_no_flaky(tmp_path):
    from reference.compare.exercise.catalog import Context, by_id
    from reference.compare.reuse.journal import Journal
    from reference.compare.running.runner import run_property
    from reference.compare.sandbox import SubprocessImpl

    path = tmp_path / "submission.py"
    path.write_text(RAISES_ONCE_PER_INPUT)
    with SubprocessImpl(str(path)) as impl:
        journal = Journal()
        result = run_property(by_id("X3"), Context(impl), max_examples=10, seed=0, watch=journal)
    assert result.status == "error" and "d_rect raised ValueError: not yet" in result.message
    assert journal.clean  # the run ended with its last example's error, not Hypothesis's Flaky
