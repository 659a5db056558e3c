"""What a call of an implementation comes to: a :class:`Call` (it returned), or an :class:`ImplProblem` (it
raised, exited, crashed, hung, or was not sent).

The vocabulary the sandbox (:mod:`reference.compare.sandbox`, which answers calls) and the catalog
(:mod:`reference.compare.exercise.catalog`, which makes them and judges what comes back) share: it lies below
both, so that each may import it and the sandbox may read the exercise's description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Call", "ImplProblem", "ImplRaised", "WrongReply", "ImplExited", "ImplCrashed", "ImplTimeout", "Refused"]


@dataclass
class Call:
    """A call that returned: its value, the inputs it modified, the warnings it raised."""

    value: Any
    mutated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ImplProblem(Exception):
    """The implementation did not return: it raised, exited, crashed or hung."""


class ImplRaised(ImplProblem):
    """The implementation raised; ``type_name`` is its exception's type (NotImplementedError says: not done),
    ``function`` the API's function the grader called."""

    def __init__(self, message: str, type_name: str = "", function: str = "") -> None:
        super().__init__(message)
        self.type_name, self.function = type_name, function


class WrongReply(ImplRaised):
    """The implementation returned, but a value the API's function never returns: not the named tuple it
    returns (None, a list, an array...), or a number no float64 holds. The submission's mistake at the
    property that called it, told where the reply comes in (:func:`reference.compare.sandbox.interface.as_call`),
    before any check reads it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "")


class ImplExited(ImplProblem):
    pass


class ImplCrashed(ImplProblem):
    pass


class ImplTimeout(ImplProblem):
    pass


class Refused(ImplProblem):
    """Not sent: the submission's adapter, as the grader read it, cannot express this problem (tied λ that
    differ). The grader's own decision before the call, never something the submission said."""
