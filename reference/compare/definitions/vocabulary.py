"""What an exercise's definition declares, and the API's tables read off it (no JAX, no Hypothesis).

A definition names the problem's sizes with the ranges problems are drawn from, the data and
parameter arrays by shape symbols, the forward chain as named steps (each a JAX function of named
inputs, its output's shape, its question), the per-example loss as the last step, the penalties with
their λ, and the question of each gradient the backward pass returns. The named tuples (``Params``,
``Lambdas``, ``Activations``, ``Gradients``), each function's arguments and every array's shape
follow from it (:class:`Definition`), the way :mod:`handgrad.types` writes them by hand for the
seeds' exercise.

Step functions are written against :data:`jnp` and :data:`jnn`, stand-ins for ``jax.numpy`` and
``jax.nn`` that import JAX on first use, so importing a definition stays light.

>>> d = Definition(name="tiny", dims={"n": (1, 3), "d": (1, 3), "m": (2, 3)}, data={"X": ("n", "d")},
...                labels=("y", "m"), params={"W": ("m", "d")},
...                steps=(Step("o", ("n", "m"), ("X", "W"), lambda X, W: X @ W.T, "T1"),),
...                loss=Step("L", ("n",), ("o", "y"), lambda o, y: -o[0, 0], "T2"),
...                penalties=(Penalty("lam", "W", lambda W: (W * W).sum()),), gradients={"o": "T3", "W": "T4"})
>>> d.types["Gradients"]._fields, d.shape_of("backprop.W", n=2, d=3, m=4)
(('o', 'W'), (4, 3))
"""

from __future__ import annotations

import collections
import functools
import importlib
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["jnp", "jnn", "Kinked", "Step", "Penalty", "Definition", "affine", "tanh", "nll", "softmax", "squared",
           "l1", "ABS"]


class _Lazy:
    """A module's stand-in: its attributes are looked up (and the module imported) at call time."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str):
        return getattr(importlib.import_module(self._module), name)


#: ``jax.numpy`` and ``jax.nn``, imported when a step first runs.
jnp, jnn = _Lazy("jax.numpy"), _Lazy("jax.nn")


@dataclass(frozen=True)
class Kinked:
    """An elementwise function with a kink at 0: its derivative there is ``at_zero`` (the course's convention),
    elsewhere JAX's; ``jump`` is the right slope less the left one (where a value rounds to either side of 0,
    either derivative is right: the bound grows by ``jump·|g|`` there)."""

    fn: Callable
    at_zero: float
    jump: float

    def __call__(self, x):
        return _kinked(self.fn, self.at_zero)(x)


@functools.lru_cache(maxsize=None)
def _kinked(fn: Callable, at_zero: float) -> Callable:
    import jax

    @jax.custom_jvp
    def f(x):
        return fn(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y, slope = jax.jvp(fn, (x,), (jnp.ones_like(x),))
        return y, jnp.where(x == 0, at_zero, slope) * t

    return f


def affine(h, W, b):
    """One layer, one example per row: h Wᵀ + b."""
    return h @ W.T + b


def tanh(a):
    """tanh, elementwise."""
    return jnp.tanh(a)


def softmax(o):
    """softmax over each row."""
    return jnn.softmax(o, axis=1)


def nll(o, y):
    """−log softmax(o)_y per example, by log-sum-exp."""
    return jnn.logsumexp(o, axis=1) - jnp.take_along_axis(o, y[:, None], axis=1)[:, 0]


def squared(W):
    """‖W‖₂²."""
    return jnp.sum(W * W)


#: |w| with abs'(0) = 0 (sign(0) = 0, the course's convention).
ABS = Kinked(lambda w: jnp.abs(w), 0.0, 2.0)


def l1(W):
    """‖W‖₁, its gradient sign(W) with sign(0) = 0."""
    return jnp.sum(ABS(W))


@dataclass(frozen=True)
class Step:
    """One named quantity of the forward chain: ``node = fn(*inputs)``, of shape ``shape`` (size symbols),
    its claim question ``question``. Inputs are data, labels, parameters or earlier nodes, by name.
    ``scale``: the size of the terms a hand-written derivative of the step subtracts, where they are larger
    than the derivative itself (1 for tanh' = 1 − tanh² and for ∂L/∂o = s − onehot(y), which lose their
    relative accuracy as tanh or s nears 1): each nonzero Jacobian entry is allowed rounding of that size."""

    node: str
    shape: tuple[str, ...]
    inputs: tuple[str, ...]
    fn: Callable
    question: str
    scale: float = 0.0


@dataclass(frozen=True)
class Penalty:
    """``λ · fn(param)`` added to the risk, ``λ`` named ``weight`` (a field of ``Lambdas``)."""

    weight: str
    param: str
    fn: Callable


@dataclass(frozen=True)
class Definition:
    """An exercise: sizes (symbol → (least, most) drawn), data and parameter shapes, labels (their name and the
    size symbol of their classes), the forward steps, the per-example loss step, the penalties, and the
    question of each gradient ``backprop`` returns (a node, a data array or a parameter: per example for the
    first two, of the risk for parameters). ``magnitude``: the entries' range; ``zeros``: the share drawn
    exactly 0; ``risk_question``: the risk's claim."""

    name: str
    dims: dict[str, tuple[int, int]]
    data: dict[str, tuple[str, ...]]
    labels: tuple[str, str]
    params: dict[str, tuple[str, ...]]
    steps: tuple[Step, ...]
    loss: Step
    penalties: tuple[Penalty, ...]
    gradients: dict[str, str]
    magnitude: float = 3.0
    zeros: float = 0.1
    risk_question: str = ""
    batch: str = field(default="n")
    #: The field of ``Gradients`` a gradient is returned in, where it is not the gradient's own name.
    fields: dict[str, str] = field(default_factory=dict)
    #: The question of the results' types and shapes (the named tuples, float64 arrays of the API's shapes), if
    #: asked: then each other property reads a result back (a plain tuple by position, an array with an axis of
    #: length 1 more or less at its shape) and judges its values, and this one charges the form, once.
    types_question: str = ""

    def __post_init__(self):
        known = {*self.data, self.labels[0], *self.params}
        for s in (*self.steps, self.loss):
            unknown = [i for i in s.inputs if i not in known]
            if unknown:
                raise ValueError(f"step {s.node!r}: inputs {unknown} are not data, labels, parameters or "
                                 f"earlier steps")
            bad = [d for d in s.shape if d not in self.dims]
            if bad:
                raise ValueError(f"step {s.node!r}: shape symbols {bad} are not among dims {list(self.dims)}")
            known.add(s.node)
        stray = [g for g in self.gradients if g not in known - {self.labels[0], self.loss.node}]
        if stray:
            raise ValueError(f"gradients {stray} name no data array, parameter or step before the loss")
        for p in self.penalties:
            if p.param not in self.params:
                raise ValueError(f"penalty {p.weight!r}: param {p.param!r} is not among {list(self.params)}")

    @property
    def shapes(self) -> dict[str, tuple[str, ...]]:
        """Every array by name (``forward.node``, ``backprop.name``, data and parameters bare), as size symbols."""
        out = {**self.data, self.labels[0]: (self.batch,), **self.params,
               **{f"forward.{s.node}": s.shape for s in self.steps}, "loss": self.loss.shape, "risk": ()}
        nodes = {**self.data, **self.params, **{s.node: s.shape for s in self.steps}}
        return {**out, **{f"backprop.{g}": nodes[g] for g in self.gradients}}

    def shape_of(self, name: str, **sizes: int) -> tuple[int, ...]:
        """The shape of array ``name`` (a key of :attr:`shapes`) for these sizes."""
        if name not in self.shapes:
            raise ValueError(f"name must be one of {', '.join(self.shapes)}; got {name!r}")
        return tuple(int(sizes[s]) for s in self.shapes[name])

    @property
    def types(self) -> dict[str, type]:
        """The API's named tuples: parameters, λ (default 0), the forward's nodes, the backward's gradients."""
        return _types(self.name, tuple(self.params), tuple(p.weight for p in self.penalties),
                      tuple(s.node for s in self.steps), tuple(self.field(g) for g in self.gradients))

    def field(self, gradient: str) -> str:
        """The field of ``Gradients`` that holds ``gradient``."""
        return self.fields.get(gradient, gradient)

    @property
    def arguments(self) -> dict[str, tuple[str, ...]]:
        """How each function takes its positional arguments."""
        data, y = tuple(self.data), self.labels[0]
        return {"forward": ("params", *data), "loss": ("params", *data, y),
                "risk": ("params", *data, y, "lambdas"), "backprop": ("params", *data, y, "lambdas")}


_TYPES: dict[tuple, dict[str, type]] = {}


def _types(name: str, params: tuple, weights: tuple, nodes: tuple, grads: tuple) -> dict[str, type]:
    """One set of named tuples per definition (a submission's and the checker's are the same classes)."""
    key = (name, params, weights, nodes, grads)
    if key not in _TYPES:
        _TYPES[key] = {
            "Params": collections.namedtuple("Params", params),
            "Lambdas": collections.namedtuple("Lambdas", weights, defaults=(0.0,) * len(weights)),
            "Activations": collections.namedtuple("Activations", nodes),
            "Gradients": collections.namedtuple("Gradients", grads),
        }
    return _TYPES[key]
