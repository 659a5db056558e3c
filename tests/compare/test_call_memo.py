"""Each question asked once: repeated calls are answered from the first reply, and only identical calls repeat."""

import numpy as np

from reference.compare.sandbox import Call, ImplCrashed, ImplExited, ImplRaised, ImplTimeout, SubprocessImpl
from reference.compare.sandbox.call_memo import CallMemo


class Counting:
    """A stand-in for a worker: ``submit_each`` that counts the calls it is sent."""

    def __init__(self):
        self.sent = []

    def __call__(self, calls):
        self.sent.append(list(calls))
        return lambda: [Call(np.full(2, float(len(self.sent))), ["x"], ["w"]) if name != "bad"
                        else ImplRaised("bad raised ValueError: no") for name, _, _ in calls]


def test_a_repeated_call_is_answered_from_the_first_reply_and_not_sent():
    memo, send = CallMemo(), Counting()
    x = np.array([0.0, 1.0])
    first = memo.submit([("rect", (x,), {})], send)()
    again = memo.submit([("rect", (x.copy(),), {}), ("d_rect", (x,), {})], send)()
    assert [len(s) for s in send.sent] == [1, 1] and send.sent[1][0][0] == "d_rect"
    assert np.array_equal(again[0].value, first[0].value) and again[0].mutated == ["x"] and again[0].warnings == ["w"]
    again[0].value[0] = 99.0  # a check that changes one answer changes no other
    assert memo.submit([("rect", (x,), {})], send)()[0].value[0] == 1.0
    assert (memo.hits, memo.sent) == (2, 2)


def test_only_bit_identical_calls_of_the_same_types_repeat():
    key = CallMemo.key
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert key(("rect", (x,), {})) == key(("rect", (x.copy(),), {}))
    assert key(("rect", (x,), {})) != key(("rect", (x.astype(np.float32),), {}))
    assert key(("rect", (np.zeros(2),), {})) != key(("rect", (-np.zeros(2),), {}))  # −0.0 is not 0.0
    assert key(("rect", (x,), {})) != key(("rect", (np.asfortranarray(x),), {}))  # nor Fortran order C order
    assert key(("rect", (x,), {})) != key(("d_rect", (x,), {}))
    assert key(("rect", (1.0,), {})) != key(("rect", (np.float64(1.0),), {}))
    assert key(("rect", (1.0,), {})) != key(("rect", (1,), {}))
    assert key(("gradient_descent", (x,), {"steps": 1})) != key(("gradient_descent", (x,), {"steps": 2}))
    assert key(("rect", (object(),), {})) is None
    assert key(("rect", (np.array([[1.0]], dtype=object),), {})) is None  # its bytes are pointers
    assert key(("rect", (np.ma.masked_array(x),), {})) is None  # a subclass is always sent


def test_calls_repeated_within_a_request_are_sent_once():
    memo, send = CallMemo(), Counting()
    x = np.ones(3)
    out = memo.submit([("rect", (x,), {}), ("rect", (x,), {}), ("bad", (x,), {})], send)()
    assert len(send.sent[0]) == 2 and out[0].value is not out[1].value and isinstance(out[2], ImplRaised)


def test_a_call_that_raised_or_exited_is_answered_so_again_a_time_out_or_a_crash_is_asked_again():
    # the first answer to a call is the one judged: a function that raises once per input, then answers,
    # raises for every asker of that call
    outcomes = {"raises": ImplRaised("raises raised ValueError: not yet", "ValueError"),
                "exits": ImplExited("exits called exit(3)"), "hangs": ImplTimeout("hangs did not return"),
                "crashes": ImplCrashed("crashes: the process died")}
    memo, sent = CallMemo(), []

    def send(calls):
        sent.extend(name for name, _, _ in calls)
        return lambda: [outcomes[name] if len(sent) <= 4 else Call(np.zeros(1)) for name, _, _ in calls]
    x = np.ones(2)
    first = memo.submit([(name, (x,), {}) for name in outcomes], send)()
    again = memo.submit([(name, (x.copy(),), {}) for name in outcomes], send)()
    assert sent == ["raises", "exits", "hangs", "crashes", "hangs", "crashes"]
    assert [type(r) for r in again[:2]] == [ImplRaised, ImplExited] and isinstance(again[2], Call)
    for a, b in zip(first[:2], again[:2]):
        assert a is not b and str(a) == str(b) and a.__traceback__ is None and b.__traceback__ is None
    assert again[0].type_name == "ValueError"
    assert isinstance(memo.submit([("raises", (np.zeros(2),), {})], send)()[0], Call)  # another input: sent


def test_unfiled_calls_are_always_sent_and_the_memo_stays_within_its_limit():
    one = CallMemo()
    one.submit([("rect", (np.full(2, 0.0),), {})], Counting())()
    memo, send = CallMemo(limit=3 * one.held), Counting()  # room for three entries
    for i in range(4):
        memo.submit([("rect", (np.full(2, float(i)),), {})], send)()
    assert memo.held <= memo.limit and len(send.sent) == 4
    memo.submit([("rect", (np.full(2, 0.0),), {})], send)()  # the oldest was dropped: sent again
    memo.submit([("rect", (object(),), {})], send)()
    memo.submit([("rect", (object(),), {})], send)()
    assert len(send.sent) == 7


def test_the_limit_counts_text_and_values_not_only_arrays():
    """A reply of many strings (a hostile worker's) weighs what it holds: the memo does not grow past its limit."""
    memo = CallMemo(limit=1 << 20)
    text = lambda calls: (lambda: [Call(["x" * 4000] * 100, [], []) for _ in calls])
    for i in range(50):  # 50 replies of 400 kB each
        memo.submit([("rect", (np.full(2, float(i)),), {})], text)()
    assert 0 < memo.held <= 1 << 20


def test_read_only_and_writeable_arrays_are_different_calls():
    x = np.ones(2)
    y = x.copy()
    y.flags.writeable = False  # pickle keeps the flag: a submission writing into it raises
    assert CallMemo.key(("rect", (x,), {})) != CallMemo.key(("rect", (y,), {}))


def test_a_submission_is_asked_each_distinct_call_once(tmp_path):
    """Through a contained worker: the submission counts its calls; a repeated call does not reach it."""
    sub = tmp_path / "counting.py"
    sub.write_text("import numpy as np\ncalls = []\n"
                   "def rect(x):\n    calls.append(1)\n    return np.maximum(np.asarray(x, float), 0.0) + len(calls)\n")
    x = np.array([-1.0, 2.0])
    with SubprocessImpl(str(sub), allow_missing=True) as impl:
        a = impl.call("rect", x).value
        b = impl.call_each([("rect", (x,), {}), ("rect", (x + 1,), {})])
        assert np.array_equal(a, [1.0, 3.0]) and np.array_equal(b[0].value, a)
        assert np.array_equal(b[1].value, [2.0, 5.0])  # the second distinct call is the submission's second
        assert (impl.memo.hits, impl.memo.sent) == (1, 2)
