"""Any frame a worker can write: decoded as data, or refused as a WireError; never another exception."""

import json
import struct

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from handgrad.types import Gradients, Params
from reference.compare.sandbox import wire

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.sampled_from([2**31, 2**40, 2**63, 2**64]) | st.floats()
    | st.text(max_size=12) | st.sampled_from(["\ufb01", "fi", "ℌ", "H", "é"])
    | st.sampled_from(["<f8", "|b1", "array", "scalar", "int", "float", "dict", "list", "tuple", "namedtuple",
                       "fields", "values", "object", "Params", "W1"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["array", "scalar", "int", "float", "dict", "list", "tuple", "namedtuple", "fields",
                         "values", "object", "repr", "root", "arrays"]) | st.text(max_size=5), inner, max_size=4),
    max_leaves=30)


def frame(header, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + struct.pack("<Q", len(body)) + body


@settings(max_examples=300, deadline=None)
@given(root=JSON, table=JSON, body=st.binary(max_size=64))
def test_an_arbitrary_header_is_data_or_a_wire_error(root, table, body):
    try:
        wire.decode(frame({"root": root, "arrays": table}, body), types={"Params": Params})
    except wire.WireError:
        pass


@pytest.mark.parametrize("table,root", [
    ([[["<f8"], 1]], {"array": 0}),                         # a dtype that is not a string (unhashable)
    ([["<f8", True]], {"array": 0}),                        # a bool for a size
    ([["<f8", -1]], {"array": 0}),                          # a negative size
    ([["<f8", 2]], {"array": 0}),                           # more bytes claimed than sent
    ([["|O"]], {"array": 0}),                               # an object dtype
    ([], {"array": 0}),                                     # no such array
    ([], {"namedtuple": "P", "fields": [["a"]], "values": [1]}),        # an unhashable field name
    ([], {"namedtuple": ["P"], "fields": ["a"], "values": [None]}),     # an unhashable type name
    ([], {"namedtuple": "P", "fields": ["_a"], "values": [None]}),      # a private field name
    ([], {"namedtuple": "P", "fields": ["a", "a"], "values": [1, 2]}),  # a repeated field
    ([], {"namedtuple": "class", "fields": ["a"], "values": [1]}),      # a keyword
    ([], {"namedtuple": "P", "fields": ["\ufb01", "fi"], "values": [1, 2]}),  # one name once normalized (NFKC)
    ([["<f8", 0, 2**63]], {"array": 0}),                    # empty, with a dimension past NumPy's
    ([["<f8", 0, 2**30, 2**30, 2**30]], {"array": 0}),      # empty, with dimensions whose product is past it
])
def test_malformed_frames_are_wire_errors(table, root):
    with pytest.raises(wire.WireError):
        wire.decode(frame({"root": root, "arrays": table}, b""))


def test_a_header_nested_past_what_json_reads_is_a_wire_error():
    text = b'{"root":' + b"[" * 50_000 + b"]" * 50_000 + b',"arrays":[]}'
    with pytest.raises(wire.WireError):
        wire.decode(struct.pack("<Q", len(text)) + text + struct.pack("<Q", 0))


def test_what_is_sent_comes_back_bit_for_bit():
    g = Gradients(*(np.full((2, 3), k) for k in (1.0, -0.0, np.nan, -np.inf, 2.0, 3.0, 4.0, 5.0)))
    value = {"v": g, "ok": np.array([True, False]), "i": np.arange(3, dtype=np.int32), "f": -0.0,
             "s": np.float64(2.5), "t": (1, "x", [None, True])}
    got = wire.decode(wire.encode(value), types={"Gradients": Gradients})
    assert type(got["v"]) is Gradients and all(a.tobytes() == b.tobytes() for a, b in zip(got["v"], g))
    assert got["ok"].dtype == np.bool_ and got["ok"].tolist() == [True, False] and got["i"].dtype == np.int32
    assert struct.pack("<d", got["f"]) == struct.pack("<d", -0.0)
    assert got["s"] == 2.5 and got["t"] == (1, "x", [None, True])
    assert all(a.flags.writeable and a.flags.aligned for a in got["v"])


def test_a_request_arrives_with_no_input_shared_between_calls_or_arguments():
    """Pickle's memo sends an object met twice once; the worker gets every array, list and dict apart."""
    import socket

    grader, worker = socket.socketpair()
    with grader, worker:
        x, items, options = np.arange(3.0), [0.0, 1.0], {"steps": 1}
        p = Params(x, x, x, x)
        wire.send_pickled(grader, {"calls": [["forward", (p, x, items), options], ["d_rect", (items, x), options]]})
        (_, (p1, x1, l1), k1), (_, (l2, x2), k2) = wire.receive_request(worker)["calls"]
        arrays = [*p1, x1, x2]
        assert type(p1) is Params and all(np.array_equal(a, x) for a in arrays)
        assert len({id(a) for a in arrays}) == len(arrays)
        assert l1 == l2 == items and l1 is not l2 and k1 == k2 == options and k1 is not k2


def test_unshared_copies_what_it_does_not_walk_and_keeps_container_types():
    import collections
    import types

    from reference.compare.sandbox.wire import unshared

    x = np.zeros(2)
    a, b = unshared([types.SimpleNamespace(x=x), types.SimpleNamespace(x=x)])
    assert a.x is not b.x and a.x is not x
    objects = np.empty(1, dtype=object)
    objects[0] = x
    first, second = unshared([objects, objects])
    assert first[0] is not second[0]
    d = collections.OrderedDict(a=x)
    one, two = unshared([d, d])
    assert type(two) is collections.OrderedDict and two is not one and two["a"] is not one["a"]
