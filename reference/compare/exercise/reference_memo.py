"""The reference's answers by content: the same question is asked of JAX once.

The reference is a pure function of its inputs: ``evaluate_many([p], kinks)``
of a problem's arrays, λ and the slopes at the kinks; ``reference.functions.<name>(x)``
of ``x``. :func:`key` names such a question by its content (every array's dtype,
shape and bytes; every number's float64 bits: −0.0 is not 0.0), and a
:class:`Memo` keeps answers under those names. A check asks through
:class:`~reference.compare.exercise.catalog.context.Context` (``ctx.ref``, ``ctx.reference``),
which looks in the example's own answers (what a record replays,
:mod:`reference.compare.reuse.shared`), then in the process's :data:`MEMO` (a batch's
submissions and a failure's shrinking ask the same questions again), and only
then asks JAX.

>>> import numpy as np
>>> zero = key("sigmoid", np.zeros(1))
>>> zero == key("sigmoid", np.zeros(1)), zero == key("sigmoid", -np.zeros(1)), zero == key("sigmoid", np.zeros(()))
(True, False, False)
"""

from __future__ import annotations

import collections
import hashlib
import struct
from typing import Any

import numpy as np

__all__ = ["key", "problem_key", "frozen", "Memo", "MEMO"]


def _update(h: Any, part: Any) -> None:
    if type(part) is float or (isinstance(part, (float, int, np.floating, np.integer)) and not isinstance(part, bool)):
        h.update(b"f" + struct.pack("<d", float(part)))
    elif isinstance(part, str):
        h.update(b"s" + part.encode() + b"\0")
    else:
        a = part if type(part) is np.ndarray else np.asarray(part)  # not ascontiguousarray: it makes 0-d 1-d
        h.update(b"a" + f"{a.dtype.str}{a.shape}".encode() + b"\0")
        h.update(a.tobytes())  # C order, whatever the strides


def key(*parts: Any) -> str:
    """A name for a question of the reference: its parts (names, numbers, arrays) by content."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        _update(h, part)
    return h.hexdigest()


def problem_key(p: Any, kinks: tuple) -> str:
    """The name of ``evaluate_many([p], kinks)``'s question (``p``: params, X, y, lambdas as attributes)."""
    return key("evaluate", *map(float, kinks), p.X, p.y, *p.params, *map(float, p.lambdas))


def frozen(answer: Any) -> Any:
    """``answer`` with its arrays made read-only: an answer is shared, and a check that wrote into one would
    change it for the next (a ValueError instead)."""
    if isinstance(answer, np.ndarray):
        answer.flags.writeable = False
    elif isinstance(answer, tuple):
        for a in answer:
            frozen(a)
    return answer


class Memo:
    """At most ``size`` answers, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size, self._items = size, collections.OrderedDict()

    def get(self, name: str) -> Any:
        value = self._items.get(name)
        if value is not None:
            self._items.move_to_end(name)
        return value

    def put(self, name: str, value: Any) -> None:
        self._items[name] = value
        self._items.move_to_end(name)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()


#: The process's answers: a few thousand small problems (a few MB).
MEMO = Memo(4000)
