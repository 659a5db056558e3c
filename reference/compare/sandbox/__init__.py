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

import importlib

__all__ = [
    "Call", "Impl", "ImplProblem", "ImplRaised", "ImplExited", "ImplCrashed", "ImplTimeout", "LoadError", "Refused",
    "InProcessImpl", "SubprocessImpl", "asking",
]


def __getattr__(name: str):
    """The names above, imported when first used: the worker, which imports this package, needs none of them
    (nor the grader's modules: subprocess, the isolation, the staging), and starts sooner without."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "grader_side" if name == "SubprocessImpl" else "interface"
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
