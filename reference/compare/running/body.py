"""One property's run on one implementation: the test body, called once per example, and the result it ends in.

:class:`PropertyTest` is the only test body: the runner calls it under Hypothesis
(:func:`~reference.compare.running.runner.run_property`), the follower on the examples of a journal
(:func:`~reference.compare.running.runner.follow_property`), the replayer on those of a record
(:class:`reference.compare.reuse.records.Replayer`). Each example is judged, and each run ends
(:meth:`PropertyTest.end`), in one place, so the three give the same :class:`PropertyResult`.
:func:`outcome_signature` is how a call of the test ended, as Hypothesis tells calls apart.
"""

from __future__ import annotations

import math
import pathlib
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

import hypothesis
import hypothesis.errors
import numpy as np

from reference.compare.exercise import EXERCISE
from reference.compare.exercise.catalog import Context, Property, PropertyFailure, Rejected
from reference.compare.exercise.catalog.chain import Inherited, Uninformed
from reference.compare.exercise.catalog.check import Stats, WrongDtype, entry_error
from reference.compare.running.shrink import counterexample, seeded, shrink_failure
from reference.compare.sandbox import ImplCrashed, ImplExited, ImplProblem, ImplRaised, ImplTimeout, Refused

__all__ = ["STATUSES", "PropertyResult", "finite_json", "outcome_signature", "PropertyTest", "ABORTING", "lacking",
           "reject_outside", "absent_text", "not_expressed_text", "settle_roots", "settle_raises", "settle"]

#: A property's statuses, from best to worst for a question's verdict.
STATUSES = ("pass", "inherited", "not-applicable", "not-implemented", "missing", "fail", "error", "not-run",
            "internal")


@dataclass
class PropertyResult:
    """What the report says about one property."""

    id: str
    question: str
    title: str
    #: pass; fail (a claim does not hold, or holds only on own inputs that carry no information, or a
    #: structural check of a function that does no work); inherited (right on its own inputs, wrong because of
    #: an earlier question); missing, not-implemented, not-applicable (not checked, and why); error (the
    #: implementation raised, exited, crashed or hung); not-run (the overall deadline came first); internal (the
    #: grader's own fault, never the submission's)
    status: str = "pass"
    examples: int = 0
    sweep_examples: int = 0
    seconds: float = 0.0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    message: str = ""
    counterexample: dict | None = None
    replay: str = ""
    details: dict = field(default_factory=dict)
    #: The worst |got − want| / allowed seen (≤ 1 passes), and |got − want| at that entry.
    worst_ratio: float = 0.0
    abs_error_at_worst: float = 0.0

    def take_stats(self, stats: Any) -> None:
        """The error figures of a run's ``Context.stats``."""
        self.max_abs_error, self.max_rel_error = stats.max_abs_error, stats.max_rel_error
        self.worst_ratio, self.abs_error_at_worst = stats.worst_ratio, stats.abs_error_at_worst

    def take_failure(self, stats: Any) -> None:
        """A failure's figures, those of the example its message describes (``stats``: that example's alone,
        ``Context.example_stats``), not of every example tried: ``max_abs_error`` and ``max_rel_error`` over its
        comparisons, and ``worst_ratio`` and ``abs_error_at_worst`` at the entry the message names
        (``details``' got, want and allowed). A failure that names no entry (a shape, a type) compared nothing
        there: its ratio is nan, and the reports show "-"."""
        self.take_stats(stats)
        d = self.details or {}
        if all(d.get(k) is not None for k in ("got", "want", "allowed")):
            self.abs_error_at_worst, self.worst_ratio = entry_error(d["got"], d["want"], d["allowed"])
        else:
            self.abs_error_at_worst = self.worst_ratio = math.nan

    def to_dict(self) -> dict:
        """As JSON data: non-finite numbers anywhere become the strings "nan", "inf", "-inf"."""
        return finite_json(asdict(self))


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (and NumPy number) as a string: valid strict JSON.

    >>> finite_json({"got": float("nan"), "index": (1, 2), "want": [float("-inf"), 0.5]})
    {'got': 'nan', 'index': [1, 2], 'want': ['-inf', 0.5]}
    """
    if isinstance(value, dict):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def outcome_signature(exc: BaseException, depth: int = 0) -> tuple:
    """How a call of a test ended, as Hypothesis tells failures apart (its "interesting origin"): the
    exception's type, the file and line it was raised at, and the same of the exception it was raised in.
    A rejected example is only that, wherever it was rejected: Hypothesis tells rejections not apart."""
    if isinstance(exc, hypothesis.errors.UnsatisfiedAssumption):
        return (hypothesis.errors.UnsatisfiedAssumption,)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else (None, None)
    context = exc.__context__
    inner = outcome_signature(context, depth + 1) if context is not None and context is not exc and depth < 8 else ()
    return (type(exc), *where, inner)


#: What ends a run at once, without shrinking (each retry would cost a time-out or a restart): a hang, a crash,
#: an exit.
ABORTING = (ImplTimeout, ImplCrashed, ImplExited)


def lacking(prop: Property, impl: Any) -> list[str]:
    """The functions ``prop`` calls that the submission does not have: then it is "missing", never tested,
    unless it is partial (its ``partial``) and has one of them: then it is tested on those, and "missing" if right."""
    return sorted(set(prop.calls) & set(getattr(impl, "missing", ())))


def absent_text(absent: list[str], impl: Any) -> str:
    """Why the functions ``absent`` are not there, as the report says it: without an adapter the submission has
    none; with one, a function of part B (or any, for a Python adapter) is what the adapter does not give, whatever
    the submission holds (its own code is called only through the adapter), and one of part A is neither mapped
    nor in the submission under the API's name.

    >>> from types import SimpleNamespace as NS
    >>> one = EXERCISE.elementwise[0]  # a function of one array; "solve" stands for any other
    >>> absent_text(["solve"], NS(declared=None))
    'the submission has no solve'
    >>> print(absent_text(["solve", one], NS(declared=NS(source="/x/hw.toml"))).replace(one, "<f>"))
    its adapter (hw.toml) maps no solve (the submission is called only through it); the submission has no <f>, \
and its adapter maps none
    """
    declared = getattr(impl, "declared", None)
    if declared is None:
        return f"the submission has no {', '.join(absent)}"
    source = pathlib.Path(str(getattr(declared, "source", "") or "adapter")).name
    if source.endswith(".py"):
        return f"its adapter ({source}) defines no {', '.join(absent)}"
    unmapped = [n for n in absent if n not in EXERCISE.elementwise]
    own = [n for n in absent if n in EXERCISE.elementwise]
    parts = [f"its adapter ({source}) maps no {', '.join(unmapped)} (the submission is called only through it)"
             ] if unmapped else []
    if own:
        parts.append(f"the submission has no {', '.join(own)}, and its adapter "
                     + ("maps none" if unmapped else f"({source}) maps none"))
    return "; ".join(parts)


def not_expressed_text(refused: int, examples: int) -> str:
    """A not-applicable property's message: of the ``examples`` its EXAMPLES column counts, ``refused`` were not
    sent (its adapter cannot express them), the others outside what the property judges (rejected).

    >>> not_expressed_text(40, 40)
    'not checked: its adapter cannot express any of the 40 problems drawn'
    >>> not_expressed_text(18, 46).split("(")[1]
    '18 of the 46 tried; the 28 others are outside what this property judges)'
    """
    if refused >= examples:
        return f"not checked: its adapter cannot express any of the {examples} problems drawn"
    return (f"not checked: its adapter cannot express the problems drawn ({refused} of the {examples} tried; the "
            f"{examples - refused} others are outside what this property judges)")


def reject_outside() -> None:
    """What ``hypothesis.reject()`` raises, for a test called outside Hypothesis (where it must not be called)."""
    raise hypothesis.errors.UnsatisfiedAssumption("rejected")


class PropertyTest:
    """``prop``'s test on ``ctx``'s implementation: called once per example (the test body), then :meth:`end`.

    ``reject``: what a rejected example calls (``hypothesis.reject``; :func:`reject_outside` out of
    Hypothesis). ``target``: steer Hypothesis toward large errors (``hypothesis.target``).
    """

    def __init__(self, prop: Property, ctx: Context, *, replay: str = "", target: bool = False,
                 reject: Callable[[], None] = hypothesis.reject) -> None:
        self.prop, self.ctx, self.target, self.reject = prop, ctx, target, reject
        self.result = PropertyResult(prop.id, prop.question, prop.title, replay=replay)
        #: the last failure or problem raised, its example, and whether it ends the run (no more calls)
        self.problem: Exception | None = None
        self.example: Any = None
        self.aborted = False
        #: the first (failure, example) right on the example's own inputs, and on own inputs that carry nothing
        self.inherited: tuple | None = None
        self.uninformed: tuple | None = None
        #: examples not sent: their adapter cannot express them
        self.not_applicable = 0
        #: the statistics of the example of ``problem`` alone (``Context.example_stats``): a failure's figures
        self.figures = Stats()
        #: the first raise of the shapes (:meth:`_elsewhere`) and its example; how many examples were judged
        #: where the function answers instead, and the labels of those problems (``"dh = m"``: sides made equal)
        self.raised: tuple | None = None
        self.moved = 0
        self.variants: dict[str, int] = {}
        ctx.stats = type(ctx.stats)()
        self.start = time.perf_counter()

    def __call__(self, example: Any, answers: dict | None = None) -> None:
        """One example: the check, its statistics kept, and how it ended sorted out.

        Rejected: not an example of the property (``reject``). Inherited (or a value right in another dtype):
        not this step's mistake, kept and the run goes on looking for one of its own; Uninformed (own inputs that
        carry no information) likewise. Refused (its adapter cannot express the problem): counted and rejected.
        A failure, or the implementation's problem, is kept with its example and raised; a hang, crash, exit or
        NotImplementedError ends the run: every later call raises it again at once. A raise of the problem's
        shapes is judged where the function answers instead (:meth:`_elsewhere`). ``answers``: the reference's
        answers a record kept for this example.
        """
        if self.aborted:
            raise self.problem  # no more calls: Hypothesis replays quickly and stops
        try:
            self._judge(example, answers)
        finally:
            ratio = self.ctx.example_ratio
            if self.target and math.isfinite(ratio):
                hypothesis.target(min(ratio, 1e300), label="error / allowed")

    def _judge(self, example: Any, answers: dict | None, raising: str | None = None) -> None:
        """:meth:`__call__`'s example judged. ``raising``: the function that raised on the example this one stands
        for (:meth:`_elsewhere`); its raising here too raises :class:`_Unanswered`."""
        ctx = self.ctx
        self.result.examples += 1
        ctx.example_ratio = 0.0
        ctx.forget()
        if answers is not None:
            ctx.answers.update(answers)
        try:
            self.prop.check(ctx, example)
        except Rejected:
            self.reject()
        except (Inherited, WrongDtype) as exc:  # not this step's mistake: keep looking for one of its own
            self.inherited = self.inherited or (exc, example, replace(ctx.example_stats))
        except Uninformed as exc:  # this example shows nothing either way: keep looking
            self.uninformed = self.uninformed or (exc, example, replace(ctx.example_stats))
        except Refused:  # not sent: its adapter, as the grader read it, cannot express this problem
            self.not_applicable += 1
            self.reject()
        except ImplRaised as exc:
            if raising is not None and exc.function == raising and not _raised(exc, "NotImplementedError"):
                self.result.examples -= 1
                raise _Unanswered from exc
            if raising is None and self._elsewhere(example, exc, answers):
                return  # a raise of the shapes: judged where it answers (settle_raises charges it)
            self.problem, self.example, self.aborted = exc, example, _raised(exc, "NotImplementedError")
            self.figures = replace(ctx.example_stats)
            raise
        except (PropertyFailure, ImplProblem) as exc:
            self.problem, self.example, self.aborted = exc, example, isinstance(exc, ABORTING)
            self.figures = replace(ctx.example_stats)
            raise

    def _elsewhere(self, example: Any, exc: ImplRaised, answers: dict | None) -> bool:
        """Judge ``example`` where the function that raised on it answers, if ``exc`` is a raise of its shapes
        (:meth:`_of_the_shapes`): on the first of its variants (``EXERCISE.shrinking.variants``: two sides made
        equal, the others apart; then every side equal) where it does not raise. True if judged there (the
        verdict, a failure included, is that problem's); False if it raises on every one."""
        if not self._of_the_shapes(example, exc):
            return False
        ctx = self.ctx
        self.result.examples -= 1  # the variant's call counts it
        for label, variant in EXERCISE.shrinking.variants(example, first=next(iter(self.variants), None)):
            stats = replace(ctx.stats)
            judged = True
            try:
                self._judge(variant, answers, raising=exc.function)
            except _Unanswered:
                judged, ctx.stats = False, stats  # it raised there too: the next one
            finally:
                if judged:
                    self.raised = self.raised or (exc, example)
                    self.moved += 1
                    self.variants[label] = self.variants.get(label, 0) + 1
            if judged:
                return True
        self.result.examples += 1
        return False

    def _at_course_size(self) -> Exception | None:
        """A run judged where two sides are equal, and right there, judged once more on a problem of the course's
        size with those sides equal (``EXERCISE.shrinking.at_course_size``): the bulk sweep does not judge it, its
        problems' sides being apart (attack round 14: mistakes made past 64 hidden units or examples did not
        show). Raising there too, it is not one pair's raise (``where`` says so, and the raise is an error
        wherever it was seen); failing there, that is the run's failure (returned, as a run raises it)."""
        if len(self.variants) != 1 or self.raised is None:
            return None
        exc, example = self.raised
        big = EXERCISE.shrinking.at_course_size(example, next(iter(self.variants)))
        if big is None:
            return None
        stats, reject = replace(self.ctx.stats), self.reject
        self.reject = reject_outside  # Hypothesis's run has ended
        try:
            self._judge(big, None, raising=exc.function)
        except _Unanswered:
            self.ctx.stats = stats
            self.variants[COURSE_RAISED] = 1
        except hypothesis.errors.UnsatisfiedAssumption:  # not an example of the property there: nothing to judge
            self.result.examples -= 1
        except (PropertyFailure, ImplProblem) as failure:
            return failure
        finally:
            self.reject = reject
        return None

    def _of_the_shapes(self, example: Any, exc: ImplRaised) -> bool:
        """Is ``exc`` a raise of ``example``'s shapes: the function raised (not NotImplementedError, not a reply
        of the wrong form), the example is not square, and the function raises on other values of the same
        shapes too (``same_shapes``)? A raise of the values is an error where it happens."""
        rules = EXERCISE.shrinking
        if not exc.function or exc.type_name in ("", "NotImplementedError") or rules.square(example) is None:
            return False
        ctx, stats = self.ctx, self.ctx.stats
        ctx.stats = Stats()  # the probe's comparisons are not the property's
        ctx.forget()
        try:
            self.prop.check(ctx, rules.same_shapes(example))
        except ImplRaised as again:
            return again.function == exc.function and again.type_name not in ("", "NotImplementedError")
        except (Rejected, PropertyFailure, ImplProblem):
            return False  # it answered (the check's verdict is not asked), or did not at all
        else:
            return False
        finally:
            ctx.stats = stats
            ctx.forget()

    def end(self, raised: Exception | None = None, *, shrink: bool = True) -> PropertyResult:
        """The result, the test called no more; ``raised``: what the run raised in the end (None: nothing).

        A run that raised ends as :meth:`_verdict` says. One that did not, with a failure right on its own inputs
        kept, is that failure (the first inherited one, else the first uninformed). A fail or an inherited
        failure of a seeded example is shrunk (``shrink``); a hang, crash or exit never is.
        """
        if raised is None and self.variants and not self.aborted:
            raised = self._at_course_size()
        if raised is not None:
            self._verdict(raised)
        result = self.result
        kept = self.inherited or self.uninformed  # right on informative own inputs somewhere: inherited
        if result.status == "pass" and kept is not None:
            failure, self.example, self.figures = kept
            result.status, result.message, result.details = failure.status, failure.message, failure.details()
            result.counterexample = counterexample(self.example)
        if self.raised is not None and result.status in ("pass", "inherited", "fail"):
            exc, example = self.raised
            result.details = {**(result.details or {}), "raised": {
                "function": exc.function, "message": str(exc), "moved": self.moved, "where": dict(self.variants),
                "counterexample": counterexample(example)}}
        if result.status in ("fail", "inherited"):
            result.take_failure(self.figures)  # the figures of the example the message describes
        else:
            result.take_stats(self.ctx.stats)
        if shrink and result.status in ("fail", "inherited") and seeded(self.example):
            shrink_failure(result, self.prop, self.ctx, self.example)  # a smaller example: its message and figures
        absent = lacking(self.prop, self.ctx.impl)
        if absent and result.status in ("pass", "inherited"):  # a partial property: its claim is of all
            checked = [f for f in self.prop.calls if f not in absent]
            result.status = "missing"
            result.message = (f"right on {', '.join(checked)}; not checked on the others: "
                              f"{absent_text(absent, self.ctx.impl)}")
        result.seconds = time.perf_counter() - self.start
        return result

    def _verdict(self, exc: Exception) -> None:
        """The result of a run that raised: not applicable, a failure, the implementation's problem, or our error."""
        result, problem = self.result, self.problem
        if isinstance(exc, hypothesis.errors.Unsatisfiable) and self.not_applicable:
            result.status = "not-applicable"
            result.message = not_expressed_text(self.not_applicable, result.examples)
            return
        ours = (PropertyFailure, ImplProblem)
        if problem is None or not (isinstance(exc, ours) or _flaky_of(exc, ours)):
            # the grader's own error, or Hypothesis's about the grader's strategies: never the submission's
            result.status, result.message = "internal", f"internal error of the grader: {type(exc).__name__}: {exc}"
            return
        result.counterexample = counterexample(self.example)
        if isinstance(problem, PropertyFailure):
            result.status, result.message, result.details = problem.status, problem.message, problem.details()
        else:
            result.status = "not-implemented" if _raised(problem, "NotImplementedError") else "error"
            result.message = str(problem)


#: How ``where`` names a course-size problem with a pair's sides equal that the function raised on too.
COURSE_RAISED = "a problem of the course's size, where it raised too"


class _Unanswered(Exception):
    """The function that raised on an example raised on the problem standing for it too
    (:meth:`PropertyTest._elsewhere`)."""


def _raised(exc: Exception, type_name: str) -> bool:
    return isinstance(exc, ImplRaised) and exc.type_name == type_name


def _flaky_of(exc: Exception, kinds: tuple) -> bool:
    """A Hypothesis Flaky error about the implementation: it failed, then did not, on the same example."""
    return isinstance(exc, hypothesis.errors.Flaky) and any(
        isinstance(e, kinds) for e in getattr(exc, "exceptions", ()))


#: How an inherited failure's message names its root (:class:`~reference.compare.exercise.catalog.chain.Inherited`).
_INHERITED_FROM = "; right on its own inputs: inherited from "


def settle_roots(results: list[PropertyResult]) -> list[PropertyResult]:
    """Every mistake is charged somewhere: an inherited failure whose root question was run and passed (each of
    its properties passed on its own examples) is charged where it was seen. A submission could otherwise be
    wrong upstream only on the problems of a later question and have the mistake charged nowhere. A root that
    failed, or itself inherits (its mistake is charged further up, or here when that root passed), keeps its
    heirs inherited; a root not run (a selection, the deadline) or not judged (not applicable) leaves them as
    they are. Changes ``results`` in place; returns them.

    >>> up = PropertyResult("Q1", "Q1", "a step", status="pass")
    >>> heir = PropertyResult("Q2", "Q2", "the next step", status="inherited", details={"root": "Q1"},
    ...                       message="y is off" + _INHERITED_FROM + "Q1")
    >>> next_heir = PropertyResult("Q3", "Q3", "the step after", status="inherited", details={"root": "Q2"})
    >>> [r.status for r in settle_roots([up, heir, next_heir])], heir.message
    (['pass', 'fail', 'inherited'], 'y is off; charged here: the mistake upstream it would inherit is charged nowhere')
    """
    by_question: dict[str, list[PropertyResult]] = {}
    for r in results:
        by_question.setdefault(r.question, []).append(r)

    def passed(question: str) -> bool:
        rs = by_question.get(question)
        return bool(rs) and all(r.status == "pass" for r in rs)

    settled = [r for r in results if r.status == "inherited" and passed(r.details.get("root", ""))]
    for r in settled:  # decided on the results as run, then changed: the order does not matter
        r.status = "fail"
        r.message = (r.message.split(_INHERITED_FROM)[0]
                     + "; charged here: the mistake upstream it would inherit is charged nowhere")
        r.details = {k: v for k, v in r.details.items() if k != "root"}
    return results


#: How a diagnosis names a square array transposed, or a product with a square array transposed
#: (:mod:`reference.compare.exercise.diagnose`): on a problem where two sides alone are equal, an array of those
#: two sides.
_TRANSPOSED = "the reference transposed"
_TRANSPOSED_IN_PRODUCT = "a weight transposed in the product"


def _explains(r: PropertyResult, pair: str) -> bool:
    """Does failing ``r`` show an array of the sides ``pair`` (a :func:`variants` label) transposed: one of those
    sides (``EXERCISE.shrinking.sides``) diagnosed transposed, or a product with a square weight transposed
    where ``r`` itself was judged where those sides alone are equal (its function raised elsewhere)?"""
    details = r.details or {}
    said = str(details.get("diagnosis") or "")
    if r.status != "fail":
        return False
    if said == _TRANSPOSED or said.startswith(f"{_TRANSPOSED} (shape"):
        return EXERCISE.shrinking.sides(details.get("array")) == pair
    return said.startswith(_TRANSPOSED_IN_PRODUCT) and list((details.get("raised") or {}).get("where", ())) == [pair]


def settle_raises(results: list[PropertyResult], calls: dict[str, tuple[str, ...]] | None = None
                  ) -> list[PropertyResult]:
    """A function that raises on some problems' shapes is judged where it answers (:meth:`PropertyTest._elsewhere`):
    where two sides are equal and the others apart, else where every side is. Its raising is charged once when
    one pair of sides, the same on every problem it raised on, made it answer, and a property that saw it fails
    there with a square array transposed (the product that raises on other shapes): at the first such property
    (in ``results``' order) that calls it, or a function it is built on (``EXERCISE.shrinking.USES``; ``calls``:
    property id → the functions it calls); the others that saw it raise and were right where it answers inherit
    the charge.
    Only a ratio of those two sides goes unseen there, and no formula of the network holds one (the batch's
    side is never made equal to another: ``EXERCISE.shrinking.PAIRS``). Otherwise the raise may be a refusal that
    hides what such problems cannot show (a side confused with another): each property that saw it is an error,
    as any raise is. Changes ``results`` in place; returns them.

    >>> raised = {"function": "f", "message": "f raised ValueError: shapes", "moved": 3, "where": {"a = b": 3},
    ...           "counterexample": {"x": "[1, 2]"}}
    >>> first = PropertyResult("Q1", "Q1", "a step", status="fail", message="y is off",
    ...                        details={"diagnosis": "a weight transposed in the product: …", "raised": raised})
    >>> second = PropertyResult("Q2", "Q2", "the next step", details={"raised": raised})
    >>> [r.status for r in settle_raises([first, second], {"Q1": ("f",), "Q2": ("f",)})], second.message.split(";")[0]
    (['fail', 'inherited'], 'right where f answers (a = b, the other sides apart)')
    >>> lone = PropertyResult("Q2", "Q2", "the next step", details={"raised": raised})
    >>> [r.status for r in settle_raises([lone])], lone.message.split(";")[0]
    (['error'], 'f raised ValueError: shapes')
    """
    by_function: dict[str, list[PropertyResult]] = {}
    for r in results:
        raised = (r.details or {}).get("raised")
        if raised and r.status in ("pass", "inherited", "fail"):
            by_function.setdefault(raised["function"], []).append(r)
    for function, seen in by_function.items():
        raised = seen[0].details["raised"]
        where = list(dict.fromkeys(label for r in seen for label in r.details["raised"].get("where", {})))
        # one pair of sides, never every side (a square hides every side confused with another, the batch's too:
        # attack rounds 11 and 12)
        paired = len(where) == 1 and where[0] != EXERCISE.shrinking.SQUARE
        # the transposed array is the raising function's own, or that of a function it is built on (its property
        # calls one): another function's explains nothing of this one's raise (attack round 14: the gradients'
        # function, its weight's gradient transposed, forgave the first layer's shape check)
        own = {function, *EXERCISE.shrinking.USES.get(function, ())}
        root = next((r for r in results if _explains(r, where[0]) and own & set((calls or {}).get(r.id, ()))),
                    None) if paired else None
        if root is None:
            for r in seen:
                if r.status != "fail":
                    r.status, r.counterexample = "error", r.details["raised"]["counterexample"]
                    r.message = (f"{r.details['raised']['message']}; right where it answers ({' or '.join(where)}), "
                                 "but no transposed array of two sides explains the raise there: an error, as any "
                                 "raise is")
                    r.details = {k: v for k, v in r.details.items() if k != "root"}
            continue
        root.message += (f"; {function} raises unless {where[0]} ({raised['message']}), as this transposed "
                         "array would: charged here once")
        for r in seen:
            if r is not root and r.status == "pass":
                r.status = "inherited"
                r.message = (f"right where {function} answers ({where[0]}, the other sides apart); its raising on "
                             f"other shapes is charged at {root.id}")
                r.details = {**r.details, "root": root.question}
    return results


def settle(results: list[PropertyResult], props: list[Property]) -> list[PropertyResult]:
    """Every charge in its place: :func:`settle_raises`, then :func:`settle_roots` (``props``: those run)."""
    return settle_roots(settle_raises(results, {p.id: tuple(p.calls) for p in props}))
