"""--format html: one self-contained page (no network), the grid, the chain, a picture per failing array."""

import base64
import html.parser
import re
from dataclasses import replace

import pytest

from reference.compare.exercise.catalog import Context, select
from reference.compare.reports.formats import Report, render
from reference.compare.reports.heatmap import png
from reference.compare.reports.html_page import COLOURS, failing_field, worst_status
from reference.compare.running.runner import PropertyResult, run_catalog
from reference.compare.sandbox import InProcessImpl
from support import compare, implementation


class Page(html.parser.HTMLParser):
    """Every tag with its attributes, and the text."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def report():
    """Seed 000 on A5 and B18-l11 (both fail), B7 (passes), and statuses from elsewhere."""
    with InProcessImpl(str(implementation("seed_000_literal"))) as impl:
        results, figures = run_catalog(Context(impl), select(["A5", "B18-l11", "B7"]), max_examples=10, sweep=0,
                                       seed=0)
    others = [PropertyResult("B13", "B13", "∂L/∂ha", status="inherited", message="∂L/∂hs is already off"),
              PropertyResult("B17", "B17", "∂L/∂x", status="not-implemented", message="backprop is missing"),
              PropertyResult("X9", "X9", "a claim from the future", status="someday", message="<b>not bold</b>")]
    return Report("seed_000_literal.py", "seed", 0, 10, 0, results + others, 1.5, figures)


def test_the_page_is_self_contained_and_draws_each_failing_array(report):
    text = render(report, "html")
    page = parse(text)
    tags = [t for t, _ in page.tags]
    assert tags[0] == "html" and "script" not in tags and "link" not in tags and "iframe" not in tags
    for _, attrs in page.tags:
        for key in ("src", "href"):
            assert not attrs.get(key, "data:").startswith(("http", "//")), attrs
    assert not re.search(r"url\((?!#)", text)  # CSS fetches nothing either
    failing = [r for r in report.results if r.details.get("ratio_map")]
    assert len(failing) == 2  # A5 and B18-l11
    heatmaps = [a for t, a in page.tags if t == "svg" and a.get("class") == "hg-heatmap"]
    images = [a["href"] for t, a in page.tags if t == "image"]
    assert len(heatmaps) == len(images) == len(failing)
    for uri in images:
        assert base64.b64decode(uri.removeprefix("data:image/png;base64,")).startswith(b"\x89PNG")
    assert sum(1 for t, a in page.tags if a.get("class") == "hg-worst") == len(failing)
    words = " ".join(page.text)
    assert "smallest counterexample" in words and "∂L/∂oa" in words and "∂R/∂W1" in words
    assert "<b>not bold</b>" in words and "<b>" not in text.split("<body", 1)[1].replace("&lt;b&gt;", "")


def test_statuses_are_coloured_generically(report):
    text = render(report, "html")
    for status in ("pass", "fail", "inherited", "not-implemented"):
        assert COLOURS[status] in text
    assert "someday" in text  # an unknown status is shown, in grey
    assert worst_status(["pass", "someday", "fail"]) == "fail" and worst_status([]) == "not checked"
    assert worst_status(["pass", "inherited"]) == "inherited"


def test_the_chain_blames_the_array_a_failure_names(report):
    b18 = next(r for r in report.results if r.id == "B18-l11")
    assert failing_field(b18) == "W1"
    page = parse(render(report, "html"))
    titles = " | ".join(page.text)
    assert "∂R/∂W1: fail" in titles and "∂L/∂oa: pass" in titles
    # B18-l11 also checks ∂R/∂W2, but failed on ∂R/∂W1: nothing is known against ∂R/∂W2
    assert "∂R/∂W2: not checked" in titles
    fixed = Report(**{**vars(report), "results": [replace(r, status="pass", details={}) for r in report.results]})
    assert "∂R/∂W2: pass" in " | ".join(parse(render(fixed, "html")).text)


def test_png_is_a_valid_image():
    import numpy as np

    data = png(np.zeros((3, 5, 3), np.uint8))
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and data.endswith(b"IEND\xaeB`\x82")


def test_the_command_writes_an_html_report(tmp_path):
    path = tmp_path / "report.html"
    run = compare("--impl", str(implementation("bug_abs_quotient")), "--property", "A6", "--examples", "10",
                  "--sweep", "0", "--format", "html", "--output", str(path))
    assert run.returncode == 1, run.stderr
    page = parse(path.read_text())
    assert sum(1 for t, a in page.tags if t == "svg" and a.get("class") == "hg-heatmap") == 1


def test_root_causes_lead_with_what_they_explain_folded_under_them_and_the_columns_agree_with_the_text():
    root = PropertyResult("B13", "B13", "∂L/∂ha", status="fail", message="d_rect(0) = 1, reference 0",
                          worst_ratio=2.5e6, abs_error_at_worst=0.25,
                          counterexample={"x": [[0.0, 1.0]], "y": [1]}, replay="handgrad-compare --property B13")
    heir = PropertyResult("B15-W1", "B15", "∂R/∂W1", status="inherited", message="∂L/∂ha is already off",
                          details={"root": "B13"}, worst_ratio=3.0, abs_error_at_worst=0.5)
    fine = PropertyResult("B7", "B7", "∂L/∂oa", status="pass", worst_ratio=0.01, abs_error_at_worst=1e-17)
    report = Report("bug.py", "seed", 0, 10, 0, [fine, root, heir], 1.0, {})
    text, page = render(report, "html"), render(report, "text")
    assert text.index("Root causes") < text.index("Questions") < text.index("Properties")
    card = text[text.index("Root causes"):text.index("Questions")]
    assert "B13: ∂L/∂ha" in card and "smallest counterexample" in card and "handgrad-compare --property B13" in card
    folded = card[card.index("<details>"):card.index("</details>")]
    assert "inherited by B15" in folded and "∂L/∂ha is already off" in folded
    for r in (fine, root, heir):  # ERR/ALLOWED and ABS ERR: the text report's figures, in the same row
        row = next(line.split() for line in page.splitlines() if line.startswith(r.id + " "))
        cells = re.search(rf"<td><code>{r.id}</code>.*?</tr>", text).group(0)
        figures = re.findall(r'class="hg-n">([^<]*)<', cells)[2:]
        assert figures == row[5:7], (figures, row)
