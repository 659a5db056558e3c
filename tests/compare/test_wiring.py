"""The adapter, the notebook loader and old code, wired into the grader and handgrad-compare, end to end.

Through the Python classes (SubprocessImpl, InProcessImpl): an adapter applied in
the worker, missing names answered as not implemented, the worker's own modules.
Through the command: the worked examples of tests/implementations/adapted/ with
their templates, bad adapter files, notebooks, old code that no longer loads,
a local package named like the standard library's.
"""

import importlib.util
import json

import numpy as np
import pytest

from handgrad.types import PART_A
from reference.compare.exercise.bulk_problems import make_batch
from reference.compare.exercise.problems import problem_from_seed
from reference.compare.sandbox import ImplRaised, InProcessImpl, LoadError, SubprocessImpl
from reference.compare.submissions.adapter import TEMPLATES
from support import HONEST, ROOT, compare, implementation, notebook, strict_json

IMPLS = [SubprocessImpl, InProcessImpl]
TIED = (0.1, 0.05, 0.1, 0.05)
#: The properties at λ = 0, which a submission with tied λ answers (as tests/compare/test_adapters.py).
AT_ZERO = ["B5-risk", "B8", "B9", "B10-W2", "B10-b2", "B12", "B14", "B15-W1", "B15-b1", "B16"]
#: handgrad's answers, one name short.
ALL_BUT_D_RECT = HONEST + "\ndel d_rect  # noqa: F821\n"


def run(*args, timeout=300):
    """handgrad-compare with --format json on a quick budget: (completed process, {id: property} or None)."""
    done = compare("--examples", "3", "--sweep", "0", "--format", "json", *args, timeout=timeout)
    report = strict_json(done.stdout) if done.stdout.strip() else None
    return done, {p["id"]: p for p in report["properties"]} if report else None, report


def one_line(done) -> str:
    line = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "\n" not in line and "Traceback" not in line, line
    return line


# -- through the Python classes --------------------------------------------------------
@pytest.mark.parametrize("cls", IMPLS)
def test_a_missing_name_is_not_implemented_and_the_rest_is_callable(tmp_path, cls):
    path = tmp_path / "short.py"
    path.write_text(ALL_BUT_D_RECT)
    with pytest.raises(LoadError, match="missing API names: d_rect"):
        cls(str(path))
    with cls(str(path), allow_missing=True) as impl:
        assert impl.missing == frozenset({"d_rect"})
        assert impl.call("d_abs", np.array([-2.0, 0.0])).value.tolist() == [-1.0, 0.0]
        with pytest.raises(ImplRaised, match="d_rect raised NotImplementedError: d_rect is not in the submission"):
            impl.call("d_rect", np.zeros(2))
        rect, d_rect = impl.call_each([("rect", (np.array([-1.0]),), {}), ("d_rect", (np.zeros(1),), {})])
        assert rect.value.tolist() == [0.0] and isinstance(d_rect, ImplRaised)


@pytest.mark.parametrize("cls", IMPLS)
def test_the_bulk_sweep_answers_a_missing_function_as_not_implemented(tmp_path, cls):
    path = tmp_path / "no_loss.py"
    path.write_text(HONEST + "\ndel loss  # noqa: F821\n")
    batch = make_batch((8, 8, 8, 8), 2, seed=0).arrays()
    with cls(str(path), allow_missing=True) as impl:
        out = impl.submit_sweep(batch, [("loss", 0), ("risk", 1)])()
    assert out["ok"]["risk"].tolist() == [False, True] and not out["ok"]["loss"].any()
    [(name, i, reply)] = out["errors"]
    assert (name, i, reply["type"]) == ("loss", 0, "NotImplementedError")
    assert reply["message"] == "loss is not in the submission"


@pytest.mark.parametrize("cls", IMPLS)
def test_an_adapter_is_applied_after_the_import(cls):
    with cls(str(implementation("mlp_class")), adapter="mlp_class", allow_missing=True) as impl:
        assert impl.missing == frozenset(PART_A)  # the class has no part A; its part B is the adapter's
        p = problem_from_seed(4, 3, 5, 3, seed=1, lambdas=TIED)
        g = impl.call("backprop", *p.arguments("backprop")).value
        assert g.W1.shape == (5, 3) and g.b1.shape == (5,) and g.oa.shape == (4, 3) and g.x is None
        untied = p._replace(lambdas=(0.5, 0.0, 0.0, 0.0))
        with pytest.raises(ImplRaised, match=r"backprop raised NotApplicable: .*lambdas = \"tied\""):
            impl.call("backprop", *untied.arguments("backprop"))


@pytest.mark.parametrize("cls", IMPLS)
def test_an_adapter_is_read_before_anything_runs(tmp_path, cls):
    bad = tmp_path / "hw.toml"
    bad.write_text('examples = "cols"\n')
    marker = tmp_path / "ran"
    path = tmp_path / "hw.py"
    path.write_text(f"open({str(marker)!r}, 'w').close()\n")
    for adapter, words in ((bad, 'hw.toml: examples: must be one of "rows", "columns"'),
                           ("mlp_klass", "mlp_klass: no such adapter template"),
                           (tmp_path / "none.toml", "none.toml: no such adapter file")):
        with pytest.raises(ValueError, match=words):
            cls(str(path), adapter=adapter)
    assert not marker.exists()


def test_a_submission_that_does_not_fit_its_adapter_names_the_users_adapter_file(tmp_path):
    adapter = tmp_path / "mine.toml"
    adapter.write_text('backprop = "MLP.bprop"\n')
    path = tmp_path / "hw.py"
    path.write_text("def bprop(X, y):\n    return X\n")
    with pytest.raises(LoadError) as info:
        SubprocessImpl(str(path), adapter=adapter)
    assert str(info.value) == (f"{path}: does not fit its adapter: {adapter}: backprop: the submission has no 'MLP'")


def test_the_worker_imports_handgrad_and_reference_from_the_graders_tree(tmp_path):
    # its modules are the grader's own files (in the namespace mode, copies of them in its view)
    import hashlib

    path = tmp_path / "where.py"
    path.write_text("import hashlib, sys\n"
                    "raise RuntimeError(hashlib.sha256(open(sys.modules['reference.compare.sandbox.wire'].__file__,"
                    " 'rb').read()).hexdigest())\n")
    digest = hashlib.sha256((ROOT / "reference" / "compare" / "sandbox" / "wire.py").read_bytes()).hexdigest()
    with pytest.raises(LoadError, match=f"RuntimeError at import: {digest}"):
        SubprocessImpl(str(path))


# -- the worked examples through their templates, from the command --------------------------
@pytest.mark.parametrize("template, name, properties, failing", [
    ("column_functions", "column_functions", [], set()),
    ("column_functions", "column_functions_l1_constant", [], {"B18-l11", "B18-l21", "B18-all"}),
    ("row_functions", "row_functions", [], set()),
    ("mlp_class", "mlp_class", AT_ZERO, set()),
    # rect'(0) = 1 is B13's mistake: B14 (its batches are its halves' answers), B15 and B16 inherit it
    ("mlp_class", "mlp_class_rect_ge", AT_ZERO + ["B13"], {"B13"}),
])
def test_a_worked_example_through_its_template(template, name, properties, failing):
    selection = [w for p in properties for w in ("--property", p)]
    done, props, report = run("--impl", str(implementation(name)), "--adapter", template, "--examples", "6",
                              *selection)
    assert {i for i, p in props.items() if p["status"] not in ("pass", "inherited")} == failing, done.stderr
    assert all(props[i]["status"] == "fail" for i in failing)
    assert done.returncode == (1 if failing else 0) and report["integrity"]["status"] == "pass"
    assert f"--adapter {template}" in next(iter(props.values()))["replay"]


def test_without_part_a_its_properties_are_missing_and_lambda_alone_is_drawn_tied():
    path = TEMPLATES / "mlp_class.toml"  # a template by its path, too
    done, props, _ = run("--impl", str(implementation("mlp_class")), "--adapter", str(path),
                         "--property", "A5", "--property", "A7", "--property", "B18-l11", "--property", "B8")
    assert done.returncode == 1 and props["B8"]["status"] == "pass"
    for pid in ("A5", "A7"):  # A7 calls rect and d_rect: not checked, and not a cascade of errors
        assert props[pid]["status"] == "missing" and "the submission has no" in props[pid]["message"]
    assert props["B18-l11"]["status"] == "pass"  # λ11 alone is put to one l1 for both layers: λ11 = λ21


def test_a_function_the_adapter_does_not_map_is_the_adapters_and_the_last_line_counts_it(tmp_path):
    # was: "not checked: the submission has no forward" (the class has fprop) and a last line
    # "1 passed, 0 failed, 0 errors" with exit status 1
    template = (TEMPLATES / "mlp_class.toml").read_text(encoding="utf-8")
    adapter = tmp_path / "noforward.toml"
    adapter.write_text("\n".join(line for line in template.splitlines() if not line.startswith("forward")),
                       encoding="utf-8")
    done, _, _ = run("--impl", str(implementation("mlp_class")), "--adapter", str(adapter), "--property", "B1",
                     "--property", "B8", "--output", str(tmp_path / "r.json"))
    props = {p["id"]: p for p in json.loads((tmp_path / "r.json").read_text())["properties"]}
    assert props["B1"]["status"] == "missing" and props["B8"]["status"] == "pass"
    assert props["B1"]["message"] == ("not checked: its adapter (noforward.toml) maps no forward (the submission is "
                                      "called only through it)")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (f"handgrad-compare: 1 passed, 0 failed, 0 errors, 1 missing; "
                                                    f"report written to {tmp_path / 'r.json'}")


@pytest.mark.parametrize("text, words", [
    ('examples = "cols"\n', ['bad.toml: examples: must be one of "rows", "columns"; got "cols"']),
    ('[forward]\ncall = "f"\nargs = ["y"]\n', ["bad.toml: forward.args[0]: unknown quantity 'y'"]),
    ("examples = \n", ["bad.toml: not valid TOML"]),
    (None, ["mlp_klass: no such adapter template", "mlp_class"]),
])
def test_a_bad_adapter_exits_2_with_one_line_before_any_work(tmp_path, text, words):
    adapter = "mlp_klass"
    if text is not None:
        adapter = tmp_path / "bad.toml"
        adapter.write_text(text)
    line = one_line(compare("--impl", str(implementation("mlp_class")), "--adapter", str(adapter)))
    assert line.startswith("handgrad-compare: --adapter: ")
    for w in words:
        assert w in line


def test_a_submission_without_what_its_adapter_names_exits_2_naming_the_adapter(tmp_path):
    adapter = tmp_path / "mine.toml"
    adapter.write_text('[backprop]\ncall = "Net.bprop"\n')
    line = one_line(compare("--impl", str(implementation("row_functions")), "--adapter", str(adapter)))
    assert f"does not fit its adapter: {adapter}: backprop: the submission has no 'Net'" in line


def test_the_help_names_the_templates():
    out = compare("--help").stdout
    assert "--adapter" in out and "--run-all-cells" in out and "notebook" in out
    for name in ("mlp_class", "column_functions", "row_functions"):
        assert name in out


# -- notebooks ----------------------------------------------------------------------------
#: A homework notebook in the API's form: the defining cells, and cells that do work (a magic, a shell escape,
#: a training loop that raises, then one that never ends).
HOMEWORK = [
    ("markdown", "# Homework: backprop by hand"),
    """\
    import numpy as np
    %matplotlib inline
    from handgrad.types import Activations, Gradients, Lambdas, Params
    """,
    "!pip install --quiet nothing-at-all",
    """\
    def sigmoid(x):
        return 0.5 * (np.tanh(0.5 * np.asarray(x, dtype=np.float64)) + 1)
    def tanh(x):
        return np.tanh(np.asarray(x, dtype=np.float64))
    def softplus(x):
        return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))
    def sign(x):
        x = np.asarray(x, dtype=np.float64)
        return (x > 0).astype(np.float64) - (x < 0)
    def abs(x):
        return np.abs(np.asarray(x, dtype=np.float64))
    def rect(x):
        return np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    def softmax(oa):
        e = np.exp(oa - oa.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    def d_sigmoid(x):
        return sigmoid(x) * (1 - sigmoid(x))
    def d_tanh(x):
        return 1 - tanh(x) ** 2
    def d_rect(x):
        return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)
    def grad_l2_squared(x):
        return 2 * np.asarray(x, dtype=np.float64)
    d_abs = grad_l1 = sign
    """,
    """\
    def forward(params, X):
        ha = X @ params.W1.T + params.b1
        hs = rect(ha)
        oa = hs @ params.W2.T + params.b2
        return Activations(ha, hs, oa, softmax(oa))
    def loss(params, X, y):
        oa = forward(params, X).oa
        top = oa.max(axis=1)
        return top + np.log(np.exp(oa - top[:, None]).sum(axis=1)) - oa[np.arange(len(y)), y]
    def risk(params, X, y, lambdas=Lambdas()):
        (l11, l12, l21, l22), W1, W2 = lambdas, params.W1, params.W2
        penalty = l11 * np.abs(W1).sum() + l12 * (W1 * W1).sum() + l21 * np.abs(W2).sum() + l22 * (W2 * W2).sum()
        return np.mean(loss(params, X, y)) + penalty
    def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
        (W1, b1, W2, b2), (l11, l12, l21, l22), n = params, lambdas, len(X)
        ha, hs, oa, os = forward(params, X)
        d_oa = os - np.eye(W2.shape[0])[y]
        d_hs = d_oa @ W2
        d_ha = d_hs * d_rect(ha)
        return Gradients(d_oa, d_hs, d_ha, d_ha @ W1 if input_gradient else None,
                         d_ha.T @ X / n + l11 * grad_l1(W1) + l12 * grad_l2_squared(W1), d_ha.mean(axis=0),
                         d_oa.T @ hs / n + l21 * grad_l1(W2) + l22 * grad_l2_squared(W2), d_oa.mean(axis=0))
    def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):
        for _ in range(steps):
            g = backprop(params, X, y, lambdas, input_gradient=False)
            params = Params(*(p - learning_rate * dp for p, dp in zip(params, (g.W1, g.b1, g.W2, g.b2))))
        return params
    """,
    """\
    %%time
    print("a cell magic's cell")
    """,
    """\
    X = np.random.randn(50, 4)
    y = (X[:, 0] > 0).astype(int)
    params = Params(np.ones((3, 4)), np.zeros(3), np.ones((2, 3)), np.zeros(2))
    for epoch in range(10):
        params = gradient_descent(params, X, y, Lambdas(), learning_rate=0.1, steps=1)
    raise RuntimeError("the training cell ran")
    """,
    """\
    while True:
        params = gradient_descent(params, X, y, Lambdas(), learning_rate=0.1, steps=1)
    """,
]
NOTEBOOK_PROPERTIES = ["A1-sigmoid", "A5", "A7-rect", "A7", "A8", "B4", "B6", "B8", "B15-W1", "B18-all", "X1"]


def test_a_notebook_is_graded_from_its_defining_cells(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK)
    done, props, report = run("--impl", path, *[w for p in NOTEBOOK_PROPERTIES for w in ("--property", p)])
    assert done.returncode == 0, done.stderr
    assert {i: p["status"] for i, p in props.items()} == dict.fromkeys(NOTEBOOK_PROPERTIES, "pass")
    assert report["integrity"]["status"] == "pass"


def test_run_all_cells_runs_the_training_cell(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK)
    line = one_line(compare("--impl", path, "--run-all-cells", "--property", "A5", "--timeout", "20"))
    assert "RuntimeError at import: the training cell ran (at hw.ipynb, cell 7, line 6)" in line


def test_a_notebook_error_in_a_call_names_the_cell_and_line(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", *HOMEWORK[:5], "def sign(x):\n    return np.asscalar(x)\n")
    done, props, _ = run("--impl", path, "--property", "A5")
    assert done.returncode == 1
    message = props["A5"]["message"]
    assert "numpy' has no attribute 'asscalar'" in message and message.endswith(f"(at {path}, cell 6, line 2)")


def test_a_notebook_with_a_syntax_error_exits_2_naming_the_cell(tmp_path):
    path = notebook(tmp_path / "broken.ipynb", ("markdown", "intro"), "import numpy as np\n%load_ext autoreload",
                    "def forward(params, X:\n    return X\n")
    line = one_line(compare("--impl", path))
    assert f"{path}: syntax error at broken.ipynb, cell 3, line 1:" in line


# -- old code --------------------------------------------------------------------------------
@pytest.mark.parametrize("files, words", [
    ({"work.py": "import numpy as np\n\n\ndef f(x):\n    return x\n\n\nONE = np.asscalar(np.array([1.0]))\n"},
     "numpy has no attribute 'asscalar' (removed from NumPy: use a.item(); at work.py:8)"),
    ({"work.py": "import numpy as np\nEPS = np.float(1e-8)\n"},
     "numpy has no attribute 'float' (`np.float` was a deprecated alias for the builtin `float`."),
    ({"work.py": "from numpy import asscalar\n"},
     "cannot import name 'asscalar' from numpy (removed from NumPy: use a.item(); at work.py:1)"),
    ({"work.py": "import numpy as np\nfrom sklearn.preprocessing import OneHotEncoder\n"},
     "no module named 'sklearn' (not installed here; at work.py:2)"),
    ({"work.py": "import numpy.linalg.old_name\n"}, "no module named 'numpy.linalg.old_name' (numpy "),
    ({"oldlib.py": "class OneHotEncoder:\n    def __init__(self, categories='auto'):\n        pass\n",
      "work.py": "from oldlib import OneHotEncoder\n\nENCODER = OneHotEncoder(n_values=10)\n"},
     "TypeError at import: OneHotEncoder.__init__() got an unexpected keyword argument 'n_values' (at work.py:3)"),
    ({"work.ipynb": ["import numpy as np", "x = 1\n!ls\nfrom numpy import asscalar\n"]},
     "cannot import name 'asscalar' from numpy (removed from NumPy: use a.item(); at work.ipynb, cell 2, line 3)"),
])
def test_old_code_that_no_longer_loads_is_one_line_naming_the_name_and_the_place(tmp_path, files, words):
    if "sklearn" in str(files) and importlib.util.find_spec("sklearn") is not None:
        pytest.skip("sklearn is installed here")
    for name, text in files.items():
        if name.endswith(".ipynb"):
            notebook(tmp_path / name, *text)
        else:
            (tmp_path / name).write_text(text)
    work = tmp_path / ("work.ipynb" if "work.ipynb" in files else "work.py")
    line = one_line(compare("--impl", str(work)))
    assert line.startswith(f"handgrad-compare: cannot check {work}: ") and words in line, line


def test_a_local_package_named_code_shadows_the_standard_library_and_the_worker_still_works(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "__init__.py").write_text('"""Homework code, named as the standard library\'s module."""\n')
    (tmp_path / "code" / "model.py").write_text(implementation("mlp_class").read_text())
    (tmp_path / "work.py").write_text(
        "import sys\n"
        "assert 'code' not in sys.modules, 'the worker imported the standard library code module'\n"
        "import code\n"
        "from code.model import MLP\n"
        "assert code.__file__.endswith('code/__init__.py'), code.__file__\n")
    done, props, _ = run("--impl", str(tmp_path / "work.py"), "--adapter", "mlp_class", "--property", "B8",
                         "--property", "B14", "--property", "B18-l11", "--property", "A5")
    statuses = {i: p["status"] for i, p in props.items()}
    assert statuses == {"B8": "pass", "B14": "pass", "B18-l11": "pass", "A5": "missing"}, done.stderr


def test_the_integrity_check_reads_a_notebooks_cells(tmp_path):
    from reference.compare.submissions.integrity import findings_in_files

    path = notebook(tmp_path / "hw.ipynb", "%matplotlib inline\nimport numpy as np",
                    "from handgrad import backprop\nbackprop(None, None, None)")
    assert findings_in_files(path) == ["hw.ipynb: imports handgrad's own backprop"]
    assert findings_in_files(notebook(tmp_path / "clean.ipynb", *HOMEWORK)) == []
