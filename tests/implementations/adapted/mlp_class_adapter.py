"""The Python adapter of the class worked example (mlp_class.py): the same checks as templates/mlp_class.toml."""
from reference.compare.submissions.adapting import *

LAMBDAS = "tied"
MLP = submission().MLP


def net(params, lambdas=Lambdas()):
    W1, b1, W2, b2 = params
    return put_params(MLP(W1.shape[1], len(b1), len(b2), *tied(lambdas)), params, bias=column)


def forward(params, X):
    n = net(params)
    os = n.fprop(columns(X))
    return Activations(rows(n.ha), rows(n.hs), rows(n.oa), rows(os))


def risk(params, X, y, lambdas=Lambdas()):
    return net(params, lambdas).risk(columns(X), onehot(y, len(params.b2), columns=True))


def backprop(params, X, y, lambdas=Lambdas(), *, input_gradient=True):
    n = net(params, lambdas)
    g, seen = with_locals(n.bprop, "grad_oa grad_hs grad_ha", columns(X), onehot(y, len(params.b2), columns=True))
    return Gradients(rows(seen["grad_oa"]), rows(seen["grad_hs"]), rows(seen["grad_ha"]), None, *get_params(g))
