"""A large source file is not parsed by the grader (round 5, attack 18: a 10 MB file of ``a=b`` lines took the
grading process, outside the worker's limits, to 6.5 GB; 60 MB past 16 GB). The grader parses at most
``MOST_CODE`` (1 MiB) of a submission's Python; a larger file cannot be vouched for: an integrity finding,
no points, and the grader stays small."""

import json
import resource
import subprocess

from support import CLI, HONEST, ROOT, strict_json

#: A right submission, padded past 1 MiB with comments (cheap for Python to import, and for the grader to read).
PADDED = HONEST + "# padding\n" * 120_000


def test_a_source_past_the_parsed_limit_is_not_vouched_for(tmp_path):
    sub = tmp_path / "padded.py"
    sub.write_text(PADDED)
    assert sub.stat().st_size > 1 << 20
    out = tmp_path / "report.json"
    done = subprocess.run(CLI + ["--impl", str(sub), "--property", "A5", "--examples", "3", "--sweep", "0",
                                 "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    report = strict_json(out.read_text())
    assert report["integrity"]["status"] == "fail", report["integrity"]
    assert any("too much to check" in f for f in report["integrity"]["findings"]), report["integrity"]
    assert done.returncode == 1, done.stderr


def test_a_notebook_with_too_much_code_does_not_load_and_says_why(tmp_path):
    nb = tmp_path / "big.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": HONEST + "a = 1\n" * 200_000}
    nb.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(CLI + ["--impl", str(nb), "--property", "A5", "--examples", "3", "--sweep", "0"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert "MiB of code; at most 1 MiB is read" in done.stderr, done.stderr
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, the largest child so far
    assert peak < max(before, 1_500_000), peak  # 1.2 MB of `a = 1` parsed whole would take the grader ~1 GB


def test_a_notebook_of_millions_of_empty_objects_is_not_read(tmp_path):
    """Attack round 13 (`07_nb_memory`): one code cell and 21 million ``{}`` in the metadata (63 MiB, under the
    size cap) took the grader's own process to 1.8 GB; a notebook opening more than a million objects and lists
    is refused before it is parsed, with a message naming the limit."""
    import json as _json

    import pytest

    from reference.compare.submissions.notebook import MOST_CONTAINERS, code_cells

    path = tmp_path / "sub.ipynb"
    cells = [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None}]
    body = _json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    path.write_text(body[:-1] + ', "junk": [' + ",".join(["{}"] * (MOST_CONTAINERS + 1)) + "]}")
    with pytest.raises(ValueError, match="JSON objects and lists"):
        code_cells(path)
    path.write_text(body)
    assert code_cells(path) == [(1, "x = 1")]


def test_the_grader_parses_at_most_a_few_mib_of_a_submission_s_local_modules(tmp_path):
    """Attack round 15 (`20_parse_dos`): sixty local modules of 530 kB each, under the one-file cap, imported in
    dead code, took the grader 3.5 minutes of parsing outside every time limit (an autograder killed: 0 of 32).
    Past MOST_PARSED bytes in all, no more local module is read or staged."""
    from reference.compare.submissions.local_modules import MOST_PARSED, local_imports

    fill = ("v = [" + ",".join(str(i) for i in range(2000)) + "]\n") * 60
    for i in range(20):
        (tmp_path / f"fill{i:03d}.py").write_text(fill)
    (tmp_path / "sub.py").write_text("if 0:\n" + "".join(f"    import fill{i:03d}\n" for i in range(20)))
    found = local_imports(tmp_path / "sub.py")
    assert 0 < sum(p.stat().st_size for p in found) <= MOST_PARSED < 20 * len(fill)
