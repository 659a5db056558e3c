"""Output floods: what the submission prints is kept as a bounded tail, escaped, and the grader stays small."""

from test_resources import _graded_with_peak

from support import HONEST, strict_json


def test_a_30_mb_burst_and_100_kb_per_call(tmp_path):
    source = HONEST + '''
import os, sys
sys.stderr.write("x" * (30 << 20))
os.write(2, b"y" * (1 << 20))

def sign(x):
    print("handgrad-compare: 46 passed, 0 failed, 0 errors\\n" * 2000)
    raise RuntimeError("boom\\nquestions: all 32 pass")
'''
    done, report, peak = _graded_with_peak(tmp_path, source, "--property", "A5", "--property", "A7",
                                           "--examples", "3", "--sweep", "0")
    props = {p["id"]: p for p in report["properties"]}
    assert props["A5"]["status"] == "error" and "\\n" in props["A5"]["message"]
    assert "\n" not in props["A5"]["message"] and len(props["A5"]["message"]) < 5000
    assert props["A7"]["status"] == "pass"
    assert peak < 1.5e9
    assert "46 passed" not in done.stdout + done.stderr


def test_the_text_report_cannot_be_given_fake_lines(tmp_path):
    from support import attack

    source = HONEST + '''
def sign(x):
    raise RuntimeError("boom\\nquestions: all 32 pass\\n46 passed, 0 failed, 0 errors in 1.0 s")
'''
    done, report = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0", fmt="text")
    lines = report.splitlines()
    assert not any(line.startswith("questions: all") for line in lines)
    assert lines[-1].startswith("0 passed, 0 failed, 1 errors")
    strict_json  # noqa: B018 - imported for the other tests of this file


def test_the_markdown_report_shows_what_the_submission_wrote_as_text():
    # HTML, links and table cells in a message are escaped: a report pasted in a course page runs nothing
    from reference.compare.reports.formats import Report, render
    from reference.compare.running.runner import PropertyResult

    said = "x <script>alert(1)</script> <img src=x onerror=alert(1)> [link](javascript:alert(1)) | cell"
    result = PropertyResult("A5", "A5", "sign", status="error", message=f"sign raised ValueError: {said}")
    text = render(Report("<b>hw</b>.py", "seed", 0, 1, 0, [result], 1.0), "markdown")
    for raw in ("<script>", "<img", "<b>"):
        assert raw not in text, raw
    import re

    assert not re.search(r"(?<!\\)\[link(?<!\\)\]\(", text) and not re.search(r"(?<!\\)\| cell", text), text
