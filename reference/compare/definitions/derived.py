"""What follows from a definition: the reference's values, gradients and bounds, and problems to try.

For one problem, :func:`evaluate` runs the declared chain in JAX (float64) and keeps, for each step, its
Jacobian in each input and the derivative of that Jacobian in each earlier node (both by
``jax.jacobian``, materialized: the problems here are small). From them, every gradient follows by
vector–Jacobian products in the chain's reverse order (what ``jax.vjp`` computes, here as the
Jacobians' transposes applied), and every value and gradient gets a per-entry error bound by the
formula of :mod:`reference.bounds`, generic: a step's result ``y = f(x…)`` rounds within
``k·u·(|y| + Σ|J||x|)`` (backward: ``k·u·|J|ᵀ|g|``), its inputs' own errors carry through ``|J|``
(backward: through ``|J|ᵀ``, and through the Jacobian's dependence on the forward values, ``|∂(Jᵀg)/∂x|·E_x``),
with ``k`` the step's longest sum plus 2, and at least :data:`~.tolerance.K_TRANSCENDENTAL`.

What the submission's answers are judged by, with these values and bounds: :mod:`.judged`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np

from reference.compare.definitions.vocabulary import Definition, Kinked, Step, affine
from reference.compare.exercise.tolerance import K_TRANSCENDENTAL, U64
from reference.plumbing import x64

__all__ = ["Problem", "Link", "Evaluation", "evaluate", "problems", "link_at", "times", "transposed", "carried",
           "kink_slack"]


@dataclass(frozen=True)
class Problem:
    """A problem of a definition: its arrays by name (data, labels, parameters) and its λ, in declared order."""

    arrays: dict[str, np.ndarray]
    lambdas: tuple[float, ...]

    def arguments(self, definition: Definition, function: str) -> tuple:
        """The positional arguments of ``function`` (:attr:`Definition.arguments`) on this problem."""
        t = definition.types
        named = {"params": t["Params"](*(self.arrays[p] for p in definition.params)),
                 "lambdas": t["Lambdas"](*self.lambdas), **self.arrays}
        return tuple(named[a] for a in definition.arguments[function])


@dataclass(frozen=True)
class Link:
    """A step at the reference's values: its value, its Jacobian in each input (output axes, then the input's), the
    derivative of each Jacobian in each node input (then that node's axes), its longest sum, ``k``, and
    the size each Jacobian entry rounds relative to: ``|J|``, or the step's ``scale`` where J is not zero
    by its structure (``rounding``); where J is not zero by its structure (``pattern``: nonzero at a random
    point of moderate values, almost surely), whatever its value here."""

    step: Step
    value: np.ndarray
    jac: dict[str, np.ndarray]
    rounding: dict[str, np.ndarray]
    pattern: dict[str, np.ndarray]
    second: dict[tuple[str, str], np.ndarray]
    k: int


@dataclass
class Evaluation:
    """The reference on one problem: every value and gradient by name, their per-entry bounds, the links, and
    each parameter's penalty term (``slopes``: Σ λ·∇penalty, part of its gradient)."""

    values: dict[str, np.ndarray]
    bound: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    grad_bound: dict[str, np.ndarray]
    links: dict[str, Link]
    slopes: dict[str, np.ndarray]


def times(J: np.ndarray, x: np.ndarray) -> np.ndarray:
    """J x: the input's axes summed (the result has the output's shape)."""
    return np.tensordot(J, x, axes=x.ndim)


def transposed(J: np.ndarray, g: np.ndarray, pattern: np.ndarray | None = None) -> np.ndarray:
    """Jᵀ g: the output's axes summed (the result has the input's shape): a vector–Jacobian product. An entry of
    g that is not finite reaches only the entries its Jacobian reaches by its structure (``pattern``; there: nan),
    as in the product a hand-written step computes (a nan at one unit stays in its row, even times a zero)."""
    bad = ~np.isfinite(g)
    if not bad.any():
        return np.tensordot(g, J, axes=g.ndim)
    where = (J != 0) if pattern is None else pattern
    reached = np.tensordot(bad.astype(np.float64), where.astype(np.float64), axes=g.ndim) > 0
    return np.where(reached, np.nan, np.tensordot(np.where(bad, 0.0, g), J, axes=g.ndim))


@functools.lru_cache(maxsize=None)
def _derivatives(fn: Callable, floats: tuple[int, ...], nodes: tuple[int, ...]) -> Callable:
    """One compiled program per step (and shape), eager JAX compiling every primitive at every new shape: the
    step's value, its Jacobian in each float input, each Jacobian's derivative in each node input, and its
    Jacobians at a second point (``shifted``: where they are not zero by structure)."""
    def run(args, shifted):
        jac = tuple(jax.jacobian(fn, argnums=k)(*args) for k in floats)
        second = tuple(jax.jacobian(jax.jacobian(fn, argnums=k), argnums=nodes)(*args) if nodes else ()
                       for k in floats)
        return fn(*args), jac, second, tuple(jax.jacobian(fn, argnums=k)(*shifted) for k in floats)
    return jax.jit(run)


@functools.lru_cache(maxsize=None)
def _penalty(fn: Callable) -> Callable:
    """A penalty's value and gradient, compiled (per shape)."""
    return jax.jit(jax.value_and_grad(fn))


def link_at(definition: Definition, step: Step, values: dict) -> Link:
    """``step`` at ``values`` (every array by name; the step's inputs at least): :class:`Link`."""
    args = [jnp.asarray(values[i]) for i in step.inputs]
    floats = tuple(k for k, i in enumerate(step.inputs) if i != definition.labels[0])
    nodes = tuple(k for k in floats if step.inputs[k] in {s.node for s in definition.steps})
    rng = np.random.default_rng(0)
    # at a random point of its own, not near these values: tanh' is exactly 0 in float64 past |a| ≈ 19
    shifted = [a if k not in floats else jnp.asarray(rng.uniform(0.5, 1.0, np.shape(a))) for k, a in enumerate(args)]
    value, jacs, seconds, at_random = _derivatives(step.fn, floats, nodes)(args, shifted)
    jac = {step.inputs[k]: np.asarray(J) for k, J in zip(floats, jacs)}
    pattern = {step.inputs[k]: np.asarray(P) != 0 for k, P in zip(floats, at_random)}
    rounding = {i: np.abs(J) + step.scale * pattern[i] for i, J in jac.items()}
    second = {(step.inputs[k], step.inputs[kk]): np.asarray(h)
              for k, hs in zip(floats, seconds) for kk, h in zip(nodes, hs)}
    out_ndim = len(step.shape)
    fan_in = max((int(np.count_nonzero(P.reshape(P.shape[:out_ndim] + (-1,)), axis=-1).max(initial=0))
                  for P in pattern.values()), default=0)
    fan_out = max((int(np.count_nonzero(P.reshape((-1,) + P.shape[out_ndim:]), axis=0).max(initial=0))
                   for P in pattern.values()), default=0)
    k = max(K_TRANSCENDENTAL, max(fan_in, fan_out) + 2)
    return Link(step, np.asarray(value, dtype=np.float64), jac, rounding, pattern, second, k)


def carried(link: Link, g: np.ndarray, bound: dict[str, np.ndarray], name: str) -> np.ndarray:
    """How far the submission's Jᵀg may move with its forward values within their bounds: Σ |∂(Jᵀg)/∂x|·E_x."""
    total = 0.0
    for (i, p), T in link.second.items():
        if i == name:
            total = total + times(np.abs(transposed(T, g)), bound[p])
    return total


def kink_slack(link: Link, g: np.ndarray, values: dict, bound: dict, name: str) -> np.ndarray | float:
    """At a kinked step, where its input is within twice its bound of 0 (and not exactly 0 by every term: a
    bound of 0), either side's derivative is right: ``jump·|g|`` more (the seeds' rect mask, generic)."""
    fn = link.step.fn
    if not isinstance(fn, Kinked) or name not in link.jac:
        return 0.0
    x, E = values[name], bound[name]
    return np.where((np.abs(x) <= 2 * E) & (E > 0), fn.jump * np.abs(g), 0.0)


def evaluate(definition: Definition, problem: Problem) -> Evaluation:
    """The reference's values, gradients and bounds on ``problem`` (float64)."""
    values = {k: np.asarray(v, dtype=np.int64 if k == definition.labels[0] else np.float64)
              for k, v in problem.arrays.items()}
    bound = {k: np.zeros(v.shape) for k, v in values.items()}
    links: dict[str, Link] = {}
    with x64():
        for step in (*definition.steps, definition.loss):
            link = links[step.node] = link_at(definition, step, values)
            out = link.value
            # the terms the step's own formula adds or subtracts (``scale``: lse − oa_y near 0 loses the digits
            # of |oa|), not only what its Jacobian passes on
            rounding = np.abs(out) + sum(times(link.rounding[i], np.abs(values[i])) for i in link.jac)
            bound[step.node] = link.k * U64 * rounding + sum(times(np.abs(J), bound[i])
                                                             for i, J in link.jac.items())
            values[step.node] = out
        L, n = values[definition.loss.node], values[definition.loss.node].shape[0]
        penalties = [_penalty(p.fn)(jnp.asarray(values[p.param])) for p in definition.penalties]
        terms = [lam * float(v) for lam, (v, _) in zip(problem.lambdas, penalties)]
        values["risk"] = np.float64(L.mean() + sum(terms))
        longest = n + max(v.size for k, v in values.items() if k in definition.params) + 2
        bound["risk"] = (longest * U64 * (np.abs(L).mean() + sum(terms) + abs(values["risk"]))
                         + bound[definition.loss.node].mean())
        slopes = {p.param: np.zeros(values[p.param].shape) for p in definition.penalties}
        for lam, p, (_, slope) in zip(problem.lambdas, definition.penalties, penalties):
            slopes[p.param] = slopes[p.param] + lam * np.asarray(slope)
        grads, grad_bound = _backward(definition, values, bound, links, slopes)
    return Evaluation(values, bound, grads, grad_bound, links, slopes)


def _backward(definition, values, bound, links, slopes):
    """Every gradient and its bound, by the links in reverse: per example (∂L) for nodes and data, of the
    risk (mean over the batch, and the penalties' ``slopes``, λ times each one's gradient) for parameters."""
    loss = definition.loss.node
    g = {loss: np.ones(values[loss].shape)}
    E = {loss: np.zeros(values[loss].shape)}
    for step in reversed((*definition.steps, definition.loss)):
        if step.node not in g:
            continue  # a node no later step uses (a forward output only): no gradient flows through it
        link = links[step.node]
        for i, J in link.jac.items():
            k = link.k
            part = transposed(J, g[step.node])
            err = (k * U64 * transposed(link.rounding[i], np.abs(g[step.node])) + transposed(np.abs(J), E[step.node])
                   + carried(link, g[step.node], bound, i) + kink_slack(link, g[step.node], values, bound, i))
            g[i], E[i] = g.get(i, 0.0) + part, E.get(i, 0.0) + err
    n = values[loss].shape[0]
    for name in definition.params:
        data, err = g[name] / n, E[name] / n
        pen = slopes.get(name, 0.0)
        g[name] = data + pen
        E[name] = err + 4 * U64 * (np.abs(data) + np.abs(pen) + np.abs(g[name]))
    return g, E


def _kinked_layers(definition: Definition) -> list[tuple[str, str, str]]:
    """The inputs (h, W, b) of each :func:`affine` step whose output a kinked step takes."""
    made = {s.node: s for s in definition.steps}
    return [made[s.inputs[0]].inputs for s in definition.steps
            if isinstance(s.fn, Kinked) and s.inputs[0] in made and made[s.inputs[0]].fn is affine]


def problems(definition: Definition) -> st.SearchStrategy[Problem]:
    """Problems of the declared sizes and ranges: entries in ±``magnitude``, about a share ``zeros`` exactly 0,
    labels among the classes, each λ in [0, 1) or exactly 0; and where a kinked step takes an :func:`affine`
    layer's output, about that share of its units exactly 0 by every term (their weights' row and bias 0): the
    kink, where only the convention decides (the seeds' zero hidden units)."""
    every = max(2, round(1 / definition.zeros)) if definition.zeros else 0
    floats = st.floats(-definition.magnitude, definition.magnitude, allow_nan=False, allow_subnormal=False, width=64)

    @st.composite
    def draw(draw) -> Problem:
        sizes = {k: draw(st.integers(lo, hi)) for k, (lo, hi) in definition.dims.items()}
        arrays = {}
        for name, shape in {**definition.data, **definition.params}.items():
            s = tuple(sizes[d] for d in shape)
            a = draw(hnp.arrays(np.float64, s, elements=floats))
            if every:
                a = np.where(draw(hnp.arrays(np.int8, s, elements=st.integers(0, every - 1))) == 0, 0.0, a)
            arrays[name] = a
        for _, W, b in _kinked_layers(definition) if every else ():
            dead = draw(hnp.arrays(np.int8, (arrays[W].shape[0],), elements=st.integers(0, every - 1))) == 0
            arrays[W], arrays[b] = np.where(dead[:, None], 0.0, arrays[W]), np.where(dead, 0.0, arrays[b])
        y, classes = definition.labels
        arrays[y] = draw(hnp.arrays(np.int64, (sizes[definition.batch],), elements=st.integers(0, sizes[classes] - 1)))
        lambdas = tuple(draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0, exclude_max=True)))
                        for _ in definition.penalties)
        return Problem(arrays, lambdas)

    return draw()
