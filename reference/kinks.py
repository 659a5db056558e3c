"""The kinked functions, with the derivative at 0 pinned by ``jax.custom_jvp``.

Stock JAX does not follow the course at the kinks: ``jax.grad(jnp.abs)(0.0)`` is 1
and ``jnp.maximum(x, 0)`` has slope 0.5 at 0. These are the only hand-written
derivatives in the reference: the slope at 0 is an argument (``abs0``, ``rect0``),
traced like any array so that changing it recompiles nothing. The course's
convention is ``abs0 = rect0 = 0``; ``handgrad-compare --convention any-subgradient``
builds the reference with the slopes the checked implementation uses.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["abs_k", "rect_k"]


@jax.custom_jvp
def abs_k(x, abs0):
    """|x|, with abs'(0) = abs0."""
    return jnp.abs(x)


@abs_k.defjvp
def _abs_k_jvp(primals, tangents):
    x, abs0 = primals
    tx, _ = tangents
    slope = jnp.where(x > 0, 1.0, jnp.where(x < 0, -1.0, abs0)).astype(x.dtype)
    return jnp.abs(x), slope * tx


@jax.custom_jvp
def rect_k(x, rect0):
    """max(0, x), with rect'(0) = rect0."""
    return jnp.where(x > 0, x, jnp.zeros_like(x))


@rect_k.defjvp
def _rect_k_jvp(primals, tangents):
    x, rect0 = primals
    tx, _ = tangents
    slope = jnp.where(x > 0, 1.0, jnp.where(x < 0, 0.0, rect0)).astype(x.dtype)
    return rect_k(x, rect0), slope * tx
