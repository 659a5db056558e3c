"""reference: handgrad's twin, every gradient by JAX autodiff of the same risk.

Same API as :mod:`handgrad` (``from reference import *`` gives it), NumPy arrays
in and out, computed in float64 inside a scoped ``jax.enable_x64`` so importing it
leaves your global JAX config alone. The kinks follow the course (sign(0) = 0,
abs'(0) = rect'(0) = 0, ∂‖W‖₁/∂W = 0 at 0), pinned with ``jax.custom_jvp``.

This package is the twin only (importing it loads neither Hypothesis nor the
comparator). The comparator that checks any implementation against it, the
property catalog and ``handgrad-compare``, lives in :mod:`reference.compare`.

>>> import reference as ref
>>> ref.d_rect([-1.0, 0.0, 1.0])
array([0., 0., 1.])
"""

import importlib

from handgrad.types import API, PART_A, PART_B, TYPES

__all__ = list(API)  # the API's one table: handgrad.types

# The twin loads JAX; its names are loaded on first use, so that the comparator's
# JAX-free modules (reference.compare.exercise.problems, .strategies) import without it.
_HOME = {**{n: "reference.functions" for n in PART_A}, **{n: "handgrad.types" for n in TYPES},
         **{n: "reference.network" for n in PART_B},
         "check": "reference.compare.api"}  # the comparator's Python API (not the twin's API: not in __all__)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reference' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
