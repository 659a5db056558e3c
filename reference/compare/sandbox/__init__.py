"""The sandbox: how the comparator calls an implementation it does not trust.

:mod:`.interface` is what the catalog sees (``Impl.call`` and friends, the
``ImplProblem`` family, ``InProcessImpl`` for trusted code); :mod:`.grader` is
the grader's side of the child process (``SubprocessImpl``); :mod:`.worker` is
the child's side, which imports the implementation and answers calls.
"""

from reference.compare.sandbox.grader import SubprocessImpl
from reference.compare.sandbox.interface import (
    Call,
    Impl,
    ImplCrashed,
    ImplExited,
    ImplProblem,
    ImplRaised,
    ImplTimeout,
    InProcessImpl,
    LoadError,
)

__all__ = [
    "Call", "Impl", "ImplProblem", "ImplRaised", "ImplExited", "ImplCrashed", "ImplTimeout", "LoadError",
    "InProcessImpl", "SubprocessImpl",
]
