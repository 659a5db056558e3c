"""What a definition's properties judge: each array of the submission against the reference, and on its own inputs.

Each property judges one array (:func:`properties`): right when it agrees with the reference's to
``SAFETY·E + FLOOR`` (:mod:`reference.compare.exercise.tolerance`); when it does not, a backward step is
recomputed from the submission's own upstream gradients (:func:`local`) at its own forward values (:func:`seen`),
and the failure is the step's own when it is wrong on them, else inherited from the first step up the chain that
is — past the loss, from the first forward node wrong on its own inputs; right on own inputs that carry
nothing, the step's own failure still (uninformed). That is the seeds' exercise's "error carried forward"
(:mod:`reference.compare.exercise.catalog.chain`) without its refinements: batching, large logits, the penalty
apart at λ = 0, the judging worker. A forward node, the loss and the risk are judged likewise on the
submission's own earlier values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax.numpy as jnp
import numpy as np

from reference.compare.definitions.derived import (
    Evaluation,
    Link,
    Problem,
    carried,
    evaluate,
    kink_slack,
    link_at,
    times,
    transposed,
)
from reference.compare.definitions.vocabulary import Definition, Step
from reference.compare.exercise.catalog.check import empty
from reference.compare.exercise.tolerance import FLOOR, SAFETY, U64
from reference.plumbing import x64

__all__ = ["Verdict", "Seen", "Property", "local", "seen", "properties", "judge_all", "summary", "read_back"]


def local(definition: Definition, ev: Evaluation, problem: Problem, own: Callable[[str], Any], name: str,
          links: dict[str, Link] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(want, allowed) for gradient ``name`` computed from the submission's own upstream gradients ``own(node)``
    (the reference's where the API returns none, the loss's own 1), at ``links`` (the submission's own forward
    values, :func:`seen`; default the reference's)."""
    loss, n = definition.loss.node, ev.values[definition.loss.node].shape[0]
    want, err = 0.0, 0.0
    for link in (links or ev.links).values():
        out = link.step.node
        if name not in link.jac or out not in ev.grads:
            continue  # a step that does not use it, or a forward output only: no gradient flows back
        up = (np.ones(ev.values[loss].shape) if out == loss
              else np.asarray(own(definition.field(out)), dtype=np.float64) if out in definition.gradients
              else ev.grads[out])
        if up.shape != ev.grads.get(out, up).shape:
            raise ValueError(f"the upstream gradient {out} has shape {up.shape}")
        J = link.jac[name]
        want = want + transposed(J, up, link.pattern[name])
        err = (err + link.k * U64 * transposed(link.rounding[name], np.abs(up)) + carried(link, up, ev.bound, name)
               + kink_slack(link, up, ev.values, ev.bound, name))
    if name in definition.params:
        pen = _pen(definition, ev, problem, name)
        # the mean's 1/n and the sum with the penalty's gradient: a rounding each, with a margin of 2
        want, err = want / n + pen, err / n + 4 * U64 * (np.abs(want / n) + np.abs(pen))
    return want, SAFETY * err + FLOOR


def _pen(definition: Definition, ev: Evaluation, problem: Problem, name: str) -> np.ndarray:
    """The penalties' part of parameter ``name``'s gradient (the reference's: its gradient less the data term's
    mean, which :func:`~.derived.evaluate` keeps apart)."""
    return ev.slopes.get(name, np.zeros(ev.values[name].shape))


@dataclass(frozen=True)
class Verdict:
    """``right``; ``own`` (wrong on its own inputs); ``uninformed`` (right on its own inputs, but they carry no
    information: the step's own failure too); ``inherited`` from ``root`` (right on its own informative inputs);
    ``error`` (the function raised)."""

    status: str
    root: str | None = None
    message: str = ""


@dataclass
class Seen:
    """What the submission answered on one problem: each function's result (or the exception it raised); the
    links at its own forward values, when they are a computation a backward pass could have used (else the
    reference's); the first forward node wrong on its own inputs (None: none is)."""

    results: dict[str, Any]
    links: dict[str, Link]
    forward_root: str | None


@dataclass(frozen=True)
class Property:
    """A derived property: id, question, the API function it calls, and its judgment of what was seen."""

    id: str
    question: str
    function: str
    title: str
    judge: Callable[[Definition, Evaluation, Problem, Seen], Verdict]


def _agrees(got: Any, want: np.ndarray, allowed: np.ndarray, same_nonfinite: bool = False) -> tuple[bool, str]:
    """Does ``got`` hold ``want`` to ``allowed`` on every entry (and, with ``same_nonfinite``, the same nan or inf
    where ``want`` has one: a step's nan or inf computed from its own upstream nan), and if not, where and how far?"""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False, f"not an array of numbers ({type(got).__name__})"
    if got.shape != np.shape(want):
        return False, f"shape {got.shape}, want {np.shape(want)}"
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got - want) <= allowed)
        if same_nonfinite:
            bad &= ~((got == want) | (np.isnan(want) & ~np.isfinite(got)))
    if not bad.any():
        return True, ""
    worst = int(np.argmax(np.where(bad, np.abs(got - want), -1.0)))
    i = np.unravel_index(worst, np.shape(want)) if np.ndim(want) else ()
    return False, f"at {i}: got {got[i]!r}, want {np.asarray(want)[i]!r} (allowed {np.asarray(allowed)[i]:.3g})"


def _on_own_inputs(definition: Definition, ev: Evaluation, step: Step, own: dict[str, Any]) -> tuple[bool, str]:
    """Is ``own[step.node]`` the step applied to the submission's own earlier nodes (``own``; the problem's data
    and parameters), to the step's rounding at those values?"""
    args = {i: (own.get(i) if i in ev.links else ev.values[i]) for i in step.inputs}
    try:
        with x64():
            want = np.asarray(step.fn(*(jnp.asarray(np.asarray(v, dtype=ev.values[i].dtype))
                                        for i, v in args.items())), dtype=np.float64)
        link = ev.links[step.node]
        allowed = SAFETY * link.k * U64 * (np.abs(want) + sum(times(np.abs(J), np.abs(np.asarray(args[i], float)))
                                                               for i, J in link.jac.items())) + FLOOR
    except (TypeError, ValueError, AttributeError):
        return False, "its inputs are not arrays of their shapes"
    return _agrees(own.get(step.node), want, allowed)


def seen(definition: Definition, ev: Evaluation, problem: Problem, results: dict[str, Any]) -> Seen:
    """The submission's answers, and the forward values its backward steps are judged at: its own forward's,
    when each node has its shape and each elementwise step a gradient flows through (tanh, rect) is right on
    its own input (a forward that reports ha = 1 where it computed hs = rect(ha) = 0 computed no such ha; a
    wrong layer, b2 forgotten, stays usable), else the reference's."""
    fwd = results.get("forward")
    own = {s.node: getattr(fwd, s.node, None) for s in definition.steps}
    shaped = all(isinstance(v, np.ndarray) and v.shape == ev.values[k].shape for k, v in own.items())
    if not shaped:
        return Seen(results, ev.links, None)
    holds = {s.node: _on_own_inputs(definition, ev, s, own)[0] for s in definition.steps}
    root = next((s.node for s in definition.steps if not holds[s.node]), None)
    elementwise = [s for s in definition.steps if s.node in ev.grads and len(s.inputs) == 1]
    if not all(holds[s.node] for s in elementwise):
        return Seen(results, ev.links, root)
    values = {**ev.values, **{k: np.asarray(v, dtype=np.float64) for k, v in own.items()}}
    with x64():
        links = {s.node: link_at(definition, s, values) for s in (*definition.steps, definition.loss)}
    return Seen(results, links, root)


def _backward_judge(name: str) -> Callable:
    def judge(definition: Definition, ev: Evaluation, problem: Problem, s: Seen) -> Verdict:
        result = s.results["backprop"]
        got = getattr(result, definition.field(name), None)
        right, why = _agrees(got, ev.grads[name], SAFETY * ev.grad_bound[name] + FLOOR)
        if right:
            return Verdict("right")
        if not _holds(definition, ev, problem, s, name):
            return Verdict("own", name, f"∂/∂{name} {why}; wrong on its own upstream gradients")
        silent = _silent(definition, ev, s, name)
        if silent:
            return Verdict("uninformed", name, f"∂/∂{name} {why}; right on its own {silent}: being right on it "
                                               f"shows nothing")
        root = _root(definition, ev, problem, s, name)
        where = (f"{definition.gradients[root]} (∂/∂{root})" if root in definition.gradients
                 else f"{_question(definition, root)} ({root}, the forward)")
        return Verdict("inherited", root, f"∂/∂{name} {why}; right on its own upstream gradients: inherited from "
                                          f"{where}")
    return judge


def _silent(definition: Definition, ev: Evaluation, s: Seen, name: str) -> str | None:
    """Which own upstream gradient of ``name``'s step carries no information (all zero, constant, or scant: far
    fewer entries of meaningful size than the reference's, :func:`~.catalog.check.empty`), and how; None when
    each does. No credit without work: a step right on nothing is the step's own failure."""
    result = s.results["backprop"]
    for link in ev.links.values():
        out = link.step.node
        if name in link.jac and out in definition.gradients:
            how = empty(getattr(result, definition.field(out), None), ev.grads[out],
                        SAFETY * ev.grad_bound[out] + FLOOR)
            if how is not None:
                return f"∂/∂{out}, which is {how}"
    return None


def _question(definition: Definition, node: str | None) -> str | None:
    return next((s.question for s in (*definition.steps, definition.loss) if s.node == node), None)


def _holds(definition, ev, problem, s: Seen, name) -> bool:
    result = s.results["backprop"]
    try:
        want, allowed = local(definition, ev, problem, lambda f: getattr(result, f), name, s.links)
    except (TypeError, ValueError, AttributeError):
        return False  # no upstream array of the right shape: nothing to be right on
    return _agrees(getattr(result, definition.field(name), None), want, allowed, same_nonfinite=True)[0]


def _root(definition, ev, problem, s: Seen, name) -> str | None:
    """The first gradient up the chain (toward the loss) wrong on its own upstream gradients; past the loss,
    the first forward node wrong on its own inputs (the backward steps were right at its values)."""
    for link in ev.links.values():
        out = link.step.node
        if name in link.jac and out in definition.gradients:
            if not _holds(definition, ev, problem, s, out):
                return out
            found = _root(definition, ev, problem, s, out)
            if found:
                return found
    return s.forward_root


def _forward_judge(step: Step) -> Callable:
    def judge(definition: Definition, ev: Evaluation, problem: Problem, s: Seen) -> Verdict:
        result = s.results["forward"]
        right, why = _agrees(getattr(result, step.node, None), ev.values[step.node],
                             SAFETY * ev.bound[step.node] + FLOOR)
        if right:
            return Verdict("right")
        own = {t.node: getattr(result, t.node, None) for t in definition.steps}
        if not _on_own_inputs(definition, ev, step, own)[0]:
            return Verdict("own", step.node, f"{step.node} {why}; wrong on its own inputs")
        up = s.forward_root if s.forward_root != step.node else None
        return Verdict("inherited", up, f"{step.node} {why}; right on its own inputs")
    return judge


def _loss_judge(definition: Definition, ev: Evaluation, problem: Problem, s: Seen) -> Verdict:
    """The loss against the reference; when it is wrong, the loss step on the submission's own forward."""
    step, result = definition.loss, s.results["loss"]
    right, why = _agrees(result, ev.values[step.node], SAFETY * ev.bound[step.node] + FLOOR)
    if right:
        return Verdict("right")
    fwd = s.results.get("forward")
    own = {**{t.node: getattr(fwd, t.node, None) for t in definition.steps}, step.node: result}
    if s.forward_root is None or not _on_own_inputs(definition, ev, step, own)[0]:
        return Verdict("own", step.node, f"the loss {why}")
    return Verdict("inherited", s.forward_root, f"the loss {why}; right on its own forward: inherited from "
                                                f"{_question(definition, s.forward_root)}")


def _risk_judge(definition: Definition, ev: Evaluation, problem: Problem, s: Seen) -> Verdict:
    """The risk against the reference; when it is wrong, the mean of the submission's own losses plus the
    penalties (right on them: the loss's mistake)."""
    result = s.results["risk"]
    right, why = _agrees(result, ev.values["risk"], SAFETY * ev.bound["risk"] + FLOOR)
    if right:
        return Verdict("right")
    try:
        L = np.asarray(s.results["loss"], dtype=np.float64)
        if L.shape != ev.values[definition.loss.node].shape:
            raise ValueError("shape")
    except (TypeError, ValueError):
        return Verdict("own", "risk", f"the risk {why}")
    penalties = ev.values["risk"] - ev.values[definition.loss.node].mean()
    want = L.mean() + penalties
    allowed = SAFETY * (ev.bound["risk"] + (L.size + 2) * U64 * np.abs(L).mean()) + FLOOR
    if not _agrees(result, want, allowed)[0]:
        return Verdict("own", "risk", f"the risk {why}; wrong on its own losses")
    return Verdict("inherited", definition.loss.node, f"the risk {why}; right on its own losses")


def properties(definition: Definition) -> tuple[Property, ...]:
    """A property per forward step (on ``forward``), the loss, the risk, and a gradient ``backprop`` returns."""
    fwd = tuple(Property(f"{s.question}-{s.node}", s.question, "forward",
                         f"{s.node} = {s.node}({', '.join(s.inputs)})", _forward_judge(s)) for s in definition.steps)
    risk = definition.risk_question or "risk"
    values = (Property(definition.loss.question, definition.loss.question, "loss", "the per-example loss",
                       _loss_judge),
              Property(risk, risk, "risk", "mean loss plus the penalties", _risk_judge))
    back = tuple(Property(f"{q}-{name}", q, "backprop", f"∂/∂{name} from its upstream gradients",
                          _backward_judge(name)) for name, q in definition.gradients.items())
    return fwd + values + back


def _expected(definition: Definition, ev: Evaluation) -> dict[str, tuple[str, dict[str, tuple]]]:
    """Each function's expected result: its named tuple's name and each field's shape (loss, risk: one array)."""
    return {"forward": ("Activations", {t.node: ev.values[t.node].shape for t in definition.steps}),
            "backprop": ("Gradients", {definition.field(g): ev.grads[g].shape for g in definition.gradients}),
            "loss": ("", {"": ev.values[definition.loss.node].shape}), "risk": ("", {"": ()})}


def _reshaped(a: Any, shape: tuple) -> Any:
    """``a`` at ``shape`` when it holds its entries with an axis of length 1 more or less; else as it is."""
    if isinstance(a, np.ndarray) and a.shape != shape and a.size == int(np.prod(shape)) and \
            tuple(d for d in a.shape if d != 1) == tuple(d for d in shape if d != 1):
        return a.reshape(shape)
    return a


def read_back(definition: Definition, ev: Evaluation, results: dict[str, Any]) -> dict[str, Any]:
    """The results as the value properties read them when the definition asks the types question apart: a plain
    tuple of the fields' length by position, an array off by axes of length 1 at its shape."""
    if not definition.types_question:
        return results
    out = dict(results)
    for function, (kind, fields) in _expected(definition, ev).items():
        r = results.get(function)
        if r is None:
            continue
        if kind:
            t = definition.types[kind]
            values = (tuple(r) if isinstance(r, (tuple, list)) and not hasattr(r, "_fields") and len(r) == len(fields)
                      else tuple(getattr(r, f, None) for f in fields))
            out[function] = t(*(_reshaped(v, shape) for v, shape in zip(values, fields.values())))
        else:
            out[function] = _reshaped(r, fields[""]) if isinstance(r, np.ndarray) else r
    return out


def _form(definition: Definition, ev: Evaluation, results: dict[str, Any]) -> str | None:
    """What is wrong with the results' form (None: nothing): a container not the API's named tuple, an array not
    float64 or not of its shape (its transpose is the value question's: read back there), a risk not a float."""
    for function, (kind, fields) in _expected(definition, ev).items():
        r = results.get(function)
        if r is None:
            continue
        if kind and (type(r).__name__ != kind or tuple(getattr(r, "_fields", ())) != tuple(fields)):
            return f"{function} returned a {type(r).__name__}, not {kind}({', '.join(fields)})"
        for f, shape in fields.items():
            a = getattr(r, f, None) if kind else r
            if function == "risk":
                if not isinstance(a, (float, np.floating)) or np.asarray(a).dtype != np.float64:
                    return f"risk returned a {type(a).__name__}, not a float64 number"
                continue
            label = f"{function}(...).{f}" if kind else function
            if not isinstance(a, np.ndarray):
                return f"{label} is a {type(a).__name__}, not an array"
            if a.dtype != np.float64:
                return f"{label} has dtype {a.dtype}, not float64"
            if a.shape != shape and a.shape != shape[::-1]:
                return f"{label} has shape {a.shape}, not {shape}"
    return None


def judge_all(definition: Definition, submission: Any, problem: Problem, ev: Evaluation | None = None
              ) -> dict[str, Verdict]:
    """Every property's verdict on one problem, each API function called once on its own copies of the arrays
    (a submission may write into them), a call that raises ``own`` at each property that needed it."""
    ev = ev or evaluate(definition, problem)
    results: dict[str, Any] = {}
    for function in definition.arguments:
        copies = Problem({k: np.array(v, copy=True) for k, v in problem.arrays.items()}, problem.lambdas)
        try:
            results[function] = getattr(submission, function)(*copies.arguments(definition, function))
        except Exception as exc:  # noqa: BLE001 - a submission's error is its verdict
            results[function] = exc
    ok = {k: v for k, v in results.items() if not isinstance(v, Exception)}
    s = seen(definition, ev, problem, read_back(definition, ev, ok))
    out = {}
    for prop in properties(definition):
        result = results[prop.function]
        out[prop.id] = (Verdict("error", None, f"{prop.function} raised {type(result).__name__}: {result}")
                        if isinstance(result, Exception) else prop.judge(definition, ev, problem, s))
    if definition.types_question:
        form = _form(definition, ev, ok)
        out[definition.types_question] = Verdict("own", None, form) if form else Verdict("right")
    return out


def summary(runs: list[dict[str, Verdict]]) -> dict[str, str]:
    """Each property's status over many problems, as the seeds' runner rules: ``error`` or ``own`` if one problem
    says so; ``uninformed`` (failing) if it was right on its own inputs only where they carried nothing;
    ``inherited`` if one problem showed it right on informative inputs of its own; else ``right``."""
    out = {}
    for pid in dict.fromkeys(p for run in runs for p in run):
        seen_ = {run[pid].status for run in runs if pid in run}
        out[pid] = next((st_ for st_ in ("error", "own", "inherited", "uninformed") if st_ in seen_), "right")
    return out

