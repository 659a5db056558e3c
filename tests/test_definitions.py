"""A second exercise from a definition alone (docs/exercise.md, "Declaring an exercise"): the properties derived
from its declared chain pass its NumPy solution and catch each bad fixture at its own step, the steps below
it inheriting the mistake. Run in-process (no sandbox): the definitions are not wired into the command yet."""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from reference.compare.definitions import derived
from reference.compare.definitions.two_tanh import DEFINITION

HERE = pathlib.Path(__file__).parent
FIXTURES = "tests.implementations.two_tanh"
#: Two shapes, so that each compiles once (a new shape costs seconds of XLA compiling, docs/exercise.md):
#: W2 square in the first (a transposed ∂R/∂W2 has the right shape, wrong values), not in the second; n ≥ 2 in
#: both (a forgotten 1/n shows only then).
SIZES = ({"n": 3, "d": 2, "h1": 3, "h2": 3, "m": 3}, {"n": 2, "d": 3, "h1": 2, "h2": 4, "m": 2})
#: The backward steps the tanh' mistake is made at, and the gradients computed from theirs (inherited).
TANH_OWN, TANH_BELOW = {"D3-a2", "D6-a1"}, {"D5-h1", "D7-W2", "D7-b2", "D7-W1", "D7-b1", "D8-X"}
PARAMETERS = {"D4-W3", "D4-b3", "D7-W2", "D7-b2", "D7-W1", "D7-b1"}


def _module(name: str):
    return importlib.import_module(f"{FIXTURES}.{name}")


def _slightly_off():
    """The solution with ∂L/∂a2 off by a relative 1e-9: the derived bounds must not let that through."""
    solution = _module("solution")

    def backprop(*args):
        g = solution.backprop(*args)
        return g._replace(a2=g.a2 * (1 + 1e-9))
    return types.SimpleNamespace(forward=solution.forward, loss=solution.loss, risk=solution.risk, backprop=backprop)


def _verdicts() -> dict[str, list[dict[str, derived.Verdict]]]:
    """Every submission's verdicts on the same problems (each problem's reference evaluated once)."""
    submissions = {name: _module(name) for name in ("solution", "bug_tanh_prime_one_minus", "bug_forgot_the_mean",
                                                    "bug_w2_transposed")}
    submissions["slightly_off"] = _slightly_off()
    seen: dict[str, list] = {name: [] for name in submissions}
    for sizes in SIZES:
        narrow = dataclasses.replace(DEFINITION, dims={k: (v, v) for k, v in sizes.items()})

        @settings(max_examples=12, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(derived.problems(narrow))
        def run(problem):
            ev = derived.evaluate(DEFINITION, problem)
            for name, module in submissions.items():
                seen[name].append(derived.judge_all(DEFINITION, module, problem, ev))
        run()
    return seen


@pytest.fixture(scope="module")
def verdicts():
    return _verdicts()


def _failing(runs: list[dict[str, derived.Verdict]], status: str) -> set[str]:
    return {pid for run in runs for pid, v in run.items() if v.status == status}


def test_the_solution_passes_every_derived_property(verdicts):
    wrong = [(pid, v.message) for run in verdicts["solution"] for pid, v in run.items() if v.status != "right"]
    assert not wrong, wrong[:5]
    assert set(verdicts["solution"][0]) == {p.id for p in derived.properties(DEFINITION)}


def test_tanh_prime_as_one_minus_tanh_is_caught_at_the_two_tanh_steps(verdicts):
    runs = verdicts["bug_tanh_prime_one_minus"]
    assert _failing(runs, "own") == TANH_OWN
    assert _failing(runs, "inherited") == TANH_BELOW
    roots = {v.root for run in runs for v in run.values() if v.status == "inherited"}
    assert roots <= {"a2", "a1"}, roots


def test_a_forgotten_mean_is_caught_at_every_parameter_and_nowhere_else(verdicts):
    runs = verdicts["bug_forgot_the_mean"]
    assert _failing(runs, "own") == PARAMETERS
    assert not _failing(runs, "inherited")


def test_a_transposed_weight_gradient_is_caught_at_its_step_alone(verdicts):
    runs = verdicts["bug_w2_transposed"]
    assert _failing(runs, "own") == {"D7-W2"}
    assert not _failing(runs, "inherited")


def test_a_relative_error_of_1e_9_is_caught_where_it_is_made(verdicts):
    runs = verdicts["slightly_off"]
    assert _failing(runs, "own") == {"D3-a2"}
    assert _failing(runs, "inherited") <= TANH_BELOW


def test_the_definition_stays_within_its_size():
    """The issue's target: a new exercise of this size in at most 150 lines of definition."""
    lines = (HERE.parent / "reference" / "compare" / "definitions" / "two_tanh.py").read_text().splitlines()
    assert len(lines) <= 150, len(lines)


def test_a_definition_names_what_it_does_not_know():
    with pytest.raises(ValueError, match="inputs \\['h9'\\]"):
        dataclasses.replace(DEFINITION, steps=(*DEFINITION.steps[:1],
                                               dataclasses.replace(DEFINITION.steps[1], inputs=("h9",))))
    with pytest.raises(ValueError, match="gradients \\['s9'\\]"):
        dataclasses.replace(DEFINITION, gradients={"s9": "D9"})


def test_the_reference_gradients_are_jax_grads_of_the_risk():
    """The chain of vector–Jacobian products agrees with jax.grad of the whole risk (the parameters) and of the
    summed loss (the input): the backward steps are the declared forward's, nothing written twice."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    sizes = SIZES[1]
    arrays = {k: rng.normal(size=DEFINITION.shape_of(k, **sizes)) for k in ("X", *DEFINITION.params)}
    arrays["y"] = rng.integers(0, sizes["m"], sizes["n"])
    problem = derived.Problem(arrays, (0.1, 0.0, 0.3))
    ev = derived.evaluate(DEFINITION, problem)

    def risk(params, X):
        values = {**arrays, **params, "X": X}
        for step in (*DEFINITION.steps, DEFINITION.loss):
            values[step.node] = step.fn(*(values[i] for i in step.inputs))
        return jnp.mean(values["L"]) + sum(lam * p.fn(params[p.param])
                                           for lam, p in zip(problem.lambdas, DEFINITION.penalties))

    with jax.enable_x64(True):
        params = {k: jnp.asarray(arrays[k]) for k in DEFINITION.params}
        g_params, g_X = jax.grad(risk, argnums=(0, 1))(params, jnp.asarray(arrays["X"]))
    for k in DEFINITION.params:  # float64 roundoff of two orders of summation: far below 1e-12 here
        np.testing.assert_allclose(ev.grads[k], np.asarray(g_params[k]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ev.grads["X"] / sizes["n"], np.asarray(g_X), rtol=1e-12, atol=1e-14)
