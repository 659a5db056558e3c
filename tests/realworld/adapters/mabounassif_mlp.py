"""mabounassif/IFT6390, devoirs/d2/code/mlp_batch.py: functions fprop/bprop on columns returning dicts, imported
through the folder as the package ``code``; the gradient with its regularization exists only inside train's update."""
import numpy as np

from reference.compare.submissions.adapting import *

as_package("code")  # mlp_batch.py: from code.mlp_helpers import fprop, bprop
stub("pylab", "matplotlib.pyplot")  # imported by code/mlp.py for its plots
batch = submission()
args = lambda p: (p.W1, p.W2, column(p.b1), column(p.b2))  # its order: W1, W2, b1, b2
forward = lambda params, X: Activations(*read(batch.fprop(*args(params), X), "ha hs oa os", rows))
loss = lambda params, X, y: flat(batch.fprop(*args(params), X, y)["loss"])  # a row (1, n): one example per column


def gradient_descent(params, X, y, lambdas=Lambdas(), *, learning_rate, steps):
    net = put_params(batch.MLPBatch(X.shape[1], len(params.b2), len(params.b1), 0.0), Params(*map(np.copy, params)), bias=column)
    net.train(X, y, np.reshape(lambdas, (2, 2)), learning_rate, iterations=steps)
    return get_params(net)


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = batch.bprop(batch.fprop(*args(params), X, y), *args(params), X, y, len(params.b2))
    step = gradient_descent(params, X, y, lambdas, learning_rate=STEP, steps=1)  # W -= lr * (g + its penalty)
    return Gradients(*read(g, "grad_oa grad_hs grad_ha", rows), None, *step_gradient(params, step))
