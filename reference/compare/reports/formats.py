"""The report of a catalog run, in six formats: text, markdown, json, gradescope, prairielearn, html.

The JSON form is :func:`to_json` (schema: :data:`JSON_SCHEMA`, also in the README);
the others are views of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from reference.compare.exercise import EXERCISE
from reference.compare.reports.causes import number_text, ratio_text, root_causes
from reference.compare.reports.counterexample import counterexample_lines
from reference.compare.reports.scoring import Weights, question_scores
from reference.compare.running.runner import STATUSES, PropertyResult, finite_json
from reference.compare.sandbox.interface import escape
from reference.compare.submissions.integrity import dropped_note

__all__ = ["Report", "FORMATS", "JSON_SCHEMA", "render", "to_json", "to_gradescope", "load_error_report",
           "root_causes"]

FORMATS = ("text", "markdown", "json", "gradescope", "prairielearn", "html")

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
        "isolation": {"enum": ["namespace", "unprivileged", "same-user", "in-process"]},
        "protection": {"type": "string"},
        "integrity": {"type": "object", "required": ["status", "findings"], "properties": {
            "status": {"enum": ["pass", "fail", "warn"]}, "findings": {"type": "array", "items": {"type": "string"}},
            "allowed": {"type": "array", "items": {"type": "string"}},
            "self_checks_dropped": {"type": "array", "items": {"type": "string"}}}},
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
                    "got": _NUM, "want": _NUM, "allowed": _NUM, "upstream": {"type": "string"},
                    "array_question": {"type": "string"}, "upstream_question": {"type": "string"},
                    "silent": {"type": "string"}, "silent_question": {"type": "string"}}},
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
    #: How the implementation was contained: namespace, unprivileged, same-user, or in-process (trusted code).
    isolation: str = ""
    #: What the isolation kept from the submission, in words (the file system it saw, its user, its limits).
    protection: str = ""
    #: {"status": pass/fail/warn, "findings": [...], "allowed": [...]}: the answer key or autodiff in use; with
    #: "self_checks_dropped": [...] for a notebook that checks itself.
    integrity: dict = field(default_factory=dict)
    #: The grader's own failure, if one stopped the run (exit status 3): what was done is still reported.
    internal_error: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def tally(self) -> str:
        """What the run found, in words: passed, failed and errors always, then every other status that some
        property has (inherited, not checked, not run, internal), and a failing integrity check, so that a run
        that exits 1 never reads as all passed."""
        c = self.counts
        text = f"{c['pass']} passed, {c['fail']} failed, {c['error']} errors"
        text += "".join(f", {c[k]} {k}" for k in STATUSES if k not in ("pass", "fail", "error") and c[k])
        return text + ("; integrity fails" if self.integrity_failed else "")

    def questions(self) -> dict[str, str]:
        """One verdict per question: the worst status of its properties."""
        out: dict[str, str] = {}
        questions = EXERCISE.catalog().QUESTIONS
        for q in questions + tuple(sorted({r.question for r in self.results} - set(questions))):
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
    for key in ("error", "isolation", "protection", "integrity", "internal_error"):
        if getattr(report, key):
            out[key] = getattr(report, key)
    return finite_json(out)


def _g(x: float) -> str:
    return number_text(x)


def _summary_line(report: Report) -> str:
    text = report.tally() + f" in {report.seconds:.1f} s"
    f = report.sweep_figures
    if f.get("problems"):
        text += f" (bulk sweep: {f['problems']} problems at {f['problems_per_second']:.0f}/s)"
    return text


def _header_notes(report: Report) -> list[str]:
    """The lines every format shows first: isolation, integrity (and a notebook's self-checks dropped), the
    grader's own failure."""
    notes = []
    if report.isolation:
        notes.append(f"isolation: {report.isolation}" + {
            "same-user": " (the submission ran as the grader's user: see README, Running untrusted code)",
            "unprivileged": " (no namespaces: see README, Running untrusted code)",
            "in-process": " (trusted code, run in the grader's process)"}.get(report.isolation, "")
            + (f"; {report.protection}" if report.protection else ""))
    if report.integrity.get("findings"):
        verdict = {"fail": "FAIL", "warn": "warning"}.get(report.integrity["status"], report.integrity["status"])
        notes += [f"integrity {verdict}: {f}" for f in report.integrity["findings"]]
    notes += dropped_note(report.integrity)
    if report.internal_error:
        notes.append(f"internal error of the grader (not the submission's fault): {report.internal_error}")
    return [_one_line(n) for n in notes]


def _one_line(text: str) -> str:
    return escape(text, 4000)


def _cause_lines(report: Report) -> list[str]:
    lines = []
    for q, props, heirs, _ in root_causes(report):
        lines += ["", f"{q}: {props[0].title}" + (f" (inherited by {', '.join(heirs)})" if heirs else "")]
        for r in props:
            lines.append(f"  {r.id} {r.status.upper()}: {_one_line(r.message)}")
        shown = next((r for r in props if r.counterexample), None)
        if shown:
            lines += ["  counterexample:", *counterexample_lines(shown.counterexample)]
            if shown.replay:
                lines.append(f"  replay: {_one_line(shown.replay)}")
    return lines


def to_text(report: Report) -> str:
    head = (f"handgrad-compare: {_one_line(report.implementation)} (convention {report.convention}, "
            f"seed {report.seed}, "
            f"{report.examples if report.examples is not None else 'profile'} examples per property, "
            f"sweep {report.sweep})")
    head = "\n".join([head, *_header_notes(report)])
    if report.error:
        return head + "\n" + _one_line(report.error) + "\n"
    lines = [head]
    causes = _cause_lines(report)
    if causes:
        lines += ["", "ROOT CAUSES (each mistake once, in the chain's order)", *causes]
    rows = [("ID", "Q", "STATUS", "EXAMPLES", "SECONDS", "ERR/ALLOWED", "ABS ERR", "TITLE")]
    for r in report.results:
        rows.append((r.id, r.question, r.status, str(r.examples + r.sweep_examples), f"{r.seconds:.2f}",
                     ratio_text(r), _g(r.abs_error_at_worst) if ratio_text(r) != "-" else "-", r.title))
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    lines.append("")
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:7], widths)) + "  " + row[7])
    others = [r for r in report.results if r.status not in ("pass", "fail", "error")]
    if others:
        lines += ["", "NOT COUNTED AGAINST THIS QUESTION (inherited) OR NOT CHECKED"]
        lines += [f"  {r.id} {r.status}: {_one_line(r.message)}" for r in others]
    q = report.questions()
    failing = [k for k, v in q.items() if v != "pass"]
    lines += ["", "questions: " + (", ".join(f"{k} {q[k]}" for k in failing) if failing
                                    else f"all {len(q)} pass"), _summary_line(report)]
    return "\n".join(lines) + "\n"


def _md_escape(s: str) -> str:
    """Text on one line that Markdown shows as it is: no table cell ends, no code, HTML, link or image."""
    s = _one_line(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for c in "\\|`[]*_":
        s = s.replace(c, "\\" + c)
    return no_autolink(s)


#: Where GitHub-flavoured Markdown makes bare text a link (``https://…``, ``www.…``).
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)")


def no_autolink(text: str) -> str:
    """``text`` with a zero-width space where GitHub-flavoured Markdown would start a bare link (before ``://``,
    after ``www``): a submission's message shown in a report or a class summary links nowhere (attack round 13).

    >>> no_autolink("see https://x.example or www.x.example") == "see https\u200b://x.example or www\u200b.x.example"
    True
    """
    return _AUTOLINK.sub("\u200b", text)


def _longest_run(text: str, mark: str = "`") -> int:
    """The length of the longest run of ``mark`` in ``text``."""
    return max((len(run) for run in re.findall(re.escape(mark) + "+", text)), default=0)


def _md_code(text: str) -> str:
    """``text`` on one line as a Markdown code span that nothing in it closes: fenced by more backticks than its
    longest run of them (CommonMark), padded with a space where it begins or ends with a backtick or a space
    (CommonMark takes one off each side). Inside, nothing is HTML, a link or emphasis."""
    text = _one_line(text)
    fence = "`" * (_longest_run(text) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_markdown(report: Report) -> str:
    lines = [f"## handgrad-compare: {_md_escape(report.implementation)}", "",
             f"Convention `{report.convention}`, seed {report.seed}. {_summary_line(report)}.", "",
             *[f"- {_md_escape(n)}" for n in _header_notes(report)], ""]
    if report.error:
        return "\n".join(lines + [f"**Could not check:** {_md_escape(report.error)}", ""])
    lines += ["| Question | Property | Status | Examples | Seconds | Err/allowed | Abs err | Claim |",
              "|---|---|---|---:|---:|---:|---:|---|"]
    icon = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error", "not-run": "⏱ not run",
            "internal": "🛠 internal", "inherited": "↪ inherited"}
    for r in report.results:
        ratio = ratio_text(r)
        lines.append(f"| {r.question} | `{r.id}` | {icon.get(r.status, r.status)} | {r.examples + r.sweep_examples} | "
                     f"{r.seconds:.2f} | {ratio} | {_g(r.abs_error_at_worst) if ratio != '-' else '-'} | "
                     f"{_md_escape(r.title)} |")
    for r in (r for r in report.results if r.status != "pass"):
        lines += ["", f"### {r.id} — {r.status}", "", _md_escape(r.message), ""]
        if r.counterexample:
            shown = [_one_line(s.strip()) for s in counterexample_lines(r.counterexample, "")]
            fence = "`" * max(3, *(_longest_run(s) + 1 for s in shown))
            lines += ["<details><summary>smallest counterexample</summary>", "", fence, *shown, fence, "",
                      "</details>"]
        if r.replay:
            lines += ["", f"Replay: {_md_code(r.replay)}"]
    return "\n".join(lines) + "\n"


def _withheld(weights: Weights, shown: str, question: object) -> bool:
    """Is ``question``'s feedback kept from a test shown as ``shown``? A question not "visible" is shown later, or
    never: what it says waits for its own time, so a test shown otherwise (a visible one: at once) says nothing
    of its verdict, its values or the reference's."""
    level = weights.shown(str(question))
    return bool(question) and level != "visible" and level != shown


def _told(r: PropertyResult, weights: Weights, shown: str) -> tuple[str, str]:
    """(status, message) of a property in a test shown as ``shown``, without what a withheld question
    (:func:`_withheld`) says.

    An inherited failure whose root is withheld reads as the pass it is scored as (by default its credit is the
    same): that it is inherited is the root's verdict. A failure's clause on the quantity before it ("agrees",
    "is already off", with both values) is left out where that quantity's question is withheld, so is the
    clause on an input that carries nothing ("its own ∂L/∂h is all zero", say), and a failure of
    a quantity whose question is withheld says only that a value differs: not which, its values,
    the reference's or its diagnosis.
    """
    d = r.details or {}
    if r.status == "inherited" and _withheld(weights, shown, d.get("root")):
        if weights.credit("inherited") == weights.credit("pass"):
            return "pass", ""
        # a course that scores inherited failures apart shows it in the score: said, but not whose
        return r.status, "inherited from a question whose feedback is not shown yet"
    message = r.message
    if _withheld(weights, shown, d.get("array_question")) and d.get("array_question") != r.question:
        return r.status, ("a value checked here differs from the reference's (which belongs to a question "
                          "not shown yet)")
    upstream = d.get("upstream")
    if upstream and _withheld(weights, shown, d.get("upstream_question")):
        message = message.replace(f"; {upstream}", "", 1)
    if d.get("silent") and _withheld(weights, shown, d.get("silent_question")):
        message = message.replace(f"; {d['silent']}", "", 1)
    return r.status, message


def to_gradescope(report: Report, weights: Weights | None = None) -> dict:
    """Gradescope's results.json: one test per question (``number``), its properties sharing its points."""
    weights = weights or Weights()
    scores = question_scores(report.results, weights)
    tests = []
    for q, (score, top) in scores.items():
        props = [r for r in report.results if r.question == q]
        told = [_told(r, weights, weights.shown(q)) for r in props]
        lines = [f"{r.id}: {status}" + (f" — {_one_line(message)}" if status != "pass" else "")
                 for r, (status, message) in zip(props, told)]
        first = next((r for r in props if r.status in ("fail", "error") and r.counterexample), None)
        if first:
            lines += ["counterexample:", *counterexample_lines(first.counterexample, "  ")]
            if first.replay:
                lines.append(f"replay: {_one_line(first.replay)}")
        tests.append({"name": f"{q}: {props[0].title}" if len(props) == 1 else q, "number": q,
                      "score": round(score, 6), "max_score": top,
                      "status": "passed" if score >= top else "failed", "output": "\n".join(lines),
                      "visibility": weights.shown(q)})
    total = 0.0 if report.integrity_failed else float(sum(t["score"] for t in tests))
    out: dict[str, Any] = {"score": round(total, 6), "execution_time": round(report.seconds, 3), "tests": tests}
    notes = _header_notes(report)
    if report.integrity_failed:
        notes.append("The score is 0: the submission's integrity check failed (see above).")
    if report.error:
        notes.append(f"The submission could not be checked: {_one_line(report.error)}")
    notes.append(f"seed {report.seed} (--seed {report.seed} replays this run)")  # a drawn seed, for the staff
    out["output"] = "\n".join(notes)
    return finite_json(out)


def render(report: Report, fmt: str, *, weights: Weights | None = None) -> str:
    """The report in ``fmt``; ``weights`` sets the Gradescope and PrairieLearn points (default: 1 a question)."""
    if fmt == "text":
        return to_text(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, allow_nan=False) + "\n"
    if fmt == "gradescope":
        return json.dumps(to_gradescope(report, weights), indent=2, allow_nan=False) + "\n"
    if fmt == "prairielearn":
        from reference.compare.reports.prairielearn import to_prairielearn

        return json.dumps(to_prairielearn(report, to_gradescope(report, weights)), indent=2,
                          allow_nan=False) + "\n"
    if fmt == "html":
        from reference.compare.reports.html_page import to_html

        return to_html(report)
    raise ValueError(f"format must be one of {FORMATS}; got {fmt!r}")


def load_error_report(implementation: str, convention: str, seed: int, reason: str, seconds: float) -> Report:
    """The report of an implementation that could not be loaded (exit status 2)."""
    return Report(implementation, convention, seed, None, 0, [], seconds, error=reason)
