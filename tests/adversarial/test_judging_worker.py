"""The calls that judge a failure go to a second worker that never saw the call being judged, and to the first:
an answer counts when both give it (attack round 7: code keeping a table of its calls answered the grader's
re-asks consistently with its own mistake; round 8: code telling the second worker apart answered it so)."""

import pathlib

import pytest

from support import HONEST, attack, strict_json

#: Gradient descent that leaves the penalties out, and a backprop that answers, at a point the descent stepped
#: from, with the gradient the descent used there (a table of calls by their inputs' bytes): X5's re-ask of the
#: gradient at that point agreed with the descent's step, and X5 passed (32 of 32).
TABLE = HONEST + '''
import hashlib as _hashlib

_table = {}
_own = backprop


def _key(params, X, y, lambdas):
    h = _hashlib.sha1()
    for a in (*params, X, y):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr(tuple(float(v) for v in lambdas)).encode())
    return h.hexdigest()


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = _table.setdefault(_key(params, X, y, lambdas), _own(params, X, y, lambdas))
    return g if input_gradient else g._replace(x=None)


def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):
    p = Params(*(np.array(a, dtype=np.float64) for a in params))
    for _ in range(steps):
        g = _table.setdefault(_key(p, X, y, lambdas), _own(p, X, y, Lambdas()))  # the penalties left out
        p = Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
    return p
'''


def test_a_table_of_calls_cannot_answer_the_judging_calls(tmp_path):
    done, report = attack(tmp_path, TABLE, "--property", "X5", "--examples", "20",
                          "--sweep", "0")
    prop = strict_json(report)["properties"][0]
    # its step against the gradient asked again (fail), or the two workers' answers to that call differing
    assert prop["status"] in ("fail", "error"), prop
    assert "gradient_descent" in prop["message"] or "answer the same call differently" in prop["message"], prop
    assert done.returncode == 1


@pytest.mark.parametrize("name, properties, charged", [
    # without the second worker: B16 inherited from B15 and X1 passed (31.5 of 32 against 30.5)
    ("halves_table", ("B15", "B16", "X1"), "B16"),
    # without it: B18-all inherited from B15 (31.4 against 31.3)
    ("lam0_table", ("B15", "B18-all"), "B18-all"),
    # a process never asked gradient_descent answered X5's re-ask without penalties (31.8 against 30.8)
    ("second_worker_told_apart", ("B", "X"), "X5"),
])
def test_a_table_of_batches_or_of_penalties_answers_no_judging_call(tmp_path, name, properties, charged):
    source = (pathlib.Path(__file__).parent / "judging" / f"{name}.py.txt").read_text()  # an attack as written
    selection = [w for p in properties for w in ("--property", p)]
    done, report = attack(tmp_path, source, *selection, "--examples", "10", "--sweep", "0")
    status = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    assert status[charged] in ("fail", "error"), status
