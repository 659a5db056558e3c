"""Which properties a run checks: ids, questions and parts, every pattern checked.

A pattern is a property id, a question (all its properties; a question is itself
alone, not the questions whose ids it begins) or a part (``EXERCISE.parts``: all
its questions), in any case. Patterns add up. One that matches nothing is an
error naming it, never dropped in silence.

>>> from reference.compare.exercise import EXERCISE
>>> question, other, prop = EXERCISE.examples
>>> expand([other.lower(), prop.upper()]) == (other, prop)
True
>>> expand([question, "Z9"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: 'Z9' matches no property, question or part (parts: ...; questions such as ...; ids such as ...)
"""

from __future__ import annotations

from typing import Iterable

from reference.compare.exercise import EXERCISE

__all__ = ["PARTS", "expand"]

#: A part of the catalog: its letter and what it holds.
PARTS = EXERCISE.parts


def _known() -> dict[str, str]:
    """Every id and question, by its lower-case form."""
    return {name.lower(): name for p in EXERCISE.catalog().CATALOG for name in (p.id, p.question)}


def expand(patterns: Iterable[str]) -> tuple[str, ...]:
    """The patterns as the ids and questions :func:`~reference.compare.exercise.catalog.select` takes, in order,
    once each.

    Raises ValueError naming the first pattern that matches nothing.
    """
    known, out = _known(), []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"a property pattern must be a string; got {pattern!r}")
        text = pattern.strip()
        if text.upper() in PARTS:
            out += [p.question for p in EXERCISE.catalog().CATALOG if p.question[0] == text.upper()]
        elif text.lower() in known:
            out.append(known[text.lower()])
        else:
            question, other, prop = EXERCISE.examples
            raise ValueError(f"{pattern!r} matches no property, question or part "
                             f"(parts: {', '.join(PARTS)}; questions such as {question}, {other}; ids such as {prop})")
    return tuple(dict.fromkeys(out))
