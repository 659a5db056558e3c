"""Python adapters (--adapter FILE.py): read by the grader without running, run in the worker, errors placed at
the adapter's line or the student's; the class worked example through its Python adapter agrees with handgrad,
and its bug variant differs where the bug is."""

import shutil
import textwrap

import numpy as np
import pytest

import handgrad
from handgrad.types import Lambdas, Params
from reference.compare.sandbox import InProcessImpl, LoadError
from reference.compare.submissions.adapter import read_adapter
from reference.compare.submissions.adapting import MissingLocal, with_locals
from reference.compare.submissions.layouts import inexpressible
from support import IMPLEMENTATIONS, compare

ADAPTED = IMPLEMENTATIONS / "adapted"
EXAMPLE = ADAPTED / "mlp_class_adapter.py"


def problem(n=5, d=3, dh=4, m=3, seed=0):
    rng = np.random.default_rng(seed)
    p = Params(rng.normal(size=(dh, d)), rng.normal(size=dh), rng.normal(size=(m, dh)), rng.normal(size=m))
    return p, rng.normal(size=(n, d)), rng.integers(0, m, n)


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- the grader reads the declaration only ------------------------------------------------------
def test_grader_reads_without_running(tmp_path):
    path = write(tmp_path, "a.py", 'raise SystemExit("never run here")\nLAMBDAS = "none"\n')
    declared = read_adapter(path)[1]
    assert declared.lambdas == "none" and declared.calls == {}
    assert inexpressible(declared, Lambdas()) is None
    assert "no regularization" in inexpressible(declared, Lambdas(0.0, 0.1, 0.0, 0.0))
    assert read_adapter(EXAMPLE)[1].lambdas == "tied"


@pytest.mark.parametrize("text, said", [
    ("def f(l):\n    return tied(l)\n", 'a.py:2: tied() needs the declaration LAMBDAS = "tied"'),
    ('LAMBDAS = "tied"\ndef f(l):\n    return no_lambdas(l)\n', 'a.py:3: no_lambdas() needs the declaration'),
    ('LAMBDAS = "some"\n', "a.py:1: LAMBDAS must be one of 'four', 'tied', 'none'"),
    ("def f(:\n", "a.py: syntax error at line 1"),
])
def test_declaration_errors_name_file_and_line(tmp_path, text, said):
    with pytest.raises(ValueError) as caught:
        read_adapter(write(tmp_path, "a.py", text))
    assert said in str(caught.value)


# -- through the worked example --------------------------------------------------------------------
def test_worked_example_agrees_with_handgrad():
    impl = InProcessImpl(str(ADAPTED / "mlp_class.py"), adapter=EXAMPLE, allow_missing=True)
    p, X, y = problem()
    lam = Lambdas(0.1, 0.05, 0.1, 0.05)
    got, want = impl.module.backprop(p, X, y, lam), handgrad.backprop(p, X, y, lam)
    for field in ("oa", "hs", "ha", "W1", "b1", "W2", "b2"):  # 1e-12: the same formulas, another summation order
        np.testing.assert_allclose(getattr(got, field), getattr(want, field), rtol=1e-12, atol=1e-12)
    assert got.x is None  # the class has no ∂L/∂x: not implemented
    np.testing.assert_allclose(impl.module.forward(p, X).os, handgrad.forward(p, X).os, rtol=1e-12, atol=1e-15)
    assert "loss" in impl.missing and "sigmoid" in impl.missing  # not defined by the adapter: absent


def test_bug_variant_differs_where_the_bug_is(tmp_path):
    impl = InProcessImpl(str(ADAPTED / "mlp_class_rect_ge.py"), adapter=EXAMPLE, allow_missing=True)
    p, X, y = problem()
    p = p._replace(W1=np.zeros_like(p.W1), b1=np.zeros_like(p.b1))  # ha = 0 everywhere: rect'(0) decides
    got, want = impl.module.backprop(p, X, y), handgrad.backprop(p, X, y)
    np.testing.assert_array_equal(got.hs, want.hs)
    assert not np.allclose(got.ha, want.ha)


def test_submission_load_error_is_the_submissions(tmp_path):
    write(tmp_path, "hw.py", "import numpy as np\nx = np.asscalar(np.ones(1))\n")
    adapter = write(tmp_path, "ad.py", "from reference.compare.submissions.adapting import *\nS = submission()\n")
    with pytest.raises(LoadError, match=r"numpy has no attribute 'asscalar'.*at hw\.py:2"):
        InProcessImpl(str(tmp_path / "hw.py"), adapter=adapter)


def test_adapter_load_error_is_at_the_adapters_line(tmp_path):
    write(tmp_path, "hw.py", "def f():\n    return 1\n")
    adapter = write(tmp_path, "ad.py",
                    "from reference.compare.submissions.adapting import *\n\nMLP = submission().MLP\n")
    with pytest.raises(LoadError, match=r"its adapter .*ad\.py raised AttributeError: .*MLP.* \(at .*ad\.py:3\)"):
        InProcessImpl(str(tmp_path / "hw.py"), adapter=adapter)


def test_a_local_the_adapter_reads_and_the_function_did_not_set_is_named_as_the_adapters():
    # was: KeyError: 'grad_ha', as if the student's code had raised it
    def bprop(x, early):
        grad_oa = x - 1
        if early:
            return grad_oa
        grad_ha = 2 * grad_oa
        return grad_ha
    value, seen = with_locals(bprop, "grad_oa grad_ha", 5, True)
    assert value == 4 and seen == {"grad_oa": 4} and seen.get("grad_ha") is None
    with pytest.raises(MissingLocal) as info:
        seen["grad_ha"]
    assert str(info.value) == ("the adapter reads a local variable 'grad_ha' of test_a_local_the_adapter_reads_and_"
                               "the_function_did_not_set_is_named_as_the_adapters.<locals>.bprop, which it did not set")
    with pytest.raises(MissingLocal, match=r"'grad_hs' .*not one of those with_locals was asked for \(grad_oa "
                                           r"grad_ha\)$"):
        seen["grad_hs"]


# -- the command: the adapter runs in the worker, its errors at its line ---------------------------------------
def test_cli_error_inside_adapter_at_adapters_line(tmp_path):
    shutil.copy(ADAPTED / "mlp_class.py", tmp_path / "mlp_class.py")
    text = EXAMPLE.read_text(encoding="utf-8").replace('rows(seen["grad_oa"])', 'rows(seen["grad_0a"])')
    (tmp_path / "own").mkdir()
    adapter = write(tmp_path / "own", "broken_adapter.py", text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "grad_0a" in s)
    done = compare("--impl", str(tmp_path / "mlp_class.py"), "--adapter", str(adapter), "--format", "text",
                   "--property", "B9", "--examples", "3", "--sweep", "20")
    assert done.returncode == 1, done.stderr
    assert (f"backprop raised MissingLocal: the adapter reads a local variable 'grad_0a' of MLP.bprop, not one of "
            f"those with_locals was asked for (grad_oa grad_hs grad_ha) (at {adapter}:{line})") in done.stdout


def test_cli_refuses_a_bad_declaration(tmp_path):
    adapter = write(tmp_path, "a.py", "def risk(params, X, y, lambdas):\n    return tied(lambdas)\n")
    done = compare("--impl", str(ADAPTED / "mlp_class.py"), "--adapter", str(adapter))
    assert done.returncode == 2
    assert "a.py:2: tied() needs the declaration" in done.stderr and "Traceback" not in done.stderr
