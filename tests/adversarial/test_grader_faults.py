"""Whose fault: the grader's own errors are internal errors (exit 3, report written), never the submission's."""

import json

import pytest

from reference.compare import cli
from reference.compare.exercise.catalog import CATALOG, Context, by_id
from reference.compare.exercise.catalog.check import Property
from reference.compare.running import runner
from reference.compare.running.runner import run_catalog, run_property
from reference.compare.sandbox import InProcessImpl
from support import compare


def test_a_bug_in_a_check_is_internal_not_the_submissions():
    def broken(ctx, x):
        raise ZeroDivisionError("a bug of the grader's")
    prop = Property(id="A5", question="A5", title="t", strategy=by_id("A5").strategy, check=broken)
    with InProcessImpl("handgrad") as impl:
        result = run_property(prop, Context(impl), max_examples=2, seed=0)
    assert result.status == "internal" and "ZeroDivisionError" in result.message


def test_an_internal_error_exits_3_and_still_writes_the_report(tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("the grader broke")
    monkeypatch.setattr("reference.compare.cache_folders.enable_jax_cache", lambda: None)
    monkeypatch.setattr(runner, "run_property", explode)
    out = tmp_path / "report.json"
    status = cli.main(["--property", "A5", "--examples", "2", "--sweep", "0", "--no-cache", "--format", "json",
                       "--output", str(out)])
    data = json.loads(out.read_text())
    assert status == 3
    assert "the grader broke" in data["internal_error"] and data["properties"][0]["status"] == "not-run"


@pytest.mark.parametrize("convention", ["seed", "any-subgradient"])
def test_the_whole_catalog_passes_on_handgrad_under_both_conventions(convention):
    with InProcessImpl("handgrad") as impl:
        results, figures = run_catalog(Context(impl, convention=convention), CATALOG, max_examples=5, sweep=200,
                                       seed=0, shrink=False)
    bad = [(r.id, r.status, r.message) for r in results if r.status != "pass"]
    assert not bad and figures["problems"] >= 200


@pytest.mark.parametrize("args, words", [
    (["--seed", "-5"], "--seed must be >= 0"),
    (["--timeout", "inf"], "--timeout must be a finite"),
    (["--total-timeout", "nan"], "--total-timeout must be a finite"),
    (["--output", "/no/such/folder/report.json"], "does not exist"),
    (["--output", "/tmp"], "is a folder"),
    (["--memory-limit", "lots"], "not a size"),
])
def test_bad_options_exit_2_before_any_work(args, words):
    done = compare(*args, timeout=60)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("name, text", [
    ("deep.py", "Z = " + "-" * 200_000 + "1\n"),  # too deep for Python's parser (the grader's, the worker's)
    ("bad.ipynb", '{"cells": [{"cell_type": "code", "source": 123, "metadata": {}, "outputs": []}], "metadata": {}, '
                  '"nbformat": 4, "nbformat_minor": 5}'),
])
def test_a_file_the_grader_cannot_read_still_gets_its_report(tmp_path, name, text):
    from support import compare, strict_json

    (tmp_path / name).write_text(text)
    out = tmp_path / "report.json"
    done = compare("--impl", str(tmp_path / name), "--property", "A5", "--format", "json", "--output", str(out))
    assert done.returncode == 2, done.stderr
    report = strict_json(out.read_text())
    assert report["error"] and "internal_error" not in report and "/reference/" not in report["error"], report
