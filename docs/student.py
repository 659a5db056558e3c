"""A student's answer to the exercise, with one classic mistake: rect'(0) = 1.

Everything is written from the course's formulas with NumPy; only the four
types come from handgrad. The mistake, in ``d_rect`` and in ``backprop``'s
mask (``ha >= 0`` where the course has ``ha > 0``), fails A7 and every
gradient from ∂L/∂ha down. ``handgrad-compare --impl docs/student.py`` shows it;
so do ``reference.check("docs/student.py")`` and ``docs/example.ipynb``.
"""

import numpy as np

from handgrad.types import Activations, Gradients, Lambdas, Params  # noqa: F401 - the API's types


def sigmoid(x):
    return 0.5 * (np.tanh(0.5 * np.asarray(x, dtype=np.float64)) + 1.0)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def sign(x):
    x = np.asarray(x, dtype=np.float64)
    return (x > 0).astype(np.float64) - (x < 0)


def abs(x):  # noqa: A001 - the course's name
    return np.abs(np.asarray(x, dtype=np.float64))


def rect(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def softmax(x):
    z = np.asarray(x, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def d_tanh(x):
    return 1.0 - tanh(x) ** 2


def d_abs(x):
    return sign(x)


def d_rect(x):
    return (np.asarray(x, dtype=np.float64) >= 0).astype(np.float64)  # the mistake: rect'(0) is 0


def grad_l2_squared(x):
    return 2.0 * np.asarray(x, dtype=np.float64)


def grad_l1(x):
    return sign(x)


def forward(params, X):
    W1, b1, W2, b2 = params
    ha = np.asarray(X, dtype=np.float64) @ W1.T + b1
    hs = rect(ha)
    oa = hs @ W2.T + b2
    return Activations(ha, hs, oa, softmax(oa))


def loss(params, X, y):
    oa = forward(params, X).oa
    top = oa.max(axis=1)
    return top + np.log(np.exp(oa - top[:, None]).sum(axis=1)) - oa[np.arange(len(y)), y]


def risk(params, X, y, lambdas=Lambdas()):
    W1, _, W2, _ = params
    l11, l12, l21, l22 = lambdas
    penalty = l11 * np.abs(W1).sum() + l12 * (W1 ** 2).sum() + l21 * np.abs(W2).sum() + l22 * (W2 ** 2).sum()
    return float(loss(params, X, y).mean() + penalty)


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    W1, b1, W2, b2 = params
    X = np.asarray(X, dtype=np.float64)
    l11, l12, l21, l22 = lambdas
    n = X.shape[0]
    ha, hs, oa, os = forward(params, X)
    g_oa = os - np.eye(W2.shape[0])[y]
    g_hs = g_oa @ W2
    g_ha = g_hs * (ha >= 0)  # the same mistake: the course's mask is 1{ha > 0}
    g_x = g_ha @ W1 if input_gradient else None
    g_W1 = g_ha.T @ X / n + l11 * sign(W1) + 2 * l12 * W1
    g_W2 = g_oa.T @ hs / n + l21 * sign(W2) + 2 * l22 * W2
    return Gradients(g_oa, g_hs, g_ha, g_x, g_W1, g_ha.mean(axis=0), g_W2, g_oa.mean(axis=0))


def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):
    params = Params(*(np.array(a, dtype=np.float64) for a in params))
    for _ in range(steps):
        g = backprop(params, X, y, lambdas, input_gradient=False)
        params = Params(*(w - learning_rate * gw for w, gw in zip(params, (g.W1, g.b1, g.W2, g.b2))))
    return params
