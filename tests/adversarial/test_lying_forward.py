"""A public forward that reports other values than the network computes earns its backward pass nothing
(attack round 6, `04_mask_kink`, `41_mask_three`: a wrong mask inherited from a forward that lied about ha)."""

from reference.compare.exercise.catalog import CATALOG, Context
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation


def test_a_wrong_mask_behind_a_lying_forward_is_charged_at_its_own_question():
    props = [p for p in CATALOG if p.question in ("B1", "B13")]
    with InProcessImpl(str(implementation("bug_lying_forward"))) as impl:
        results, _ = run_catalog(Context(impl), props, max_examples=20, seed=0, shrink=False)
    status = {r.id: r for r in results}
    assert status["B1"].status == "fail"  # the lie itself
    b13 = status["B13"]
    # its own mistake, judged on the reference's ha (the forward's parts disagree), not one "inherited" and then
    # charged for want of a root
    assert b13.status == "fail" and "charged here" not in b13.message, b13.message
    assert "rect'(0) taken as 1" in b13.message
