"""A class's grades: the rows of ``grades.csv``, and what the class got wrong.

:func:`row` is what batch grading keeps of one submission's report, its points
per question from :func:`reference.compare.reports.scoring.question_scores` (the one
place a report becomes points, with ``--weights``); :func:`write_csv` and
:func:`class_summary` read only rows, so a resumed batch needs no report but its
row.

>>> rows = [{"id": "ada", "status": "ok", "seconds": 9.5, "scores": {"Q1": 1.0, "Q7": 3.0}},
...         {"id": "bob", "status": "failed", "seconds": 8.25, "scores": {"Q1": 1.0, "Q7": 0.0}}]
>>> print(write_csv(rows, ["Q1", "Q7"]), end="")
"id","total","Q1","Q7","status","seconds"
"ada",4,1,3,"ok",9.50
"bob",1,1,0,"failed",8.25
"""

from __future__ import annotations

import collections
import re
from typing import Any, Iterable

from reference.compare.reports.formats import no_autolink
from reference.compare.reports.scoring import Weights, question_scores

__all__ = ["STATUSES", "status_of", "failure_key", "row", "internal_row", "write_csv", "class_summary"]

#: A question's verdicts that are not counted among what the class got wrong.
_RIGHT = ("pass", "inherited", "not-applicable", "not-run")
#: A submission's status in grades.csv.
STATUSES = ("ok", "failed", "cannot-load", "integrity", "internal")
#: Characters of a failure's message shown in the summary, and kept in a row.
_KEY_LENGTH, _KEY_STORED = 100, 400


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
    return " ".join(str(text).split())[:_KEY_STORED]


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

    Every text cell is quoted, and one a spreadsheet would take for a formula neutralized (:func:`_text`); a
    number is bare, so that a spreadsheet reads it as one.
    """
    lines = [_csv_line([_text(c) for c in ("id", "total", *columns, "status", "seconds")])]
    for r in sorted(rows, key=lambda r: r["id"]):
        scores = r.get("scores") or {}
        lines.append(_csv_line([_text(r["id"]), _Number(sum(scores.get(q, 0.0) for q in columns)),
                                *(_Number(scores.get(q, 0.0)) for q in columns), _text(r["status"]),
                                _Number(r["seconds"], "{:.2f}")]))
    return "".join(lines)


class _Number(str):
    """A number cell of grades.csv, as it is written (``1``, ``0.5``, ``9.50``): never quoted."""

    def __new__(cls, x: float, form: str = "{:g}") -> "_Number":
        return super().__new__(cls, form.format(x))


def _csv_line(cells: list[str]) -> str:
    """One line of grades.csv: a text cell in double quotes (one inside doubled, as RFC 4180 says), so that
    whatever separator a spreadsheet splits on (``,`` or ``;``) falls inside them; a number bare."""
    return ",".join(c if isinstance(c, _Number) else '"' + c.replace('"', '""') + '"' for c in cells) + "\n"


#: How a cell a spreadsheet runs as a formula begins (OWASP, CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: A formula's first character after a separator (a spreadsheet that splits on ``;`` starts a cell there).
#: A single quote of the cell's own there gets one more, as at its start: no two cells read alike.
_AFTER_SEPARATOR = re.compile(r"([;,][ \n\x0b\x0c]*)(?=[=+\-@\t\r'])")


def _text(cell: str) -> str:
    """A text cell of grades.csv, read as text by a spreadsheet (OWASP, CSV injection): one that begins as a
    formula would (``=HYPERLINK(...)``), also after leading spaces (a spreadsheet that trims them reads `` =1+1``
    as a formula), or holds one right after a ``;`` or ``,`` (``;=1+1;``: a cell of its own to a spreadsheet that
    splits on them) is prefixed with a single quote, and so is every such formula inside it (``';'=1+1;``). A
    cell that begins with a single quote of its own gets one more, so that no two cells read alike (``=1`` is
    ``'=1``, and ``'=1`` is ``''=1``)."""
    inside = _AFTER_SEPARATOR.sub(r"\1'", cell)
    guarded = inside != cell or cell.lstrip(" \n\x0b\x0c").startswith(_FORMULA) or cell.startswith("'")
    return "'" + inside if guarded else cell


#: A failure's message that says the submission's call hung: counted once per submission, not per question.
_TIMEOUT = "did not return within"
#: A number as messages write one (a value of the submission's, a reference's): set apart when grouping.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?(?![\w.])|\bnan\b|-?\binf\b")
#: Students named under a mistake before "and N more".
_NAMED = 12


def _same(key: str) -> str:
    """What makes two failures the same mistake: their key with its numbers set apart (each student's values
    differ), so that a diagnosis or a message counts once per student who made it."""
    return _NUMBER.sub("#", key)


def _short(text: str, most: int = _KEY_LENGTH) -> str:
    """``text`` on one line, cut at a space before ``most`` characters (never inside a number or a word), any
    control character in it escaped (:func:`~reference.compare.sandbox.interface.escape`: ``\\x1b``)."""
    text = _shown(" ".join(str(text).split()))
    if len(text) <= most:
        return text
    cut = text.rfind(" ", 0, most)
    return text[:cut if cut > most // 2 else most].rstrip(" ,;:") + " …"


def _tally(rows: list[dict], columns: list[str]) -> tuple[dict, list[str]]:
    """Per question: verdict → how many submissions; the verdicts seen other than pass, fail and error, in order."""
    counts = {q: collections.Counter() for q in columns}
    for r in rows:
        for q in columns:
            counts[q][r["questions"].get(q, "not graded")] += 1
    order = ["pass", "fail", "error", "inherited"]
    seen = sorted({v for c in counts.values() for v in c}, key=lambda v: (order.index(v) if v in order else 9, v))
    return counts, [v for v in seen if v not in ("pass", "fail", "error")]


def _mistakes(rows: list[dict], columns: list[str], top: int) -> list[tuple[str, str, list[str]]]:
    """(question, the mistake as the first student's message says it, the students who made it), at most ``top``
    a question, the most frequent first and, among as frequent, in the order of the text. A failure is charged
    at its root only (inherited ones are not failures here), and a hang once per submission (:func:`_hangs`)."""
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        for f in r.get("failures", []):
            if f.get("question") in columns and _TIMEOUT not in f.get("key", ""):
                groups.setdefault((f["question"], _same(f["key"])), {}).setdefault(r["id"], f["key"])
    found = []
    for q in columns:
        mine = sorted(((same, who) for (question, same), who in groups.items() if question == q),
                      key=lambda sw: (-len(sw[1]), sw[0]))[:top]
        found += [(q, who[min(who)], sorted(who)) for _, who in mine]
    return found


def _hangs(rows: list[dict]) -> list[tuple[str, str]]:
    """The submissions a call of which hung, once each, with the first such message."""
    return [(r["id"], next(f["key"] for f in r.get("failures", []) if _TIMEOUT in f.get("key", "")))
            for r in rows if any(_TIMEOUT in f.get("key", "") for f in r.get("failures", []))]


def _alike(sources: dict[str, tuple[str, str] | None]) -> list[tuple[str, list[str]]]:
    """Classmates whose code is the same (comments and spacing aside), or the same but for its names."""
    found, seen = [], set()
    for which, label in ((0, "the same code (comments and spacing aside)"), (1, "the same code but for its names")):
        groups = collections.defaultdict(list)
        for sub_id, keys in sources.items():
            if keys is not None:
                groups[keys[which]].append(sub_id)
        for ids in sorted(sorted(g) for g in groups.values() if len(g) > 1):
            if tuple(ids) not in seen:
                seen.add(tuple(ids))
                found.append((label, ids))
    return found


def _count(n: int) -> str:
    return f"{n} submission" + ("" if n == 1 else "s")


def _shown(text: str) -> str:
    """Text of a submission's (an id, a message) as the summary shows it: on one line, control characters escaped."""
    from reference.compare.sandbox.interface import escape

    return escape(text, 10**6)


def _names(ids: list[str]) -> str:
    more = len(ids) - _NAMED
    return ", ".join(_shown(i) for i in ids[:_NAMED]) + (f" and {more} more" if more > 0 else "")


def class_summary(rows: list[dict], columns: list[str], *, heading: str = "", fmt: str = "text",
                  top: int = 3, weights: Weights | None = None,
                  sources: dict[str, tuple[str, str] | None] | None = None) -> str:
    """What the class got right and wrong, per question, as text or Markdown: each mistake with the students
    who made it, the hangs once per submission, why a submission could not be loaded, and (``sources``:
    :func:`reference.compare.classroom.roster.source_keys` by id) classmates who handed in the same code."""
    rows = sorted(rows, key=lambda r: r["id"])
    by_status = collections.Counter(r["status"] for r in rows)
    totals = [sum((r.get("scores") or {}).get(q, 0.0) for q in columns) for r in rows]
    most = sum((weights or Weights()).points(q) for q in columns)
    counts, extra = _tally(rows, columns)
    head = [f"{len(rows)} submissions: " + ", ".join(f"{by_status[s]} {s}" for s in STATUSES if by_status[s]),
            f"mean total {sum(totals) / len(totals):.2f} of {most:g}" if rows else "no submissions"]
    names = ["passed", "failed", "errors", *extra]
    table = [[q, *(str(counts[q][v]) for v in ("pass", "fail", "error", *extra))] for q in columns]
    wrong, hangs = _mistakes(rows, columns, top), _hangs(rows)
    unloaded = [(r["id"], _short(r.get("error") or "no reason given", 160)) for r in rows
                if r["status"] == "cannot-load"]
    alike = _alike({k: v for k, v in (sources or {}).items() if k in {r["id"] for r in rows}})
    if fmt == "markdown":
        lines = [f"## Class summary{': ' + heading if heading else ''}", "", *(f"- {h}" for h in head), "",
                 "| question | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += ["| " + " | ".join(cells) + " |" for cells in table]
        lines += ["", "### What the class got wrong", "", "Each mistake at its root question, once per student.", ""]
        lines += [f"- **{q}** ({len(who)}×): {_md(_short(key))}  \n  {_md(_names(who))}" for q, key, who in wrong]
        lines += [] if wrong else ["Nothing: every question passed."]
        if hangs:
            lines += ["", f"### Hung ({_count(len(hangs))}, each counted once)", ""]
            lines += [f"- {_md(i)}: {_md(_short(k))}" for i, k in hangs]
        if unloaded:
            lines += ["", "### Could not be loaded", ""] + [f"- {_md(i)}: {_md(why)}" for i, why in unloaded]
        if alike:
            lines += ["", "### Handed in alike (for a look, not a penalty)", ""]
            lines += [f"- {_md(_names(ids))}: {label}" for label, ids in alike]
        return "\n".join(lines) + "\n"
    widths = [max(len(x) for x in col) for col in zip(["question", *names], *table)]
    lines = [f"class summary{': ' + heading if heading else ''}", *head, "",
             "  ".join(h.ljust(w) for h, w in zip(["question", *names], widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in table]
    lines += ["", "what the class got wrong, each mistake at its root, once per student (most frequent first):"]
    for q, key, who in wrong:
        lines += [f"  {q:<4} {len(who):>4}x  {_short(key)}", f"{'':13}{_names(who)}"]
    lines += [] if wrong else ["  nothing: every question passed"]
    if hangs:
        lines += ["", f"hung ({_count(len(hangs))}, each counted once):"]
        lines += [f"  {_shown(i)}: {_short(k)}" for i, k in hangs]
    if unloaded:
        lines += ["", "could not be loaded:"] + [f"  {_shown(i)}: {why}" for i, why in unloaded]
    if alike:
        lines += ["", "handed in alike (for a look, not a penalty):"]
        lines += [f"  {_names(ids)}: {label}" for label, ids in alike]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text of a submission's as Markdown shows it: inert (no code, HTML, entity, link or emphasis), on one line."""
    text = _shown(text)
    for c in "\\|`*_[]<>&!":
        text = text.replace(c, "\\" + c)
    return no_autolink(text)
