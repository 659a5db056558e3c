"""A class survives any one submission: whatever an entry of the submissions folder is called or holds, every
entry gets an id, a report and a row of its own, and grades.csv and the class summary are written."""

import csv
import io
import json
import os
import resource
import socket
import subprocess
import sys

from reference.compare.classroom.grade_class import report_path
from reference.compare.classroom.roster import find_submissions
from reference.compare.reports.summary import write_csv
from reference.compare.sandbox.staging import MAX_BYTES, MAX_FILES
from support import ROOT, compare, standalone_submission

#: A batch as small as it gets: one property, two examples, no sweep.
TINY = ["--property", "A1", "--examples", "2", "--sweep", "0", "--jobs", "2"]
#: A sparse file this large costs no disk, and more memory than the grader may take to look at it.
HUGE = 20 << 30
#: The address space of the batch's processes in these tests: a grader that read a huge file whole would fail
#: at once (MemoryError) instead of taking the machine's memory.
ADDRESS_SPACE = 8 << 30
#: Every format of a report.
FORMATS = ["json", "text", "markdown", "html", "gradescope", "prairielearn"]
#: A mistake to append to a submission: A1 fails, its message naming where (the file).
RAISES = "\n\ndef sigmoid(x):\n    raise ValueError\n"


def _limited() -> None:
    """In the batch's process, before it starts: at most :data:`ADDRESS_SPACE`."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _batch(folder, out, *args):
    """``handgrad-compare --submissions folder --output-dir out``, tiny, in a limited address space."""
    return compare("--submissions", str(folder), "--output-dir", str(out), *TINY, *args, timeout=600,
                   preexec_fn=_limited)


def _rows(out) -> dict:
    text = (out / "grades.csv").read_bytes().decode()  # as written: a quoted CR is not a line's end
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}


def _report(out, sub_id) -> dict:
    return json.loads((out / "reports" / sub_id / "report.json").read_text())


def _sparse(path, size=HUGE):
    with open(path, "wb") as f:
        f.truncate(size)


def _notebook(path, source):
    cell = {"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}))


def test_every_entry_has_an_id_a_report_and_a_row_of_its_own(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for name in ("d.py", "d.py.py", "x\n.py", "x\\n.py"):  # the last two are printed alike
        (folder / name).write_text(standalone_submission())
    _notebook(folder / "d.ipynb", standalone_submission())
    ids = [s.id for s in find_submissions(folder)]
    assert ids == [s.id for s in find_submissions(folder)]  # stable: the same folder, the same ids
    assert len(set(ids)) == 5 and {"d.py", "d.ipynb", "d.py.py"} <= set(ids)
    assert sorted(i for i in ids if i.startswith("x")) == sorted(i for i in ids if i.startswith("x\\n.py~"))
    done = _batch(folder, out)
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert sorted(rows) == sorted(ids) and "5 of 5 submissions graded" in done.stderr
    graded = {s.id: s.entry for s in find_submissions(folder)}
    for sub_id, entry in graded.items():  # each report is its own entry's
        assert _report(out, sub_id)["implementation"] == str(entry), sub_id
        assert rows[sub_id]["status"] == "ok", (sub_id, _report(out, sub_id))


def test_a_submission_over_the_staging_limit_is_cannot_load_and_the_rest_is_graded(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "good.py").write_text(standalone_submission())
    _sparse(folder / "huge.py")
    (folder / "hoard").mkdir()  # a submission with its data: too much of it
    (folder / "hoard" / "submission.py").write_text(standalone_submission())
    _sparse(folder / "hoard" / "data.bin")
    (folder / "crowd").mkdir()  # too many files
    (folder / "crowd" / "submission.py").write_text(standalone_submission())
    for k in range(MAX_FILES):
        (folder / "crowd" / f"f{k}.txt").write_text("")
    done = _batch(folder, out)
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert {k: r["status"] for k, r in rows.items()} == {
        "good": "ok", "huge": "cannot-load", "hoard": "cannot-load", "crowd": "cannot-load"}
    for sub_id, limit in (("huge", f"{MAX_BYTES >> 20} MB"), ("hoard", f"{MAX_BYTES >> 20} MB"),
                          ("crowd", f"{MAX_FILES} files")):
        error = _report(out, sub_id)["error"]
        assert limit in error and "\n" not in error, error


#: Hash three submissions with little memory to spare, and count what is read.
HASHING = """
import json, os, pathlib, resource, sys
from reference.compare.classroom.roster import content_hash, find_submissions

def status(key, source="/proc/self/status"):
    return int(next(line for line in open(source) if line.startswith(key)).split()[1])

folder = pathlib.Path(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (status("VmSize:") * 1024 + (128 << 20), resource.RLIM_INFINITY))
digests = {"big": content_hash(folder / "big")}  # more than the memory left, less than the limit
before = status("rchar:", "/proc/self/io")
digests["huge"] = content_hash(folder / "huge.py")  # over the limit: its size is enough
digests["linked"] = content_hash(folder / "linked")  # a link is not followed
read = status("rchar:", "/proc/self/io") - before
(folder.parent / "outside" / "answers.txt").write_text("changed")
digests["linked again"] = content_hash(folder / "linked")
(folder / "big" / "submission.py").write_text("changed")
digests["big again"] = content_hash(folder / "big")
print(json.dumps({"digests": digests, "read": read,
                  "errors": {s.id: s.error for s in find_submissions(folder)}}))
"""


def test_the_fingerprint_is_read_in_chunks_within_the_limit_and_follows_no_link(tmp_path):
    folder, outside = tmp_path / "class", tmp_path / "outside"
    for path in (folder / "big", folder / "linked", outside):
        path.mkdir(parents=True)
    (folder / "big" / "submission.py").write_text("x = 1\n")
    _sparse(folder / "big" / "data.bin", 250 << 20)  # under the limit: hashed, in chunks
    _sparse(folder / "huge.py")
    (folder / "linked" / "submission.py").write_text("x = 1\n")
    (outside / "answers.txt").write_text("the answers")
    _sparse(outside / "huge.bin")
    os.symlink(outside / "answers.txt", folder / "linked" / "answers.txt")
    os.symlink(outside, folder / "linked" / "more")
    done = subprocess.run([sys.executable, "-c", HASHING, str(folder)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    digests = got["digests"]
    assert got["read"] < 1 << 20  # neither the huge file nor the file behind the link was read
    assert digests["linked"] == digests["linked again"]
    assert digests["big"] != digests["big again"]
    assert f"{MAX_BYTES >> 20} MB" in got["errors"]["huge"] and got["errors"]["big"] == ""


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "  =1+1"]


def test_grades_csv_cells_a_spreadsheet_would_run_are_quoted():
    rows = [{"id": i, "status": "ok", "seconds": 1.0, "scores": {"A1": 1.0}} for i in FORMULAS]
    rows += [{"id": "ada", "status": "=1+1", "seconds": 2.5, "scores": {"A1": -1.0}}]  # a number stays one
    got = {r["id"]: r for r in csv.DictReader(io.StringIO(write_csv(rows, ["A1"]), newline=""))}
    assert sorted(got) == sorted(["ada", *("'" + i for i in FORMULAS)])
    assert got["ada"] == {"id": "ada", "total": "-1", "A1": "-1", "status": "'=1+1", "seconds": "2.50"}
    assert all(got["'" + i]["total"] == "1" and got["'" + i]["status"] == "ok" for i in FORMULAS)


def test_an_id_a_spreadsheet_would_run_is_quoted_in_the_class_grades(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for name in ('=HYPERLINK("x","y").py', "-2+3.py", "@SUM(A1).py", "+1.py", "ada.py"):
        (folder / name).write_text("")
    done = _batch(folder, out)
    assert done.returncode == 0, done.stderr
    assert sorted(_rows(out)) == ["'+1", "'-2+3", "'=HYPERLINK(\"x\",\"y\")", "'@SUM(A1)", "ada"]


def test_whatever_one_entry_holds_every_other_row_and_the_summary_are_written(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    right = standalone_submission()
    (folder / "good.py").write_text(right)
    (folder / "helped").mkdir()
    (folder / "helped" / "mlp.py").write_text(right)
    (folder / "locked.py").write_text(right)
    os.chmod(folder / "locked.py", 0)  # unreadable (but to root)
    os.mkfifo(folder / "pipe.py")
    (folder / "notes").mkdir()  # a folder with nothing to check
    (folder / "notes" / "README.txt").write_text("nothing here")
    (folder / "new\nline.py").write_text(right)
    (folder / os.fsdecode(b"bad\xffbyte.py")).write_text(right + RAISES)  # its name in its failure
    os.symlink("loop.py", folder / "loop.py")  # a link to itself
    os.symlink(tmp_path / "nowhere.py", folder / "dangling.py")
    _sparse(folder / "huge.py")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "sock.py"))
    done = _batch(folder, out, *(f for fmt in FORMATS for f in ("--format", fmt)))
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    locked = "ok" if os.geteuid() == 0 else "cannot-load"  # root reads it all the same
    assert {k: r["status"] for k, r in rows.items()} == {
        "good": "ok", "helped": "ok", "locked": locked, "pipe": "cannot-load", "notes": "cannot-load",
        "new\\nline": "ok", "bad\\xffbyte": "failed", "loop": "cannot-load", "dangling": "cannot-load",
        "huge": "cannot-load", "sock": "cannot-load"}
    for sub_id in rows:
        assert "\n" not in _report(out, sub_id).get("error", ""), sub_id
        assert all(report_path(out, sub_id, fmt).is_file() for fmt in FORMATS), sub_id
    ok = sum(r["status"] == "ok" for r in rows.values())
    summary = (out / "summary.txt").read_text()
    assert f"11 submissions: {ok} ok, 1 failed, {10 - ok} cannot-load" in summary
    assert "A1      1x  sigmoid raised ValueError" in summary and "11 submissions" in (out / "summary.md").read_text()
    assert "bad\\xffbyte.py" in report_path(out, "bad\\xffbyte", "text").read_text()


#: The grader's own failure after one submission.
CRASH = """
import sys
from reference.compare import cli
from reference.compare.classroom import grade_class

def grade_all(args, settings, subs, prints, formats, props, rows):
    rows.append({"id": subs[0].id, "status": "ok", "seconds": 1.0, "questions": {}, "scores": {}, "failures": []})
    raise RuntimeError("the grader's own fault")

grade_class._grade_all = grade_all
sys.exit(cli.main(sys.argv[1:]))
"""


def test_what_was_graded_is_written_when_the_grader_fails_midway(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for name in ("ada.py", "bob.py"):
        (folder / name).write_text("")
    done = subprocess.run([sys.executable, "-c", CRASH, "--submissions", str(folder), "--output-dir", str(out),
                           *TINY], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 3 and "the grader's own fault" in done.stderr, done.stderr
    assert list(_rows(out)) == ["ada"]
    assert "1 submissions: 1 ok" in (out / "summary.txt").read_text() and (out / "summary.md").is_file()


def test_a_file_named_in_upper_case_is_told_not_passed_over(tmp_path):
    """Attack round 10: ``alice.PY`` got no row and no word; it is a row now, not graded, saying why."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.PY").write_text(standalone_submission())
    (folder / "bob.py").write_text(standalone_submission())
    (folder / "notes.txt").write_text("not a submission")
    found = {s.id: s for s in find_submissions(folder)}
    assert set(found) == {"alice", "bob"}
    assert found["alice"].target is None and "lower case" in found["alice"].error
    assert found["bob"].target is not None


def test_a_notebook_with_a_lone_surrogate_or_bare_carriage_returns_is_graded_with_the_class(tmp_path):
    """Attack round 15: a code cell holding a lone surrogate (a JSON escape) made the class's fingerprint fail
    (no grades.csv, no summary: exit 3), and a cell whose lines end in a bare carriage return (valid Python) was
    read at line numbers ast counted and not the loader's (an internal error, no report)."""
    import json as _json

    subs = tmp_path / "subs"
    subs.mkdir()
    source = standalone_submission()
    cells = {"surrogate.ipynb": source + "\n# \ud800\n", "carriage.ipynb": source.replace("\n", "\r")}
    for name, text in cells.items():
        (subs / name).write_text(_json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": text}]}))
    out = tmp_path / "out"
    done = compare("--submissions", str(subs), "--output-dir", str(out), *TINY)
    assert done.returncode in (0, 1), done.stderr[-1500:]
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    assert set(rows) == {"surrogate", "carriage"}, rows
    assert rows["carriage"]["status"] == "ok", rows  # a lone surrogate is no text a source file holds: its own
    assert rows["surrogate"]["status"] in ("ok", "cannot-load"), rows  # row, whatever it says, and the class's
