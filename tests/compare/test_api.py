"""reference.check: files, notebooks, namespaces by value, in-process, adapters; the caller's process left alone."""

import json
import subprocess
import sys

import numpy as np
import pytest

import reference
from support import IMPLEMENTATIONS, ROOT

STUDENT = ROOT / "docs" / "student.py"


def student_sign(x):
    """sign(0) = 1: A5's classic mistake, and a print the report shows under A5."""
    x = np.asarray(x, dtype=np.float64)
    print("sign saw", _zeros(x), "zeros")
    return np.where(x >= 0, 1.0, -1.0)


def _zeros(x):
    return int((x == 0).sum())


def test_import_reference_then_check_loads_neither_hypothesis_nor_the_comparator():
    code = ("import sys, reference; f = reference.check; "
            "print('hypothesis' in sys.modules, 'reference.compare.running.runner' in sys.modules, "
            "'check' in dir(reference))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False", "True"]
    assert "check" not in reference.__all__  # the twin's API is handgrad's


def test_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = reference.check(str(STUDENT), questions=["A7", "B13", "A5"], seed=0, progress=False)
    assert result.questions == {"A5": "pass", "A7": "fail", "B13": "fail"} and not result.passed
    assert [r.id for r in result.failures] == ["A7", "B13"] and result.status == 1
    assert result.failures[0].replay == f"reference.check({str(STUDENT)!r}, questions=['A7'], seed=0, profile='dev')"
    data = result.to_json()
    assert data["implementation"] == str(STUDENT) and data["isolation"] in ("namespace", "same-user")
    json.dumps(data, allow_nan=False)
    assert result.to_markdown().startswith("## handgrad-compare") == result._repr_markdown_().startswith("## ")
    assert result._repr_html_().count('class="hg-heatmap"') == 2 and "A7 fail" in repr(result)
    assert result.save(tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no .hypothesis/ in the working folder


def test_a_namespace_is_sent_by_value_and_what_it_lacks_is_not_implemented():
    space = {"sign": student_sign, "unrelated": object()}
    result = reference.check(space, questions=["A5", "A7"], seed=1, progress=False)
    assert result.questions == {"A5": "fail", "A7": "not-implemented"}
    a5 = result.failures[0]
    assert "its output: sign saw" in a5.message and a5.counterexample["x"][:2] == [0.0, -0.0]
    a7 = next(r for r in result.report.results if r.id == "A7")
    assert "rect is not defined" in a7.message
    assert result.report.implementation == "a namespace of functions" and a5.replay.startswith("reference.check(impl")


def test_a_notebook_by_path_in_the_sandbox_and_in_process():
    notebook = ROOT / "docs" / "example.ipynb"
    for isolate in (True, False):
        result = reference.check(notebook, questions=["A7", "B7"], seed=0, isolate=isolate, progress=False)
        assert result.questions == {"A7": "fail", "B7": "pass"} and result.report.implementation == str(notebook)
        # the notebook imports reference to check itself: its self-checks are dropped, and named
        assert result.report.integrity["findings"] == [] and result.report.integrity["status"] == "pass"
        assert result.report.integrity["self_checks_dropped"][:2] == ["cell 8 line 1 (import reference)",
                                                                      "cell 8 line 3 (reference.check)"]


def test_in_process_on_a_module():
    import handgrad

    result = reference.check(handgrad, questions="B1", isolate=False, seed=0, progress=False)
    assert result.passed and result.report.isolation == "in-process" and result.questions == {"B1": "pass"}


@pytest.mark.parametrize("isolate", [True, False])
def test_an_adapter_by_template_name(isolate):
    # this template ties λ: B13's λ are drawn tied, as the grader knows (was: drawn as four, the adapter's refusal
    # in the worker reported as the submission's error; in process, no question run at all)
    path = IMPLEMENTATIONS / "adapted" / "mlp_class_rect_ge.py"
    result = reference.check(path, adapter="mlp_class", questions=["B8", "B13", "B14"], seed=0, progress=False,
                             isolate=isolate)
    # rect'(0) = 1 is B13's mistake; B14's batches are what the code answers on their halves: it inherits it
    assert result.questions == {"B8": "pass", "B13": "fail", "B14": "inherited"}, [r.message for r in result.failures]


def test_the_callers_jax_and_hypothesis_configuration_are_left_alone(tmp_path, monkeypatch):
    import hypothesis.configuration
    import jax

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    names = ("jax_enable_x64", "jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
    before = {n: getattr(jax.config, n) for n in names}
    home = vars(hypothesis.configuration).get("__hypothesis_home_directory")
    result = reference.check(str(STUDENT), questions=["B4"], seed=0, progress=False)
    assert result.passed
    assert {n: getattr(jax.config, n) for n in names} == before
    assert vars(hypothesis.configuration).get("__hypothesis_home_directory") == home
    assert set(tmp_path.iterdir()) <= {tmp_path / "cache"}  # Hypothesis's files, if any, in the cache folder


@pytest.mark.parametrize("kwargs, error, words", [
    ({"impl": 3}, TypeError, "impl must be a module"),
    ({"impl": "no/such/file.py"}, ValueError, "impl: no such file"),
    ({"impl": {"x": 1}}, ValueError, "impl: none of the API's functions"),
    ({"questions": ["A5", "Z9"]}, ValueError, "questions: 'Z9' matches no"),
    ({"questions": []}, ValueError, "questions: empty"),
    ({"convention": "kinks"}, ValueError, "convention must be"),
    ({"profile": "fast"}, ValueError, "profile must be"),
    ({"seed": -1}, ValueError, "seed must be"),
    ({"seed": True}, ValueError, "seed must be"),
    ({"isolate": "yes"}, TypeError, "isolate must be bool"),
    ({"adapter": "no_such_template"}, ValueError, "adapter: no such file or template"),
])
def test_bad_arguments_name_themselves(kwargs, error, words):
    kwargs = {"impl": {"sign": student_sign}, **kwargs}
    with pytest.raises(error, match=words.replace("(", r"\(")):
        reference.check(kwargs.pop("impl"), progress=False, **kwargs)
