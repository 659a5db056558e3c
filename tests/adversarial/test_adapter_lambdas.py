"""Code that takes tied λ, or none, is checked on problems it can take: B18 earns nothing without the penalties.

Round 4 (attack 3): with a tied-λ adapter every problem of "λ11 alone" was refused, and a property none of whose
problems could be sent was not-applicable at full credit: a file whose every method raises earned 0.8 of B18, and
a correct network that ignores λ 0.9 (B18-risk-all passed on the λ = 0 problems, the only tied ones drawn).
"""

import textwrap

from support import attack, strict_json

#: Every method of the class template raises.
EMPTY = textwrap.dedent('''
    class MLP:
        def __init__(self, d, dh, m, l1=0.0, l2=0.0):
            pass
        def fprop(self, X):
            raise NotImplementedError
        def loss(self, X, Y):
            raise NotImplementedError
        def risk(self, X, Y):
            raise NotImplementedError
        def bprop(self, X, Y):
            raise NotImplementedError
        def train(self, X, Y, learning_rate, epochs):
            raise NotImplementedError
''')

#: A right network (examples as columns) that stores l1, l2 and never uses them.
NO_PENALTY = textwrap.dedent('''
    import numpy as np

    class MLP:
        def __init__(self, d, dh, m, l1=0.0, l2=0.0):
            self.W1, self.b1 = np.zeros((dh, d)), np.zeros((dh, 1))
            self.W2, self.b2 = np.zeros((m, dh)), np.zeros((m, 1))
            self.l1, self.l2 = l1, l2
        def fprop(self, X):
            self.ha = self.W1 @ X + self.b1
            self.hs = np.maximum(self.ha, 0)
            self.oa = self.W2 @ self.hs + self.b2
            e = np.exp(self.oa - self.oa.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
        def loss(self, X, Y):
            self.fprop(X)
            z = self.oa - self.oa.max(axis=0, keepdims=True)
            return -(Y * (z - np.log(np.exp(z).sum(axis=0, keepdims=True)))).sum(axis=0).mean()
        def risk(self, X, Y):
            return self.loss(X, Y)
        def bprop(self, X, Y):
            n = X.shape[1]
            grad_oa = self.fprop(X) - Y
            grad_hs = self.W2.T @ grad_oa
            grad_ha = grad_hs * (self.ha > 0)
            return (grad_ha @ X.T / n, grad_ha.mean(axis=1, keepdims=True),
                    grad_oa @ self.hs.T / n, grad_oa.mean(axis=1, keepdims=True))
        def train(self, X, Y, learning_rate, epochs):
            for _ in range(epochs):
                g = self.bprop(X, Y)
                self.W1 = self.W1 - learning_rate * g[0]; self.b1 = self.b1 - learning_rate * g[1]
                self.W2 = self.W2 - learning_rate * g[2]; self.b2 = self.b2 - learning_rate * g[3]
''')

#: A Python adapter for code without regularization.
NONE_ADAPTER = textwrap.dedent('''
    from reference.compare.submissions.adapting import *
    LAMBDAS = "none"
    __all__ = ["forward", "loss", "risk", "backprop", "gradient_descent"]
    def forward(params, X):
        return submission().forward(params, X)
    def loss(params, X, y):
        return submission().loss(params, X, y)
    def risk(params, X, y, lambdas):
        no_lambdas(lambdas)
        return submission().risk(params, X, y)
    def backprop(params, X, y, lambdas, *, input_gradient=True):
        no_lambdas(lambdas)
        return submission().backprop(params, X, y)
    def gradient_descent(params, X, y, lambdas, *, learning_rate, steps):
        no_lambdas(lambdas)
        return submission().gradient_descent(params, X, y, learning_rate, steps)
''')

EMPTY_FUNCTIONS = textwrap.dedent('''
    def forward(params, X): raise NotImplementedError
    def loss(params, X, y): raise NotImplementedError
    def risk(params, X, y): raise NotImplementedError
    def backprop(params, X, y): raise NotImplementedError
    def gradient_descent(params, X, y, learning_rate, steps): raise NotImplementedError
''')

FAST = ("--property", "B18", "--examples", "15", "--sweep", "0", "--seed", "3")


def _b18(report: str) -> tuple[float, dict]:
    data = strict_json(report)
    return next(t["score"] for t in data["tests"] if t["number"] == "B18"), data


def test_an_empty_class_under_tied_lambdas_earns_nothing_for_b18(tmp_path):
    done, report = attack(tmp_path, EMPTY, "--adapter", "mlp_class", *FAST, fmt="gradescope")
    score, data = _b18(report)
    assert score == 0, data["output"]
    assert done.returncode == 1


def test_a_network_that_ignores_tied_lambdas_fails_each_penalty(tmp_path):
    done, report = attack(tmp_path, NO_PENALTY, "--adapter", "mlp_class", *FAST)
    statuses = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    # tied, "λ11 alone" is drawn as λ11 = λ21: every penalty alone is put to it, and it ignores each one
    # (B18-all also reads ∂L/∂x, which the class template does not give: not implemented, no credit either)
    assert statuses.pop("B18-all") == "not-implemented"
    assert set(statuses.values()) == {"fail"}, statuses
    assert done.returncode == 1


def test_the_right_tied_network_passes_every_penalty(tmp_path):
    from support import implementation
    done, report = attack(tmp_path, implementation("mlp_class").read_text(), "--adapter", "mlp_class", *FAST)
    statuses = {p["id"]: p["status"] for p in strict_json(report)["properties"]}
    assert statuses.pop("B18-all") == "not-implemented"  # no ∂L/∂x in the class template
    assert set(statuses.values()) == {"pass"}, (statuses, done.stderr)


def test_code_without_regularization_earns_nothing_for_b18(tmp_path):
    adapter = tmp_path / "none_adapter.py"
    adapter.write_text(NONE_ADAPTER)
    done, report = attack(tmp_path, EMPTY_FUNCTIONS, "--adapter", str(adapter), *FAST, fmt="gradescope")
    score, data = _b18(report)
    assert score == 0, data["output"]
    done, report = attack(tmp_path, EMPTY_FUNCTIONS, "--adapter", str(adapter), *FAST)
    for p in strict_json(report)["properties"]:
        assert p["status"] == "not-applicable" and 'LAMBDAS = "none"' in p["message"], p
