"""The sandbox: how the comparator calls an implementation it does not trust.

:mod:`.interface` is what the catalog sees (``Impl.call`` and friends, the
``ImplProblem`` family, ``InProcessImpl`` for trusted code); :mod:`.grader` is
the grader's side of the child process (``SubprocessImpl``); :mod:`.worker` is
the child's side, which imports the implementation and answers calls.
:mod:`.staging` copies the submission and its adapter file into the worker's
folder; the worker loads a notebook through :mod:`.notebook`, applies an adapter
(:mod:`.adapter`) right after the import, and says why a submission does not load
in one line (:mod:`.load_errors`).
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
