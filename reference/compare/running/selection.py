"""Which properties a run checks: ids, questions and parts, every pattern checked.

A pattern is a property id (``B18-l11``), a question (``B15``: B15-W1 and
B15-b1; ``B1`` is B1 alone, not B10–B18) or a part (``A``: A1–A9, ``B``:
B1–B18, ``X``: X1–X5), in any case. Patterns add up. One that matches nothing is
an error naming it, never dropped in silence.

>>> expand(["a", "b15", "B18-L11"])[:2], expand(["b15", "B18-L11"])
(('A1', 'A2'), ('B15', 'B18-l11'))
>>> expand(["B1", "Z9"])
Traceback (most recent call last):
...
ValueError: 'Z9' matches no property, question or part (parts: A, B, X; questions such as A5, B15; ids such as B18-l11)
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["PARTS", "expand"]

#: A part of the catalog: its letter and what it holds.
PARTS = {"A": "part A (A1–A9)", "B": "part B (B1–B18)", "X": "beyond the seeds (X1–X5)"}


def _known() -> dict[str, str]:
    """Every id and question, by its lower-case form."""
    from reference.compare.exercise.catalog import CATALOG

    return {name.lower(): name for p in CATALOG for name in (p.id, p.question)}


def expand(patterns: Iterable[str]) -> tuple[str, ...]:
    """The patterns as the ids and questions :func:`~reference.compare.exercise.catalog.select` takes, in order,
    once each.

    Raises ValueError naming the first pattern that matches nothing.
    """
    from reference.compare.exercise.catalog import CATALOG

    known, out = _known(), []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"a property pattern must be a string; got {pattern!r}")
        text = pattern.strip()
        if text.upper() in PARTS:
            out += [p.question for p in CATALOG if p.question[0] == text.upper()]
        elif text.lower() in known:
            out.append(known[text.lower()])
        else:
            raise ValueError(f"{pattern!r} matches no property, question or part "
                             f"(parts: {', '.join(PARTS)}; questions such as A5, B15; ids such as B18-l11)")
    return tuple(dict.fromkeys(out))
