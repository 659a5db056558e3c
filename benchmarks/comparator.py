"""How fast the comparator checks: the figures of the speed targets, measured here.

    python benchmarks/comparator.py [--pytest] [--quick]

1. the reference's network gradients per second on Hypothesis-drawn shapes, in
   steady state (batched by bucket), with the number of compilations it caused;
2. each network property's Hypothesis phase, examples per second end to end
   (the implementation in a child process, as handgrad-compare runs it);
3. the bulk random sweep, problems per second end to end, NumPy side included;
4. the default ``handgrad-compare`` wall time (cold: empty compilation cache; warm),
   and with ``--pytest`` the default ``pytest`` run, serial and on 2 cores;
5. the large shapes Hypothesis draws (sides up to 64, d = 784) and that they do
   not recompile in steady state;
6. the settings profiles.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import jax
import numpy as np
from hypothesis import HealthCheck, given, settings

from reference import engine
from reference.compare.exercise import strategies as S
from reference.compare.exercise.catalog import CATALOG, Context
from reference.compare.running.runner import PROFILES, PropertyResult, run_property
from reference.compare.running.sweep import run_sweep
from reference.compare.sandbox import InProcessImpl, SubprocessImpl

ROOT = pathlib.Path(__file__).resolve().parent.parent


def drawn_problems(count: int) -> list:
    """Problems exactly as the catalog's Hypothesis strategy draws them."""
    out: list = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(S.problems())
    def collect(problem):
        out.append(problem)

    collect()
    return out[:count]


def compiles() -> int:
    return engine.compiled_programs()


def reference_rate(problems: list) -> dict:
    groups: dict = {}
    for p in problems:
        groups.setdefault(engine.bucket_of(p.dims), []).append(p)
    sizes = {b: 64 if b == (8, 8, 8, 8) else 8 for b in groups}

    def run():
        for b, ps in groups.items():
            engine.evaluate_many(ps, batch=sizes[b])

    def one_at_a_time():
        for p in problems[:300]:
            engine.evaluate(*p[:4])

    run()  # compiles one program per bucket and batch size, once
    one_at_a_time()
    before = compiles()
    t = time.perf_counter()
    run()
    batched = len(problems) / (time.perf_counter() - t)
    t = time.perf_counter()
    one_at_a_time()
    single = 300 / (time.perf_counter() - t)
    return {"batched": batched, "single": single, "new_compiles": compiles() - before,
            "buckets": sorted(groups), "by_bucket": {b: len(v) for b, v in groups.items()}}


def property_rates(examples: int) -> list[tuple[str, float]]:
    with SubprocessImpl("handgrad") as impl:
        ctx = Context(impl)
        for p in CATALOG:  # warm up: compile every bucket once
            run_property(p, ctx, max_examples=10, seed=99)
        out = []
        for p in CATALOG:
            if p.question.startswith("A"):
                continue
            t = time.perf_counter()
            r = run_property(p, ctx, max_examples=examples, seed=1)
            out.append((p.id, r.examples / (time.perf_counter() - t)))
    return out


def sweep_rate(count: int, isolate: bool) -> dict:
    impl = SubprocessImpl("handgrad") if isolate else InProcessImpl("handgrad")
    with impl:
        ctx = Context(impl)
        results = {p.id: PropertyResult(p.id, p.question, p.title) for p in CATALOG}
        run_sweep(results, CATALOG, ctx, count=1000, seed=0)  # compiles the sweep's programs
        figures = [run_sweep(results, CATALOG, ctx, count=count, seed=s) for s in (1, 2, 3)]
        assert all(r.status == "pass" for r in results.values())
    return {"problems": figures[0]["problems"],
            "per_second": statistics.median(f["problems_per_second"] for f in figures)}


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    t = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t, rc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pytest", action="store_true", help="also time the default pytest run, serial and -n 2")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}, jax {jax.__version__}, "
          f"Python {platform.python_version()}")

    problems = drawn_problems(300 if args.quick else 2000)
    dims = np.array([p.dims for p in problems])
    ref = reference_rate(problems)
    print(f"\n1. reference on {len(problems)} Hypothesis-drawn problems: {ref['batched']:.0f} network gradients/s "
          f"batched by bucket, {ref['single']:.0f}/s one at a time; compilations in steady state: "
          f"{ref['new_compiles']} (buckets {ref['by_bucket']})")
    print(f"5. largest sides drawn: n {dims[:, 0].max()}, d {dims[:, 1].max()}, dh {dims[:, 2].max()}, "
          f"m {dims[:, 3].max()}; problems with a side > 8: {int((dims.max(axis=1) > 8).sum())}, "
          f"with d = 784: {int((dims[:, 1] == 784).sum())} (sweep: sides to 64 and d = 784 too)")

    rates = property_rates(100 if args.quick else 300)
    print("\n2. Hypothesis phase per network property, examples/s end to end (implementation in a child process):")
    print("   " + ", ".join(f"{pid} {r:.0f}" for pid, r in rates))
    print(f"   min {min(r for _, r in rates):.0f}, median {statistics.median(r for _, r in rates):.0f}")

    for isolate in (True, False):
        s = sweep_rate(2000 if args.quick else 10000, isolate)
        where = "in a child process" if isolate else "in this process"
        print(f"\n3. bulk sweep, implementation {where}: {s['per_second']:.0f} problems/s end to end "
              f"(median of 3 runs of {s['problems']} problems)")

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, HANDGRAD_CACHE=cache)
        cold, rc1 = timed([sys.executable, "-m", "reference.compare.cli"], env)
        warm, rc2 = timed([sys.executable, "-m", "reference.compare.cli"], env)
    print(f"\n4. default handgrad-compare on handgrad: {cold:.1f} s cold (empty compilation cache), {warm:.1f} s warm "
          f"(exit {rc1}, {rc2})")
    if args.pytest:
        env = dict(os.environ, CI="1")
        serial, rc3 = timed([sys.executable, "-m", "pytest", "-q", "-n", "0"], env)
        parallel, rc4 = timed([sys.executable, "-m", "pytest", "-q", "-n", "2"], env)
        print(f"   default pytest (CI profile): {parallel:.0f} s on 2 cores (pytest -n 2, the default), "
              f"{serial:.0f} s serial (-n 0): speed-up {serial / parallel:.2f}× (exit {rc4}, {rc3})")

    print("\n6. profiles (examples per property / sweep problems):", ", ".join(
        f"{k} {v['max_examples']}/{v['sweep']}{' derandomized' if v['derandomize'] else ''}"
        f"{' targeted' if v['target'] else ''}" for k, v in PROFILES.items()))


if __name__ == "__main__":
    main()
