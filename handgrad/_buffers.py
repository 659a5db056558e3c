"""Large arrays from a pool of buffers handgrad owns, reused once nobody else holds them.

A fresh multi-megabyte NumPy array costs a page fault per 4 KiB page the first
time it is written (about 14 ms of a 36 ms backprop at n = 1024, d = 784,
dh = 512, measured): the allocator hands such memory back to the system when it
is freed, and the next call faults it in again. handgrad keeps its large arrays
in a small per-thread pool instead. A pooled array is handed out again only when
the pool's own references are the only ones left — when the caller has dropped
it and every view of it — so a result you keep is never overwritten.

>>> a = empty((512, 1024), np.float64)
>>> b = empty((512, 1024), np.float64)   # a is still held: another buffer
>>> a is b
False
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

__all__ = ["empty"]

POOLED_BYTES = 1 << 18  # smaller arrays come from NumPy directly (they do not fault much)
PER_SHAPE = 4           # buffers kept per (shape, dtype) and thread


class _Pool(threading.local):
    def __init__(self) -> None:
        self.buffers: dict[tuple, list[np.ndarray]] = {}


_pool = _Pool()


def _count(buffers: list, i: int) -> int:
    return sys.getrefcount(buffers[i])


def _baseline() -> int:
    """The reference count of a buffer only the pool holds, measured the way empty() measures it."""
    buffers = [np.empty(1)]
    return _count(buffers, 0)


_FREE = _baseline()


def empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialized array, from the pool when it is large: write every entry before reading."""
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize < POOLED_BYTES:
        return np.empty(shape, dtype)
    buffers = _pool.buffers.setdefault((shape, dtype), [])
    for i in range(len(buffers)):
        if _count(buffers, i) == _FREE:
            return buffers[i]
    a = np.empty(shape, dtype)
    if len(buffers) < PER_SHAPE:
        buffers.append(a)
    return a
