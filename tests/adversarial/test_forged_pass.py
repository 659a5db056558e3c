"""A pass without running the code: masked arrays, a replaced worker function, the answer key imported."""

from support import HONEST, attack, isolation_mode, strict_json


def test_fully_masked_zeros_fail(tmp_path):
    source = HONEST + '''
import numpy as np

def sigmoid(x):
    return np.ma.array(np.zeros(np.shape(x)), mask=True)

def d_rect(x):
    return np.ma.array(np.zeros(np.shape(x)), mask=True)
'''
    done, report = attack(tmp_path, source, "--property", "A1-sigmoid", "--property", "A7", "--examples", "5",
                          "--sweep", "0")
    props = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    assert props == {"A1-sigmoid": "fail", "A7-rect": "pass", "A7": "fail"}  # rect itself is right
    assert done.returncode == 1


def test_a_replaced_sweep_function_does_not_pass_the_sweep(tmp_path):
    source = HONEST + '''
import sys
sys.modules["__main__"].Table.sweep_calls = lambda self, module, batch, calls: {"values": {}, "ok": {},
                                                                          "errors": []}
'''
    done, report = attack(tmp_path, source, "--property", "B7", "--examples", "3", "--sweep", "200")
    prop = strict_json(report)["properties"][0]
    assert prop["status"] == "fail" and "bulk sweep" in prop["message"], prop
    assert done.returncode == 1


def test_the_answer_key_is_an_integrity_failure_and_scores_zero(tmp_path):
    source = "from reference import *\n"
    done, report = attack(tmp_path, source, "--property", "A5", "--property", "B7", "--examples", "3",
                          "--sweep", "0", fmt="gradescope")
    data = strict_json(report)
    assert data["score"] == 0 and "reference" in data["output"]
    if isolation_mode() == "namespace":  # not in the worker's view: the import fails
        assert done.returncode == 2 and "no module named 'reference." in data["output"].lower(), data["output"]
    else:  # the values are right: the key is what is wrong
        assert "integrity" in data["output"]
        assert done.returncode == 1 and all(t["status"] == "passed" for t in data["tests"])


def test_an_allowed_library_is_not_a_finding(tmp_path):
    source = HONEST + "import jax  # noqa: F401\n"
    _, report = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0",
                       "--allow-import", "jax")
    findings = strict_json(report)["integrity"]["findings"]
    assert not any("jax" in f for f in findings), findings


def test_a_clean_submission_passes_integrity_and_the_key_at_run_time_does_not(tmp_path):
    # the worker itself imports reference.compare.sandbox.wire: that is not the submission's doing
    clean = "from handgrad.types import Params, Lambdas, Activations, Gradients\n" \
            "from numpy import sign, abs, tanh\n"
    _, report = attack(tmp_path, clean + "import handgrad.types as _t\n" + _ALL_NAMES_FROM_A_STRING,
                       "--property", "A5", "--examples", "2", "--sweep", "0")
    assert strict_json(report)["integrity"] == {"status": "pass", "findings": [], "allowed": []}
    hidden = "import importlib\n_r = importlib.import_module('refer' + 'ence')\n" \
             "globals().update({n: getattr(_r, n) for n in _r.__all__})\n"
    done, report = attack(tmp_path, hidden, "--property", "A5", "--property", "B7", "--examples", "2",
                          "--sweep", "0")
    if isolation_mode() == "namespace":  # out of the worker's view: nothing to import, nothing graded
        assert done.returncode == 2 and "no module named 'reference." in strict_json(report)["error"].lower(), report
        return
    findings = strict_json(report)["integrity"]["findings"]
    assert findings.count("its process imported reference (the grader's answer key)") == 1, findings


#: Every API name defined without the answer key (values do not matter for integrity).
_ALL_NAMES_FROM_A_STRING = "".join(
    f"def {n}(*args, **kwargs):\n    return 0.0\n" for n in
    ("sigmoid", "softplus", "rect", "softmax", "d_sigmoid", "d_tanh", "d_abs", "d_rect", "grad_l2_squared",
     "grad_l1", "forward", "loss", "risk", "backprop", "gradient_descent"))


def _statuses_in_process(path, questions, examples=20):
    from reference.compare.exercise.catalog import CATALOG, Context
    from reference.compare.running.runner import run_catalog
    from reference.compare.sandbox import InProcessImpl

    with InProcessImpl(str(path), allow_missing=True) as impl:
        results, _ = run_catalog(Context(impl), [p for p in CATALOG if p.question in questions],
                                 max_examples=examples, sweep=300, seed=0, shrink=False)
    return {r.id: r.status for r in results}


def test_float32_zeros_are_not_inherited_from_x3(tmp_path):
    # zeros of another dtype are right "to float32's precision" where the reference is tiny or dead: no credit
    path = tmp_path / "f32_zeros.py"
    path.write_text('''
import numpy as np
from handgrad.types import Params, Activations, Gradients
Z = lambda *s: np.zeros(s, np.float32)
def forward(p, X):
    return Activations(Z(X.shape[0], p[0].shape[0]), Z(X.shape[0], p[0].shape[0]), Z(X.shape[0], p[2].shape[0]),
                       Z(X.shape[0], p[2].shape[0]))
def backprop(p, X, y, l, *, input_gradient=True):
    n, dh, m = X.shape[0], p[0].shape[0], p[2].shape[0]
    return Gradients(Z(n, m), Z(n, dh), Z(n, dh), Z(*X.shape), Z(*p[0].shape), Z(*p[1].shape), Z(*p[2].shape),
                     Z(*p[3].shape))
''')
    statuses = _statuses_in_process(path, ("B13", "B15", "B17"))
    assert not {s for s in statuses.values()} & {"pass", "inherited"}, statuses


def test_a_kink_moved_off_zero_does_not_pass_a_wrong_rect_slope(tmp_path):
    # forward gives an exact 0 pre-activation as 5e-324 (right to B1's error), backprop uses rect'(0) = 1
    from support import IMPLEMENTATIONS

    for name in ("bug_rect_ge.py", "_bug.py", "_solution.py"):
        (tmp_path / name).write_text((IMPLEMENTATIONS / "bugs" / name).read_text())
    with open(tmp_path / "bug_rect_ge.py", "a") as f:
        f.write("\n\ndef forward(params, X):\n    a = solution.forward(params, X)\n"
                "    return a._replace(ha=np.where(a.ha == 0, 5e-324, a.ha))\n")
    source = (tmp_path / "bug_rect_ge.py").read_text()
    (tmp_path / "bug_rect_ge.py").write_text(source.replace(
        "from _bug import descent, with_gradients",
        "from _bug import descent, with_gradients\nimport _solution as solution"))
    statuses = _statuses_in_process(tmp_path / "bug_rect_ge.py", ("B1", "B13"))
    assert statuses["B1"] == "pass" and statuses["B13"] == "fail", statuses
