"""What the machinery needs of an exercise, in one value: :class:`Exercise`, and this course's, :data:`EXERCISE`.

The rooms that run, reuse, isolate, report and grade (``running``, ``reuse``,
``sandbox``, ``reports``, ``classroom``) name no array, function or question of the
course: they take them from :data:`EXERCISE`. The API's own table stays in
:mod:`handgrad.types` (the description holds that module, it does not copy it).
Everything heavy (the catalog, Hypothesis, the reference) is imported on first
use, so importing this module loads only NumPy and the API's table.

>>> EXERCISE.dims
('n', 'd', 'dh', 'm')
>>> set(EXERCISE.api.PART_A) <= EXERCISE.names
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import handgrad.types as _api
from reference.compare.exercise import picture as _picture
from reference.compare.exercise import problems as _problems
from reference.compare.exercise import rebuild as _rebuild
from reference.compare.exercise import reference_memo as _reference_memo
from reference.compare.exercise import shrinking as _shrinking

__all__ = ["Exercise", "EXERCISE"]


def _value(module: str, name: str) -> Callable[[], Any]:
    """``module.name``, imported when first asked for."""
    def value():
        import importlib

        return getattr(importlib.import_module(module), name)
    value.__name__ = value.__qualname__ = name
    value.__doc__ = f"{module}.{name}, imported on first use."
    return value


def _lazy(module: str, name: str) -> Callable:
    """A stand-in for ``module.name`` that imports it on first call (the catalog and the reference load JAX)."""
    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on first use."
    return call


@dataclass(frozen=True)
class Exercise:
    """An exercise as the machinery sees it (docs/exercise.md: one line per field)."""

    #: The module of the API's table: names, arguments, shapes, sizes, named tuples.
    api: ModuleType
    #: The answer key's modules (the reference's own functions): a submission's process that imports one has
    #: handed in the key (an integrity finding; the sandbox adds the autodiff libraries).
    answer_key: tuple[str, ...]
    #: The parts of the question list: letter → what it holds (selection of properties by part).
    parts: dict[str, str]
    #: A few ids to show in help and error messages: a question, another, a property id.
    examples: tuple[str, str, str]
    #: The module holding the catalog (``CATALOG``, ``QUESTIONS``, ``by_id``, ``select``), imported on first use.
    catalog_module: str
    #: The functions the bulk sweep calls on every problem, and those it calls on a share each, in turn.
    sweep_always: tuple[str, ...]
    sweep_rotation: tuple[str, ...]
    #: What shrinking a problem needs to know of its structure (:mod:`reference.compare.exercise.shrinking`).
    shrinking: ModuleType
    #: The backward chain drawn on the HTML page: node, label, position, the properties that check it; its edges;
    #: and the pattern that finds, in a failure's ``array`` detail, the node it names.
    chain_nodes: tuple
    chain_edges: tuple
    chain_field: re.Pattern
    #: Questions of one claim (a failure of either is one cause): a group's first → the group, read on first use.
    same_claim: Callable[[], dict]
    #: How a submission's adapter gives the penalties' weights (a record's name holds it): ``declared`` → form.
    penalties_form: Callable
    #: The reference's answers, asked once each (``put(key, answer)``: an answer a journal replays).
    reference_memo: Any
    #: A problem's arrays, in the order a report prints them.
    arrays: tuple[str, ...]
    #: Problems: their type, draw one from a seed, describe one for a report, rebuild one as Python text.
    problem: type
    problem_from_seed: Callable
    describe: Callable
    describe_arrays: Callable
    #: The bulk sweep: the penalty modes a batch's problems cycle through, batches of problems, the reference's
    #: arrays for a batch, whether arrays kept from an earlier run fit a batch, an array's extra allowance, which
    #: problems are ordinary (``sweep.ordinary``).
    sweep_modes: tuple[str, ...]
    sweep_shapes: Callable
    evaluate_batch: Callable
    sweep_fits: Callable
    extra_allowance: Callable
    ordinary: Callable

    @property
    def dims(self) -> tuple[str, ...]:
        """The sizes of a problem, in order."""
        return self.api.DIMS

    @property
    def types(self) -> dict[str, type]:
        """The API's named tuples, by name."""
        return {name: getattr(self.api, name) for name in self.api.TYPES}

    @property
    def elementwise(self) -> tuple[str, ...]:
        """The functions of one array (the adapter maps none of them by default)."""
        return self.api.PART_A

    @property
    def names(self) -> frozenset[str]:
        """Every name of the course the machinery must not spell: the API's names and its named tuples' fields
        (not the arguments' names, which are the machinery's vocabulary too)."""
        arguments = {a for args in self.api.ARGUMENTS.values() for a in args}
        fields = {f for t in self.types.values() for f in t._fields}
        return frozenset(set(self.api.API) | (fields - arguments))

    def catalog(self) -> Any:
        """The catalog's module (imported on first use)."""
        import importlib

        return importlib.import_module(self.catalog_module)

    def question_ids(self) -> tuple[str, ...]:
        """Every question and property id, in the catalog's order."""
        cat = self.catalog()
        return tuple(dict.fromkeys([*cat.QUESTIONS, *(p.question for p in cat.CATALOG),
                                    *(p.id for p in cat.CATALOG)]))


#: This course's exercise: the two-layer network of handgrad.
EXERCISE = Exercise(
    api=_api,
    answer_key=("handgrad.network", "handgrad.functions", "reference.network", "reference.functions",
                "reference.engine", "reference.definition"),
    parts={"A": "part A (A1–A9)", "B": "part B (B1–B18)", "X": "beyond the seeds (X1–X5)"},
    examples=("A5", "B15", "B18-l11"),
    catalog_module="reference.compare.exercise.catalog",
    sweep_always=("backprop",),
    sweep_rotation=("forward", "loss", "risk"),
    shrinking=_shrinking,
    chain_nodes=_picture.CHAIN,
    chain_edges=_picture.EDGES,
    chain_field=_picture.FIELD,
    same_claim=_value("reference.compare.exercise.catalog.chain", "SAME_CLAIM"),
    penalties_form=_problems.lambdas_form,
    reference_memo=_reference_memo.MEMO,
    arrays=("X", "y") + _api.PARAMS,
    problem=_problems.Problem,
    problem_from_seed=_problems.problem_from_seed,
    describe=_problems.describe,
    describe_arrays=_rebuild.describe_arrays,
    sweep_modes=_problems.LAMBDA_MODES,
    sweep_shapes=_lazy("reference.compare.exercise.bulk_problems", "sweep_shapes"),
    evaluate_batch=_lazy("reference.compare.exercise.bulk_problems", "evaluate_batch"),
    sweep_fits=_lazy("reference.compare.exercise.bulk_problems", "fits"),
    extra_allowance=_lazy("reference.compare.exercise.bulk_problems", "extra_allowance"),
    ordinary=_lazy("reference.compare.exercise.bulk_problems", "ordinary"),
)
