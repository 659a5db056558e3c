"""A definition's properties as the runner's: :func:`catalog` for :func:`reference.compare.running.runner.run_catalog`.

Each derived property (:func:`.judged.properties`) becomes a
:class:`~reference.compare.exercise.catalog.check.Property` whose check calls the API's functions through the
run's :class:`~reference.compare.exercise.catalog.context.Context` (one call per function and problem, shared by
the properties), judges, and raises what the runner reads: a
:class:`~reference.compare.exercise.catalog.check.PropertyFailure` for a mistake of the step's own,
:class:`~reference.compare.exercise.catalog.chain.Uninformed` for one right on inputs that carry nothing,
:class:`~reference.compare.exercise.catalog.chain.Inherited` for one right on informative inputs of its own,
the implementation's problem for a raise. The runner's rules over examples (inherited beats uninformed) are
then its own. The run's submission is called as the Context's ``impl`` calls it: a submission of another API
than the seeds' needs an impl that does not check it against the seeds' table (the sandbox does today).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference.compare.call_outcomes import ImplProblem
from reference.compare.definitions import derived, judged
from reference.compare.definitions.vocabulary import Definition
from reference.compare.exercise.catalog.chain import Inherited, Uninformed
from reference.compare.exercise.catalog.check import Property, PropertyFailure

__all__ = ["Posed", "catalog"]


@dataclass(eq=False)
class Posed:
    """A problem of ``definition`` as a check sees it: ``arguments(function)``, and the reference's evaluation,
    computed once."""

    definition: Definition
    problem: derived.Problem
    _evaluation: Any = field(default=None, repr=False)

    def arguments(self, function: str) -> tuple:
        return self.problem.arguments(self.definition, function)

    def evaluation(self) -> derived.Evaluation:
        if self._evaluation is None:
            self._evaluation = derived.evaluate(self.definition, self.problem)
        return self._evaluation


def _check(definition: Definition, prop: judged.Property):
    def check(ctx: Any, posed: Posed) -> None:
        results: dict[str, Any] = {}
        for function in definition.arguments:
            try:
                results[function] = ctx.network(function, posed)
            except ImplProblem:
                if function == prop.function:
                    raise  # its own function's problem is the property's (a raise: an error)
        ev, problem = posed.evaluation(), posed.problem
        read = judged.read_back(definition, ev, results)
        verdict = prop.judge(definition, ev, problem, judged.seen(definition, ev, problem, read))
        if verdict.status == "right":
            return
        failure = PropertyFailure(verdict.message.partition("; right on its own")[0], array=verdict.root)
        if verdict.status == "inherited":
            root = next((q for node, q in definition.gradients.items() if node == verdict.root), None)
            root = root or next((s.question for s in (*definition.steps, definition.loss)
                                 if s.node == verdict.root), verdict.root)
            raise Inherited(failure, root or "")
        if verdict.status == "uninformed":
            raise Uninformed(failure, verdict.message.partition("right on its own ")[2].removesuffix(
                ": being right on it shows nothing"))
        raise failure
    return check


def catalog(definition: Definition) -> tuple[Property, ...]:
    """The runner's properties of ``definition``: its derived ones, drawn from its problems."""
    problems = derived.problems(definition).map(lambda p: Posed(definition, p))
    return tuple(Property(id=p.id, question=p.question, title=p.title, strategy=lambda **_: problems,
                          check=_check(definition, p), calls=tuple(definition.arguments))
                 for p in judged.properties(definition))
