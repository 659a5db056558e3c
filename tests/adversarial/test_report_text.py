"""A submission's file name, messages and values in the reports: shown, never obeyed.

Attack round 6: a file name with a newline and ANSI escapes forged lines of report.txt; a backtick in a file
name closed the Markdown code span of the replay line (a live ``<img onerror>``); an id ``;=1+1;`` was a
formula cell to a spreadsheet that splits grades.csv on ``;``.
"""

import csv
import io
import re
import subprocess

import pytest

from support import HONEST, compare

EVIL = "evil\nA1  pass  all passed\n\x1b[32mOK\x1b[0m"


def _wrong_sign(folder, name):
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(HONEST + "\ndef sign(x):\n    raise ValueError('no')\n")
    return path


def test_a_file_name_forges_no_line_of_the_text_report_nor_of_the_class_summary(tmp_path):
    _wrong_sign(tmp_path / "subs", EVIL + ".py")
    out = tmp_path / "out"
    done = compare("--submissions", str(tmp_path / "subs"), "--output-dir", str(out), "--property", "A5",
                   "--examples", "3", "--sweep", "0", "--format", "text", "--seed", "0")
    assert done.returncode == 0, done.stderr
    (folder,) = (out / "reports").iterdir()
    texts = {"report.txt": (folder / "report.txt").read_text(), "summary.txt": (out / "summary.txt").read_text(),
             "stderr": done.stderr}
    for where, text in texts.items():
        assert "\x1b" not in text, where
        assert not any(line.startswith("A1  pass") for line in text.splitlines()), (where, text)
    report = texts["report.txt"]
    assert report.splitlines()[0].startswith("handgrad-compare: ") and "evil\\nA1  pass" in report.splitlines()[0]
    (replay,) = [line.strip() for line in report.splitlines() if line.strip().startswith("replay:")]
    assert "--impl $'" in replay and "\\x1b[32mOK" in replay


NAMES = [EVIL + ".py", "q'$(touch PWNED)'.py", "a`<img src=x onerror=alert(7)>`b.py", "tab\there.py",
         "x\x7f\u2028y.py", "bad\udcffbyte.py", "plain name.py", "back\\slash\\n.py"]


@pytest.mark.parametrize("name", NAMES)
def test_a_replay_word_is_one_printable_line_that_a_shell_reads_back_as_the_name(name, tmp_path):
    from reference.compare.grade_one import Settings

    line = Settings(examples=3, sweep=0).replay(name, "A5")
    assert line.isprintable(), line
    word = line.split(" --impl ", 1)[1].rsplit(" --seed ", 1)[0]
    got = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, cwd=tmp_path,
                         env={"LC_ALL": "C.UTF-8"}).stdout
    assert got == name.encode("utf-8", "surrogateescape")
    assert not (tmp_path / "PWNED").exists()


def _code_spans_closed(line: str) -> str:
    """The text of ``line`` outside its code spans, as CommonMark reads them: a run of n backticks opens a span
    that the next run of exactly n closes (an unmatched run is literal text)."""
    outside, i = [], 0
    while i < len(line):
        m = re.compile(r"`+").search(line, i)
        if not m:
            outside.append(line[i:])
            break
        outside.append(line[i:m.start()])
        close = re.compile(r"(?<!`)" + m.group() + r"(?!`)").search(line, m.end())
        if not close:
            outside.append(m.group())
            i = m.end()
            continue
        i = close.end()
    return "".join(outside)


@pytest.mark.parametrize("name", ["subs2/a`<img src=x onerror=alert(7)>`b.py", "c``` x.py", "`<b>x</b>`.py",
                                  "``<i>``"])
def test_no_backtick_of_a_file_name_closes_the_markdown_replay_span(name):
    from reference.compare.grade_one import Settings
    from reference.compare.reports.formats import Report, render
    from reference.compare.running.runner import PropertyResult

    replay = Settings(examples=3, sweep=0).replay(name, "A5")
    result = PropertyResult("A5", "A5", "sign", status="error", message="sign raised",
                            counterexample={"kind": "elementwise", "x": [0.0]}, replay=replay)
    text = render(Report(name, "seed", 0, 3, 0, [result], 1.0), "markdown")
    (line,) = [x for x in text.splitlines() if x.startswith("Replay: ")]
    assert "<" not in _code_spans_closed(line), line
    for other in text.splitlines():
        if other is not line and not other.startswith(("<details>", "</details>")):
            assert "<" not in _code_spans_closed(other), other


def test_the_class_summary_shows_ids_and_messages_inert():
    from reference.compare.reports.summary import class_summary

    said = "x `<img src=x onerror=alert(1)>` &lt;b&gt; \x1b[31mred"
    rows = [{"id": "a`<img src=x onerror=alert(2)>`\\x1b", "status": "failed", "seconds": 1.0,
             "questions": {"A5": "fail"}, "scores": {"A5": 0.0},
             "failures": [{"question": "A5", "property": "A5", "status": "fail", "key": said}], "error": ""},
            {"id": "hung", "status": "cannot-load", "seconds": 1.0, "questions": {}, "scores": {},
             "failures": [], "error": "no\x1b[2Jmodule"}]
    for fmt in ("text", "markdown"):
        text = class_summary(rows, ["A5"], fmt=fmt)
        assert "\x1b" not in text, fmt
    md = class_summary(rows, ["A5"], fmt="markdown")
    for line in md.splitlines():
        assert not re.search(r"(?<!\\)[<&`]", line), line


def test_a_grades_csv_row_holds_no_formula_whatever_the_separator():
    from reference.compare.reports.summary import write_csv

    ids = [";=1+1;", "x;=SUM(2;3);", "a, -2+3", "=1+1", 'q"uote', "ada"]
    rows = [{"id": i, "status": "ok", "seconds": 3.5712, "scores": {"A5": 1.0}} for i in ids]
    text = write_csv(rows, ["A5"])
    for line in text.splitlines()[1:]:
        assert re.fullmatch(r'"[^\n]*",1,1,"ok",3\.57', line), line  # text quoted, numbers bare
    for sep in (",", ";"):
        for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):  # a spreadsheet that honours the quotes, or not
            cells = [c for r in csv.reader(io.StringIO(text), delimiter=sep, quoting=quoting, escapechar="\\")
                     for c in r]
            assert not [c for c in cells if c.strip(' "').startswith(("=", "+", "-", "@"))], (sep, quoting, cells)
    got = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert got["ada"] == {"id": "ada", "total": "1", "A5": "1", "status": "ok", "seconds": "3.57"}
    assert got['q"uote']["total"] == "1" and "';'=1+1;" in got



def test_two_students_whose_names_differ_by_a_guarding_quote_keep_two_ids_in_grades_csv():
    # attack round 7, class_collide: "=1.py" and "'=1.py" were both written '=1 (the guard made one the other)
    from reference.compare.reports.summary import write_csv

    ids = ["=1", "'=1", "'a;'=b", "'a;=b", "a;'x", "a;x"]
    rows = [{"id": i, "status": "ok", "seconds": 1.0, "scores": {"A5": 1.0}} for i in ids]
    got = [r["id"] for r in csv.DictReader(io.StringIO(write_csv(rows, ["A5"])))]
    assert len(set(got)) == len(ids), got


def test_a_bare_link_in_a_submission_s_message_links_nowhere_in_markdown():
    """Attack round 13 (`15_md_link`): an exception's text ``https://evil.example/regrade?token=`` was kept bare
    in the class summary, where GitHub-flavoured Markdown makes it a live link under the class's mistakes."""
    from reference.compare.reports.formats import _md_escape
    from reference.compare.reports.summary import _md

    for shown in (_md("go to https://evil.example/regrade?token= or www.evil.example"),
                  _md_escape("go to https://evil.example/regrade?token= or www.evil.example")):
        assert "https://" not in shown and "www." not in shown
        assert shown.replace("\u200b", "").endswith("evil.example")
