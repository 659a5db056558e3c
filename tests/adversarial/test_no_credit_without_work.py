"""No credit without work: a stub that returns zeros, and a function that raises once and then answers."""

import os

from support import HONEST, IMPLEMENTATIONS, attack, compare, strict_json

#: What the all-zeros stub earned before: consistent with its own all-zero ∂L/∂oa at every step below it
#: (inherited), and zeros of the documented types and shapes (X1, X3; B5-ntheta counts them).
NOTHING_FOR = ("B5", "B9", "B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "X1", "X3")


def test_an_all_zeros_stub_earns_nothing_for_its_steps_or_its_shapes(tmp_path):
    report, points = tmp_path / "report.json", tmp_path / "results.json"
    done = compare("--impl", str(IMPLEMENTATIONS / "zeros.py"), "--examples", "10", "--sweep", "0", "--seed", "0",
                   *(a for q in NOTHING_FOR for a in ("--property", q)),
                   "--format", "json", "--output", str(report), "--format", "gradescope", "--output", str(points))
    assert done.returncode == 1, done.stderr
    props = strict_json(report.read_text())["properties"]
    assert {p["question"] for p in props} == set(NOTHING_FOR)
    for p in props:
        assert p["status"] == "fail", (p["id"], p["status"], p["message"])
        if p["question"] in ("X1", "X3") or p["id"] == "B5-ntheta":
            assert "does no work" in p["message"] and "is all zero where the reference's is not" in p["message"]
        else:
            assert "is all zero: being right on it shows nothing" in p["message"], (p["id"], p["message"])
    assert "its own ∂L/∂oa is all zero" in {p["id"]: p["message"] for p in props}["B11"]
    assert "its own loss(...) is all zero" in {p["id"]: p["message"] for p in props}["B5-risk"]
    scores = {t["number"]: t["score"] for t in strict_json(points.read_text())["tests"]}
    assert {q: scores[q] for q in NOTHING_FOR} == {q: 0 for q in NOTHING_FOR}


#: d_rect raises the first time it sees an input, and answers right afterwards.
RAISES_ONCE_PER_INPUT = HONEST + '''
import numpy as np

_seen = set()

def d_rect(x):
    a = np.asarray(x)
    key = (a.dtype.str, a.shape, a.tobytes())
    if key not in _seen:
        _seen.add(key)
        raise ValueError("not yet")
    return _h.d_rect(x)
'''

#: d_rect raises on its first call, whatever the input, and answers right afterwards.
RAISES_ON_ITS_FIRST_CALL = HONEST + '''

_calls = []

def d_rect(x):
    _calls.append(1)
    if len(_calls) == 1:
        raise ValueError("first call")
    return _h.d_rect(x)
'''


def _after_an_honest_run(tmp_path, source, *args):
    """The JSON report's properties (by id) of ``source`` checked with ``args``, the examples kept by a run of a
    correct submission: they are replayed, their calls fetched ahead and asked again by the checks."""
    env = dict(os.environ, HANDGRAD_EXAMPLES=str(tmp_path / "examples"))
    args = (*args, "--examples", "10", "--sweep", "0", "--seed", "0")
    (tmp_path / "honest").mkdir()
    _, report = attack(tmp_path / "honest", HONEST, *args, env=env)
    assert all(p["status"] == "pass" for p in strict_json(report)["properties"])
    done, report = attack(tmp_path, source, *args, env=env)
    assert done.returncode == 1
    return {p["id"]: p for p in strict_json(report)["properties"]}


def test_a_call_that_raised_is_an_error_even_when_it_answers_later(tmp_path):
    # X3's calls, fetched ahead while X2 was checked, raised; asked again by X3's check, they answered: it passed
    props = _after_an_honest_run(tmp_path, RAISES_ONCE_PER_INPUT, "--property", "X2", "--property", "X3")
    for prop in ("X2", "X3"):
        assert props[prop]["status"] == "error", props[prop]
        assert "d_rect raised ValueError: not yet" in props[prop]["message"]


def test_the_first_call_raising_is_an_error_when_the_examples_are_replayed(tmp_path):
    # the replay's first example raised; run again under Hypothesis, the same call answered: it passed
    prop = _after_an_honest_run(tmp_path, RAISES_ON_ITS_FIRST_CALL, "--property", "A7")["A7"]
    assert prop["status"] == "error" and "d_rect raised ValueError: first call" in prop["message"], prop


def test_hypothesis_replays_a_call_that_raised_as_it_was_no_flaky(tmp_path):
    from reference.compare.exercise.catalog import Context, by_id
    from reference.compare.reuse.journal import Journal
    from reference.compare.running.runner import run_property
    from reference.compare.sandbox import SubprocessImpl

    path = tmp_path / "submission.py"
    path.write_text(RAISES_ONCE_PER_INPUT)
    with SubprocessImpl(str(path)) as impl:
        journal = Journal()
        result = run_property(by_id("X3"), Context(impl), max_examples=10, seed=0, watch=journal)
    assert result.status == "error" and "d_rect raised ValueError: not yet" in result.message
    assert journal.clean  # the run ended with its last example's error, not Hypothesis's Flaky


# -- round 3: zeros with one subnormal (or one nan) planted in them are no more work than zeros ------------
#: The attacker's stubs (attack round 3, `nan/`): every array zeros but for PLANT in its first row (per-example
#: arrays) or where a per-example value would spread (parameter gradients); the descent returns the parameters.
#: The planted backward pass and a descent that returns the parameters.
PLANTED_BACKWARD = '''
import numpy as np
from handgrad import Params, Lambdas, Activations, Gradients
N = PLANT
def _rows(n, c):
    a = np.zeros((n, c)); a[0, :] = N; return a
def backprop(p, X, y, l=Lambdas(), *, input_gradient=True):
    n = X.shape[0]; dh, d = p.W1.shape; m = p.W2.shape[0]
    oa = np.zeros((n, m)); oa[0, 0] = N
    hs = _rows(n, dh); ha = _rows(n, dh); x = _rows(n, d)
    W2 = np.zeros((m, dh)); W2[0, :] = N
    b2 = np.zeros(m); b2[0] = N
    return Gradients(oa, hs, ha, x if input_gradient else None, _rows(dh, d), np.where(np.arange(dh) == 0, N, 0.0),
                     W2, b2)
def gradient_descent(p, X, y, l, *, learning_rate, steps):
    return Params(*(np.array(a, dtype=float) for a in p))
'''
#: No work at all: part A, the forward pass and the loss planted the same way.
PLANTED = PLANTED_BACKWARD + '''
def _z(x):
    a = np.zeros(np.shape(x))
    if a.size: a.reshape(-1)[0] = N
    return a
sigmoid = tanh = softplus = sign = abs = rect = d_sigmoid = d_tanh = d_abs = d_rect = grad_l2_squared = grad_l1 = _z
softmax = _z
def forward(p, X):
    n = X.shape[0]; dh = p.W1.shape[0]; m = p.W2.shape[0]
    return Activations(_rows(n, dh), _rows(n, dh), _rows(n, m), _rows(n, m))
def loss(p, X, y):
    l = np.zeros(X.shape[0]); l[0] = N; return l
def risk(p, X, y, l): return float(np.sum(X)) + 0.5
'''
#: A student who wrote part A and the forward pass but no derivative: the correct functions, the planted backprop.
FORWARD_ONLY = HONEST + PLANTED_BACKWARD
#: The questions the planted stubs earned (forward only: 28.6 of 32 with 5e-324, 15.1 with plain zeros).
FORGED = ("B5", "B6", "B9", "B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "X1", "X2", "X3", "X5")


def _score(folder, source, *questions):
    folder.mkdir()
    done, report = attack(folder, source, "--examples", "5", "--sweep", "0", "--seed", "0",
                          *(a for q in questions for a in ("--property", q)), fmt="gradescope")
    assert report, done.stderr
    return strict_json(report)["score"]


def test_a_planted_subnormal_or_nan_earns_nothing_over_plain_zeros(tmp_path):
    # each step was "right on its own inputs" (zeros with one 5e-324: the recomputed step underflows to zero), and
    # X1-X3 took such arrays as work
    zeros_stub = (IMPLEMENTATIONS / "zeros.py").read_text()
    scores = {}
    for name, source in [("zeros", zeros_stub), ("forward_zeros", FORWARD_ONLY.replace("N = PLANT", "N = 0.0"))] + [
            (f"{kind}_{plant}", src.replace("N = PLANT", f"N = {plant}"))
            for kind, src in (("stub", PLANTED), ("forward", FORWARD_ONLY))
            for plant in ("5e-324", "float('nan')", "1e-300")]:
        scores[name] = _score(tmp_path / name.replace("'", "").replace("(", "").replace(")", ""), source, *FORGED)
    for plant in ("5e-324", "float('nan')", "1e-300"):
        assert scores[f"stub_{plant}"] <= scores["zeros"], scores
        assert scores[f"forward_{plant}"] <= scores["forward_zeros"], scores


def test_constant_or_nan_functions_do_not_pass_the_identities_and_descent_on_zeros_shows_nothing(tmp_path):
    # sigmoid = 0.5, tanh = 0, softplus = log 2 satisfy both identities; all-nan ones "agreed" (nan allowed error);
    # gradient_descent returning the parameters along an all-zero gradient passed X5
    constants = HONEST + '''
def sigmoid(x): return np.full(np.shape(x), 0.5)
def tanh(x): return np.zeros(np.shape(x))
def softplus(x): return np.full(np.shape(x), np.log(2.0))
'''
    nans = HONEST + '''
def sigmoid(x): return np.full(np.shape(x), np.nan)
tanh = softplus = sigmoid
'''
    for name, source in (("constants", constants), ("nans", nans)):
        (tmp_path / name).mkdir()
        done, report = attack(tmp_path / name, source, "--examples", "10", "--sweep", "0", "--seed", "0",
                              "--property", "A1-identity", "--property", "A2-identity")
        assert report, done.stderr
        props = {p["id"]: p for p in strict_json(report)["properties"]}
        for prop in ("A1-identity", "A2-identity"):
            assert props[prop]["status"] == "fail", props[prop]
            assert "does no work" in props[prop]["message"], props[prop]["message"]
    # the correct functions, backprop all zeros, gradient_descent the parameters unchanged
    (tmp_path / "x5").mkdir()
    done, report = attack(tmp_path / "x5", FORWARD_ONLY.replace("N = PLANT", "N = 0.0"), "--examples", "10",
                          "--sweep", "0", "--seed", "0", "--property", "X5")
    assert report, done.stderr
    x5 = strict_json(report)["properties"][0]
    assert x5["status"] == "fail" and "does no work" in x5["message"], x5


def test_a_wrong_tanh_with_the_others_derived_through_the_identities_still_passes_them(tmp_path):
    # the documented limit: the identities ask for work, not for the values (A1-tanh, A2-values do)
    source = HONEST + '''
def tanh(x):
    x = np.asarray(x, float); return x / (1.0 + np.abs(x))
def sigmoid(x):
    return (tanh(np.asarray(x, float) / 2) + 1) / 2
def softplus(x):
    x = np.asarray(x, float)
    with np.errstate(all="ignore"):
        return -np.log(sigmoid(-x))
'''
    done, report = attack(tmp_path, source, "--examples", "10", "--sweep", "0", "--seed", "0", "--property", "A1",
                          "--property", "A2")
    props = {p["id"]: p for p in strict_json(report)["properties"]}
    assert {k: p["status"] for k, p in props.items() if k != "A2-identity"} == {
        "A1-identity": "pass", "A1-sigmoid": "fail", "A1-tanh": "fail", "A2-values": "fail"}, props
    # but where its softplus is below 1e-8 of the true one (x ≈ -2e9: 21.5 for 2.1e9), it is scant
    a2 = props["A2-identity"]
    assert a2["status"] == "pass" or "softplus(-x) does no work: it has 0 entries of meaningful size" in a2["message"]


#: The four parameter gradients returned as zeros, the rest right (attack round 13, `16_zero_param_grads`: 27 of
#: 32 against 22 for None: the zero batch agreed with its zero halves, so B10 and B16 inherited B9's and B15's
#: failures, and X1 and X3 vouched for the zeros).
ZERO_PARAMETER_GRADIENTS = HONEST + '''
import numpy as np

def backprop(params, X, y, lambdas=_h.Lambdas(), **kwargs):
    g = _h.backprop(params, X, y, lambdas, **kwargs)
    return g._replace(**{f: np.zeros_like(getattr(g, f)) for f in ("W1", "b1", "W2", "b2")})
'''


def test_zeros_in_place_of_the_parameter_gradients_earn_no_batched_or_structural_credit(tmp_path):
    questions = ("B10", "B16", "X1", "X3")
    done, report = attack(tmp_path, ZERO_PARAMETER_GRADIENTS, "--examples", "10", "--sweep", "0",
                          *(a for q in questions for a in ("--property", q)))
    statuses = {p["id"]: (p["status"], p["message"][:300]) for p in strict_json(report)["properties"]}
    for pid, (status, message) in statuses.items():
        assert status == "fail", (pid, status, message)
    assert "does no work" in statuses["X1"][1] and "does no work" in statuses["X3"][1]
