"""Every mistake is charged somewhere: an inherited failure whose root passes on its own examples is charged
where it was seen (running.body.settle_roots), whichever way the catalog is run."""

import hypothesis.strategies as st
import pytest

from reference.compare.exercise.catalog import Context, Property, PropertyFailure
from reference.compare.exercise.catalog.chain import Inherited
from reference.compare.reuse.shared import Shared, SharedCatalog
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation


def _catalog(root_fails: bool) -> list[Property]:
    def root(ctx, k):
        if root_fails:
            raise PropertyFailure("the root's own mistake")

    def heir(ctx, k):
        raise Inherited(PropertyFailure("y is off"), "Q1")
    return [Property("Q1", "Q1", "a step", strategy=lambda: st.integers(0, 9), check=root),
            Property("Q2", "Q2", "the next step", strategy=lambda: st.integers(0, 9), check=heir)]


@pytest.mark.parametrize("root_fails, heir", [(False, "fail"), (True, "inherited")])
def test_an_heir_of_a_root_that_passes_is_charged(root_fails, heir):
    with InProcessImpl(str(implementation("bug_sum_only_with_l21"))) as impl:
        results, _ = run_catalog(Context(impl), _catalog(root_fails), max_examples=5, seed=0, shrink=False)
    assert [r.status for r in results] == ["fail" if root_fails else "pass", heir]
    if heir == "fail":
        assert "charged here" in results[1].message and "root" not in results[1].details


def test_the_shared_catalog_settles_roots_too(tmp_path):
    # the CLI's way: examples replayed from a store when it has them, run under Hypothesis when not
    with InProcessImpl(str(implementation("bug_sum_only_with_l21"))) as impl:
        results, _ = SharedCatalog(Shared(None))(Context(impl), _catalog(False), max_examples=5, seed=0)
    assert [r.status for r in results] == ["pass", "fail"]
