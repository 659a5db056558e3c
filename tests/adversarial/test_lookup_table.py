"""A table of the grader's calls (round 3, ``lookup``): a submission that implements nothing answers each call
from a table recorded beforehand, on the student's own machine, with the public ``reference`` package. A run
with a known seed makes exactly the recorded calls and gives it full marks; a class (``--submissions``) and the
Gradescope autograder grade with a seed drawn for the batch or the run, which the table cannot know.

The attack, small: two properties, three examples, a sweep of 20 problems."""

import csv
import json
import os
import subprocess
import sys

import pytest

from reference.compare.classroom.grade_class import report_path
from support import ROOT, compare, standalone_submission, strict_json

#: The settings the table is recorded for and graded with (the student knows them: they are in the docs).
SMALL = ["--property", "A5", "--property", "B7", "--examples", "3", "--sweep", "20"]
#: The API, as the recorder and the table answer it.
NAMES = ["sigmoid", "tanh", "softplus", "sign", "abs", "rect", "softmax", "d_sigmoid", "d_tanh", "d_abs", "d_rect",
         "grad_l2_squared", "grad_l1", "forward", "loss", "risk", "backprop", "gradient_descent"]

#: A call's key: its function's name and its inputs' bytes, shapes and dtypes (shared by recorder and table).
KEYS = '''
import hashlib
import numpy as np


def _feed(h, v):
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        h.update(b"A" + a.dtype.str.encode() + repr(a.shape).encode() + np.ascontiguousarray(a).tobytes())
    elif isinstance(v, (tuple, list)):
        h.update(b"T%d(" % len(v))
        for x in v:
            _feed(h, x)
        h.update(b")")
    elif isinstance(v, dict):
        for k in sorted(v):
            h.update(repr(k).encode())
            _feed(h, v[k])
    elif isinstance(v, float):
        h.update(b"F" + float(v).hex().encode())
    else:
        h.update(b"O" + repr(v).encode())


def key(name, args, kwargs):
    h = hashlib.sha256(name.encode())
    _feed(h, list(args))
    _feed(h, dict(kwargs))
    return h.hexdigest()[:32]
'''

#: Run by the student on their own machine (same-user: it may import the public answer key): each call is
#: answered by ``reference`` and its answer saved under its key in RECORDS.
RECORDER = '''
import os
import numpy as np
import reference
from keys import key

RECORDS = {records!r}
NAMES = {names!r}


def _save(k, r):
    if isinstance(r, tuple) and hasattr(r, "_fields"):
        arrays = {{f: np.asarray(v) for f, v in zip(r._fields, r) if v is not None}}
        arrays["__kind__"] = np.array(type(r).__name__)
        arrays["__none__"] = np.array([f for f, v in zip(r._fields, r) if v is None] or [""])
    elif isinstance(r, float):
        arrays = {{"v": np.array(r), "__kind__": np.array("float")}}
    else:
        arrays = {{"v": np.asarray(r), "__kind__": np.array("array")}}
    np.savez(os.path.join(RECORDS, k + ".npz"), **arrays)


def _wrap(name):
    f = getattr(reference, name)

    def g(*a, **k):
        r = f(*a, **k)
        _save(key(name, a, k), r)
        return r
    return g


for _n in NAMES:
    globals()[_n] = _wrap(_n)
'''

#: The submission: no line of the exercise, every call answered from answers.npz (zeros when unknown).
TABLE = '''
import os
import numpy as np
from handgrad import Params, Activations, Gradients
from keys import key

_T = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "answers.npz"))
_KINDS = {{"Params": Params, "Activations": Activations, "Gradients": Gradients}}


def _answer(name, a, k):
    ks = key(name, a, k)
    if ks + ".__kind__" not in _T.files:
        return np.zeros(np.shape(a[0])) if a else None
    kind = str(_T[ks + ".__kind__"])
    if kind == "float":
        return float(_T[ks + ".v"])
    if kind == "array":
        return _T[ks + ".v"]
    cls, none = _KINDS[kind], set(str(x) for x in _T[ks + ".__none__"])
    return cls(*(None if f in none else _T[ks + "." + f] for f in cls._fields))


def _make(name):
    return lambda *a, **k: _answer(name, a, k)


for _n in {names!r}:
    globals()[_n] = _make(_n)
'''


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The table submission's folder (submission.py, keys.py, answers.npz), recorded at seed 0."""
    import numpy as np

    work = tmp_path_factory.mktemp("lookup")
    records = work / "records"
    records.mkdir()
    (work / "keys.py").write_text(KEYS)
    (work / "recorder.py").write_text(RECORDER.format(records=str(records), names=NAMES))
    env = dict(os.environ, HANDGRAD_ISOLATION="same-user")
    done = compare("--impl", str(work / "recorder.py"), "--seed", "0", *SMALL, "--format", "json", env=env)
    assert done.returncode in (0, 1), done.stderr  # (the recorder's own verdict does not matter)
    arrays = {}
    for path in records.glob("*.npz"):
        with np.load(path) as one:
            arrays.update({f"{path.stem}.{field}": one[field] for field in one.files})
    assert len(arrays) > 20, f"only {len(arrays)} arrays recorded: {done.stderr}"
    sub = work / "sub"
    sub.mkdir()
    np.savez(sub / "answers.npz", **arrays)
    (sub / "keys.py").write_text(KEYS)
    (sub / "submission.py").write_text(TABLE.format(names=NAMES))
    return sub


def _passed(report: dict) -> int:
    return report["summary"]["passed"]


def test_the_table_has_full_marks_at_the_seed_it_was_recorded_for(table, tmp_path):
    # the attack is real: --impl keeps seed 0 by default (a student replays their own report), and a known
    # seed is answered from the table; the integrity check sees nothing (it reads code, not data). The table's
    # folder is the submission's own (--whole-folder: its data file goes with it, as a Gradescope run's would)
    out = tmp_path / "r.json"
    done = compare("--impl", str(table / "submission.py"), "--whole-folder", "--seed", "0", *SMALL, "--format", "json",
                   "--output", str(out))
    report = strict_json(out.read_text())
    assert done.returncode == 0 and _passed(report) == len(report["properties"]) == 2, done.stderr
    assert report["seed"] == 0 and not report.get("integrity", {}).get("findings"), report.get("integrity")


def test_a_class_is_graded_with_a_seed_drawn_for_the_batch(table, tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    (folder / "mallory").mkdir(parents=True)
    for name in ("submission.py", "keys.py", "answers.npz"):
        (folder / "mallory" / name).write_bytes((table / name).read_bytes())
    (folder / "bob.py").write_text(standalone_submission())
    done = compare("--submissions", str(folder), "--output-dir", str(out), *SMALL, "--jobs", "1", timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["bob"]["status"] == "ok" and rows["mallory"]["status"] == "failed", rows
    seed = json.loads(report_path(out, "bob", "json").read_text())["seed"]
    assert json.loads(report_path(out, "mallory", "json").read_text())["seed"] == seed  # one seed for the class
    assert f"seed {seed}," in (out / "summary.txt").read_text() and f"seed {seed}" in done.stderr
    # --resume goes on with the batch's seed: nothing to grade again
    again = compare("--submissions", str(folder), "--output-dir", str(out), *SMALL, "--jobs", "1", "--resume",
                    timeout=600)
    assert again.returncode == 0 and "(2 up to date)" in again.stderr, again.stderr


def test_the_gradescope_autograder_draws_a_seed_on_every_run(table, tmp_path):
    ag, root = tmp_path / "ag", tmp_path / "root"
    done = compare("--autograder", str(ag), *SMALL)
    assert done.returncode == 0 and "seed" not in done.stderr.lower(), done.stderr  # no warning: nothing pinned
    conf = [w for w in (ag / "handgrad-autograder.conf").read_text().splitlines() if not w.startswith("#")]
    assert conf[conf.index("--seed") + 1] == "fresh"
    (root / "submission").mkdir(parents=True)
    for name in ("submission.py", "keys.py", "answers.npz"):
        (root / "submission" / name).write_bytes((table / name).read_bytes())
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), HANDGRAD_PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    run = subprocess.run([str(ag / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    results = strict_json((root / "results" / "results.json").read_text())
    assert results["score"] == 0, results
    seed = int(run.stderr.split("handgrad-compare: seed ")[1].split(",")[0])  # drawn for this run
    assert f"seed {seed} (--seed {seed} replays this run)" in results["output"]  # for the staff to replay it


def test_a_seed_pinned_in_the_autograder_is_written_with_a_warning(tmp_path):
    done = compare("--autograder", str(tmp_path / "ag"), *SMALL, "--seed", "7")
    conf = [w for w in (tmp_path / "ag" / "handgrad-autograder.conf").read_text().splitlines()
            if not w.startswith("#")]
    assert done.returncode == 0 and conf[conf.index("--seed") + 1] == "7"
    assert "warning: --seed 7 is the seed of every run" in done.stderr


def test_the_seed_of_a_class_is_kept_for_resume(tmp_path):
    from reference.compare.classroom.grade_class import batch_seed, seed_path
    from reference.compare.cli import build_parser

    out = tmp_path / "out"

    def seed(*args):
        return batch_seed(build_parser().parse_args(["--submissions", "x", "--output-dir", str(out), *args]))
    seed_path(out).parent.mkdir(parents=True)
    seed_path(out).write_text("123456\n")
    assert seed("--resume") == 123456 and seed("--resume", "--seed", "5") == 5 and seed("--seed", "0") == 0
    assert len({seed() for _ in range(3)} | {123456}) == 4  # drawn afresh (32 bits: a repeat is a 1e-9 chance)
    seed_path(out).write_text("not a seed")
    assert seed("--resume") != 123456


def test_a_single_run_draws_its_seed_when_asked_and_refuses_a_word_it_does_not_know(tmp_path):
    done = compare("--impl", "handgrad", "--property", "A5", "--examples", "2", "--sweep", "0", "--seed", "fresh",
                   "--format", "json")
    seed = json.loads(done.stdout)["seed"]
    assert done.returncode == 0 and f"seed {seed}, drawn for this run (replay it with --seed {seed})" in done.stderr
    bad = compare("--impl", "handgrad", "--seed", "secret")
    assert bad.returncode == 2 and "not a seed: 'secret'" in bad.stderr and "Traceback" not in bad.stderr
