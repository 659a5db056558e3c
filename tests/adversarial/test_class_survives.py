"""A class survives any one submission: whatever an entry of the submissions folder is called or holds, every
entry gets an id, a report and a row of its own, and grades.csv and the class summary are written."""

import csv
import io
import json
import resource

from reference.compare.batch import find_submissions
from support import compare, standalone_submission

#: A batch as small as it gets: one property, two examples, no sweep.
TINY = ["--property", "A1", "--examples", "2", "--sweep", "0", "--jobs", "2"]
#: A sparse file this large costs no disk, and more memory than the grader may take to look at it.
HUGE = 20 << 30
#: The address space of the batch's processes in these tests: a grader that read a huge file whole would fail
#: at once (MemoryError) instead of taking the machine's memory.
ADDRESS_SPACE = 8 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _batch(folder, out, *args):
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
