"""PrairieLearn's external-grading results (``--format prairielearn``): what its grader writes to
``/grade/results/results.json``.

The format is PrairieLearn's "Grading results" (docs/externalGrading.md in PrairieLearn/PrairieLearn,
https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results): ``score`` a fraction in
[0, 1]; ``gradable`` false for a submission that could not be graded (no attempt is counted), with its reasons
in ``format_errors``; ``message`` and ``output`` for the whole; ``tests``, each with ``name``, ``description``,
``points``, ``max_points``, ``message`` and ``output``, shown by the ``pl-external-grader-results`` element.

The tests are the Gradescope format's (:func:`reference.compare.reports.formats.to_gradescope`): one per question, its
points from ``--weights``; the score is their sum over the total. PrairieLearn has no hidden tests: a
question whose visibility is not ``visible`` keeps its points but not its output.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_prairielearn"]


def to_prairielearn(report: Any, gs: dict) -> dict:
    """The :class:`~reference.compare.reports.formats.Report` as PrairieLearn's results.json, from ``gs``, its
    Gradescope results (:func:`~reference.compare.reports.formats.to_gradescope`: the points of ``--weights``)."""
    from reference.compare.sandbox.interface import escape

    tests = []
    for t in gs["tests"]:
        shown = t.get("visibility", "visible") == "visible"
        tests.append({"name": t["name"], "description": f"question {t['number']}",
                      "points": t["score"], "max_points": t["max_score"],
                      "message": t["status"] if shown else "hidden until the results are released",
                      "output": t["output"] if shown else ""})
    top = sum(t["max_points"] for t in tests)
    score = round(gs["score"] / top, 6) if top > 0 else 0.0
    out: dict[str, Any] = {"gradable": not report.error, "score": min(1.0, max(0.0, score)),
                           "max_points": top, "points": gs["score"], "tests": tests}
    if report.error:  # PrairieLearn: "the input was invalid or formatted incorrectly"; the attempt is not counted
        out["format_errors"] = [f"The submission could not be checked: {escape(report.error, 4000)}"]
    out["message"] = (gs.get("output") or f"properties: {report.tally()}: "
                      f"{gs['score']:g} of {top:g} points")
    out["output"] = gs.get("output", "")
    return out
