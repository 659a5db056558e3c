"""Scores per question: points (weights), how each status counts, what students see.

A question's properties share its points: its score is ``weight × mean(credit of
each property's status)``. Read from a TOML file (``--weights FILE.toml``) or a
project's ``pyproject.toml`` under ``[tool.handgrad]``::

    [weights]          # points per question (its id); default 1 each, every question included
    Q7 = 3
    Q9 = 0
    [credit]           # what a status is worth, as a fraction of the points
    inherited = 1.0    # right on its own inputs (the default: counted as right)
    missing = 0.0
    [visibility]       # Gradescope: visible (default), hidden, after_due_date, after_published
    Q8 = "hidden"

>>> w = Weights.from_mapping({"weights": {"Q7": 3}, "credit": {"inherited": 0.5}})
>>> w.points("Q7"), w.points("Q1"), w.credit("inherited"), w.credit("fail")
(3.0, 1.0, 0.5, 0.0)
"""

from __future__ import annotations

import pathlib
import tomllib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Weights", "CREDIT", "VISIBILITY", "question_scores"]

#: What each status is worth by default, as a fraction of a property's share of the points.
CREDIT = {"pass": 1.0, "inherited": 1.0, "not-applicable": 0.0, "missing": 0.0, "not-implemented": 0.0,
          "fail": 0.0, "error": 0.0, "not-run": 0.0, "internal": 0.0}
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Weights:
    """Points per question, credit per status, visibility per question."""

    weights: dict = field(default_factory=dict)
    credits: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict, *, source: str = "weights") -> Weights:
        """From parsed TOML; a bad key or value raises ValueError naming it and ``source``."""
        unknown = set(data) - {"weights", "credit", "visibility"}
        if unknown:
            raise ValueError(f"{source}: unknown table(s) {', '.join(sorted(unknown))} (weights, credit, visibility)")
        weights = {str(q): _number(v, f"{source}: weights.{q}") for q, v in data.get("weights", {}).items()}
        credits = {str(s): _number(v, f"{source}: credit.{s}", top=1.0) for s, v in data.get("credit", {}).items()}
        for s in set(credits) - set(CREDIT):
            raise ValueError(f"{source}: credit.{s}: not a status ({', '.join(CREDIT)})")
        visibility = dict(data.get("visibility", {}))
        for q, v in visibility.items():
            if v not in VISIBILITY:
                raise ValueError(f"{source}: visibility.{q} must be one of {', '.join(VISIBILITY)}; got {v!r}")
        return cls(weights, credits, visibility)

    @classmethod
    def from_toml(cls, path: str) -> Weights:
        """From a TOML file (the tables at its top level, or under ``[tool.handgrad]``)."""
        try:
            data = tomllib.loads(pathlib.Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"--weights: cannot read {path}: {exc}") from None
        data = data.get("tool", {}).get("handgrad", data) if "tool" in data else data
        return cls.from_mapping(data, source=path)

    def points(self, question: str) -> float:
        return float(self.weights.get(question, 1.0))

    def credit(self, status: str) -> float:
        return float(self.credits.get(status, CREDIT.get(status, 0.0)))

    def shown(self, question: str) -> str:
        return self.visibility.get(question, "visible")


def _number(value: Any, where: str, top: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (top and value > top):
        raise ValueError(f"{where} must be a number >= 0{f' and <= {top}' if top else ''}; got {value!r}")
    return float(value)


def question_scores(results: list, weights: Weights) -> dict[str, tuple[float, float]]:
    """question → (score, max score), in the order questions first appear."""
    by_question: dict[str, list[str]] = {}
    for r in results:
        by_question.setdefault(r.question, []).append(r.status)
    return {q: (weights.points(q) * sum(weights.credit(s) for s in statuses) / len(statuses), weights.points(q))
            for q, statuses in by_question.items()}
