"""Batch grading: each submission's report as if alone, its row, the class summary, isolation, resume, options."""

import csv
import io
import json
import shutil
import sys
import textwrap

import pytest

from reference.compare.classroom.pool import Pool
from support import RECT_GE, compare, implementation, isolation_mode, standalone_submission

#: Fast settings for every run here.
FAST = ["--examples", "3", "--sweep", "40", "--property", "A5", "--property", "A7", "--property", "B4",
        "--property", "B13", "--property", "X2"]
QUESTIONS = ["A5", "A7", "B4", "B13", "X2"]


def _class(folder):
    """A class: two single files (right, rect'(0) = 1), two folders with helper modules, a crash, a syntax
    error, a folder with two candidates."""
    folder.mkdir()
    (folder / "alice.py").write_text(standalone_submission())
    (folder / "bob.py").write_text(standalone_submission(RECT_GE))
    (folder / "carol").mkdir()  # the answer key imported: an integrity finding (and, contained, nothing to import)
    (folder / "carol" / "bug_rect_ge.py").write_text("from handgrad import *  # noqa: F403\n" + RECT_GE)
    (folder / "carol" / "_notes.py").write_text("")
    (folder / "dave").mkdir()
    for n in ("seed_000_literal", "_columns"):
        shutil.copy(implementation(n).parent / f"{n}.py", folder / "dave")
    crashes = implementation("crashes_in_call").read_text().replace("from _solution import *  # noqa: F401,F403\n", "")
    (folder / "erin.py").write_text(standalone_submission(crashes))
    (folder / "frank.py").write_text("def sigmoid(x:\n")
    (folder / "grace").mkdir()
    (folder / "grace" / "one.py").write_text("")
    (folder / "grace" / "two.py").write_text("")
    return folder


def _batch(folder, out, *args):
    return compare("--submissions", str(folder), "--output-dir", str(out), *FAST, *args, timeout=900)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    folder, out = _class(base / "class"), base / "out"
    (base / "points.toml").write_text("[weights]\nA7 = 2\n")
    done = _batch(folder, out, "--jobs", "2", "--format", "json", "--format", "markdown", "--format", "gradescope",
                  "--weights", str(base / "points.toml"))
    assert done.returncode == 0, done.stderr
    return folder, out, done


def _comparable(report: dict) -> dict:
    report = dict(report, properties=[dict(p, seconds=0) for p in report["properties"]])
    report["summary"] = {k: v for k, v in report["summary"].items() if k not in ("seconds", "sweep")}
    return report


@pytest.mark.parametrize("sub, path", [("bob", "bob.py"), ("carol", "carol/bug_rect_ge.py"),
                                       ("dave", "dave/seed_000_literal.py"), ("erin", "erin.py")])
def test_each_report_of_a_batch_is_that_of_the_submission_alone(graded, sub, path):
    folder, out, _ = graded
    whole = ["--whole-folder"] if "/" in path else []  # a folder entry is the submission's own folder
    batch = json.loads((out / "reports" / sub / "report.json").read_text())  # graded with the class's seed, drawn
    alone = compare("--impl", str(folder / path), *whole, *FAST, "--seed", str(batch["seed"]), "--format", "json",
                    "--no-cache")
    assert batch["implementation"] == str(folder / path)
    assert _comparable(batch) == _comparable(json.loads(alone.stdout))


def _rows(out) -> dict:
    return {r["id"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


def test_grades_csv_has_a_row_per_submission_by_id(graded):
    _, out, done = graded
    header = next(csv.reader(io.StringIO((out / "grades.csv").read_text())))
    assert header == ["id", "total", *QUESTIONS, "status", "seconds"]
    rows = _rows(out)
    assert list(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    assert {k: r["status"] for k, r in rows.items()} == {
        "alice": "ok", "bob": "failed", "carol": "integrity", "dave": "failed", "erin": "failed",
        "frank": "cannot-load", "grace": "cannot-load"}
    assert rows["alice"]["total"] == "6" and rows["alice"]["A7"] == "2"  # --weights: A7 is worth 2
    assert all(rows["alice"][q] == "1" for q in QUESTIONS if q != "A7")
    assert rows["bob"]["total"] == "5" and rows["bob"]["A7"] == "1"  # rect right, d_rect wrong: half of A7
    gradescope = json.loads((out / "reports" / "alice" / "report.gradescope.json").read_text())
    assert gradescope["score"] == 6 and {t["number"]: t["max_score"] for t in gradescope["tests"]}["A7"] == 2
    assert rows["carol"]["total"] == "0"  # integrity: it imports handgrad's answers
    assert all(float(r["seconds"]) >= 0 for r in rows.values())
    for sub in rows:
        assert (out / "reports" / sub / "report.json").is_file() and (out / "reports" / sub / "report.md").is_file()
    assert "7 of 7 submissions graded" in done.stderr


def test_the_class_summary_counts_and_names_the_mistakes(graded):
    _, out, _ = graded
    text, md = (out / "summary.txt").read_text(), (out / "summary.md").read_text()
    assert "7 submissions: 1 ok, 3 failed, 2 cannot-load, 1 integrity" in text and "of 6" in text
    a7 = next(line.split() for line in text.splitlines() if line.startswith("A7 "))
    assert a7[:5] == ["A7", "3", "1", "0", "3"]  # passed, failed, errors, not graded (carol, frank, grace)
    assert "rect'(0) taken as 1, the course's is 0 (a mask written >= 0?)" in text  # A7's diagnosis names it
    assert "exit('giving up')" in text  # erin's loss
    assert "| question | passed | failed | errors | not graded |" in md and "**A7** (1×)" in md


def test_the_mistakes_named_among_equally_frequent_ones_are_the_same_in_every_run():
    # which of a question's tied mistakes the summary names must not hang on the process's string hashes
    import os
    import subprocess

    code = ("from reference.compare.reports.summary import class_summary\n"
            "rows = [{'id': f's{i}', 'status': 'failed', 'seconds': 1.0, 'questions': {'A7': 'fail'},\n"
            "         'scores': {'A7': 0.0}, 'failures': [{'question': 'A7', 'key': f'mistake {k}'}\n"
            "                                             for k in range(8) if k != i % 8]}\n"
            "        for i in range(8)]\n"
            "print(class_summary(rows, ['A7']))\n")
    texts = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONHASHSEED=str(seed))).stdout for seed in range(8)}
    text = texts.pop()
    named = [line.split()[-1] for line in text.splitlines() if "x  mistake" in line]
    assert not texts and named == ["0", "1", "2"]


def test_odd_entries_are_rows_of_their_own_never_the_end_of_the_batch(tmp_path):
    import os

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "good.py").write_text(standalone_submission())
    os.symlink(folder / "good.py", folder / "link.py")  # a link: not graded (it could name any file)
    os.mkfifo(folder / "pipe.py")
    (folder / "b").mkdir()  # folder b and file b.py: two submissions, two ids
    (folder / "b" / "mlp.py").write_text(standalone_submission())
    (folder / "b.py").write_text(standalone_submission(RECT_GE))
    out = tmp_path / "out"
    done = _batch(folder, out, "--format", "json", "--format", "text")
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert {k: r["status"] for k, r in rows.items()} == {
        "good": "ok", "link": "cannot-load", "pipe": "cannot-load", "b": "ok", "b.py": "failed"}
    reports = {p.parent.name for p in (out / "reports").glob("*/report.json")}
    assert reports == set(rows) and all((out / "reports" / r / "report.txt").is_file() for r in rows)


def test_one_that_hangs_crashes_or_exits_costs_only_its_row(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.py").write_text(standalone_submission())
    (folder / "hangs.py").write_text(standalone_submission("\n\ndef backprop(*args, **kwargs):\n    while True:\n"
                                                           "        pass\n"))
    (folder / "dies.py").write_text(standalone_submission("\n\nimport os\n\ndef loss(*args):\n    os._exit(9)\n"))
    (folder / "leaves.py").write_text("import sys\nsys.exit(3)\n")
    (folder / "hog.py").write_text(standalone_submission("\n\ndef forward(*args):\n    return bytearray(1 << 34)\n"))
    done = _batch(folder, tmp_path / "out", "--timeout", "2", "--total-timeout", "40", "--memory-limit", "1G")
    assert done.returncode == 0, done.stderr
    rows = _rows(tmp_path / "out")
    assert rows["ok"]["status"] == "ok" and rows["ok"]["total"] == "5"
    assert rows["leaves"]["status"] == "cannot-load"
    for name, question in (("hangs", "B13"), ("dies", "B4"), ("hog", "X2")):
        assert rows[name]["status"] == "failed" and rows[name][question] == "0", name
        assert rows[name]["A5"] == "1"  # the rest of its row stands
    report = json.loads((tmp_path / "out" / "reports" / "hangs" / "report.json").read_text())
    assert "did not return within 2 s" in next(p["message"] for p in report["properties"] if p["id"] == "B13")


@pytest.mark.skipif(isolation_mode() != "namespace", reason="needs bubblewrap: in same-user mode a submission "
                                                             "reads what the grader's user reads")
def test_a_submission_sees_neither_the_class_nor_the_reports_nor_the_kept_examples(tmp_path):
    from reference.compare.cache_folders import examples_dir

    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "other.py").write_text(standalone_submission())
    seen = [str(folder), str(out), str(examples_dir())]  # in the sandbox: empty folders, if any
    (folder / "nosy.py").write_text(standalone_submission(
        f"\n\nimport os\nSEEN = [p for p in {seen!r} if os.path.isdir(p) and os.listdir(p)]\n\n"
        "def sign(x):\n    return np.full(np.shape(x), 7.0) if SEEN else np.sign(np.asarray(x, dtype=np.float64))\n"))
    assert _batch(folder, out).returncode == 0
    assert _rows(out)["nosy"]["A5"] == "1"


def test_the_grades_do_not_depend_on_the_jobs(graded, tmp_path):
    folder, out, _ = graded
    done = _batch(folder, tmp_path / "out", "--jobs", "1", "--weights", str(folder.parent / "points.toml"))
    assert done.returncode == 0, done.stderr

    def grades(o):
        return {k: {c: v for c, v in r.items() if c != "seconds"} for k, r in _rows(o).items()}
    assert grades(out) == grades(tmp_path / "out")


def test_resume_skips_what_is_up_to_date_and_regrades_a_changed_file(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "alice.py").write_text(standalone_submission())
    (folder / "bob.py").write_text(standalone_submission())
    done = _batch(folder, out, "--progress")
    assert done.returncode == 0 and "2/2" in done.stderr  # the bar over the class, asked for
    first = {n: (out / "reports" / n / "report.json").stat().st_mtime_ns for n in ("alice", "bob")}
    again = _batch(folder, out, "--resume")
    assert again.returncode == 0 and "2 of 2 submissions graded (2 up to date)" in again.stderr
    assert {n: (out / "reports" / n / "report.json").stat().st_mtime_ns for n in first} == first
    (folder / "bob.py").write_text(standalone_submission(RECT_GE))
    changed = _batch(folder, out, "--resume")
    assert "(1 up to date)" in changed.stderr
    assert "grade late or changed work in a new --output-dir" in changed.stderr  # its seed is in handed-back reports
    assert (out / "reports" / "alice" / "report.json").stat().st_mtime_ns == first["alice"]
    assert _rows(out)["bob"]["A7"] == "0.5" and _rows(out)["alice"]["A7"] == "1"
    other = _batch(folder, out, "--resume", "--seed", "1")  # other settings: everything again
    assert "(0 up to date)" in other.stderr


@pytest.mark.parametrize("args, says", [
    (["--submissions", "/no/such/folder", "--output-dir", "OUT"], "is not a folder"),
    (["--submissions", "CLASS", "--output-dir", "/no/such/parent/out"], "does not exist"),
    (["--submissions", "CLASS", "--output-dir", "FILE"], "is not a folder"),
    (["--submissions", "CLASS", "--output-dir", "OUT", "--jobs", "0"], "--jobs must be between 1 and 64"),
    (["--submissions", "CLASS", "--output-dir", "OUT", "--output", "x.json"], "not --impl or --output"),
    (["--submissions", "EMPTY", "--output-dir", "OUT"], "no submission in"),
    (["--output-dir", "OUT"], "go with --submissions"),
    (["--submissions", "CLASS"], "needs --output-dir"),
])
def test_bad_options_exit_2_before_any_work(tmp_path, args, says):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.py").write_text("")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("")
    names = {"CLASS": "class", "EMPTY": "empty", "FILE": "file", "OUT": "out"}
    done = compare(*(str(tmp_path / names[a]) if a in names else a for a in args))
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


FAKE = textwrap.dedent("""
    import json, os, sys, time
    sys.stdin.readline()
    for line in sys.stdin:
        job = json.loads(line)
        if job["id"] == "dies":
            os._exit(9)
        if job["id"] == "hangs":
            time.sleep(3600)
        print(json.dumps({"row": {"id": job["id"], "status": "ok"}}), flush=True)
""")


def test_a_grading_process_that_dies_or_hangs_costs_only_its_row(tmp_path):
    (tmp_path / "fake.py").write_text(FAKE)
    rows = []
    jobs = [{"id": i} for i in ("a", "dies", "b", "hangs", "c", "d")]
    Pool(2, {}, seconds=3, command=[sys.executable, str(tmp_path / "fake.py")]).run(jobs, rows.append)
    got = {r["id"]: r for r in rows}
    assert sorted(got) == ["a", "b", "c", "d", "dies", "hangs"]
    assert all(got[i]["status"] == "ok" for i in "abcd")
    assert got["dies"]["status"] == "internal" and "died (status 9)" in got["dies"]["error"]
    assert got["hangs"]["status"] == "internal" and "within 3 s" in got["hangs"]["error"]


def test_a_grading_process_frees_what_a_submission_left_and_freezes_the_rest():
    import gc
    import weakref

    from reference.compare.classroom.grading_process import REFREEZE, tidy

    class Node:
        pass

    def cycle():
        n = Node()
        n.self = n
        return n

    left = cycle()
    dropped = weakref.ref(left)
    del left
    try:
        tidy(0)
        assert dropped() is None and gc.get_freeze_count() > 0  # the garbage freed first; what lives, frozen
        held = cycle()
        kept = weakref.ref(held)
        tidy(1)
        del held
        gc.collect()
        assert kept() is not None  # it died frozen: the collector does not walk it...
        for graded in range(2, REFREEZE):
            tidy(graded)
        assert kept() is None  # ...until everything is unfrozen, every REFREEZE submissions
    finally:
        gc.unfreeze()


def test_a_grading_process_tidies_after_each_submission_it_answers():
    import subprocess

    from support import ROOT

    code = textwrap.dedent("""
        import sys
        from reference.compare.classroom import grading_process as w
        w.setup = lambda init: "the batch"
        w.grade_job = lambda job, batch: {"id": job["id"], "batch": batch}
        w.tidy = lambda graded: print("tidied after", graded)  # its prints go to the log (stderr)
        sys.exit(w.main())
    """)
    done = subprocess.run([sys.executable, "-c", code], input='{}\n{"id": "a"}\n{"id": "b"}\n', capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["row"] for line in done.stdout.splitlines()] == [
        {"id": "a", "batch": "the batch"}, {"id": "b", "batch": "the batch"}]
    assert done.stderr.splitlines() == ["tidied after 0", "tidied after 1"]
