"""The wire between the grader and the worker: data only, parsed strictly, never objects.

A message from the worker is a tree of plain values — None, bool, int, float, str, lists, tuples,
named tuples, str-keyed dicts, NumPy arrays and scalars — sent as one frame::

    [8 bytes: header length][header: JSON][8 bytes: body length][body: the arrays' raw bytes]

The header describes the tree; each array is ``{"array": k}`` with entry k of the header's array
table giving its dtype (from a short whitelist, little-endian) and shape (``["<f8", 5, 3]``), its
bytes in the body in order. Floats travel as ``float.hex`` (exact, nan and ±inf included).
Anything else becomes ``{"object": type name, "repr": …}``: a description, never the object.

:func:`decode` rebuilds the tree without constructing any object the sender
names: arrays are plain ``ndarray`` (a subclass, a mask or an override on the
sending side has no effect here), named tuples are built from validated field
names. Sizes are capped by the receiver: a frame over its limits, malformed
JSON, an unknown node or dtype, a shape that does not match the bytes — each is
a :class:`WireError`, never a crash.

The other way, the grader's requests are pickled (:func:`send_pickled`): the
worker unpickles what the grader sends, never the reverse, and pickling is
several times faster than walking the tree (what pickle's memo shared, the
worker gets apart: no two calls share an input). The worker's :func:`receive_request`
takes either kind of frame.

>>> import numpy as np
>>> decode(encode({"x": np.arange(3.0), "r": float("nan")}))["x"]
array([0., 1., 2.])
"""

from __future__ import annotations

import collections
import copy
import functools
import json
import keyword
import math
import pickle
import socket
import struct
import time
from typing import Any

import numpy as np

__all__ = ["WireError", "Opaque", "encode", "decode", "send", "receive", "send_pickled", "receive_request", "PICKLED",
           "DTYPES", "HEADER_LIMIT", "unshared"]

#: The dtypes that may cross (little-endian); anything else is described, not sent.
DTYPES = frozenset({"<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"})
HEADER_LIMIT = 1 << 22  # 4 MiB of JSON: far more than any legitimate reply's description
_DEPTH = 12
_TEXT = 4000            # characters kept of any string
GRACE = 0.5  # seconds past a deadline in which a reply already there is still read (see _read)
#: The first 8 bytes of a pickled request (as a header length, far over HEADER_LIMIT: never a wire frame's).
PICKLED = b"pickled\0"


class WireError(Exception):
    """A frame that breaks the protocol: too large, malformed, or not the data it claims."""


class Opaque(collections.namedtuple("Opaque", "typename text")):
    """What arrived instead of an object that cannot cross: its type's name and a short repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{self.typename} object: {self.text}>"


# -- encoding (the sender: any process) ----------------------------------------
def _node(value: Any, arrays: list, depth: int) -> Any:
    if depth > _DEPTH:
        return {"object": "nested too deep", "repr": ""}
    t = type(value)  # the frequent exact types first; the same nodes as the general forms below
    if t is dict:
        return {"dict": {str(k)[:200]: _node(v, arrays, depth + 1) for k, v in value.items()}}
    if t is np.ndarray and value.dtype.str in DTYPES:
        arrays.append((value if value.flags.c_contiguous else np.ascontiguousarray(value), value.dtype.str))
        return {"array": len(arrays) - 1}
    if t is str:
        return value[:_TEXT]
    if t is list:
        return {"list": [_node(v, arrays, depth + 1) for v in value]}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"int": str(value)[:400]}
    if isinstance(value, float):
        return {"float": float.hex(value)}
    if isinstance(value, str):
        return value[:_TEXT]
    if isinstance(value, (np.ndarray, np.generic)):
        kind = "array" if isinstance(value, np.ndarray) else "scalar"
        a = np.asarray(value)
        dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dtype.str not in DTYPES:
            return {"object": f"{type(value).__name__} of dtype {a.dtype}", "repr": ""}
        arrays.append((a.astype(dtype, order="C", copy=False), dtype.str))  # 0-d stays 0-d
        return {kind: len(arrays) - 1}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {"namedtuple": type(value).__name__[:100], "fields": [str(f)[:100] for f in value._fields],
                "values": [_node(v, arrays, depth + 1) for v in value]}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_node(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k)[:200]: _node(v, arrays, depth + 1) for k, v in value.items()}}
    return {"object": type(value).__name__[:100], "repr": _safe_repr(value)}


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)[:200]
    except Exception:  # noqa: BLE001 - a description only
        return "?"


def encode(value: Any) -> bytes:
    """One frame holding ``value``."""
    arrays: list[tuple[np.ndarray, str]] = []
    root = _node(value, arrays, 0)
    table = [[dtype, *a.shape] for a, dtype in arrays]
    header = json.dumps({"root": root, "arrays": table}, allow_nan=False).encode()
    body = b"".join([a.tobytes() for a, _ in arrays])
    return struct.pack("<Q", len(header)) + header + struct.pack("<Q", len(body)) + body


# -- decoding (the receiver: trusts nothing) -------------------------------------
def _identifier(name: Any) -> str:
    # ASCII only: Python normalizes other identifiers (NFKC), so two distinct names could become one field
    if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or keyword.iskeyword(name) \
            or name.startswith("_"):
        raise WireError(f"not a field or type name: {str(name)[:80]!r}")
    return name


class _Reader:
    def __init__(self, arrays: list[np.ndarray], named: dict) -> None:
        self.arrays, self.named, self.nodes = arrays, named, 0

    def array(self, k: Any) -> np.ndarray:
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(self.arrays):
            raise WireError(f"no array {str(k)[:40]}")
        return self.arrays[k]

    def node(self, n: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > _DEPTH + 1 or self.nodes > 1_000_000:
            raise WireError("the message is nested too deep or too large")
        if n is None or isinstance(n, bool):
            return n
        if isinstance(n, str):
            return n[:_TEXT]
        if not isinstance(n, dict) or len(n) not in (1, 2, 3):
            raise WireError("a node is not of the protocol's forms")
        if len(n) == 1 and "array" in n:  # the most frequent node: one array
            return self.array(n["array"])
        return self._tagged(n, depth)

    def _tagged(self, n: dict, depth: int) -> Any:
        if "int" in n:
            try:
                return int(str(n["int"])[:400])
            except ValueError:
                raise WireError("an int that is not one") from None
        if "float" in n:
            try:
                return float.fromhex(str(n["float"]))  # exact; "nan", "inf" and "-inf" included
            except (ValueError, OverflowError):
                raise WireError("a float that is not one") from None
        if "array" in n:
            return self.array(n["array"])
        if "scalar" in n:
            a = self.array(n["scalar"])
            if a.shape != ():
                raise WireError("a scalar that is not 0-d")
            return a[()]
        if "tuple" in n or "list" in n:
            items = n.get("tuple", n.get("list"))
            if not isinstance(items, list):
                raise WireError("a sequence that is not a list")
            values = [self.node(v, depth + 1) for v in items]
            return tuple(values) if "tuple" in n else values
        if "dict" in n and isinstance(n["dict"], dict):
            return {str(k)[:200]: self.node(v, depth + 1) for k, v in n["dict"].items()}
        if "namedtuple" in n:
            return self._namedtuple(n, depth)
        if "object" in n:
            return Opaque(str(n["object"])[:100], str(n.get("repr", ""))[:200])
        raise WireError("a node is not of the protocol's forms")

    def _namedtuple(self, n: dict, depth: int) -> Any:
        fields, values, typename = n.get("fields"), n.get("values"), n["namedtuple"]
        if not isinstance(fields, list) or not isinstance(values, list) or len(fields) != len(values) \
                or not all(type(f) is str for f in fields) or type(typename) is not str:
            raise WireError("a named tuple whose fields and values do not match")
        name = (typename, tuple(fields))
        cls = self.named.get(name) or _named_class(*name)
        return cls(*(self.node(v, depth + 1) for v in values))


@functools.lru_cache(maxsize=256)
def _named_class(typename: str, fields: tuple[str, ...]) -> type:
    """A plain named tuple class of valid names, built once per name and fields (building one costs ~0.4 ms)."""
    if len(fields) > 64 or len(set(fields)) != len(fields):
        raise WireError("a named tuple whose fields and values do not match")
    return collections.namedtuple(_identifier(typename), tuple(_identifier(f) for f in fields))


_DTYPE = {s: np.dtype(s) for s in DTYPES}
_DIM_LIMIT = 1 << 31  # per dimension: an empty array may claim any others, and NumPy caps their product


def _arrays(table: Any, body: bytes) -> list[np.ndarray]:
    if not isinstance(table, list):
        raise WireError("no array table")
    out, offset = [], 0
    data = bytearray(body)  # one writable copy: the arrays are views of it, none of the frame's buffer
    for entry in table:  # [dtype, *shape]
        if type(entry) is not list or not entry or type(entry[0]) is not str or entry[0] not in _DTYPE:
            raise WireError("an array of a dtype or form the protocol does not carry")
        shape = entry[1:]
        if len(shape) > 32 or not all(type(s) is int and 0 <= s < _DIM_LIMIT for s in shape):  # bool is not int
            raise WireError("an array shape that is not one")
        dtype = _DTYPE[entry[0]]
        count = math.prod(shape)
        size = count * dtype.itemsize
        if offset + size > len(data):
            raise WireError("the arrays' bytes do not match their shapes")
        a = np.frombuffer(data, dtype, count, offset).reshape(shape)
        if dtype == np.bool_:
            a = a.view(np.uint8) != 0  # a bool is 0 or 1, whatever came
        out.append(a if a.flags.aligned else a.copy())
        offset += size
    if offset != len(data):
        raise WireError("the arrays' bytes do not match their shapes")
    return out


def decode(frame: bytes, *, types: dict | None = None) -> Any:
    """The value a frame holds, rebuilt as plain data; :class:`WireError` if it is not a valid frame.

    ``types`` maps a named tuple's type name to the class to build (the API's
    own, in the worker); other named tuples get a fresh ``collections.namedtuple``.
    """
    if len(frame) < 16:
        raise WireError("a frame shorter than its lengths")
    (hlen,) = struct.unpack_from("<Q", frame, 0)
    if hlen > HEADER_LIMIT or 8 + hlen + 8 > len(frame):
        raise WireError("a header longer than the frame or the limit")
    (blen,) = struct.unpack_from("<Q", frame, 8 + hlen)
    if 16 + hlen + blen != len(frame):
        raise WireError("a body whose length does not match")
    try:
        header = json.loads(frame[8:8 + hlen])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WireError("a header that is not JSON, or nested past what JSON reads") from None
    if not isinstance(header, dict):
        raise WireError("a header that is not an object")
    named = {}
    for name, cls in (types or {}).items():
        named[(name, tuple(cls._fields))] = cls
    try:
        return _Reader(_arrays(header.get("arrays"), frame[16 + hlen:]), named).node(header.get("root"))
    except (ValueError, TypeError, SyntaxError, OverflowError, RecursionError) as exc:  # what the data provoked
        raise WireError(f"a frame that does not decode ({type(exc).__name__})") from None


# -- the socket ----------------------------------------------------------------------
def send(sock: socket.socket, value: Any) -> None:
    """Send one frame (blocking)."""
    sock.sendall(encode(value))


def _read(sock: socket.socket, size: int, deadline: float) -> bytearray:
    """``size`` bytes by ``deadline``; for GRACE s past it, only what is there already: a reply sent in time is
    not lost to a reader come late, and one still coming then is a time-out, however its sender feeds it."""
    buf, got = bytearray(size), 0  # one buffer: a reply sent in small pieces costs no memory a piece
    with memoryview(buf) as view:
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= -GRACE:
                raise TimeoutError
            sock.settimeout(min(max(remaining, 0.0), 0.5))  # 0: not waiting, only what is there
            try:
                n = sock.recv_into(view[got:], min(size - got, 1 << 20))
            except (TimeoutError, BlockingIOError):
                if remaining <= 0:
                    raise TimeoutError from None
                continue
            if not n:
                raise EOFError("the connection closed")
            got += n
    return buf  # bytes-like: decoded as it is, not copied


def receive(sock: socket.socket, *, deadline: float, limit: int, types: dict | None = None) -> Any:
    """One frame from ``sock`` by ``deadline`` (time.monotonic), at most ``limit`` bytes of arrays.

    Raises TimeoutError past the deadline (see GRACE), EOFError if the peer closed, and
    WireError for a frame that breaks the protocol or its limits (the body is
    then not read: the caller drops the connection).
    """
    return _receive(sock, _read(sock, 8, deadline), deadline=deadline, limit=limit, types=types)


def _pickled(value: Any) -> bytes | None:
    """``value`` pickled, or None if it does not pickle.

    With pickle's memo (4× faster than without it for calls on small arrays: a
    dtype or a class met again is a reference), an object met twice arrives as
    one: :func:`receive_request` copies what the memo shared (:func:`unshared`).
    """
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a named tuple built by decode (no importable class): sent as a wire frame
        return None


def send_pickled(sock: socket.socket, value: Any) -> None:
    """The grader's request to its worker, pickled (a wire frame if it does not pickle); blocking."""
    body = _pickled(value)
    sock.sendall(encode(value) if body is None else PICKLED + struct.pack("<Q", len(body)) + body)


def receive_request(sock: socket.socket, *, types: dict | None = None) -> Any:
    """The worker's side of :func:`send_pickled`: the next request, however it was sent; EOFError at the end."""
    forever = time.monotonic() + 1e9
    head = _read(sock, 8, forever)
    if head == PICKLED:
        (size,) = struct.unpack("<Q", _read(sock, 8, forever))
        request = pickle.loads(_read(sock, size, forever))
        # a "shared" request's calls are to see the same input objects (a property watches what one writes into
        # them); any other's are copied apart
        return request if isinstance(request, dict) and request.get("shared") is True else unshared(request)
    return _receive(sock, head, deadline=forever, limit=1 << 40, types=types)


def _receive(sock: socket.socket, head: bytes, *, deadline: float, limit: int, types: dict | None) -> Any:
    (hlen,) = struct.unpack("<Q", head)
    if hlen > HEADER_LIMIT:
        raise WireError(f"a header of {hlen} bytes (at most {HEADER_LIMIT})")
    header = _read(sock, hlen + 8, deadline)
    (blen,) = struct.unpack_from("<Q", header, hlen)
    if blen > limit:
        raise WireError(f"a reply of {blen} bytes of arrays, more than the {limit} its calls can need")
    body = _read(sock, blen, deadline)
    return decode(head + header + body, types=types)


# What pickle's memo shared, copied apart: no two calls of a request share an input. Pickling with the memo
# sends an object met twice once, so the worker would unpickle one array for two arguments; a submission that
# modified one would change the other. unshared() copies every array, list and dict met before, as if each had
# been sent on its own.
def unshared(value: Any) -> Any:
    """``value`` (lists and dicts refilled in place) with no array, list or dict in it twice.

    >>> x = np.zeros(2)
    >>> a, b = unshared([x, x])
    >>> a is x, b is x, np.array_equal(a, b)
    (True, False, True)
    """
    return _apart(value, set())


#: Values nothing can modify: passed as they are.
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes)


def _apart(value: Any, seen: set) -> Any:
    """``value`` with every array, list and dict met before (its id in ``seen``) copied.

    Pickle's memo sends an object met twice once; copied here, no two calls (nor
    two arguments of one call) share an input, as when each was sent on its own.
    An object of another kind (none of the grader's requests holds one) is copied
    deep every time.
    """
    if isinstance(value, _IMMUTABLE) or (isinstance(value, np.generic) and not value.dtype.hasobject):
        return value
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        if id(value) in seen:
            return value.copy()
        seen.add(id(value))
        return value
    if isinstance(value, tuple):
        items = [_apart(v, seen) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, (list, dict)):
        met = id(value) in seen
        seen.add(id(value))
        container = copy.copy(value) if met else value  # a subclass keeps its type
        if isinstance(value, list):
            container[:] = [_apart(v, seen) for v in value]
        else:
            container.update({k: _apart(v, seen) for k, v in value.items()})
        return container
    return copy.deepcopy(value)
