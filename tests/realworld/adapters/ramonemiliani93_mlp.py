"""ramonemiliani93/IFT6390-HW3, mlp.py: class MLP on columns, parameters in the dict params (w1 b1 w2 b2, biases
(k, 1)), forward_pass then calculate_cost or backward_pass, results in the dicts fprop and bprop."""
from reference.compare.submissions.adapting import *

stub("sklearn.datasets")  # imported at the top of mlp.py, used only by its __main__ block
MLP = submission().MLP


def net(p, lambdas=Lambdas()):
    n = MLP(p.W1.shape[1], len(p.b1), len(p.b2), list(lambdas))
    put_params(n.params, p, "w1 b1 w2 b2", bias=column)
    return n


def forward(params, X):
    (n := net(params)).forward_pass(columns(X))
    return Activations(*read(n.fprop, "ha hs oa os", rows))


def loss(params, X, y):  # its cost of each example (here λ = 0)
    return sequence(net(params), ("forward_pass", columns(X)), ("calculate_cost", y))[1]


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    g = (n := net(params, lambdas)).calculate_gradient(columns(X), y)[1]
    return Gradients(*read(n.bprop, "grad_oa grad_hs grad_ha", rows), None, *get_params(g, "grad_w1 grad_b1 grad_w2 grad_b2"))
