"""One property's run on one implementation: the test body, called once per example, and the result it ends in.

:class:`PropertyResult` is what the report says about a property; :func:`outcome_signature` is how a call of the
test ended, as Hypothesis tells calls apart.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import hypothesis.errors
import numpy as np

__all__ = ["STATUSES", "PropertyResult", "finite_json", "outcome_signature"]

#: A property's statuses, from best to worst for a question's verdict.
STATUSES = ("pass", "inherited", "not-applicable", "not-implemented", "missing", "fail", "error", "not-run",
            "internal")


@dataclass
class PropertyResult:
    """What the report says about one property."""

    id: str
    question: str
    title: str
    #: pass; fail (a claim does not hold, or holds only on own inputs that carry no information, or a
    #: structural check of a function that does no work); inherited (right on its own inputs, wrong because of
    #: an earlier question); missing, not-implemented, not-applicable (not checked, and why); error (the
    #: implementation raised, exited, crashed or hung); not-run (the overall deadline came first); internal (the
    #: grader's own fault, never the submission's)
    status: str = "pass"
    examples: int = 0
    sweep_examples: int = 0
    seconds: float = 0.0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    message: str = ""
    counterexample: dict | None = None
    replay: str = ""
    details: dict = field(default_factory=dict)
    #: The worst |got − want| / allowed seen (≤ 1 passes), and |got − want| at that entry.
    worst_ratio: float = 0.0
    abs_error_at_worst: float = 0.0

    def take_stats(self, stats: Any) -> None:
        """The error figures of a run's ``Context.stats``."""
        self.max_abs_error, self.max_rel_error = stats.max_abs_error, stats.max_rel_error
        self.worst_ratio, self.abs_error_at_worst = stats.worst_ratio, stats.abs_error_at_worst

    def to_dict(self) -> dict:
        """As JSON data: non-finite numbers anywhere become the strings "nan", "inf", "-inf"."""
        return finite_json(asdict(self))


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (and NumPy number) as a string: valid strict JSON.

    >>> finite_json({"got": float("nan"), "index": (1, 2), "want": [float("-inf"), 0.5]})
    {'got': 'nan', 'index': [1, 2], 'want': ['-inf', 0.5]}
    """
    if isinstance(value, dict):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def outcome_signature(exc: BaseException, depth: int = 0) -> tuple:
    """How a call of a test ended, as Hypothesis tells failures apart (its "interesting origin"): the
    exception's type, the file and line it was raised at, and the same of the exception it was raised in.
    A rejected example is only that, wherever it was rejected: Hypothesis tells rejections not apart."""
    if isinstance(exc, hypothesis.errors.UnsatisfiedAssumption):
        return (hypothesis.errors.UnsatisfiedAssumption,)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else (None, None)
    context = exc.__context__
    inner = outcome_signature(context, depth + 1) if context is not None and context is not exc and depth < 8 else ()
    return (type(exc), *where, inner)
