"""What a seed draws, the same in every process: the project's modules loaded, Hypothesis's settings fixed.

:func:`import_all` and :func:`without_explain` are called by every run that
records or replays examples (:mod:`reference.compare.reuse.shared`): the command,
a batch's grading processes, and the tests that compare them.
"""

from __future__ import annotations

__all__ = ["import_all", "without_explain"]


def import_all() -> None:
    """Import every module of handgrad and reference, once per process, before Hypothesis draws.

    Hypothesis now and then draws a constant found in the source of the local
    modules its process has loaded (its "local constants"; local: not the
    standard library, not site-packages, not tests). What it draws for a seed
    then depends on what the process happened to import by then: the command's
    modules or a batch's, a failure's diagnosis imported midway, the modules an
    earlier test loaded (``test_verdicts`` flips on this). With every module of
    the project loaded from the start, it depends on the code alone.
    """
    import importlib
    import pkgutil

    import handgrad
    import reference

    for package in (handgrad, reference):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            try:
                importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 - a module that cannot load here has no constants to give
                pass


def without_explain() -> None:
    """Hypothesis's settings in this process, less its ``explain`` phase.

    After shrinking a failure, Hypothesis's explain phase runs variations of the
    minimal example to say which parts of it do not matter; the report does not
    use that, and it took 80–90% of a failing property's time (measured on the
    bundled bad fixtures: bug_float32 63 s → 8 s). Verdicts and counterexamples
    are the same (the report is built from the minimal example, replayed last);
    only a failing property's ``examples`` count, which includes every call of
    the check, is smaller. Batch grading and ``handgrad-compare`` both load it, so
    a batch's reports are those of a run alone.
    """
    from hypothesis import Phase, settings

    phases = tuple(p for p in settings.default.phases if p != Phase.explain)
    settings.register_profile("handgrad-compare", settings(settings.default, phases=phases))
    settings.load_profile("handgrad-compare")
