"""Part A by JAX: the functions in jax.numpy, every derivative by ``jax.grad``.

Twin of :mod:`handgrad.functions`; same names, NumPy arrays in and out, float64.

>>> d_abs([-2.0, 0.0, 3.0])
array([-1.,  0.,  1.])
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.types import PART_A
from handgrad.validation import as_float_array
from reference.kinks import abs_k, rect_k
from reference.plumbing import elementwise, x64

__all__ = list(PART_A)


def _derivative(f):
    """x ↦ f'(x) elementwise, by jax.grad of the scalar function, vmapped."""
    return jax.vmap(jax.grad(f), in_axes=(0, None, None))


def _gradient(total):
    """x ↦ ∂ total(x) / ∂x for a scalar function of the whole array."""
    return jax.grad(total)


# The scalar definitions: (x, abs0, rect0) -> value.
_sigmoid = lambda x, a0, r0: jax.nn.sigmoid(x)
_tanh = lambda x, a0, r0: jnp.tanh(x)
_softplus = lambda x, a0, r0: jax.nn.softplus(x)
_sign = lambda x, a0, r0: jnp.sign(x)
_abs = lambda x, a0, r0: abs_k(x, a0)
_rect = lambda x, a0, r0: rect_k(x, r0)
_l2_squared = lambda x, a0, r0: jnp.sum(x * x)
_l1 = lambda x, a0, r0: jnp.sum(abs_k(x, a0))

sigmoid = elementwise(_sigmoid)
tanh = elementwise(_tanh)
softplus = elementwise(_softplus)
sign = elementwise(_sign)
abs = elementwise(_abs)  # noqa: A001 - the course's name
rect = elementwise(_rect)

d_sigmoid = elementwise(_derivative(_sigmoid))      # A3
d_tanh = elementwise(_derivative(_tanh))            # A4
d_abs = elementwise(_derivative(_abs))              # A6
d_rect = elementwise(_derivative(_rect))            # A7
grad_l2_squared = elementwise(_gradient(_l2_squared))  # A8 (padding adds 0² terms: no effect)
grad_l1 = elementwise(_gradient(_l1))                  # A9 (padding adds |0| terms: no effect)


_softmax_rows = jax.jit(lambda a: jax.nn.softmax(a, axis=-1))


def _power_of_two(size: int) -> int:
    return max(8, 1 << (max(size, 1) - 1).bit_length())


def softmax(x):
    """jax.nn.softmax over the last axis, as NumPy.

    The rows are padded to a power-of-two shape, so random shapes reuse a few compiled programs (each of
    jax.nn.softmax's five operations compiled for every new shape otherwise): padded columns are −inf, whose
    exp is 0, so no row's max or sum changes; padded rows are cut off.
    """
    a = as_float_array(x)
    with x64():
        if a.ndim == 0:
            return np.asarray(jax.nn.softmax(jnp.asarray(a), axis=-1))
        rows = a.reshape(int(np.prod(a.shape[:-1])), a.shape[-1])
        padded = np.zeros((_power_of_two(rows.shape[0]), _power_of_two(rows.shape[1])), a.dtype)
        padded[:, rows.shape[1]:] = -np.inf
        padded[: rows.shape[0], : rows.shape[1]] = rows
        out = np.asarray(_softmax_rows(jnp.asarray(padded)))
    return out[: rows.shape[0], : rows.shape[1]].reshape(a.shape)
