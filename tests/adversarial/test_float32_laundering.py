"""float32 does not launder wrong gradients (attack round 3, `f32/`).

Every gradient off by a relative 1e-8 (100,000 times the allowed error) scored 15.6 of 32 as float64 and 29.0
cast to float32: a float32 answer was held to float32's precision and charged once, at X3. An answer right
only to float32's precision cannot be told from one wrong in its eighth digit, so it is judged at float64's
precision at its own question too, the failure naming the dtype.
"""

from support import HONEST, attack, strict_json

#: The honest forward pass; every gradient multiplied by (1 ± 1e-8), a random sign per entry, returned as DTYPE.
NOISY = HONEST + '''
import numpy as np
from handgrad.types import Gradients, Lambdas, Params

_rng = np.random.default_rng(0)


def _off(a):
    if a is None:
        return None
    return (np.asarray(a, np.float64) * (1 + 1e-8 * _rng.choice([-1.0, 1.0], size=np.shape(a)))).astype(np.DTYPE)


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = _h.backprop(params, X, y, lambdas, input_gradient=input_gradient)
    return Gradients(*(_off(a) for a in g))


def gradient_descent(params, X, y, lambdas, *, learning_rate, steps):
    p = params
    for _ in range(steps):
        g = backprop(p, X, y, lambdas, input_gradient=False)
        p = Params(*(w - learning_rate * gw for w, gw in zip(p, (g.W1, g.b1, g.W2, g.b2))))
    return Params(*(np.asarray(a, np.DTYPE) for a in p))
'''
#: The gradient questions and X3.
QUESTIONS = ("B7", "B9", "B11", "B13", "B15", "B17", "X3")


def _report(folder, source):
    folder.mkdir()
    args = ["--examples", "5", "--sweep", "0", "--seed", "0", *(a for q in QUESTIONS for a in ("--property", q))]
    done, points = attack(folder, source, *args, fmt="gradescope")
    assert points, done.stderr
    done, report = attack(folder, source, *args)
    return strict_json(points)["score"], {p["id"]: p for p in strict_json(report)["properties"]}


def test_gradients_1e_8_off_score_no_more_cast_to_float32(tmp_path):
    score64, _ = _report(tmp_path / "f64", NOISY.replace("DTYPE", "float64"))
    score32, props = _report(tmp_path / "f32", NOISY.replace("DTYPE", "float32"))
    assert score32 <= score64, (score32, score64)
    assert props["B7"]["status"] == "fail", props["B7"]
    assert "has dtype float32: right to float32's precision, not float64's: return float64" in props["B7"]["message"]
    assert props["X3"]["status"] == "fail" and "float32" in props["X3"]["message"], props["X3"]


def test_a_correct_answer_cast_to_float32_fails_its_questions_and_says_why(tmp_path):
    # right to float32's precision is what an honest float32 computation gives: the message tells it to return float64
    source = HONEST + '''
import numpy as np
from handgrad.types import Gradients


def backprop(params, X, y, lambdas=None, *, input_gradient=True):
    g = _h.backprop(params, X, y, *(() if lambdas is None else (lambdas,)), input_gradient=input_gradient)
    return Gradients(*(None if a is None else np.asarray(a, np.float32) for a in g))
'''
    _, props = _report(tmp_path / "cast", source)
    for q in ("B7", "B9", "B11", "B15", "B17"):
        failed = [p for p in props.values() if p["question"] == q and p["status"] == "fail"]
        assert failed, [p for p in props.values() if p["question"] == q]
        assert all("return float64" in p["message"] for p in failed), failed
