"""The class summary: each mistake once per student at its root, with who made it; hangs once per submission;
why a submission could not be loaded; classmates who handed in the same code. Rows are built here by hand (the
batch's own are tested in test_batch.py)."""

from reference.compare.classroom.roster import source_keys
from reference.compare.reports.summary import class_summary


def _row(sub_id, failures=(), status="failed", error=""):
    return {"id": sub_id, "status": status, "seconds": 1.0, "error": error,
            "questions": {q: "fail" for q, _ in failures}, "scores": {},
            "failures": [{"question": q, "property": q, "status": "fail", "key": k} for q, k in failures]}


def test_one_mistake_made_by_three_students_with_their_own_values_is_one_line_naming_them():
    rows = [_row(name, [("B15", f"grad_W1 differs from jax.vjp: [0, 1] = {v}, reference -0.24680969850112")])
            for name, v in (("ada", "0.493619397002"), ("bob", "1.2e-3"), ("cy", "-7.5"))]
    rows.append(_row("dee", [("B15", "grad_W1 has shape (3, 2) instead of (2, 3)")]))
    text = class_summary(rows, ["B15"])
    assert "B15     3x  grad_W1 differs from jax.vjp: [0, 1] = 0.493619397002, reference -0.24680969850112" in text
    assert "ada, bob, cy" in text and "B15     1x  grad_W1 has shape (3, 2) instead of (2, 3)" in text
    assert "(3×)" in class_summary(rows, ["B15"], fmt="markdown")


def test_a_long_message_is_cut_at_a_space_never_inside_a_number():
    key = "d_tanh(x) differs " + " ".join(f"{-0.2468096985011 * k:.13f}" for k in range(1, 30))
    text = class_summary([_row("ada", [("A6", key)])], ["A6"])
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("A6") and "x " in ln)
    shown = line.split("x  ", 1)[1]
    assert shown.endswith(" …") and all(part in key.split() for part in shown[:-2].split())


def test_a_hanging_submission_is_counted_once_not_once_per_question():
    hang = "d_tanh did not return within 10 s (the process was stopped)"
    rows = [_row("ada", [(q, hang.replace("d_tanh", f)) for q, f in (("A2", "tanh"), ("A6", "d_tanh"),
                                                                        ("B3", "forward"))]), _row("bob")]
    text = class_summary(rows, ["A2", "A6", "B3"])
    assert "hung (1 submission, each counted once):" in text and text.count("did not return within") == 1
    assert "nothing: every question passed" in text  # the hang is not also a mistake at each question


def test_why_a_submission_could_not_be_loaded_is_in_the_summary():
    rows = [_row("gina", status="cannot-load",
                 error="AttributeError: module 'numpy' has no attribute 'float' (at gina.py:11)\nmore"), _row("ada")]
    text = class_summary(rows, ["A1"])
    reason = "AttributeError: module 'numpy' has no attribute 'float' (at gina.py:11) more"
    assert f"could not be loaded:\n  gina: {reason}" in text


def test_classmates_who_handed_in_the_same_code_are_listed_for_a_look(tmp_path):
    code = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
    (tmp_path / "ada.py").write_text(code)
    (tmp_path / "bob.py").write_text("# my own work\n" + code.replace("    return", "    return  "))
    (tmp_path / "cy.py").write_text(code.replace("x", "z"))
    (tmp_path / "dee.py").write_text(code.replace("1 /", "2 /"))
    (tmp_path / "eve.py").write_text("def sigmoid(x:\n")  # not Python: nothing to compare
    sources = {p.stem: source_keys(p) for p in tmp_path.iterdir()}
    assert sources["eve"] is None
    text = class_summary([_row(i) for i in sources], ["A1"], sources=sources)
    assert "  ada, bob: the same code (comments and spacing aside)" in text
    assert "  ada, bob, cy: the same code but for its names" in text and "dee" not in text.split("alike")[1]
