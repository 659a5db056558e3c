"""What reuse relies on in Hypothesis (reference/compare/reuse/__init__.py), checked on toy properties: fast, no
JAX, no worker. If a Hypothesis release changes it, these fail before the slow replay tests
(tests/compare/test_replay.py) show it as replays that no longer equal runs.

- With a seed and no database, a passing run draws the same examples whatever its test did (records).
- A failing run's calls, shrinking included, depend only on how each call ended: returned, rejected, or
  raised (the exception's type, where it was raised, and its context), not on the message or on what else the
  test computed (journals, :func:`reference.compare.running.body.outcome_signature`).
"""

import pytest
from hypothesis import strategies as st

from reference.compare.exercise.catalog import Context, Property, PropertyFailure, Rejected
from reference.compare.reuse.journal import Journal
from reference.compare.reuse.records import Recording, Replayer, recording
from reference.compare.running.runner import follow_property, run_property

EXAMPLES = 40


def _fail(x: int, message: str) -> None:
    """Every failure of the toy properties is raised here: the same line, the same type."""
    raise PropertyFailure(message, got=x, want=0)


def _toy(name: str, check) -> Property:
    return Property(name, "T", f"toy {name}", lambda: st.integers(0, 10_000), check)


def _strict(ctx, x):
    if x % 7 == 3:
        raise Rejected("not judged")
    if x > 500:
        _fail(x, f"{x} is over 500")


def _busy(ctx, x):
    """As _strict, with other work done and another message: its calls end the same way."""
    sum(i * i for i in range(x % 97))
    if x % 7 == 3:
        raise Rejected("outside")
    if x > 500:
        _fail(x, "too large")


def _drawn(check, seed: int) -> list:
    sink = Recording()
    result = run_property(recording(_toy("draw", check), sink), Context(object()), max_examples=EXAMPLES, seed=seed)
    assert result.status == "pass"
    return sink.examples


def test_a_passing_runs_examples_depend_on_the_seed_not_on_what_the_test_did():
    def quick(ctx, x):
        pass

    def slow(ctx, x):
        sum(i * i for i in range(x % 997))

    first = _drawn(quick, 0)
    assert len(first) == EXAMPLES
    assert _drawn(slow, 0) == first
    assert _drawn(quick, 1) != first  # the seed does choose: the comparison above can fail


def _journal(check, seed: int = 0) -> tuple[Journal, dict]:
    journal = Journal()
    result = run_property(_toy("fail", check), Context(object()), max_examples=EXAMPLES, seed=seed, watch=journal)
    assert result.status == "fail" and journal.clean
    return journal, result.to_dict()


def test_a_failing_runs_calls_depend_only_on_how_each_call_ended():
    strict, run = _journal(_strict)
    busy, _ = _journal(_busy)
    ended = [e for _, e, _, _ in strict.steps]
    assert len(strict.steps) > 3 and any(e is None for e in ended) and any(e is not None for e in ended)
    assert [(x, e) for x, e, _, _ in busy.steps] == [(x, e) for x, e, _, _ in strict.steps]
    assert run["counterexample"] == {"kind": "int", "value": "501"}  # shrunk: the journal holds the shrinking


def test_following_a_journal_gives_the_run_and_parts_where_a_call_ends_otherwise():
    journal, run = _journal(_strict)
    steps = [(x, e) for x, e, _, _ in journal.steps]
    followed = follow_property(_toy("fail", _busy), Context(object()), steps, [None] * len(steps))
    assert followed is not None
    strip = lambda d: {k: v for k, v in d.items() if k != "seconds"}  # noqa: E731
    busy = run_property(_toy("fail", _busy), Context(object()), max_examples=EXAMPLES, seed=0).to_dict()
    assert strip(followed.to_dict()) == strip(busy) and busy["message"] != run["message"]

    def elsewhere(ctx, x):  # fails at the same examples, raised from another line
        if x % 7 == 3:
            raise Rejected("not judged")
        if x > 500:
            raise PropertyFailure("over", got=x, want=0)
    assert follow_property(_toy("fail", elsewhere), Context(object()), steps, [None] * len(steps)) is None


@pytest.mark.parametrize("check, status", [(_strict, None), (lambda ctx, x: None, "pass")])
def test_a_replay_gives_the_runs_result_or_gives_up_at_a_failure(check, status):
    sink = Recording()
    run_property(recording(_toy("draw", lambda ctx, x: None), sink), Context(object()), max_examples=EXAMPLES,
                 seed=0)
    replayer = Replayer(Context(object()), fetch=False)
    replayed = replayer.run(_toy("draw", check), sink)
    if status is None:
        assert replayed is None and replayer.failure is not None
        assert replayer.failure[1][0] is PropertyFailure
    else:
        live = run_property(_toy("draw", check), Context(object()), max_examples=EXAMPLES, seed=0)
        assert replayed.status == live.status == status and replayed.examples == live.examples
