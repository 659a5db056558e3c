"""No credit without work: a stub that returns zeros."""

from support import IMPLEMENTATIONS, compare, strict_json

#: What the all-zeros stub earned before: consistent with its own all-zero ∂L/∂oa at every step below it
#: (inherited), and zeros of the documented types and shapes (X1, X3; B5-ntheta counts them).
NOTHING_FOR = ("B5", "B9", "B10", "B11", "B12", "B13", "B14", "B15", "B16", "B17", "X1", "X3")


def test_an_all_zeros_stub_earns_nothing_for_its_steps_or_its_shapes(tmp_path):
    report, points = tmp_path / "report.json", tmp_path / "results.json"
    done = compare("--impl", str(IMPLEMENTATIONS / "zeros.py"), "--examples", "10", "--sweep", "0", "--seed", "0",
                   *(a for q in NOTHING_FOR for a in ("--property", q)),
                   "--format", "json", "--output", str(report), "--format", "gradescope", "--output", str(points))
    assert done.returncode == 1, done.stderr
    props = strict_json(report.read_text())["properties"]
    assert {p["question"] for p in props} == set(NOTHING_FOR)
    for p in props:
        assert p["status"] == "fail", (p["id"], p["status"], p["message"])
        if p["question"] in ("X1", "X3") or p["id"] == "B5-ntheta":
            assert "does no work" in p["message"] and "is all zero where the reference's is not" in p["message"]
        else:
            assert "is all zero: being right on it shows nothing" in p["message"], (p["id"], p["message"])
    assert "its own ∂L/∂oa is all zero" in {p["id"]: p["message"] for p in props}["B11"]
    assert "its own loss(...) is all zero" in {p["id"]: p["message"] for p in props}["B5-risk"]
    scores = {t["number"]: t["score"] for t in strict_json(points.read_text())["tests"]}
    assert {q: scores[q] for q in NOTHING_FOR} == {q: 0 for q in NOTHING_FOR}
