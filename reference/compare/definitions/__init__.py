"""Exercises declared, not written: a definition's chain of named JAX steps, and what follows from it.

:mod:`.vocabulary` holds what a definition declares (sizes, arrays, steps, loss, penalties, questions,
kinks) and the API's tables read off it, without JAX or Hypothesis; :mod:`.derived` builds from a
definition the reference's values, gradients and per-entry bounds (by ``jax.jacobian`` along the
declared chain) and a Hypothesis strategy of problems; :mod:`.judged`, a property per forward and
backward step, judged on the submission's own upstream values; :mod:`.two_tanh` is a second exercise
declared so, and :mod:`.seeds` the seeds' network (docs/exercise.md, "Declaring an exercise"). Nothing
here is wired into the command yet: the seeds' exercise is :mod:`reference.compare.exercise`.
"""
