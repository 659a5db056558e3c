"""The report's messages say what happened, and its columns and figures describe the example its message does."""

import json
import math
import re
from types import SimpleNamespace

import hypothesis.strategies as st
import pytest

from reference.compare.exercise.catalog import Context, Property, Rejected, by_id
from reference.compare.exercise.catalog.check import entry_error
from reference.compare.reports.causes import number_text, ratio_text
from reference.compare.reports.formats import Report, render
from reference.compare.running.runner import PropertyResult, run_property
from reference.compare.sandbox import InProcessImpl, Refused
from reference.compare.submissions.adapter import Adapter
from support import implementation


def _report(results) -> Report:
    return Report("hw.py", "seed", 0, 10, 0, results, 1.0)


# -- a failure's figures: those of its message's example, not the largest error of every example tried -----------
@pytest.fixture(scope="module")
def missing_mean():
    """A missing 1/n in ∂R/∂W1 at B16 (its root: B15 inherits it): Hypothesis tries large problems before it
    shrinks to the message's."""
    with InProcessImpl(str(implementation("bug_sum_not_mean"))) as impl:
        return run_property(by_id("B16"), Context(impl), max_examples=40, seed=0)


def test_a_failures_figures_are_at_the_entry_its_message_names(missing_mean):
    # was: ABS ERR 3.9 and max_abs_error 2.1e5 on a row whose message says |difference| 0.247 (the worst of the
    # larger problems tried before shrinking)
    r, d = missing_mean, missing_mean.details
    assert r.status == "fail" and "summed over the batch" in r.message
    diff, ratio = entry_error(d["got"], d["want"], d["allowed"])
    assert (r.abs_error_at_worst, r.worst_ratio) == (diff, ratio)
    assert f"|difference| {diff:.3g} > allowed" in r.message
    # max_abs_error: over the comparisons of that one small example (entries of order 1, as the counterexample's
    # values are), so at least the message's entry and nowhere near the 1e5 of the large problems tried first
    assert diff <= r.max_abs_error <= 1.0


def test_the_text_html_and_json_reports_show_the_messages_figures(missing_mean):
    r = missing_mean
    report = _report([r])
    row = next(line for line in render(report, "text").splitlines() if line.startswith("B16 "))
    assert row.split()[5:7] == [number_text(r.worst_ratio), number_text(r.abs_error_at_worst)]
    html = render(report, "html")
    cells = re.search(r"<code>B16</code>.*?</tr>", html).group(0)
    assert f'<td class="hg-n">{number_text(r.abs_error_at_worst)}</td>' in cells
    data = json.loads(render(report, "json"))["properties"][0]
    assert data["abs_error_at_worst"] == r.abs_error_at_worst <= data["max_abs_error"] <= 1.0


def test_a_failure_naming_no_entry_and_an_error_show_no_error_figures():
    # was: a shape failure or an error showed the ratio of other examples (0 or ≤ 1, as if it passed there)
    shape = PropertyResult("B1", "B1", "t", status="fail", message="forward(...).ha has shape (2,); expected (2, 3)",
                           details={"array": "forward(...).ha"})
    shape.take_failure(SimpleNamespace(max_abs_error=0.0, max_rel_error=0.0, worst_ratio=0.5, abs_error_at_worst=1e-17))
    assert math.isnan(shape.worst_ratio) and ratio_text(shape) == "-"
    error = PropertyResult("B2", "B2", "t", status="error", message="forward raised ValueError: no (at hw.py:3)",
                           worst_ratio=0.25, abs_error_at_worst=1e-17)
    assert ratio_text(error) == "-"
    text = render(_report([shape, error]), "text")
    for pid in ("B1", "B2"):
        row = next(line for line in text.splitlines() if line.startswith(pid + " "))
        assert row.split()[5:7] == ["-", "-"]


# -- the last line counts what makes the exit status ------------------------------------------------------------
def test_the_summary_line_counts_every_status_and_a_failing_integrity():
    # was: "1 passed, 0 failed, 0 errors" with 45 properties missing and exit status 1
    results = [PropertyResult("B7", "B7", "t")] + [PropertyResult(f"M{i}", "M", "t", status="missing")
                                                    for i in range(45)]
    results += [PropertyResult("I", "I", "t", status="inherited"),
                PropertyResult("N", "N", "t", status="not-applicable")]
    report = _report(results)
    assert not report.ok
    assert report.tally() == "1 passed, 0 failed, 0 errors, 1 inherited, 1 not-applicable, 45 missing"
    assert render(report, "text").rstrip().splitlines()[-1].startswith(report.tally() + " in ")
    report.integrity = {"status": "fail", "findings": ["imports jax"]}
    assert _report([PropertyResult("B7", "B7", "t")]).tally() == "1 passed, 0 failed, 0 errors"
    assert report.tally().endswith("45 missing; integrity fails")


# -- a function absent through an adapter is the adapter's --------------------------------------------------------
def _absent(declared):
    impl = SimpleNamespace(missing=frozenset({"forward", "rect"}), declared=declared)
    return run_property(by_id("B1"), Context(impl)).message, run_property(by_id("A7-rect"), Context(impl)).message


def test_a_function_its_adapter_does_not_map_is_said_so():
    # was: "not checked: the submission has no forward" for a class with fprop that the adapter did not map
    toml = Adapter.from_mapping({"loss": {"call": "f", "args": ["X", "y"]}}, source="/tmp/hw/noforward.toml")
    assert _absent(toml)[0] == ("not checked: its adapter (noforward.toml) maps no forward (the submission is "
                                "called only through it)")
    assert by_id("A7-rect").calls == ("rect",)
    assert _absent(toml)[1] == "not checked: the submission has no rect, and its adapter (noforward.toml) maps none"
    python = Adapter(lambdas="four", calls={}, source="/tmp/hw/ad.py")
    assert _absent(python)[0] == "not checked: its adapter (ad.py) defines no forward"
    assert _absent(None) == ("not checked: the submission has no forward", "not checked: the submission has no rect")


# -- not applicable: the message counts the examples the EXAMPLES column counts -----------------------------------
def test_a_not_applicable_message_counts_the_examples_column():
    # was: "(180 tried)", the refused alone, next to 459 in EXAMPLES (the rejected too)
    def check(ctx, k):
        if k % 3 == 0:
            raise Rejected
        raise Refused("risk: not sent: tied λ that differ")
    prop = Property("T1", "T", "t", strategy=lambda: st.integers(0, 10 ** 6), check=check)
    r = run_property(prop, Context(SimpleNamespace(missing=frozenset(), declared=None)), max_examples=10, seed=0)
    assert r.status == "not-applicable"
    refused, examples = map(int, re.search(r"\((\d+) of the (\d+) tried", r.message).groups())
    assert examples == r.examples and 0 < refused < examples
    assert f"the {examples - refused} others are outside what this property judges" in r.message
