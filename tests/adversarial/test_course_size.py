"""Problems of the course's size (round 5, attack 5 ``degenerate``): gradients averaged over the first 64 examples
alone scored 32/32, since no problem had more than 64 examples. The bulk sweep has a bucket of the course's size
(d = 784, up to 256 examples and 128 hidden units) in every run, however small."""

from support import HONEST, attack, strict_json

#: The averaged gradients use the first 64 examples only ("mini-batches"): right on every batch of at most 64.
FIRST_64 = HONEST + '''
from handgrad import Gradients


def backprop(params, X, y, lambdas, *, input_gradient=True):
    g = _h.backprop(params, X, y, lambdas, input_gradient=input_gradient)
    if len(y) <= 64:
        return g
    head = _h.backprop(params, X[:64], y[:64], lambdas, input_gradient=False)
    return g._replace(W1=head.W1, b1=head.b1, W2=head.W2, b2=head.b2)
'''


def test_gradients_over_the_first_64_examples_fail_the_batched_questions(tmp_path):
    done, report = attack(tmp_path, FIRST_64, "--property", "B10", "--property", "B16", "--examples", "5",
                          "--sweep", "100", "--seed", "0")
    statuses = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    assert statuses == {"B10-W2": "fail", "B10-b2": "fail", "B16": "fail"}, (statuses, done.stderr)
    assert done.returncode == 1
