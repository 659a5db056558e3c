"""One forward mistake: ha = X W1ᵀ − b1 in forward, and every function built on that forward (B1's mistake alone); the later steps are right on its values, so they inherit it."""
import numpy as np
from typing import NamedTuple

class Params(NamedTuple):
    W1: object; b1: object; W2: object; b2: object
class Lambdas(NamedTuple):
    l11: float; l12: float; l21: float; l22: float
class Activations(NamedTuple):
    ha: object; hs: object; oa: object; os: object
class Gradients(NamedTuple):
    oa: object; hs: object; ha: object; x: object; W1: object; b1: object; W2: object; b2: object

def _f(x): return np.asarray(x, dtype=np.float64)

def sigmoid(x):
    x = _f(x); e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1/(1+e), e/(1+e))
def tanh(x): return np.tanh(_f(x))
def softplus(x): return np.logaddexp(0.0, _f(x))
def sign(x): return np.sign(_f(x))
def abs(x): return np.abs(_f(x))
def rect(x): return np.maximum(_f(x), 0.0)
def softmax(x):
    x = _f(x); z = x - np.max(x, axis=-1, keepdims=True); e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)
def d_sigmoid(x): s = sigmoid(x); return s*(1-s)
def d_tanh(x): t = np.tanh(_f(x)); return 1 - t*t
def d_abs(x): return np.sign(_f(x))
def d_rect(x): return (_f(x) > 0).astype(np.float64)
def grad_l2_squared(x): return 2*_f(x)
def grad_l1(x): return np.sign(_f(x))

def forward(params, X):
    W1, b1, W2, b2 = (_f(p) for p in params)
    X = _f(X)
    ha = X @ W1.T - b1   # BUG: b1 subtracted
    hs = np.maximum(ha, 0.0)
    oa = hs @ W2.T + b2
    os = softmax(oa)
    return Activations(ha, hs, oa, os)

def _lse(oa):
    mx = np.max(oa, axis=-1, keepdims=True)
    return (mx + np.log(np.sum(np.exp(oa-mx), axis=-1, keepdims=True)))[:, 0]

def loss(params, X, y):
    a = forward(params, X)
    y = np.asarray(y).astype(np.int64)
    return _lse(a.oa) - a.oa[np.arange(len(y)), y]

def risk(params, X, y, lambdas):
    W1 = _f(params[0]); W2 = _f(params[2])
    l11, l12, l21, l22 = (float(l) for l in lambdas)
    return float(np.mean(loss(params, X, y)) + l11*np.sum(np.abs(W1)) + l12*np.sum(W1*W1)
                 + l21*np.sum(np.abs(W2)) + l22*np.sum(W2*W2))

def backprop(params, X, y, lambdas, *, input_gradient=True):
    W1, b1, W2, b2 = (_f(p) for p in params)
    X = _f(X); y = np.asarray(y).astype(np.int64); n = X.shape[0]
    l11, l12, l21, l22 = (float(l) for l in lambdas)
    a = forward(params, X)
    goa = a.os.copy(); goa[np.arange(n), y] -= 1.0
    ghs = goa @ W2
    gha = ghs * (a.ha > 0)
    gx = gha @ W1 if input_gradient else None
    gW2 = goa.T @ a.hs / n + l21*np.sign(W2) + 2*l22*W2
    gb2 = goa.mean(axis=0)
    gW1 = gha.T @ X / n + l11*np.sign(W1) + 2*l12*W1
    gb1 = gha.mean(axis=0)
    return Gradients(goa, ghs, gha, gx, gW1, gb1, gW2, gb2)

def gradient_descent(params, X, y, lambdas, *, learning_rate, steps):
    p = Params(*(_f(q).copy() for q in params))
    for _ in range(steps):
        g = backprop(p, X, y, lambdas, input_gradient=False)
        p = Params(p.W1 - learning_rate*g.W1, p.b1 - learning_rate*g.b1,
                   p.W2 - learning_rate*g.W2, p.b2 - learning_rate*g.b2)
    return p
