"""A class's grades: the rows of ``grades.csv``, and what the class got wrong.

:func:`row` is what batch grading keeps of one submission's report, its points
per question from :func:`reference.compare.scoring.question_scores` (the one
place a report becomes points, with ``--weights``); :func:`write_csv` and
:func:`class_summary` read only rows, so a resumed batch needs no report but its
row.

>>> rows = [{"id": "ada", "status": "ok", "seconds": 9.5, "scores": {"A1": 1.0, "B18": 3.0}},
...         {"id": "bob", "status": "failed", "seconds": 8.25, "scores": {"A1": 1.0, "B18": 0.0}}]
>>> print(write_csv(rows, ["A1", "B18"]), end="")
id,total,A1,B18,status,seconds
ada,4,1,3,ok,9.50
bob,1,1,0,failed,8.25
"""

from __future__ import annotations

import collections
import csv
import io
from typing import Any, Iterable

from reference.compare.scoring import Weights, question_scores

__all__ = ["STATUSES", "status_of", "failure_key", "row", "internal_row", "write_csv", "class_summary"]

#: A question's verdicts that are not counted among what the class got wrong.
_RIGHT = ("pass", "inherited", "not-applicable", "not-run")
#: A submission's status in grades.csv.
STATUSES = ("ok", "failed", "cannot-load", "integrity", "internal")
_KEY_LENGTH = 80


def status_of(report: Any, exit_status: int) -> str:
    """ok / failed / cannot-load / integrity / internal, from a report and grade()'s exit status. A submission
    that uses the answer key is "integrity" first, whether it loaded or not (the key is not in its view)."""
    if report.integrity_failed:
        return "integrity"
    if getattr(report, "error", "") or exit_status == 2:
        return "cannot-load"
    if exit_status not in (0, 1) or getattr(report, "internal_error", ""):
        return "internal"
    return "ok" if exit_status == 0 else "failed"


def failure_key(result: Any) -> str:
    """How a failure is counted across the class: its diagnosis when there is one, else its message's start."""
    details = getattr(result, "details", None) or {}
    text = details.get("diagnosis") or result.message
    return " ".join(str(text).split())[:_KEY_LENGTH]


def row(sub_id: str, report: Any, exit_status: int, seconds: float, *, weights: Weights | None = None) -> dict:
    """What the batch keeps of one graded submission (plain JSON data); its points as Gradescope's would be."""
    status = status_of(report, exit_status)
    failures = [{"question": r.question, "property": r.id, "status": r.status, "key": failure_key(r)}
                for r in report.results if r.status not in _RIGHT]
    scores = {q: 0.0 if report.integrity_failed else round(score, 6)
              for q, (score, _) in question_scores(report.results, weights or Weights()).items()}
    return {"id": sub_id, "status": status, "seconds": round(seconds, 3), "questions": report.questions(),
            "scores": scores, "failures": failures, "error": report.error or report.internal_error or ""}


def internal_row(sub_id: str, reason: str, seconds: float) -> dict:
    """The row of a submission the grader itself failed on (its process died, or hung past the deadline)."""
    return {"id": sub_id, "status": "internal", "seconds": round(seconds, 3), "questions": {}, "scores": {},
            "failures": [], "error": reason}


def write_csv(rows: Iterable[dict], columns: list[str]) -> str:
    """grades.csv: id, total, a score per question (``columns``), status, seconds; one row per submission by id.

    A text cell a spreadsheet would take for a formula is quoted (:func:`_text`).
    """
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    every = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)  # the other leaves a CR bare

    def put(cells: list[str]) -> None:
        (every if any("\r" in c for c in cells) else plain).writerow(cells)
    put([_text(c) for c in ("id", "total", *columns, "status", "seconds")])
    for r in sorted(rows, key=lambda r: r["id"]):
        scores = r.get("scores") or {}
        put([_text(r["id"]), _num(sum(scores.get(q, 0.0) for q in columns)),
             *(_num(scores.get(q, 0.0)) for q in columns), _text(r["status"]), f"{r['seconds']:.2f}"])
    return buf.getvalue()


def _num(x: float) -> str:
    return f"{x:g}"


#: How a cell a spreadsheet runs as a formula begins (OWASP, CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(cell: str) -> str:
    """A text cell of grades.csv, read as text by a spreadsheet: one that begins as a formula would is
    prefixed with a single quote, as OWASP advises (``=HYPERLINK(...)`` is ``'=HYPERLINK(...)``), also after
    leading spaces (a spreadsheet that trims them reads `` =1+1`` as a formula)."""
    return "'" + cell if cell.lstrip(" \n\x0b\x0c").startswith(_FORMULA) else cell


def _tally(rows: list[dict], columns: list[str]) -> tuple[dict, list[str], dict]:
    """Per question: verdict → how many submissions; the verdicts seen in order; the most frequent failure keys."""
    counts = {q: collections.Counter() for q in columns}
    keys = {q: collections.Counter() for q in columns}
    for r in rows:
        for q in columns:
            counts[q][r["questions"].get(q, "not graded")] += 1
        for q, key in {(f["question"], f["key"]) for f in r.get("failures", [])}:
            if q in keys:
                keys[q][key] += 1
    order = ["pass", "fail", "error", "inherited"]
    seen = sorted({v for c in counts.values() for v in c}, key=lambda v: (order.index(v) if v in order else 9, v))
    return counts, [v for v in seen if v not in ("pass", "fail", "error")], keys


def class_summary(rows: list[dict], columns: list[str], *, heading: str = "", fmt: str = "text",
                  top: int = 3, weights: Weights | None = None) -> str:
    """What the class got right and wrong, per question, as text or Markdown."""
    rows = sorted(rows, key=lambda r: r["id"])
    by_status = collections.Counter(r["status"] for r in rows)
    totals = [sum((r.get("scores") or {}).get(q, 0.0) for q in columns) for r in rows]
    most = sum((weights or Weights()).points(q) for q in columns)
    counts, extra, keys = _tally(rows, columns)
    head = [f"{len(rows)} submissions: " + ", ".join(f"{by_status[s]} {s}" for s in STATUSES if by_status[s]),
            f"mean total {sum(totals) / len(totals):.2f} of {most:g}" if rows else "no submissions"]
    names = ["passed", "failed", "errors", *extra]
    table = [[q, *(str(counts[q][v]) for v in ("pass", "fail", "error", *extra))] for q in columns]
    # the most frequent first; among as frequent, in the order of the text (never of the process's hashes)
    wrong = [(q, n, key) for q in columns
             for key, n in sorted(keys[q].items(), key=lambda kn: (-kn[1], str(kn[0])))[:top]]
    if fmt == "markdown":
        lines = [f"## Class summary{': ' + heading if heading else ''}", "", *(f"- {h}" for h in head), "",
                 "| question | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += ["| " + " | ".join(cells) + " |" for cells in table]
        lines += ["", "### What the class got wrong", ""]
        lines += [f"- **{q}** ({n}×): {_md(key)}" for q, n, key in wrong] or ["Nothing: every question passed."]
        return "\n".join(lines) + "\n"
    widths = [max(len(x) for x in col) for col in zip(["question", *names], *table)]
    lines = [f"class summary{': ' + heading if heading else ''}", *head, "",
             "  ".join(h.ljust(w) for h, w in zip(["question", *names], widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in table]
    lines += ["", "what the class got wrong (most frequent first):"]
    lines += [f"  {q:<4} {n:>4}x  {key}" for q, n, key in wrong] or ["  nothing: every question passed"]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    for c in "\\|`*_[]<>":
        text = text.replace(c, "\\" + c)
    return text
