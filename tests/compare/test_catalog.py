"""The property catalog, run by pytest on handgrad and on reference (``--handgrad-impl``: the plugin's tests).

The properties are defined in :mod:`reference.compare.exercise.catalog`; this file only runs them.
Examples per property come from the Hypothesis profile (``--hypothesis-profile``:
dev, ci, thorough). Failures print the property's message and smallest counterexample.
"""

import json

import pytest
from hypothesis import settings

from reference.compare.exercise.catalog import CATALOG, QUESTIONS, Context
from reference.compare.running.runner import PROFILES, PropertyResult, run_property
from reference.compare.running.sweep import run_sweep
from reference.compare.sandbox import InProcessImpl, SubprocessImpl

TRUSTED = ("handgrad", "reference")


def pytest_generate_tests(metafunc):
    # --handgrad-impl (alias --impl) runs the catalog on other implementations: the plugin's own tests
    if "impl_name" in metafunc.fixturenames:
        metafunc.parametrize("impl_name", TRUSTED, scope="module")


@pytest.fixture(scope="module")
def ctx(impl_name):
    # the bundled twins run in this process; anything given with --impl in a child process
    impl = InProcessImpl(impl_name) if impl_name in TRUSTED else SubprocessImpl(impl_name)
    with impl:
        yield Context(impl)


def _explain(result) -> str:
    text = f"{result.id} ({result.question}: {result.title}) {result.status}: {result.message}"
    if result.counterexample:
        text += "\ncounterexample: " + json.dumps(result.counterexample)[:4000]
    return text


@pytest.mark.parametrize("prop", CATALOG, ids=[p.id for p in CATALOG])
def test_property(ctx, prop):
    result = run_property(prop, ctx)
    assert result.examples > 0
    assert result.status == "pass", _explain(result)


def _profile_name() -> str:
    for name in PROFILES:
        if settings.get_profile(name).max_examples == settings.default.max_examples and \
                settings.get_profile(name).derandomize == settings.default.derandomize:
            return name
    return "dev"


def test_bulk_sweep(ctx):
    """Thousands of seeded problems per run, batched on both sides (the profile sets how many)."""
    results = {p.id: PropertyResult(p.id, p.question, p.title) for p in CATALOG}
    figures = run_sweep(results, CATALOG, ctx, count=PROFILES[_profile_name()]["sweep"], seed=0)
    assert figures["problems"] >= PROFILES[_profile_name()]["sweep"]
    bad = [_explain(r) for r in results.values() if r.status != "pass"]
    assert not bad, "\n".join(bad)
    swept = [r for r in results.values() if r.sweep_examples]
    assert len(swept) >= 25


def test_every_question_has_a_property():
    covered = {p.question for p in CATALOG}
    assert set(QUESTIONS) <= covered, sorted(set(QUESTIONS) - covered)
    assert len({p.id for p in CATALOG}) == len(CATALOG)
