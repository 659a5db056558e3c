"""The report of a catalog run, in five formats: text, markdown, json, gradescope, html.

The JSON form is :func:`to_json` (schema: :data:`JSON_SCHEMA`, also in the README);
the others are views of it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from reference.compare.catalog import QUESTIONS
from reference.compare.runner import STATUSES, PropertyResult, finite_json
from reference.compare.sandbox.interface import escape

__all__ = ["Report", "FORMATS", "JSON_SCHEMA", "render", "to_json", "to_gradescope", "load_error_report"]

FORMATS = ("text", "markdown", "json", "gradescope", "html")

#: A number, or one of the strings "nan", "inf", "-inf" (strict JSON has no non-finite numbers).
_NUM = {"anyOf": [{"type": "number"}, {"enum": ["nan", "inf", "-inf"]}, {"type": "null"}]}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "handgrad-compare report",
    "type": "object",
    "required": ["implementation", "convention", "seed", "properties", "summary", "questions"],
    "properties": {
        "implementation": {"type": "string"},
        "convention": {"enum": ["seed", "any-subgradient"]},
        "seed": {"type": "integer"},
        "examples": {"type": ["integer", "null"]},
        "sweep": {"type": "integer"},
        "error": {"type": "string"},
        "isolation": {"enum": ["namespace", "same-user", "in-process"]},
        "integrity": {"type": "object", "required": ["status", "findings"], "properties": {
            "status": {"enum": ["pass", "fail", "warn"]}, "findings": {"type": "array", "items": {"type": "string"}},
            "allowed": {"type": "array", "items": {"type": "string"}}}},
        "internal_error": {"type": "string"},
        "properties": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "question", "title", "status", "examples", "seconds",
                         "max_abs_error", "max_rel_error", "message", "counterexample"],
            "properties": {
                "id": {"type": "string"}, "question": {"type": "string"}, "title": {"type": "string"},
                "status": {"enum": list(STATUSES)},
                "examples": {"type": "integer", "minimum": 0},
                "sweep_examples": {"type": "integer", "minimum": 0},
                "seconds": {"type": "number", "minimum": 0},
                "max_abs_error": _NUM, "max_rel_error": _NUM,
                "message": {"type": "string"},
                "details": {"type": "object", "properties": {
                    "array": {"type": "string"}, "index": {"type": "array", "items": {"type": "integer"}},
                    "got": _NUM, "want": _NUM, "allowed": _NUM, "upstream": {"type": "string"}}},
                "counterexample": {"type": ["object", "null"]},
                "replay": {"type": "string"},
            }}},
        "summary": {"type": "object", "required": ["passed", "failed", "errors", "seconds"],
                    "properties": {"passed": {"type": "integer"}, "failed": {"type": "integer"},
                                   "errors": {"type": "integer"}, "not_run": {"type": "integer"},
                                   "internal": {"type": "integer"}, "seconds": {"type": "number"},
                                   "sweep": {"type": "object"}}},
        "questions": {"type": "object", "additionalProperties": {"enum": list(STATUSES)}},
    },
}


@dataclass
class Report:
    implementation: str
    convention: str
    seed: int
    examples: int | None
    sweep: int
    results: list[PropertyResult]
    seconds: float
    sweep_figures: dict = field(default_factory=dict)
    error: str = ""
    #: How the implementation was contained: namespace, same-user, or in-process (trusted code).
    isolation: str = ""
    #: {"status": pass/fail/warn, "findings": [...], "allowed": [...]}: the answer key or autodiff in use.
    integrity: dict = field(default_factory=dict)
    #: The grader's own failure, if one stopped the run (exit status 3): what was done is still reported.
    internal_error: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def questions(self) -> dict[str, str]:
        """One verdict per question: the worst status of its properties."""
        out: dict[str, str] = {}
        for q in QUESTIONS + tuple(sorted({r.question for r in self.results} - set(QUESTIONS))):
            statuses = [r.status for r in self.results if r.question == q]
            if statuses:
                out[q] = max(statuses, key=STATUSES.index)
        return out

    @property
    def integrity_failed(self) -> bool:
        return self.integrity.get("status") == "fail"

    @property
    def ok(self) -> bool:
        return (not self.error and not self.internal_error and not self.integrity_failed
                and all(r.status == "pass" for r in self.results))


def to_json(report: Report) -> dict:
    c = report.counts
    out = {
        "implementation": report.implementation, "convention": report.convention, "seed": report.seed,
        "examples": report.examples, "sweep": report.sweep,
        "properties": [r.to_dict() for r in report.results],
        "summary": {"passed": c["pass"], "failed": c["fail"], "errors": c["error"], "not_run": c["not-run"],
                    "internal": c["internal"], "seconds": round(report.seconds, 3), "sweep": report.sweep_figures},
        "questions": report.questions(),
    }
    for key in ("error", "isolation", "integrity", "internal_error"):
        if getattr(report, key):
            out[key] = getattr(report, key)
    return finite_json(out)


def _g(x: float) -> str:
    return "-" if x is None else ("inf" if isinstance(x, float) and math.isinf(x) else f"{x:.2g}")


def _counterexample_lines(ce: dict | None, indent: str = "    ") -> list[str]:
    if not ce:
        return []
    ce = finite_json(ce)
    if ce.get("kind") == "network":
        lines = [f"{indent}shapes: n={ce['n']} d={ce['d']} dh={ce['dh']} m={ce['m']}; "
                 f"λ: " + ", ".join(f"{k}={v:g}" for k, v in ce["lambdas"].items())
                 + (f"; learning_rate={ce['learning_rate']:g}, steps={ce['steps']}" if "steps" in ce else "")]
        for k in ("X", "y", "W1", "b1", "W2", "b2"):
            lines.append(f"{indent}{k} = {json.dumps(ce[k])}")
        if ce.get("origin"):
            lines.append(f"{indent}rebuild: {ce['origin']}")
        return lines
    if ce.get("kind") == "elementwise":
        return [f"{indent}x = {json.dumps(ce['x'])}"]
    return [f"{indent}{json.dumps(ce)[:2000]}"]


def _summary_line(report: Report) -> str:
    c = report.counts
    text = f"{c['pass']} passed, {c['fail']} failed, {c['error']} errors"
    text += "".join(f", {c[k]} {k}" for k in ("not-run", "internal") if c[k])
    text += f" in {report.seconds:.1f} s"
    f = report.sweep_figures
    if f.get("problems"):
        text += f" (bulk sweep: {f['problems']} problems at {f['problems_per_second']:.0f}/s)"
    return text


def _header_notes(report: Report) -> list[str]:
    """The lines every format shows first: isolation, integrity, the grader's own failure."""
    notes = []
    if report.isolation:
        notes.append(f"isolation: {report.isolation}" + {
            "same-user": " (the submission ran as the grader's user: see README, Running untrusted code)",
            "in-process": " (trusted code, run in the grader's process)"}.get(report.isolation, ""))
    if report.integrity.get("findings"):
        verdict = {"fail": "FAIL", "warn": "warning"}.get(report.integrity["status"], report.integrity["status"])
        notes += [f"integrity {verdict}: {f}" for f in report.integrity["findings"]]
    if report.internal_error:
        notes.append(f"internal error of the grader (not the submission's fault): {report.internal_error}")
    return [_one_line(n) for n in notes]


def _one_line(text: str) -> str:
    return escape(text, 4000)


def to_text(report: Report) -> str:
    head = (f"handgrad-compare: {report.implementation} (convention {report.convention}, seed {report.seed}, "
            f"{report.examples if report.examples is not None else 'profile'} examples per property, "
            f"sweep {report.sweep})")
    head = "\n".join([head, *_header_notes(report)])
    if report.error:
        return head + "\n" + _one_line(report.error) + "\n"
    rows = [("ID", "Q", "STATUS", "EXAMPLES", "SECONDS", "MAX ABS ERR", "MAX REL ERR", "TITLE")]
    for r in report.results:
        rows.append((r.id, r.question, r.status, str(r.examples + r.sweep_examples), f"{r.seconds:.2f}",
                     _g(r.max_abs_error), _g(r.max_rel_error), r.title))
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    lines = [head, ""]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:7], widths)) + "  " + row[7])
    bad = [r for r in report.results if r.status != "pass"]
    if bad:
        lines += ["", "FAILURES AND ERRORS"]
        for r in bad:
            lines += ["", f"{r.id} ({r.question}: {r.title}) {r.status.upper()}", f"  {_one_line(r.message)}"]
            if r.counterexample:
                lines.append("  smallest counterexample:")
                lines += _counterexample_lines(r.counterexample)
            if r.replay:
                lines.append(f"  replay: {r.replay}")
    q = report.questions()
    failing = [k for k, v in q.items() if v != "pass"]
    lines += ["", "questions: " + (", ".join(f"{k} {q[k]}" for k in failing) if failing
                                    else f"all {len(q)} pass"), _summary_line(report)]
    return "\n".join(lines) + "\n"


def _md_escape(s: str) -> str:
    return _one_line(s).replace("|", "\\|").replace("`", "\\`")


def to_markdown(report: Report) -> str:
    lines = [f"## handgrad-compare: `{_md_escape(report.implementation)}`", "",
             f"Convention `{report.convention}`, seed {report.seed}. {_summary_line(report)}.", "",
             *[f"- {_md_escape(n)}" for n in _header_notes(report)], ""]
    if report.error:
        return "\n".join(lines + [f"**Could not check:** {_md_escape(report.error)}", ""])
    lines += ["| Question | Property | Status | Examples | Seconds | Max abs err | Max rel err | Claim |",
              "|---|---|---|---:|---:|---:|---:|---|"]
    icon = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error", "not-run": "⏱ not run",
            "internal": "🛠 internal"}
    for r in report.results:
        lines.append(f"| {r.question} | `{r.id}` | {icon[r.status]} | {r.examples + r.sweep_examples} | "
                     f"{r.seconds:.2f} | {_g(r.max_abs_error)} | {_g(r.max_rel_error)} | {_md_escape(r.title)} |")
    for r in (r for r in report.results if r.status != "pass"):
        lines += ["", f"### {r.id} — {r.status}", "", _md_escape(r.message), ""]
        if r.counterexample:
            lines += ["<details><summary>smallest counterexample</summary>", "", "```",
                      *[s.strip() for s in _counterexample_lines(r.counterexample, "")], "```", "", "</details>"]
        if r.replay:
            lines += ["", f"Replay: `{r.replay}`"]
    return "\n".join(lines) + "\n"


def to_gradescope(report: Report) -> dict:
    """Gradescope's results.json: one test per property, ``number`` = the question."""
    tests = []
    for r in report.results:
        output = f"{r.status}: {r.title}."
        if r.status != "pass":
            output += "\n" + _one_line(r.message)
            if r.counterexample:
                output += "\nsmallest counterexample:\n" + "\n".join(_counterexample_lines(r.counterexample, "  "))
            if r.replay:
                output += f"\nreplay: {r.replay}"
        tests.append({"name": f"{r.id}: {r.title}", "number": r.question,
                      "score": 1.0 if r.status == "pass" else 0.0, "max_score": 1.0,
                      "status": "passed" if r.status == "pass" else "failed",
                      "output": output, "visibility": "visible"})
    score = 0.0 if report.integrity_failed else float(sum(t["score"] for t in tests))
    out: dict[str, Any] = {"score": score, "execution_time": round(report.seconds, 3), "tests": tests}
    notes = _header_notes(report)
    if report.integrity_failed:
        notes.append("The score is 0: the submission's integrity check failed (see above).")
    if report.error:
        notes.append(f"The submission could not be checked: {_one_line(report.error)}")
    if notes:
        out["output"] = "\n".join(notes)
    return finite_json(out)


def render(report: Report, fmt: str) -> str:
    if fmt == "text":
        return to_text(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, allow_nan=False) + "\n"
    if fmt == "gradescope":
        return json.dumps(to_gradescope(report), indent=2, allow_nan=False) + "\n"
    if fmt == "html":
        from reference.compare.html_report import to_html

        return to_html(report)
    raise ValueError(f"format must be one of {FORMATS}; got {fmt!r}")


def load_error_report(implementation: str, convention: str, seed: int, reason: str, seconds: float) -> Report:
    """The report of an implementation that could not be loaded (exit status 2)."""
    return Report(implementation, convention, seed, None, 0, [], seconds, error=reason)
