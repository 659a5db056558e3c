"""Adapters: a submission's conventions declared in TOML, its functions called through the API's signatures;
and notebooks loaded as submissions.

The worked examples (tests/implementations/adapted/) are handgrad's math in plain
NumPy, each written the way its template (reference/compare/submissions/templates/)
declares; through the template they must agree with handgrad, and their buggy
variants must differ exactly where the bug is. Then each convention alone, on
small targets that record what they are given, and the adapter file's errors.
"""

import itertools
import json
import pathlib
import re
import subprocess
import sys
import textwrap
import tomllib
import traceback

import numpy as np
import pytest

import handgrad
from handgrad.types import PARAMS, Gradients, Lambdas, Params
from reference.compare.exercise.catalog import CATALOG, Context
from reference.compare.exercise.problems import problem_from_seed
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from reference.compare.sandbox.worker_side import load
from reference.compare.submissions.adapter import TEMPLATES, Adapter, LocalsReader, NotApplicable, adapted, build_api
from reference.compare.submissions.notebook import cell_line, load_notebook, notebook_source
from support import IMPLEMENTATIONS, ROOT

ADAPTED = IMPLEMENTATIONS / "adapted"
TEMPLATE_NAMES = ("mlp_class", "column_functions", "row_functions")
TIED = Lambdas(0.1, 0.05, 0.1, 0.05)
#: (n, d, dh, m, seed), λ: one of each side 1, all sides equal (a transpose by shape would pass unseen), tied, untied
PROBLEMS = [((1, 1, 1, 2, 0), Lambdas()), ((4, 4, 4, 4, 1), TIED), ((7, 3, 5, 3, 2), TIED),
            ((5, 6, 4, 5, 3), Lambdas(0.3, 0.0, 0.1, 0.2))]


def api_of(template: str, implementation: str | None = None) -> dict:
    module = load(str(ADAPTED / f"{implementation or template}.py"))
    return build_api(module, Adapter.from_toml(TEMPLATES / f"{template}.toml"))


def close(got, want) -> None:
    """Equal to 1e-12 relative (normwise: an entry that cancels to ~0 is held to the array's scale)."""
    want = np.asarray(want)
    assert isinstance(got, (np.ndarray, np.floating)) and got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * float(np.abs(want).max(initial=0.0)))


def differs(got, want) -> bool:
    return not np.allclose(got, want, rtol=1e-9, atol=1e-12)


# -- the worked examples agree with handgrad through their templates ---------------
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
@pytest.mark.parametrize("dims, lambdas", PROBLEMS)
def test_each_template_checks_its_worked_example_as_handgrad(template, dims, lambdas):
    api = api_of(template)
    p = problem_from_seed(*dims, lambdas=lambdas)
    for name in ("forward", "loss"):
        got, want = api[name](*p.arguments(name)), getattr(handgrad, name)(*p.arguments(name))
        for g, w in zip(got, want) if name == "forward" else [(got, want)]:
            close(g, w)
    if template == "mlp_class" and lambdas.l11 != lambdas.l21:
        for name in ("risk", "backprop"):
            with pytest.raises(NotApplicable, match="one l1, l2 pair"):
                api[name](*p.arguments(name))
        return
    close(api["risk"](*p.arguments("risk")), handgrad.risk(*p.arguments("risk")))
    got, want = api["backprop"](*p.arguments("backprop")), handgrad.backprop(*p.arguments("backprop"))
    for field, g, w in zip(Gradients._fields, got, want):
        if template == "mlp_class" and field == "x":
            assert g is None  # no ∂L/∂x in the class: not implemented
        else:
            close(g, w)
    assert api["backprop"](*p.arguments("backprop"), input_gradient=False).x is None
    args = p.arguments("gradient_descent")
    got = api["gradient_descent"](*args, learning_rate=0.1, steps=3)
    for g, w in zip(got, handgrad.gradient_descent(*args, learning_rate=0.1, steps=3)):
        close(g, w)


@pytest.mark.parametrize("template", ["column_functions", "row_functions"])
def test_part_a_through_a_template_is_handgrads(template):
    api = api_of(template)
    x = np.array([-1e300, -2.0, -0.0, 0.0, 0.5, 3.0, 1e300])
    for name in ("sigmoid", "tanh", "softplus", "sign", "abs", "rect", "d_sigmoid", "d_tanh", "d_abs", "d_rect",
                 "grad_l2_squared", "grad_l1"):
        close(api[name](x), getattr(handgrad, name)(x))
    oa = np.random.default_rng(0).normal(size=(3, 4)) * 5  # (n, m): the API's softmax is over each row
    close(api["softmax"](oa), handgrad.softmax(oa))


def test_the_class_template_needs_no_more_than_15_lines():
    text = (TEMPLATES / "mlp_class.toml").read_text()
    lines = [s for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    assert len(lines) <= 15, lines
    assert "tests/implementations/adapted/mlp_class.py" in text  # the worked example it documents


def test_the_templates_ship_inside_the_package():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "reference" in packages["packages"] and TEMPLATES.is_relative_to(ROOT / "reference")
    assert sorted(p.stem for p in TEMPLATES.glob("*.toml")) == sorted(TEMPLATE_NAMES)


# -- the buggy variants differ where the bug is, and only there -----------------------
def test_rect_ge_in_the_class_shows_from_dl_dha_on():
    p = problem_from_seed(5, 3, 6, 3, seed=4, zeros=0.4, lambdas=TIED)
    acts = handgrad.forward(p.params, p.X)
    dead = (acts.ha == 0).all(axis=0) & (p.params.W2 != 0).any(axis=0)
    assert dead.any(), "the problem must have a unit at the kink with weights downstream"
    want = handgrad.backprop(*p.arguments("backprop"))
    got = api_of("mlp_class", "mlp_class_rect_ge")["backprop"](*p.arguments("backprop"))
    for field in ("oa", "hs", "W2", "b2"):
        close(getattr(got, field), getattr(want, field))
    for field in ("ha", "W1", "b1"):
        assert differs(getattr(got, field), getattr(want, field)), field
    away = acts.ha != 0  # away from the kink the mask is the same
    np.testing.assert_array_equal(got.ha[away], want.ha[away])


def test_l1_as_a_constant_shows_in_the_weights_gradients_when_its_lambda_is_not_0():
    bad = api_of("column_functions", "column_functions_l1_constant")
    p = problem_from_seed(4, 3, 5, 3, seed=5, lambdas=Lambdas(0.5, 0.1, 0.0, 0.2))
    got, want = bad["backprop"](*p.arguments("backprop")), handgrad.backprop(*p.arguments("backprop"))
    assert differs(got.W1, want.W1)
    for field in ("oa", "hs", "ha", "x", "b1", "W2", "b2"):  # λ21 = 0: W2's gradient is right
        close(getattr(got, field), getattr(want, field))
    close(bad["risk"](*p.arguments("risk")), handgrad.risk(*p.arguments("risk")))  # the penalty itself is right
    zero = p._replace(lambdas=Lambdas())
    for g, w in zip(bad["backprop"](*zero.arguments("backprop")), handgrad.backprop(*zero.arguments("backprop"))):
        close(g, w)


# -- through the property catalog, as the grader will run them --------------------------
SHIM = """\
from handgrad import *  # part A where the submission has none, for the loader; the adapted names replace the rest
from reference.compare.submissions.adapter import Adapter, adapted
from reference.compare.sandbox.worker_side import load

globals().update(vars(adapted(load({implementation!r}), Adapter.from_toml({template!r}))))
"""
#: The properties at λ = 0: those a submission with tied λ answers (X4 also reads ∂L/∂x, which the class lacks).
AT_ZERO = [p for p in CATALOG if p.id in ("B5-risk", "B8", "B9", "B10-W2", "B10-b2", "B12", "B14", "B15-W1",
                                          "B15-b1", "B16")]


def _failing(tmp_path, template, implementation, properties) -> set[str]:
    shim = tmp_path / f"{implementation}_adapted.py"
    shim.write_text(SHIM.format(implementation=str(ADAPTED / f"{implementation}.py"),
                                template=str(TEMPLATES / f"{template}.toml")))
    with InProcessImpl(str(shim)) as impl:
        results, _ = run_catalog(Context(impl), properties, max_examples=6, sweep=100, seed=0, shrink=False)
    return {r.id for r in results if r.status != "pass"}


@pytest.mark.parametrize("template, implementation, failing", [
    ("column_functions", "column_functions", set()),
    ("row_functions", "row_functions", set()),
    ("column_functions", "column_functions_l1_constant", {"B18-l11", "B18-l21", "B18-all"}),
])
def test_the_whole_catalog_through_a_function_template(tmp_path, template, implementation, failing):
    assert _failing(tmp_path, template, implementation, CATALOG) == failing


@pytest.mark.parametrize("implementation, failing", [
    ("mlp_class", set()), ("mlp_class_rect_ge", {"B14", "B15-W1", "B15-b1", "B16"})])
def test_the_properties_at_lambda_0_through_the_class_template(tmp_path, implementation, failing):
    assert _failing(tmp_path, "mlp_class", implementation, AT_ZERO) == failing


# -- each convention alone --------------------------------------------------------------
P = problem_from_seed(3, 2, 4, 5, seed=7, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4))


def recorder(returns=None):
    """A submission's function that records its arguments and returns ``returns(*args)``."""
    seen = {}

    def fn(*args, **kwargs):
        seen.update(args=args, kwargs=kwargs)
        return returns(*args, **kwargs) if returns else None
    return fn, seen


def test_examples_as_columns_transpose_X_and_every_per_example_array():
    acts = handgrad.forward(P.params, P.X)
    fn, seen = recorder(lambda X: tuple(a.T for a in acts))
    api = build_api({"fwd": fn}, Adapter.from_mapping({"examples": "columns",
                                                       "forward": {"call": "fwd", "args": ["X"]}}))
    for g, w in zip(api["forward"](P.params, P.X), acts):
        np.testing.assert_array_equal(g, w)
    (X,) = seen["args"]
    assert X.shape == (2, 3) and np.shares_memory(X, P.X)  # a view: a change is seen as a changed input


def test_examples_as_rows_pass_X_as_it_is():
    fn, seen = recorder(lambda params, X: handgrad.forward(params, X))
    build_api({"forward": fn}, Adapter.from_mapping({"forward": "forward"}))["forward"](P.params, P.X)
    assert seen["args"][1] is P.X and seen["args"][0] == P.params


@pytest.mark.parametrize("bias, b1_shape, b2_shape", [
    ("flat", (4,), (5,)), ("column", (4, 1), (5, 1)), ("row", (1, 4), (1, 5))])
def test_biases_and_their_gradients_in_the_declared_shape(bias, b1_shape, b2_shape):
    want = handgrad.backprop(*P.arguments("backprop"))
    fn, seen = recorder(lambda W1, b1, W2, b2: (want.W1, want.b1.reshape(b1_shape), want.W2, want.b2.reshape(b2_shape)))
    adapter = Adapter.from_mapping({"bias": bias, "backprop": {
        "call": "bp", "args": ["W1", "b1", "W2", "b2"], "returns": ["W1", "b1", "W2", "b2"]}})
    got = build_api({"bp": fn}, adapter)["backprop"](*P.arguments("backprop"))
    assert seen["args"][1].shape == b1_shape and seen["args"][3].shape == b2_shape
    np.testing.assert_array_equal(got.b1, want.b1)
    np.testing.assert_array_equal(got.b2, want.b2)
    assert got.b1.shape == (4,) and got.oa is None and got.x is None  # fields not read: None, not implemented


def test_weights_stored_inputs_by_outputs_are_transposed_both_ways():
    want = handgrad.backprop(*P.arguments("backprop"))
    fn, seen = recorder(lambda W1, W2: (want.W1.T, want.W2.T))
    adapter = Adapter.from_mapping({"weights": "in_out", "backprop": {
        "call": "bp", "args": ["W1", "W2"], "returns": ["W1", "W2"]}})
    got = build_api({"bp": fn}, adapter)["backprop"](*P.arguments("backprop"))
    W1, W2 = seen["args"]
    assert W1.shape == (2, 4) and W2.shape == (4, 5) and np.shares_memory(W1, P.params.W1)
    np.testing.assert_array_equal(got.W1, want.W1)
    np.testing.assert_array_equal(got.W2, want.W2)


@pytest.mark.parametrize("labels, examples, want", [
    (0, "rows", lambda y: y), (1, "rows", lambda y: y + 1),
    ("onehot", "rows", lambda y: np.eye(5)[y]), ("onehot", "columns", lambda y: np.eye(5)[y].T)])
def test_labels_from_1_and_one_hot_targets_laid_out_like_X(labels, examples, want):
    fn, seen = recorder(lambda y: np.zeros(3))
    adapter = Adapter.from_mapping({"labels": labels, "examples": examples,
                                    "loss": {"call": "L", "args": ["y"]}})
    build_api({"L": fn}, adapter)["loss"](*P.arguments("loss"))
    np.testing.assert_array_equal(seen["args"][0], want(P.y))


@pytest.mark.parametrize("form, want", [
    ("four", Lambdas(0.1, 0.2, 0.3, 0.4)), ("list", [0.1, 0.2, 0.3, 0.4]),
    ("matrix", np.array([[0.1, 0.2], [0.3, 0.4]]))])
def test_lambdas_packed_as_declared(form, want):
    fn, seen = recorder(lambda lam, *four: 0.0)
    adapter = Adapter.from_mapping({"lambdas": form, "risk": {
        "call": "R", "args": ["lambdas", "l11", "l12", "l21", "l22"]}})
    build_api({"R": fn}, adapter)["risk"](*P.arguments("risk"))
    lam, *four = seen["args"]
    assert type(lam) is type(want) and np.array_equal(lam, want) and four == [0.1, 0.2, 0.3, 0.4]


def test_tied_lambdas_take_one_pair_and_untied_problems_are_not_applicable():
    fn, seen = recorder(lambda l1, l2, lam: 0.0)
    adapter = Adapter.from_mapping({"lambdas": "tied", "risk": {"call": "R", "args": ["l1", "l2", "lambdas"]},
                                    "loss": {"call": "L", "args": []}})
    api = build_api({"R": fn, "L": lambda: np.zeros(3)}, adapter)
    api["risk"](P.params, P.X, P.y, Lambdas(0.1, 0.2, 0.1, 0.2))
    assert seen["args"] == (0.1, 0.2, (0.1, 0.2))
    with pytest.raises(NotApplicable, match="λ11 = 0.1, λ12 = 0.2, λ21 = 0.3, λ22 = 0.4"):
        api["risk"](*P.arguments("risk"))
    api["loss"](*P.arguments("loss"))  # no λ, nothing to tie
    with pytest.raises(ValueError, match=r'<adapter>: risk.args: l1 is one λ .* needs lambdas = "tied"'):
        Adapter.from_mapping({"risk": {"call": "R", "args": ["l1"]}})


def test_a_batch_loss_gives_the_per_example_loss_one_example_at_a_time():
    calls = []

    def mean_loss(params, X, y):
        calls.append(len(y))
        return np.mean(handgrad.loss(params, X, y))
    for reduction in ("mean", "sum"):
        calls.clear()
        adapter = Adapter.from_mapping({"loss": {"call": "L", "reduction": reduction}})
        close(build_api({"L": mean_loss}, adapter)["loss"](*P.arguments("loss")), handgrad.loss(*P.arguments("loss")))
        assert calls == [1, 1, 1]


def test_summed_gradients_are_declared_but_never_rescaled():
    want = handgrad.backprop(*P.arguments("backprop"))
    summed = want._replace(W1=want.W1 * 3, b1=want.b1 * 3, W2=want.W2 * 3, b2=want.b2 * 3)  # n = 3
    adapter = Adapter.from_mapping({"backprop": {"call": "bp", "reduction": "sum"}})
    got = build_api({"bp": lambda *a: tuple(summed)}, adapter)["backprop"](*P.arguments("backprop"))
    for g, s in zip(got, summed):
        np.testing.assert_array_equal(g, s)
    assert any("not divided" in n or "as returned" in n for n in adapter.notes)


def test_a_result_not_in_the_declared_shape_comes_back_as_it_came():
    wrong = np.zeros((3, 5, 5))  # the seed-003 kind of mistake: broadcast into a matrix
    adapter = Adapter.from_mapping({"examples": "columns", "bias": "column",
                                    "backprop": {"call": "bp", "args": [], "returns": ["oa", "b2"]}})
    got = build_api({"bp": lambda: (wrong, np.ones(5))}, adapter)["backprop"](*P.arguments("backprop"))
    assert got.oa is wrong and got.b2.shape == (5,)


def test_locals_are_read_as_the_function_returns_and_the_profiler_is_restored():
    def bprop(X):
        grad_oa = X * 2.0
        grad_oa += 1.0  # the local's value as the function returns, not as first bound
        return None
    previous = sys.getprofile()
    adapter = Adapter.from_mapping({"backprop": {"call": "bprop", "args": ["X"], "locals": {"grad_oa": "oa"}}})
    got = build_api({"bprop": bprop}, adapter)["backprop"](*P.arguments("backprop"))
    np.testing.assert_array_equal(got.oa, P.X * 2.0 + 1.0)
    assert sys.getprofile() is previous and got.W1 is None


def test_locals_of_the_outermost_call_of_a_recursive_function():
    def depth(k):
        here = k
        return depth(k - 1) if here else 0
    with LocalsReader(depth.__code__, ["here"]) as seen:
        depth(3)
    assert seen.values == {"here": 3}


def test_a_local_that_is_not_there_is_an_error_naming_it():
    adapter = Adapter.from_mapping({"backprop": {"call": "bp", "args": [], "locals": {"grad_ha": "ha"}}},
                                   source="mine.toml")
    with pytest.raises(ValueError, match="bp returned without the local variable.* grad_ha .*mine.toml"):
        build_api({"bp": lambda: None}, adapter)["backprop"](*P.arguments("backprop"))


class Kept:
    """A class that keeps its intermediates as attributes, as homework does (``self.ha``), and returns a dict."""

    def fprop(self, X):
        self.ha = X
        return {"os": X}


def test_an_attribute_or_key_the_call_did_not_leave_is_the_adapters_error_naming_it():
    # was: AttributeError: 'Kept' object has no attribute 'h_a', as if the submission had raised it
    attribute = Adapter.from_mapping({"forward": {"call": "Kept.fprop", "args": ["X"], "returns": {"os": "os"},
                                                  "attributes": {"h_a": "ha"}}}, source="mine.toml")
    with pytest.raises(ValueError, match=r"^Kept.fprop returned with no attribute\(s\) h_a on its object, that "
                                         r"mine.toml reads$"):
        build_api({"Kept": Kept}, attribute)["forward"](P.params, P.X)
    key = Adapter.from_mapping({"forward": {"call": "Kept.fprop", "args": ["X"], "returns": {"o_s": "os"}}},
                               source="mine.toml")
    with pytest.raises(ValueError, match=r"^Kept.fprop returned a dict without the key\(s\) o_s that mine.toml "
                                         r"reads$"):
        build_api({"Kept": Kept}, key)["forward"](P.params, P.X)


def test_a_tuple_of_the_wrong_length_is_an_error():
    adapter = Adapter.from_mapping({"forward": {"call": "f", "args": []}})
    with pytest.raises(ValueError, match="f returned 2 values; the adapter reads 4"):
        build_api({"f": lambda: (1, 2)}, adapter)["forward"](P.params, P.X)


class Net:
    """A class whose methods the adapter calls: objects built with sizes and literals."""

    made: list = []

    def __init__(self, n_in, n_out, act, scale=1.0):
        self.W1 = None
        Net.made.append((n_in, n_out, act, scale))

    def bprop(self, X):
        return self.W1 * 0.0, self.lam

    def train(self, X, rate, epochs):
        for _ in range(epochs):
            self.W1 -= rate  # in place, on the object's own copy
            self.b1 -= rate


def test_a_class_is_built_per_call_with_its_parameters_set():
    adapter = Adapter.from_mapping({
        "object": {"init": {"n_in": "d", "n_out": "m", "act": {"value": "relu"}, "scale": 2},
                   "set": {"lam": "l21"}},
        "backprop": {"call": "Net.bprop", "args": ["X"], "returns": ["W1", "_"]},
        "gradient_descent": {"call": "Net.train", "args": ["X", "learning_rate", "steps"]}})
    api, before = build_api({"Net": Net}, adapter), [a.copy() for a in P.params]
    Net.made.clear()
    assert api["backprop"](*P.arguments("backprop")).W1.shape == (4, 2)
    trained = api["gradient_descent"](*P.arguments("gradient_descent"), learning_rate=0.5, steps=2)
    assert Net.made == [(2, 5, "relu", 2), (2, 5, "relu", 2)]
    np.testing.assert_array_equal(trained.W1, P.params.W1 - 1.0)
    np.testing.assert_array_equal(trained.W2, P.params.W2)
    for a, b in zip(P.params, before):
        np.testing.assert_array_equal(a, b)  # the caller's arrays are untouched: the object trained copies


def test_part_a_mapped_taken_by_its_name_or_absent():
    adapter = Adapter.from_mapping({"examples": "columns", "rect": "relu"})
    api = build_api({"relu": lambda x: np.maximum(x, 0), "tanh": np.tanh,
                     "softmax": lambda o: np.exp(o) / np.exp(o).sum(axis=0)}, adapter)
    assert sorted(api) == ["rect", "softmax", "tanh"]  # the rest of part A: not implemented
    oa = np.random.default_rng(1).normal(size=(3, 4))
    close(api["softmax"](oa), handgrad.softmax(oa))  # given one example per column, returned per row
    assert api["rect"].__name__ == "rect"


def test_a_function_of_another_module_of_the_submission(tmp_path, monkeypatch):
    (tmp_path / "helpers_12.py").write_text("def risk(params, X, y, lambdas):\n    return 1.5\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    api = build_api({}, Adapter.from_mapping({"risk": "helpers_12:risk"}))
    assert api["risk"](*P.arguments("risk")) == 1.5


def test_adapted_stands_for_the_module():
    ns = adapted(load(str(ADAPTED / "row_functions.py")), Adapter.from_toml(TEMPLATES / "row_functions.toml"))
    assert ns.Params is Params and callable(ns.backprop) and callable(ns.d_rect)


def test_part_a_as_a_static_method():
    class Net:
        @staticmethod
        def relu(x):
            return np.maximum(x, 0.0)
    api = build_api({"Net": Net}, Adapter.from_mapping({"rect": "Net.relu"}))
    np.testing.assert_array_equal(api["rect"](np.array([-1.0, 2.0])), [0.0, 2.0])


def _documented_adapters() -> list[str]:
    """The TOML blocks of docs/adapters.md and the one in the adapter module's docstring."""
    from reference.compare.submissions import adapter

    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "docs" / "adapters.md").read_text(), re.S)
    after = adapter.__doc__.split(".. code-block:: toml\n\n", 1)[1].splitlines()
    indented = itertools.takewhile(lambda line: not line.strip() or line.startswith("    "), after)
    return blocks + [textwrap.dedent("\n".join(indented))]


def test_the_documented_adapters_are_valid_and_the_templates_are_the_shipped_ones():
    blocks = _documented_adapters()
    assert len(blocks) == 5
    for block in blocks:
        Adapter.from_mapping(tomllib.loads(block))
    for name in TEMPLATE_NAMES:
        shipped = [s for s in (TEMPLATES / f"{name}.toml").read_text().splitlines() if not s.startswith("#")]
        assert "\n".join(shipped).strip() in [b.strip() for b in blocks], name


# -- the adapter file's errors name the file and the key -----------------------------------
@pytest.mark.parametrize("mapping, key", [
    ({"example": "rows"}, "example: unknown key"),
    ({"examples": "cols"}, 'examples: must be one of "rows", "columns"; got "cols"'),
    ({"labels": True}, "labels: must be one of 0, 1, \"onehot\""),
    ({"lambdas": 4}, "lambdas: must be one of"),
    ({"forward": {"args": ["X"]}}, "forward.call: missing"),
    ({"forward": {"call": "a.b.c"}}, "forward.call: must be"),
    ({"forward": {"call": "f", "args": ["y"]}}, "forward.args[0]: unknown quantity 'y'"),
    ({"forward": {"call": "f", "args": "X"}}, "forward.args: must be a list"),
    ({"forward": {"call": "f", "returns": ["ha", "grad"]}}, "forward.returns[1]: must be a field"),
    ({"forward": {"call": "f", "returns": "os", "locals": {"o": "os"}}}, "forward.locals.o: os is already read"),
    ({"forward": {"call": "f", "attributes": {"ha": "ha"}}}, "forward.attributes: needs a method"),
    ({"forward": {"call": "f", "reduction": "sum"}}, "forward.reduction: only loss and backprop"),
    ({"backprop": {"call": "f", "reduction": "max"}}, "backprop.reduction: must be one of"),
    ({"backprop": {"call": "f", "whatever": 1}}, "backprop.whatever: unknown key"),
    ({"object": {"init": {"X": "X"}}}, "object.init.X: unknown quantity 'X'"),
    ({"object": {"make": {}}}, "object.make: unknown key"),
    ({"object": {"set": {"p": "params"}}, "gradient_descent": "Net.train"}, "gradient_descent: say where"),
    ({"sigmoid": {"call": "s"}}, "sigmoid: must be a string"),
])
def test_a_bad_adapter_names_the_file_and_the_key(mapping, key):
    with pytest.raises(ValueError) as info:
        Adapter.from_mapping(mapping, source="hw.toml")
    assert str(info.value).startswith("hw.toml: ") and key in str(info.value), str(info.value)


def test_a_toml_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("examples = \n")
    with pytest.raises(ValueError, match=r"broken\.toml: not valid TOML"):
        Adapter.from_toml(bad)
    bad.write_text('examples = "columns"\n[forward]\ncall = "f"\nargs = ["W3"]\n')
    with pytest.raises(ValueError, match=r"broken\.toml: forward\.args\[0\]: unknown quantity 'W3'"):
        Adapter.from_toml(bad)


def test_a_name_the_submission_lacks_fails_when_the_api_is_built():
    with pytest.raises(ValueError, match="hw.toml: backprop: the submission has no 'MLP'"):
        build_api({}, Adapter.from_mapping({"backprop": "MLP.bprop"}, source="hw.toml"))


def test_a_module_the_submission_lacks_is_the_adapters_mismatch_and_an_import_inside_it_the_submissions(tmp_path,
                                                                                                     monkeypatch):
    # was: "no module named 'code.helpers'" as the submission's own load error, without the adapter's key
    with pytest.raises(ValueError, match=r"^hw.toml: backprop: the submission has no module 'nowhere_27\.helpers' "
                                         r"\(No module named 'nowhere_27'\)$"):
        build_api({}, Adapter.from_mapping({"backprop": "nowhere_27.helpers:MLP.bprop"}, source="hw.toml"))
    (tmp_path / "own_27.py").write_text("import sklearn_not_here_27\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="sklearn_not_here_27"):  # its own import: the submission's
        build_api({}, Adapter.from_mapping({"backprop": "own_27:MLP.bprop"}, source="hw.toml"))


def test_the_adapter_loads_neither_jax_nor_hypothesis():
    code = textwrap.dedent("""
        import sys
        import reference.compare.submissions.adapter, reference.compare.submissions.notebook
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'hypothesis')))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_params_tuple_and_sizes_as_quantities():
    fn, seen = recorder(lambda params, n, d, dh, m: None)
    adapter = Adapter.from_mapping({"forward": {"call": "f", "args": ["params", "n", "d", "dh", "m"], "returns": "os"}})
    assert build_api({"f": fn}, adapter)["forward"](P.params, P.X).ha is None
    params, *sizes = seen["args"]
    assert sizes == [3, 2, 4, 5] and all(a is b for a, b in zip(params, P.params)) and params._fields == PARAMS


# -- notebooks --------------------------------------------------------------------------
def notebook(path, *cells) -> str:
    """Write a notebook of these cells (code, or ("markdown", text)); its path as a string."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": c[0], "metadata": {}, "source": c[1]} if isinstance(c, tuple) else
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": c.splitlines(keepends=True)} for c in cells]}
    path.write_text(json.dumps(nb))
    return str(path)


HOMEWORK = [
    ("markdown", "# Homework 2: backprop by hand"),
    "import numpy as np\n%matplotlib inline\nimport json",
    "!pip install nothing-at-all",
    textwrap.dedent("""\
        EPS = 1e-12
        SIZES = (2, 3)
        def rect(x):
            return np.maximum(x, 0.0)


        def fail():
            raise ValueError("from the notebook")


        class MLP:
            def fprop(self, X):
                return rect(X)
        relu = rect
        """),
    "%%time\nraise RuntimeError('a cell magic cell ran')",
    textwrap.dedent("""\
        X = np.random.randn(3, 2)
        model = MLP()
        for epoch in range(3):
            print(epoch)
        with open(OUT, "w") as f:
            f.write("trained")
        raise RuntimeError("training ran")
        """),
    "model.fprop(X)\nnp.dot?\nfiles = !ls\nimport os; os.environ['HANDGRAD_TRAINED'] = '1'",
]


def test_a_notebook_keeps_its_definitions_and_skips_its_work(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK)
    source, line_map = notebook_source(path)
    namespace = {"OUT": str(tmp_path / "out.txt")}
    exec(compile(source, "generated", "exec"), namespace)
    assert {"np", "json", "os", "EPS", "SIZES", "rect", "fail", "MLP", "relu"} <= set(namespace)
    assert not {"X", "model", "epoch", "files"} & set(namespace) and "HANDGRAD_TRAINED" not in namespace["os"].environ
    assert not (tmp_path / "out.txt").exists()
    for text in ("%", "!", "?", "print", "for epoch", "RuntimeError"):
        assert text not in source, text
    lines = source.splitlines()
    assert len(lines) == len(line_map)
    assert cell_line(line_map, lines.index("def rect(x):") + 1) == "cell 4, line 3"  # the markdown cell counts
    assert cell_line(line_map, lines.index("import os") + 1) == "cell 7, line 4"  # shared with a skipped statement
    np.testing.assert_array_equal(namespace["MLP"]().fprop(np.array([-1.0, 2.0])), [0.0, 2.0])


def test_run_all_cells_keeps_the_work_but_not_magics_or_shell(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK)
    source, line_map = notebook_source(path, run_all_cells=True)
    assert "for epoch in range(3):" in source and "model.fprop(X)" in source
    assert "a cell magic cell ran" not in source and "pip install" not in source and "%matplotlib" not in source
    assert cell_line(line_map, source.splitlines().index("for epoch in range(3):") + 1) == "cell 6, line 3"


def test_a_loaded_notebook_tracebacks_name_the_cell(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK)
    module = load_notebook(path)
    assert module.relu is module.rect and module.SIZES == (2, 3)
    with pytest.raises(ValueError, match="from the notebook") as info:
        module.fail()
    last = traceback.extract_tb(info.tb)[-1]
    assert (last.filename, last.lineno, last.line) == (f"{path}, cell 4", 8, 'raise ValueError("from the notebook")')


@pytest.mark.parametrize("load", [notebook_source, load_notebook])
def test_a_syntax_error_names_the_cell_and_its_line(tmp_path, load):
    path = notebook(tmp_path / "broken.ipynb", ("markdown", "intro"), "import numpy as np",
                    "%load_ext autoreload\n\ndef forward(W1, X:\n    return W1 @ X\n")
    with pytest.raises(SyntaxError) as info:
        load(path)
    assert info.value.filename == f"{path}, cell 3" and info.value.lineno == 3
    assert "(broken.ipynb, cell 3, line 3)" in str(info.value).replace(str(tmp_path) + "/", "")


def test_an_old_notebook_with_worksheets(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "heading", "source": ["Old"]}, {"cell_type": "code", "input": ["N = 4\n", "print(N)\n"]}]}]}))
    assert notebook_source(path) == ("N = 4\n", ((2, 1),))


def test_a_file_that_is_not_a_notebook(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text("def f(): pass\n")
    with pytest.raises(ValueError, match=r"hw\.ipynb: not a Jupyter notebook"):
        notebook_source(path)


def test_a_notebook_homework_checked_through_a_template(tmp_path):
    """The column-functions worked example as notebook cells, with a training cell that must not run."""
    text = (ADAPTED / "column_functions.py").read_text()
    cells = ["%matplotlib inline"] + text.split("\n\n\n") + [
        "W1, b1, W2, b2 = (np.zeros((3, 2)), np.zeros((3, 1)), np.zeros((2, 3)), np.zeros((2, 1)))\n"
        "raise RuntimeError('training ran')"]
    module = load_notebook(notebook(tmp_path / "column_functions.ipynb", *cells))
    api = build_api(module, Adapter.from_toml(TEMPLATES / "column_functions.toml"))
    p = problem_from_seed(4, 3, 5, 3, seed=9, lambdas=Lambdas(0.1, 0.2, 0.3, 0.4))
    for g, w in zip(api["backprop"](*p.arguments("backprop")), handgrad.backprop(*p.arguments("backprop"))):
        close(g, w)


def test_a_notebook_with_a_byte_order_mark_loads(tmp_path):
    """Attack round 10: a UTF-8 byte-order mark, as some editors write, made a notebook "not JSON"."""
    path = pathlib.Path(notebook(tmp_path / "bom.ipynb", "N = 4"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_notebook(path).N == 4


def test_a_null_byte_is_a_syntax_error_without_a_line(tmp_path):
    """Attack round 10: a null byte in a cell was told as a syntax error at `nullbyte.ipynb:None`."""
    from reference.compare.submissions.load_errors import describe_load_error

    path = notebook(tmp_path / "nul.ipynb", "N = 4\x00")
    with pytest.raises(SyntaxError) as info:
        load_notebook(path)
    told = describe_load_error(str(path), info.value)
    assert "None" not in told and "null bytes" in told, told
