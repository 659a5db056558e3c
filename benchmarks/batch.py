"""Batch grading's figures: a class graded with the default settings, and a warm single run.

    python benchmarks/batch.py [--submissions 200] [--small 20] [--jobs N] [--keep DIR]

Builds a class in a temporary folder, half correct, half known-bad: the correct
ones are a standalone file written from handgrad's own functions (what a student
hands in, no integrity finding) and copies of tests/implementations/equivalent/;
the bad ones are the bundled fixtures (tests/implementations/bugs/, the seeds'
literal transcriptions), each a folder with its helper module. It grades the
class with ``handgrad-compare --submissions`` and the default settings, twice
(``--small`` submissions, then all of them) so that the time per submission at
the margin is (T_all − T_small) / (all − small), start-up and the examples drawn
once left out; then times single default runs, warm (the examples kept in the
cache) and with ``--no-cache``.

Memory is sampled every 0.2 s over the batch's whole process tree (the command,
its grading processes, the submissions' contained workers): the peak of the sum
of their resident sets (an upper bound: shared pages count once per process)
and the largest single process.

The machine's speed at the start and at the end is printed too (:func:`calibration`):
the same code grades a class in about half the time when this shared machine
runs fast as when it runs slow, so a figure means little without it.

Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import csv
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
IMPL = ROOT / "tests" / "implementations"
CLI = [sys.executable, "-m", "reference.compare.cli"]


def kinds() -> tuple[list, list]:
    """(correct, bad) submissions: (name, {file name: source path or text})."""
    from support import standalone_submission

    correct = [("standalone", {"mlp.py": standalone_submission()})]
    for path in sorted((IMPL / "equivalent").glob("*.py")):
        files = {path.name: path}
        if "seed_003" in path.name:  # it imports the seed's transcription: the folder's main file says which
            files = {"submission.py": path, "seed_003_literal.py": IMPL / "seeds" / "seed_003_literal.py",
                     "_columns.py": IMPL / "seeds" / "_columns.py"}
        correct.append((path.stem, files))
    bad = [(p.stem, {p.name: p, "_bug.py": IMPL / "bugs" / "_bug.py"})
           for p in sorted((IMPL / "bugs").glob("bug_*.py"))]
    bad += [(p.stem, {p.name: p, "_columns.py": IMPL / "seeds" / "_columns.py"})
            for p in sorted((IMPL / "seeds").glob("*_literal.py"))]
    return correct, bad


def build(folder: pathlib.Path, count: int) -> dict[str, str]:
    """``count`` submissions in ``folder``, correct and bad in turn, each a folder; id → kind."""
    correct, bad = kinds()
    folder.mkdir(parents=True)
    out = {}
    for i in range(count):
        kind, files = (correct if i % 2 == 0 else bad)[(i // 2) % len(correct if i % 2 == 0 else bad)]
        sub = folder / f"s{i:03d}"
        sub.mkdir()
        for name, source in files.items():
            if isinstance(source, pathlib.Path):
                shutil.copyfile(source, sub / name)
            else:
                (sub / name).write_text(source)
        out[sub.name] = kind
    return out


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return 0


def run_batch(folder: pathlib.Path, out: pathlib.Path, jobs: int | None) -> tuple[float, int, int, str]:
    """(wall seconds, peak summed RSS, peak single RSS, stderr) of one batch."""
    cmd = CLI + ["--submissions", str(folder), "--output-dir", str(out)] + (["--jobs", str(jobs)] if jobs else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak = [0, 0]

    def sample():
        while proc.poll() is None:
            sizes = [_rss(p) for p in _tree(proc.pid)]
            peak[0], peak[1] = max(peak[0], sum(sizes)), max(peak[1], max(sizes, default=0))
            time.sleep(0.2)
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"the batch failed ({proc.returncode}): {err[-2000:]}")
    return wall, peak[0], peak[1], err.strip().splitlines()[-1]


def single(spec: pathlib.Path, *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(CLI + ["--impl", str(spec), "--format", "json", *extra], cwd=ROOT, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if done.returncode not in (0, 1):
        raise SystemExit(f"a single run failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def per_kind(out: pathlib.Path, kind_of: dict[str, str]) -> dict[str, float]:
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    seconds: dict[str, list[float]] = {}
    for r in rows:
        seconds.setdefault(kind_of[r["id"]], []).append(float(r["seconds"]))
    return {k: statistics.median(v) for k, v in sorted(seconds.items())}


def calibration() -> str:
    """The machine's speed now: processor seconds of a fixed pure-Python loop and of small handgrad backprops."""
    import numpy as np

    import handgrad

    start = time.process_time()
    total = 0
    for i in range(10**7):
        total += i
    python = time.process_time() - start
    rng = np.random.default_rng(0)
    p = handgrad.Params(rng.normal(size=(8, 8)), rng.normal(size=8), rng.normal(size=(8, 8)), rng.normal(size=8))
    X, y = rng.normal(size=(8, 8)), rng.integers(0, 8, 8)
    start = time.process_time()
    for _ in range(20_000):
        handgrad.backprop(p, X, y)
    numpy = time.process_time() - start
    return f"10**7 Python additions in {python:.2f} s, 20,000 handgrad backprops (8 x 8) in {numpy:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", metavar="DIR", help="keep the class and the reports here")
    args = parser.parse_args()
    base = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="handgrad-bench-"))
    print(f"machine: {os.cpu_count()} cores; jobs {args.jobs or os.cpu_count()}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    print(f"machine speed at the start: {calibration()}")
    figures = {}
    for n in (args.small, args.submissions):
        kind_of = build(base / f"class{n}", n)
        wall, summed, biggest, line = run_batch(base / f"class{n}", base / f"out{n}", args.jobs)
        figures[n] = wall
        print(f"{n} submissions: {wall:.1f} s wall ({wall / n:.2f} s each on average); peak memory "
              f"{summed / 2**20:.0f} MiB summed over the process tree, largest process {biggest / 2**20:.0f} MiB")
        print(f"  {line}")
    margin = (figures[args.submissions] - figures[args.small]) / (args.submissions - args.small)
    print(f"at the margin: {margin:.2f} s per submission")
    print("median seconds per submission by kind (one grading process's wall, from grades.csv):")
    for kind, s in per_kind(base / f"out{args.submissions}", kind_of).items():
        print(f"  {kind:<28} {s:6.2f}")
    correct = next(base.glob(f"class{args.submissions}/s000/*.py"))
    single(correct)  # the examples kept, the compilation cache warm
    warm = [single(correct) for _ in range(3)]
    cold = [single(correct, "--no-cache") for _ in range(2)]
    print(f"single default run, warm (examples kept): median {statistics.median(warm):.1f} s of "
          f"{', '.join(f'{t:.1f}' for t in warm)}; with --no-cache: median {statistics.median(cold):.1f} s")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"machine speed at the end: {calibration()}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
