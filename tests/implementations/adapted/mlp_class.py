"""A network class as homework writes it: column vectors, one-hot targets, tied λ, intermediates as locals.

Checked through the template adapter ``reference/compare/submissions/templates/mlp_class.toml``.
One example per column: X (d, n), one-hot targets Y (m, n), biases (k, 1); one l1,
l2 pair for both layers. ∂L/∂oa, ∂L/∂hs, ∂L/∂ha exist only as local variables of
``bprop``; there is no ∂L/∂x and no part A. The math is the course's, in plain NumPy.
"""

import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def softmax_columns(oa):
    e = np.exp(oa - oa.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


class MLP:
    def __init__(self, d, dh, m, l1=0.0, l2=0.0, seed=0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.uniform(-1, 1, (dh, d)) / np.sqrt(d)
        self.b1 = np.zeros((dh, 1))
        self.W2 = rng.uniform(-1, 1, (m, dh)) / np.sqrt(dh)
        self.b2 = np.zeros((m, 1))
        self.l1, self.l2 = l1, l2

    def fprop(self, X):
        self.ha = self.W1 @ X + self.b1
        self.hs = relu(self.ha)
        self.oa = self.W2 @ self.hs + self.b2
        return softmax_columns(self.oa)

    def loss(self, X, Y):
        """The batch's mean negative log-likelihood."""
        self.fprop(X)
        top = self.oa.max(axis=0)
        lse = top + np.log(np.exp(self.oa - top).sum(axis=0))
        return np.mean(lse - (self.oa * Y).sum(axis=0))

    def risk(self, X, Y):
        penalty = sum(self.l1 * np.abs(W).sum() + self.l2 * (W * W).sum() for W in (self.W1, self.W2))
        return self.loss(X, Y) + penalty

    def mask(self, ha):
        return ha > 0  # rect'(ha) = 1{ha > 0}

    def bprop(self, X, Y):
        n = X.shape[1]
        os = self.fprop(X)
        grad_oa = os - Y
        grad_W2 = grad_oa @ self.hs.T / n + self.l1 * np.sign(self.W2) + 2 * self.l2 * self.W2
        grad_b2 = grad_oa.sum(axis=1, keepdims=True) / n
        grad_hs = self.W2.T @ grad_oa
        grad_ha = grad_hs * self.mask(self.ha)
        grad_W1 = grad_ha @ X.T / n + self.l1 * np.sign(self.W1) + 2 * self.l2 * self.W1
        grad_b1 = grad_ha.sum(axis=1, keepdims=True) / n
        return grad_W1, grad_b1, grad_W2, grad_b2

    def train(self, X, Y, learning_rate, epochs):
        for _ in range(epochs):
            grad_W1, grad_b1, grad_W2, grad_b2 = self.bprop(X, Y)
            self.W1 -= learning_rate * grad_W1
            self.b1 -= learning_rate * grad_b1
            self.W2 -= learning_rate * grad_W2
            self.b2 -= learning_rate * grad_b2
