"""k1c/IFT6390_HW3, solution.py: class NN on rows, weights (d, dh) and biases (1, dh) in a dict, forward → cache →
backward(cache, one-hot); no regularization."""
import numpy as np

from reference.compare.submissions.adapting import *

LAMBDAS = "none"  # only λ = 0 is sent
stub("matplotlib.pyplot")  # imported for its plots
NN, one = submission().NN, submission().NN(datapath=None)
rect, softmax, sigmoid, tanh = one.relu, one.softmax, one.sigmoid, one.tanh


def net(p, lambdas=Lambdas()):
    no_lambdas(lambdas)
    n = NN(hidden_dims=(len(p.b1),), datapath=None, n_classes=len(p.b2))
    n.weights = put_params({}, p, bias=np.atleast_2d, weights=columns)
    return n


def forward(params, X):
    c = net(params).forward(X)
    return Activations(c["A1"], c["Z1"], c["A2"], c["Z2"])


def risk(params, X, y, lambdas=Lambdas()):
    return (n := net(params, lambdas)).loss(n.forward(X)["Z2"], onehot(y, len(params.b2)))


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = (n := net(params, lambdas)).backward(n.forward(X), onehot(y, len(params.b2)))
    return Gradients(g["dA2"], g["dZ2"], g["dA1"], None, *get_params(g, "dW1 db1 dW2 db2", weights=columns))
