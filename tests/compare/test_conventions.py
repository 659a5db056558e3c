"""The any-subgradient convention: a consistent valid subgradient passes, what is no subgradient fails."""

from reference.compare.exercise.catalog import CATALOG, Context
from reference.compare.running.runner import run_catalog
from reference.compare.sandbox import InProcessImpl
from support import implementation


def _run_convention(name, convention, questions):
    with InProcessImpl(str(implementation(name))) as impl:
        ctx = Context(impl, convention=convention)
        results, _ = run_catalog(ctx, [p for p in CATALOG if p.question in questions],
                                 max_examples=15, sweep=300, seed=0, shrink=False)
    return {r.id: r.status for r in results}, ctx.kinks


def test_any_subgradient_accepts_a_consistent_rect_slope_of_1():
    questions = ("A7", "B13", "B14", "B15", "B16", "B17")
    strict, _ = _run_convention("bug_rect_ge", "seed", questions)
    loose, kinks = _run_convention("bug_rect_ge", "any-subgradient", questions)
    assert kinks == (0.0, 1.0)
    assert "fail" in strict.values()
    assert set(loose.values()) == {"pass"}, loose


def test_any_subgradient_still_refuses_what_is_no_subgradient():
    statuses, _ = _run_convention("bug_abs_quotient", "any-subgradient", ("A6", "A9"))
    assert statuses == {"A6-abs": "pass", "A6": "fail", "A9": "fail"}  # abs itself is right
    statuses, _ = _run_convention("bug_l1_constant", "any-subgradient", ("B18",))
    assert statuses["B18-l11"] == "fail" and statuses["B18-l21"] == "fail"
