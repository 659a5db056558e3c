"""mlp_class with the classic bug rect'(0) = 1: the mask written ha >= 0 (same adapter, mlp_class.toml)."""

from mlp_class import MLP as Correct


class MLP(Correct):
    def mask(self, ha):
        return ha >= 0
