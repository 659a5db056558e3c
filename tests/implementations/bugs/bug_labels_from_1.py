"""Classic bug: labels taken as 1…m, the class index written y − 1 (class 0 wraps to the last class)."""
from _solution import *  # noqa: F401,F403
import _solution as solution
import numpy as np
from _bug import descent


def _index(y, m):
    return (np.asarray(y) - 1) % m  # y - 1 as a NumPy index: -1 is the last class


def loss(params, X, y):
    oa = solution.forward(params, X).oa
    top = oa.max(axis=1)
    lse = top + np.log(np.exp(oa - top[:, None]).sum(axis=1))
    return lse - oa[np.arange(len(y)), _index(y, oa.shape[1])]


def risk(params, X, y, lambdas=solution.Lambdas()):
    return solution.risk(params, X, _index(y, np.shape(params[2])[0]), lambdas)


def backprop(params, X, y, lambdas=solution.Lambdas()):
    return solution.backprop(params, X, _index(y, np.shape(params[2])[0]), lambdas)


gradient_descent = descent(backprop)
