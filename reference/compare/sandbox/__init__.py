"""The sandbox: how the comparator calls an implementation it does not trust.

:mod:`.interface` is what the catalog calls (``Impl.call`` and friends, raising the
``ImplProblem`` family of :mod:`reference.compare.call_outcomes`; ``InProcessImpl`` for
trusted code; ``TABLE``, the API read from the exercise's description); :mod:`.grader_side`
is the grader's side of the child process (``SubprocessImpl``), with
:mod:`.child` reading the child's first lines, hello and output;
:mod:`.worker_side` is the child's side, which imports the implementation and
answers calls, over :mod:`.wire` (data only); :mod:`.call_memo`
answers a call the implementation already answered from its reply. The child is
contained by :mod:`.isolation` (namespaces, limits, :mod:`.cgroup`,
:mod:`.syscall_filter`) and sees the files :mod:`.view` lists and the copies
:mod:`.staging` makes of the submission and its adapter file. What the worker
does with a submission (a notebook, an adapter, a load error) lives in
:mod:`reference.compare.submissions`.
"""

import importlib

__all__ = [
    "Call", "Impl", "ImplProblem", "ImplRaised", "WrongReply", "ImplExited", "ImplCrashed", "ImplTimeout",
    "LoadError", "StartFailed", "Refused",
    "InProcessImpl", "SubprocessImpl", "asking",
]


def __getattr__(name: str):
    """The names above, imported when first used: the worker, which imports this package, needs none of them
    (nor the grader's modules: subprocess, the isolation, the staging), and starts sooner without."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "grader_side" if name == "SubprocessImpl" else "interface"
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
