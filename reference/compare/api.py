"""The Python API: ``reference.check(impl)`` in a notebook, a script or any project's tests.

>>> import reference
>>> result = reference.check("docs/student.py", questions=["A7", "B13"], seed=0)  # doctest: +SKIP
>>> result.passed, result.questions                                              # doctest: +SKIP
(False, {'A7': 'fail', 'B13': 'fail'})
>>> print(result.failures[0].message)                                            # doctest: +SKIP
d_rect(x) vs jax.grad(rect) (rect'(0) = 0)[0] = 1.0, reference 0.0 (|difference| 1 > allowed 0; 2 of 4 entries off)

It runs the one grading function (:func:`reference.compare.grade_one.grade`) with
the caller's process left as it was: JAX's configuration is not touched (no
x64 flag, no compilation cache), Hypothesis writes under the user's cache folder
(:mod:`reference.compare.cache_folders`) and the grader's numerical warnings stay inside.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import random
import shutil
import warnings
from typing import Any, Iterable

__all__ = ["check"]

_CONVENTIONS = ("seed", "any-subgradient")


def check(impl: Any, *, questions: str | Iterable[str] | None = None, convention: str = "seed",
          profile: str = "dev", adapter: Any = None, seed: int | None = None, isolate: bool = True,
          progress: bool | None = None):
    """Check an implementation of the API against the reference, question by question.

    ``impl``: a module, a module name, a path to a ``.py`` file or a ``.ipynb``
    notebook, or a mapping or namespace of functions (``globals()`` in a
    notebook: its functions are sent to the sandbox by value; the ones it lacks
    make their properties error). ``questions``: ids, questions or parts
    (``["B13", "B18-l11", "A"]``; default all). ``convention``: ``"seed"`` or
    ``"any-subgradient"``. ``profile``: ``"dev"``, ``"ci"`` or ``"thorough"``
    (examples and sweep size). ``adapter``: a TOML file, a template name
    (``"mlp_class"``), a mapping or an ``Adapter``, for a submission that does not
    follow the API. ``seed``: None draws one (shown in the report and in each
    replay). ``isolate``: run the code in the sandboxed worker (default) or, when
    False, in this process (trusted code only). ``progress``: bars (default: when
    interactive).

    Returns a :class:`~reference.compare.reports.result.CheckResult`: ``.passed``,
    ``.questions``, ``.failures``, ``.to_json()``, ``.to_markdown()``, ``.save(path)``;
    Jupyter shows it as the HTML report.

    >>> def sign(x): ...
    >>> check({"sign": sign}, questions="A5", profile="fast")
    Traceback (most recent call last):
    ...
    ValueError: profile must be one of 'dev', 'ci', 'thorough'; got 'fast'
    """
    from reference.compare.reports.result import CheckResult

    patterns, seed, adapter = _validated(questions, convention, profile, adapter, seed, isolate, progress)
    from reference.compare import targets

    target = targets.target_of(impl)
    report, status = _run(target, adapter, patterns, convention, profile, seed, isolate, progress)
    _present(report, target, seed, profile)
    return CheckResult(report, status)


def _validated(questions, convention, profile, adapter, seed, isolate, progress):
    """The options checked, each error naming its argument; (patterns, seed, adapter) ready to use."""
    from reference.compare.running.runner import PROFILES
    from reference.compare.running.selection import expand

    if convention not in _CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(map(repr, _CONVENTIONS))}; got {convention!r}")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(map(repr, PROFILES))}; got {profile!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be None or an int >= 0; got {seed!r}")
    for name, value, kinds in (("isolate", isolate, (bool,)), ("progress", progress, (bool, type(None)))):
        if not isinstance(value, kinds):
            raise TypeError(f"{name} must be {' or '.join('None' if k is type(None) else k.__name__ for k in kinds)}"
                            f"; got {value!r}")
    if isinstance(questions, str):
        questions = [questions]
    try:
        patterns = expand(questions) if questions is not None else ()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"questions: {exc}") from None
    if questions is not None and not patterns:
        raise ValueError("questions: empty; give None for every question")
    return patterns, random.randrange(1 << 31) if seed is None else seed, _adapter(adapter)


def _adapter(adapter):
    """An Adapter from a path, a template name or a mapping (None stays None); errors name ``adapter``."""
    if adapter is None:
        return None
    from reference.compare.submissions.adapter import TEMPLATES, Adapter

    if isinstance(adapter, Adapter):
        return adapter
    try:
        if isinstance(adapter, dict):
            return Adapter.from_mapping(adapter)
        if isinstance(adapter, (str, os.PathLike)):
            path = os.fspath(adapter)
            template = TEMPLATES / f"{path}.toml"
            if not os.path.isfile(path) and template.is_file():
                path = str(template)
            if not os.path.isfile(path):
                names = ", ".join(sorted(p.stem for p in TEMPLATES.glob("*.toml")))
                raise ValueError(f"no such file or template: {adapter!r} (templates: {names})")
            if path.endswith(".py"):
                raise ValueError(f"{path}: a Python adapter is run by handgrad-compare (--adapter {path}); "
                                 "here, a TOML file, a template name, a mapping or an Adapter")
            return Adapter.from_toml(path)
    except ValueError as exc:
        raise ValueError(f"adapter: {exc}") from None
    raise TypeError(f"adapter must be a path to a TOML file, a template name, a mapping or an Adapter; "
                    f"got {type(adapter).__name__}")


def _run(target, adapter, patterns, convention, profile, seed, isolate, progress):
    """grade() on the staged target, with bars, Hypothesis's files in the cache folder, warnings kept in."""
    import numpy as np

    from reference.compare import targets
    from reference.compare.cache_folders import hypothesis_home
    from reference.compare.exercise.catalog import select
    from reference.compare.grade_one import Settings, grade, open_sandboxed
    from reference.compare.running.progress import Bars

    settings = Settings(convention=convention, seed=seed, profile=profile, properties=patterns,
                        trusted=target.kind == "module-name")  # an installed module, by name
    folder = targets.temporary_folder()
    try:
        if isolate:
            spec, opener = targets.stage(target, adapter, folder), _declaring(open_sandboxed, adapter)
            if spec != getattr(target, "spec", None):  # staged in a folder of its own, with its imports: all of it
                settings = dataclasses.replace(settings, whole_folder=True)
        else:
            spec, opener = target.shown, _in_process(targets.namespace_of(target, adapter), adapter)
        with contextlib.ExitStack() as stack:
            bars = stack.enter_context(Bars(len(select(list(patterns) or None)), settings.resolved()[1],
                                            enabled=progress))
            stack.enter_context(hypothesis_home())
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")  # the grader's own warnings, from looking at a submission's values
            stack.enter_context(np.errstate(all="ignore"))
            return grade(spec, settings, progress=bars.property_done, opener=bars.opener(opener))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_process(space, adapter):
    from reference.compare.sandbox import LoadError
    from reference.compare.targets import NamespaceImpl

    def opener(spec, settings, deadline):
        try:
            return NamespaceImpl(spec, space, declared=adapter)
        except LoadError as exc:
            return exc
    return opener


def _declaring(opener, adapter):
    """``opener`` whose implementation the grader knows to be read through ``adapter`` (the worker applies it
    from the staged payload): λ are drawn in its form, and what it cannot express is not sent."""
    if adapter is None:
        return opener

    def declared_opener(spec, settings, deadline):
        impl = opener(spec, settings, deadline)
        if not isinstance(impl, BaseException):
            impl.declared = adapter
        return impl
    return declared_opener


def _present(report, target, seed: int, profile: str) -> None:
    """The report names what the caller gave, its static integrity findings (and a notebook's self-checks
    dropped), and replays as API calls."""
    from reference.compare.submissions.integrity import findings_in_files, findings_in_source, self_checks_dropped

    report.implementation = target.shown
    found = []
    if target.kind == "file":
        found = findings_in_files(target.spec)
    elif target.kind == "notebook":
        from reference.compare.submissions.notebook import notebook_source

        try:
            code = notebook_source(target.spec)[0]
        except (OSError, ValueError, SyntaxError, RecursionError, MemoryError):  # its load said why
            code = ""
        found = [f"{os.path.basename(target.spec)}: {w}" for w in findings_in_source(code)]
    if report.integrity and found:
        staged = f"{pathlib.Path(target.spec).stem}_notebook.py: "  # the notebook's code, as the worker ran it
        old = [f for f in report.integrity.get("findings", []) if not f.startswith(staged)]
        report.integrity = {**report.integrity, "status": "fail", "findings": list(dict.fromkeys(found + old))}
    if report.integrity and target.kind == "notebook" and (dropped := self_checks_dropped(target.spec)):
        report.integrity = {**report.integrity, "self_checks_dropped": dropped}
    shown = repr(target.spec) if target.kind in ("file", "notebook", "module-name") else "impl"
    for r in report.results:
        r.replay = f"reference.check({shown}, questions=[{r.id!r}], seed={seed}, profile={profile!r})"
