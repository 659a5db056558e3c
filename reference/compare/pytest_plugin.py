"""The pytest plugin: ``pytest --handgrad-impl student.py`` runs the catalog in any project.

Installed with the package (entry point ``pytest11``: ``handgrad``); elsewhere
load it with ``-p reference.compare.pytest_plugin``. For each ``--handgrad-impl``
(a module name or a ``.py`` file, repeatable) it adds one test per property,
``handgrad[student.py]::B13``, and one for the bulk sweep; a failure shows the
property's message, the smallest counterexample as arrays and the command that
replays it. The implementation runs in the sandboxed worker (the bundled
``handgrad`` and ``reference`` in this process), one worker for all its tests.
``-k B13`` selects as usual. For trusted folders only: pytest itself imports the
folder's ``conftest.py`` and test files in its own process (docs/security.md);
grade students with ``handgrad-compare``.

Options: ``--handgrad-property ID`` (ids, questions or parts; repeatable),
``--handgrad-profile dev|ci|thorough`` (default ci when ``CI`` is set, else dev),
``--handgrad-convention seed|any-subgradient``, ``--handgrad-seed N`` (default 0).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import warnings

import pytest

__all__ = ["HandgradCatalog", "PropertyItem", "SweepItem", "explain"]

TRUSTED = ("handgrad", "reference")


def pytest_addoption(parser) -> None:
    group = parser.getgroup("handgrad", "checking an implementation of the handgrad API")
    group.addoption("--handgrad-impl", action="append", default=[], dest="handgrad_impl", metavar="MODULE_OR_FILE",
                    help="run the property catalog on this implementation (module name or .py path); repeatable. "
                         "For trusted folders: pytest runs their conftest.py in its own process")
    group.addoption("--handgrad-property", action="append", default=[], dest="handgrad_property", metavar="ID",
                    help="only these properties, questions or parts (B18-l11, B15, A); repeatable")
    group.addoption("--handgrad-profile", choices=("dev", "ci", "thorough"), default=None, dest="handgrad_profile",
                    help="examples per property and sweep size (default: ci when CI is set, else dev)")
    group.addoption("--handgrad-convention", choices=("seed", "any-subgradient"), default="seed",
                    dest="handgrad_convention", help="at the kinks: the course's values, or any valid subgradient")
    group.addoption("--handgrad-seed", type=int, default=0, dest="handgrad_seed", help="random seed (default 0)")


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
def pytest_collection_modifyitems(session, config, items) -> None:
    for spec in config.getoption("handgrad_impl"):
        name = f"handgrad[{_shown(spec)}]"
        catalog = HandgradCatalog.from_parent(session, name=name, nodeid=name, spec=_resolved(config, spec))
        items.extend(catalog.collect())


def _shown(spec: str) -> str:
    return pathlib.Path(spec).name if spec.endswith(".py") or "/" in spec else spec


def _resolved(config, spec: str) -> str:
    if spec.endswith(".py") or "/" in spec or os.sep in spec:
        return str((config.invocation_params.dir / spec).resolve())
    return spec


class HandgradCatalog(pytest.Collector):
    """The catalog on one implementation: its worker is opened before the first test and closed after the last."""

    def __init__(self, *, spec: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec, self.ctx, self.problem, self.results, self._impl = spec, None, None, {}, None
        option = self.config.getoption
        self.profile = option("handgrad_profile") or ("ci" if os.environ.get("CI") else "dev")
        self.convention, self.seed = option("handgrad_convention"), option("handgrad_seed")

    def collect(self):
        from reference.compare.exercise.catalog import select
        from reference.compare.running.selection import expand

        try:
            props = select(list(expand(self.config.getoption("handgrad_property"))) or None)
        except ValueError as exc:
            raise pytest.UsageError(f"--handgrad-property: {exc}") from None
        self.props = props
        return [PropertyItem.from_parent(self, name=p.id, prop=p) for p in props] + [
            SweepItem.from_parent(self, name="sweep")]

    def setup(self) -> None:
        from reference.compare.exercise.catalog import Context
        from reference.compare.sandbox import InProcessImpl, LoadError, SubprocessImpl

        try:
            self._impl = InProcessImpl(self.spec) if self.spec in TRUSTED else SubprocessImpl(self.spec)
            self.ctx = Context(self._impl, convention=self.convention)
        except LoadError as exc:
            self.problem = f"cannot check {exc}"

    def teardown(self) -> None:
        if self._impl is not None:
            self._impl.close()
        self._impl = self.ctx = None

    def replay(self, prop_id: str) -> str:
        return f"pytest --handgrad-impl {self.spec} --handgrad-property {prop_id} --handgrad-seed {self.seed} " \
               f"--handgrad-profile {self.profile}"

    def reportinfo(self):
        return self.path, None, self.name


class HandgradFailure(AssertionError):
    """A property that does not hold on the implementation: its message is the whole story."""


class _Item(pytest.Item):
    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::{self.name}"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, HandgradFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def quietly(self):
        """The grader's own numerical warnings stay inside; Hypothesis writes under the cache folder."""
        import numpy as np

        from reference.compare.cache_folders import hypothesis_home

        stack = contextlib.ExitStack()
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(np.errstate(all="ignore"))
        stack.enter_context(hypothesis_home())
        return stack


class PropertyItem(_Item):
    def __init__(self, *, prop, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prop = prop

    def runtest(self) -> None:
        from reference.compare.running.runner import PROFILES, run_property
        from reference.compare.sandbox import asking

        catalog = self.parent
        if catalog.problem:
            raise HandgradFailure(catalog.problem)
        with self.quietly(), asking(catalog.ctx.impl, self.prop.id):
            result = run_property(self.prop, catalog.ctx, max_examples=PROFILES[catalog.profile]["max_examples"],
                                  seed=catalog.seed, replay=catalog.replay(self.prop.id))
        catalog.results[self.prop.id] = result
        if result.status != "pass":
            raise HandgradFailure(explain(result, catalog.ctx.impl.printed(self.prop.id)))


class SweepItem(_Item):
    def runtest(self) -> None:
        from reference.compare.running.runner import PROFILES, PropertyResult
        from reference.compare.running.sweep import run_sweep

        catalog = self.parent
        if catalog.problem:
            raise HandgradFailure(catalog.problem)
        results = {p.id: PropertyResult(p.id, p.question, p.title) for p in catalog.props}
        results |= {k: v for k, v in catalog.results.items() if k in results}
        before = {k: r.status for k, r in results.items()}
        with self.quietly():
            figures = run_sweep(results, catalog.props, catalog.ctx, count=PROFILES[catalog.profile]["sweep"],
                                seed=catalog.seed)
        new = [r for k, r in results.items() if r.status != before[k]]
        if new:
            raise HandgradFailure("\n\n".join(explain(r, catalog.ctx.impl.printed(r.id)) for r in new)
                                  + f"\n\n(bulk sweep: {figures})")


def explain(result, printed: str = "") -> str:
    """A property's verdict for a person: message, counterexample arrays, the submission's output, replay."""
    lines = [f"{result.id} ({result.question}: {result.title}) {result.status.upper()}", f"  {result.message}"]
    ce = result.counterexample
    if ce:
        from reference.compare.reports.counterexample import counterexample_lines

        lines += ["  smallest counterexample:", *counterexample_lines(ce, "    ")]
    if printed and printed not in result.message:
        lines.append(f"  its output: {printed}")
    if result.replay:
        lines.append(f"  replay: {result.replay}")
    return "\n".join(lines)
