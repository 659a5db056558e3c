"""A report's root causes: the questions failing on their own, each with what it explains further down.

Shared by the text, Markdown and HTML reports, so that each names the same roots and the same columns.
"""

from __future__ import annotations

import math
from typing import Any

from reference.compare.exercise import EXERCISE
from reference.compare.running.runner import PropertyResult

__all__ = ["root_causes", "ratio_text", "number_text"]

#: Statuses under which nothing was compared: no error to show.
_UNCOMPARED = ("missing", "not-implemented", "not-applicable", "not-run")


def number_text(x: float | None) -> str:
    """A figure of a report's table, in two significant digits; "-" for none."""
    return "-" if x is None else ("inf" if isinstance(x, float) and math.isinf(x) else f"{x:.2g}")


def ratio_text(r: PropertyResult) -> str:
    """The ERR/ALLOWED cell: the worst entry's |got − want| over what was allowed there (a failure's: at the
    entry its message names), or "-" where the message describes no comparison: nothing compared, an error
    (the example it names raised), a failure that names no entry (its ratio nan)."""
    if r.status in _UNCOMPARED + ("error", "internal") or math.isnan(r.worst_ratio):
        return "-"
    return number_text(r.worst_ratio)


def root_causes(report: Any) -> list[tuple[str, list[PropertyResult], list[str], list[PropertyResult]]]:
    """The questions failing on their own, in the chain's order: (question, its failing properties,
    the questions that inherit from it, their inherited properties)."""
    own = [r for r in report.results if r.status in ("fail", "error")]
    # the questions of one claim are one cause
    claim = {q: min(group) for group in EXERCISE.same_claim().values() for q in group}
    out = []
    for c in dict.fromkeys(claim.get(r.question, r.question) for r in own):
        members = {q for q, k in claim.items() if k == c} | {c}
        inherited = [r for r in report.results if r.status == "inherited"
                     and r.details.get("root") in members and r.question not in members]
        out.append(("/".join(sorted({r.question for r in own if r.question in members})),
                    [r for r in own if r.question in members], sorted({r.question for r in inherited}), inherited))
    return out
