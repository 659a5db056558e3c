"""The reference's evaluations as bytes: a JSON header (their trees, every array's shape) and raw float64s.

What :mod:`reference.compare.reuse.store` keeps on disk: the evaluation of each
recorded example (:class:`~reference.engine.Evaluation` trees) and the bulk sweep's
batches (dicts of arrays). Read back with ``np.frombuffer``, nothing unpickled; the
numbers are compressed (zlib, level 1), or raw where reading fast matters more
than the size (the bulk sweep's).

>>> import numpy as np
>>> back = from_bytes(to_bytes([{"ref": {"mean": np.arange(3.0)}}, None, 2.5]))
>>> back[0]["ref"]["mean"].tolist(), back[1], back[2]
([0.0, 1.0, 2.0], None, 2.5)
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from typing import Any, Iterator

import numpy as np

from reference.compare.exercise import EXERCISE
from reference.engine import Evaluation

__all__ = ["to_bytes", "from_bytes"]

#: The named tuples an evaluation is made of: the engine's, and the API's.
_NODES = {"Evaluation": Evaluation, **EXERCISE.types}


def _flatten(value: Any, leaves: list) -> Any:
    """The shape of a tree (the named tuples above, dicts, arrays, floats); its float64 arrays go to ``leaves``."""
    if isinstance(value, tuple) and type(value).__name__ in _NODES:
        return [type(value).__name__, [_flatten(v, leaves) for v in value]]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return ["dict", [[k, _flatten(v, leaves)] for k, v in value.items()]]
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        leaves.append(value)
        return "a"
    if type(value) is float:
        leaves.append(np.array(value))
        return "f"
    raise TypeError(f"not part of an evaluation: {type(value).__name__}")


def _unflatten(template: Any, leaves: Iterator[np.ndarray]) -> Any:
    if template == "a":
        return next(leaves)
    if template == "f":
        return float(next(leaves))
    name, items = template
    if name == "dict":
        return {str(k): _unflatten(t, leaves) for k, t in items}
    return _NODES[name](*(_unflatten(t, leaves) for t in items))


def to_bytes(evaluations: list, *, compress: bool = True) -> bytes:
    """Evaluations (or None for one not made) as one frame; TypeError for anything else.

    ``compress=False`` keeps the numbers raw: larger, read several times faster (the
    bulk sweep's 85 MB decompress in about 0.35 s).
    """
    trees, shapes, arrays = [], [], []
    for e in evaluations:
        leaves: list = []
        trees.append(None if e is None else _flatten(e, leaves))
        shapes.append([list(a.shape) for a in leaves])
        arrays += leaves
    header = json.dumps({"trees": trees, "shapes": shapes, "zlib": compress}).encode()
    header += b" " * (-(8 + len(header)) % 8)  # the numbers start 8-byte aligned
    body = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    return struct.pack("<Q", len(header)) + header + (zlib.compress(body, 1) if compress else body)


def from_bytes(data: bytes) -> list:
    """The evaluations :func:`to_bytes` wrote; ValueError (or KeyError, TypeError...) when it is not that."""
    (hlen,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + hlen])
    try:  # read-only either way: the answers are shared
        body = zlib.decompress(data[8 + hlen:]) if header["zlib"] else memoryview(data)[8 + hlen:]
        numbers = np.frombuffer(body, np.float64)
    except zlib.error:
        raise ValueError("the numbers do not decompress") from None
    out, at = [], 0
    for tree, shapes in zip(header["trees"], header["shapes"], strict=True):
        leaves = []
        for shape in shapes:
            size = math.prod(shape)
            leaves.append(numbers[at:at + size].reshape(shape))
            at += size
        out.append(None if tree is None else _unflatten(tree, iter(leaves)))
    if at != numbers.size:
        raise ValueError("the numbers do not match their shapes")
    return out
