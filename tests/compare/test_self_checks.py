"""A notebook that checks itself (``import reference``, ``reference.check(globals())``) is graded without them.

The README and docs/example.ipynb show students how to check a notebook from
inside it. Graded, its self-checks are dropped by the loader in both modes, so
the integrity check, which reads the loader's source, finds nothing, and the
report names what was dropped. The answer key used by the graded code itself
(in a function, or imported for it) is still a finding.
"""

import ast
import re

import pytest

from reference.compare.submissions.integrity import findings_in_files
from reference.compare.submissions.notebook import notebook_source
from support import ROOT, compare, notebook, standalone_submission, strict_json

#: What A5 and B8 call, right, as a student would write it in a notebook: definitions only (handgrad's own code,
#: copied, computes some of its module's names, which a notebook's definitions-only load leaves out).
SOLUTION = """\
import numpy as np
from handgrad.types import Activations, Gradients, Lambdas


def sign(x):
    x = np.asarray(x, dtype=np.float64)
    return (x > 0).astype(np.float64) - (x < 0)


def forward(params, X):
    W1, b1, W2, b2 = params
    ha = X @ W1.T + b1
    hs = np.maximum(ha, 0.0)
    oa = hs @ W2.T + b2
    e = np.exp(oa - oa.max(axis=1, keepdims=True))
    return Activations(ha=ha, hs=hs, oa=oa, os=e / e.sum(axis=1, keepdims=True))


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    W1, b1, W2, b2 = params
    l11, l12, l21, l22 = lambdas
    a, n = forward(params, X), X.shape[0]
    g_oa = a.os.copy()
    g_oa[np.arange(n), y] -= 1.0
    g_hs = g_oa @ W2
    g_ha = g_hs * (a.ha > 0)
    return Gradients(oa=g_oa, hs=g_hs, ha=g_ha, x=g_ha @ W1,
                     W1=g_ha.T @ X / n + l11 * sign(W1) + 2 * l12 * W1, b1=g_ha.mean(axis=0),
                     W2=g_oa.T @ a.hs / n + l21 * sign(W2) + 2 * l22 * W2, b2=g_oa.mean(axis=0))
"""
#: The self-checking cells of docs/example.ipynb, after a ``%pip install`` cell.
CHECKING = [
    ("markdown", "# Homework: backprop by hand"),
    "%pip install handgrad",
    SOLUTION,
    """\
    import reference

    result = reference.check(globals(), questions=["A7"], profile="dev", seed=0)
    result
    """,
    """\
    print("passed:", result.passed)
    for failure in result.failures:
        print(failure.id, "-", failure.message[:120])
    """,
]
#: What the loader drops from CHECKING, as the report says it.
DROPPED = ["cell 2 line 1 (%pip install handgrad)", "cell 4 line 1 (import reference)",
           "cell 4 line 3 (reference.check)", "cell 4 line 4 (result)", "cell 5 line 1 (result)",
           "cell 5 line 2 (result)"]


def code(source: str) -> str:
    """``source`` without its strings standing as statements (docstrings: handgrad's copied ones say
    "reference") nor comments: what runs."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                             and isinstance(s.value.value, str))]
            node.body = kept or [ast.Pass()]
    return ast.unparse(tree)


def dropped(path) -> list[str]:
    from reference.compare.submissions.notebook import dropped_self_checks

    return [str(c) for c in dropped_self_checks(path)]


@pytest.mark.parametrize("run_all_cells", [False, True])
def test_the_self_checks_are_dropped_in_both_modes(tmp_path, run_all_cells):
    path = notebook(tmp_path / "hw.ipynb", *CHECKING)
    source, line_map = notebook_source(path, run_all_cells=run_all_cells)
    assert not any(re.search(rf"\b{w}\b", code(source)) for w in ("reference", "result", "pip"))
    assert "def backprop(" in source and len(source.splitlines()) == len(line_map)
    assert dropped(path) == DROPPED


@pytest.mark.parametrize("cell, what", [
    ("import reference as r\nr.check(globals())", ["import reference as r", "r.check"]),
    ("from reference import check\ncheck(globals(), questions=['A'])", ["from reference import check",
                                                                        "check"]),
    ("from reference import check as c\nreport = c(globals()); display(report)",
     ["from reference import check as c", "c", "report"]),
    ("!pip install -q handgrad\nimport reference\nreference.check('hw.ipynb').passed",
     ["!pip install -q handgrad", "import reference", "reference.check"]),
])
def test_each_form_of_a_self_check_is_dropped_with_no_integrity_finding(tmp_path, cell, what):
    path = notebook(tmp_path / "hw.ipynb", standalone_submission(), cell)
    assert findings_in_files(path) == []
    assert not re.search(r"\breference\b", code(notebook_source(path, run_all_cells=True)[0]))
    assert [d.partition("(")[2][:-1] for d in dropped(path)] == what


def test_a_function_that_uses_the_answer_key_keeps_its_import_and_the_finding(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", standalone_submission(), "import reference",
                    "def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):\n"
                    "    return reference.backprop(params, X, y, lambdas, input_gradient=input_gradient)\n",
                    "reference.check(globals())")
    assert findings_in_files(path) == ["hw.ipynb: imports reference (the grader's answer key)"]
    assert dropped(path) == ["cell 4 line 1 (reference.check)"]  # the call only: the function needs the import


@pytest.mark.parametrize("cell, finding", [
    ("from reference.network import backprop as key\n"
     "def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):\n"
     "    return key(params, X, y, lambdas, input_gradient=input_gradient)\n",
     "imports reference (the grader's answer key)"),
    ("import handgrad\n"
     "def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):\n"
     "    return handgrad.backprop(params, X, y, lambdas, input_gradient=input_gradient)\n",
     "uses handgrad.backprop (handgrad's own answer)"),
    ("import jax\n", "imports jax (an autodiff library)"),
])
def test_the_answer_key_in_the_graded_code_is_a_finding_beside_a_self_check(tmp_path, cell, finding):
    path = notebook(tmp_path / "hw.ipynb", standalone_submission(), cell,
                    "import reference\nreference.check(globals())")
    assert findings_in_files(path) == [f"hw.ipynb: {finding}"]
    assert dropped(path) == ["cell 3 line 1 (import reference)", "cell 3 line 2 (reference.check)"]


def test_a_name_the_notebook_binds_again_is_not_the_checks_result(tmp_path):
    path = notebook(tmp_path / "hw.ipynb", standalone_submission(),
                    "import reference\nresult = reference.check(globals())",
                    "result = risk(Params(np.ones((1, 1)), np.zeros(1), np.ones((2, 1)), np.zeros(2)), "
                    "np.ones((1, 1)), np.array([0]))\nprint(result)")
    source = notebook_source(path, run_all_cells=True)[0]
    assert "print(result)" in source and not re.search(r"\breference\b", code(source))
    assert dropped(path) == ["cell 2 line 1 (import reference)", "cell 2 line 2 (reference.check)"]


def _graded(tmp_path, *options):
    """handgrad-compare on the self-checking notebook: (the process, its text report on stdout; the JSON
    report; the HTML report)."""
    path = notebook(tmp_path / "hw.ipynb", *CHECKING)
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    done = compare("--impl", path, "--examples", "3", "--sweep", "0", "--property", "A5", "--property", "B8",
                   "--format", "json", "--output", str(out), "--format", "html", "--output", str(page),
                   "--format", "text", *options)
    return done, strict_json(out.read_text()) if out.exists() else None, page.read_text() if page.exists() else ""


@pytest.mark.parametrize("options", [(), ("--run-all-cells",)])
def test_a_self_checking_notebook_is_graded_with_no_finding_and_the_report_names_what_was_dropped(tmp_path, options):
    done, report, page = _graded(tmp_path, *options)
    assert done.returncode == 0, done.stderr
    assert report["integrity"] == {"status": "pass", "findings": [], "allowed": [], "self_checks_dropped": DROPPED}
    assert {p["id"]: p["status"] for p in report["properties"]} == {"A5": "pass", "B8": "pass"}
    assert f"self-checks dropped: {', '.join(DROPPED)}" in done.stdout.splitlines()
    assert "self-checks dropped: cell 2 line 1 (%pip install handgrad)," in page


def test_the_example_notebook_checks_itself_and_is_graded_with_no_finding():
    done = compare("--impl", str(ROOT / "docs" / "example.ipynb"), "--examples", "3", "--sweep", "0",
                   "--property", "A7", "--property", "B7", "--format", "json")
    report = strict_json(done.stdout)
    assert done.returncode == 1 and {p["id"]: p["status"] for p in report["properties"]} == {
        "A7-rect": "pass", "A7": "fail", "B7": "pass"}
    assert report["integrity"]["status"] == "pass" and report["integrity"]["findings"] == []
    assert report["integrity"]["self_checks_dropped"][:2] == ["cell 8 line 1 (import reference)",
                                                              "cell 8 line 3 (reference.check)"]
