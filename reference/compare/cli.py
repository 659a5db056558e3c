"""handgrad-compare: check an implementation of the API against the reference, claim by claim.

    handgrad-compare [--impl MODULE_OR_FILE] [--examples N] [--seed S]
                     [--convention seed|any-subgradient] [--timeout SECONDS]
                     [--format text|markdown|json|gradescope] [--output FILE]
                     [--sweep N] [--profile dev|ci|thorough] [--property ID ...] [--list]

Exit status: 0 every property holds; 1 a property fails or errors; 2 the
implementation cannot be loaded or lacks API names (or the command line is
wrong); 3 an internal error of handgrad-compare (reported, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time

__all__ = ["main", "build_parser"]

DEFAULT_EXAMPLES = 40
DEFAULT_SWEEP = 2000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="handgrad-compare",
        description="Check an implementation of the handgrad API against the JAX reference, "
                    "one verdict per question of the course (A1–A9, B1–B18).",
        epilog="Exit status: 0 all pass, 1 a property fails or errors, 2 cannot load the implementation "
               "(or bad arguments), 3 internal error.")
    p.add_argument("--impl", default="handgrad", metavar="MODULE_OR_FILE",
                   help="importable module name or path to a .py file (default: handgrad)")
    p.add_argument("--examples", type=int, default=None, metavar="N",
                   help=f"Hypothesis examples per property (default {DEFAULT_EXAMPLES}, or the profile's)")
    p.add_argument("--sweep", type=int, default=None, metavar="N",
                   help=f"problems in the bulk random sweep (default {DEFAULT_SWEEP}, or the profile's; 0: none)")
    p.add_argument("--profile", choices=("dev", "ci", "thorough"), default=None,
                   help="a settings profile: sets --examples and --sweep (thorough: 10× ci)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same report (default 0)")
    p.add_argument("--convention", choices=("seed", "any-subgradient"), default="seed",
                   help="at kinks demand the course's values (seed) or accept any valid subgradient")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit for one call of the implementation, and for its import (default 10)")
    p.add_argument("--format", choices=("text", "markdown", "json", "gradescope"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (default: standard output)")
    p.add_argument("--property", action="append", metavar="ID", dest="properties",
                   help="only these properties or questions (e.g. B15, B18-l11); repeatable")
    p.add_argument("--list", action="store_true", help="list the properties and exit")
    return p


def _progress_printer(enabled: bool):
    if not enabled:
        return None

    def show(result, i, total):
        print(f"[{i:2d}/{total}] {result.id:<14} {result.status:<5} {result.seconds:6.2f} s",
              file=sys.stderr, flush=True)
    return show


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _enable_compilation_cache() -> None:
    """The catalog compiles a few fixed bucket shapes: a persistent cache makes later runs start fast."""
    import jax

    path = os.environ.get("HANDGRAD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "handgrad", "jax")
    try:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except Exception:  # noqa: BLE001 - a cache is an optimization only
        pass


def _bad_options(args: argparse.Namespace) -> str | None:
    """What is wrong with the options that argparse cannot see, or None."""
    for name, value, lo in (("--examples", args.examples, 1), ("--sweep", args.sweep, 0)):
        if value is not None and value < lo:
            return f"{name} must be >= {lo}; got {value}"
    if not args.timeout > 0:
        return f"--timeout must be > 0 seconds; got {args.timeout}"
    return None


def _replay(args: argparse.Namespace, examples: int, sweep: int):
    """The command line that reruns one property with the same settings."""
    def replay(prop) -> str:
        words = ["handgrad-compare", "--impl", args.impl, "--seed", str(args.seed), "--examples", str(examples),
                 "--sweep", str(sweep), "--property", prop.id]
        if args.convention != "seed":
            words += ["--convention", args.convention]
        return " ".join(shlex.quote(w) for w in words)
    return replay


def _open(args: argparse.Namespace, start: float):
    """The implementation in its child process; None (the load error said and written) if it cannot load."""
    from reference.compare.report import load_error_report, render
    from reference.compare.sandbox import LoadError, SubprocessImpl

    try:
        return SubprocessImpl(args.impl, timeout=args.timeout)
    except LoadError as exc:
        print(f"handgrad-compare: cannot check {exc}", file=sys.stderr)
        if args.format in ("json", "gradescope") or args.output:
            report = load_error_report(args.impl, args.convention, args.seed, str(exc), time.perf_counter() - start)
            _write(render(report, args.format), args.output)
        return None


def run(args: argparse.Namespace) -> int:
    """The command: check ``args.impl`` and write the report; returns the exit status."""
    start = time.perf_counter()
    bad = _bad_options(args)
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2

    from reference.compare.catalog import CATALOG, Context, select

    if args.list:
        for p in CATALOG:
            print(f"{p.id:<14} {p.question:<4} {p.title}")
        return 0
    try:
        props = select(args.properties)
    except ValueError as exc:
        print(f"handgrad-compare: --property: {exc}", file=sys.stderr)
        return 2

    _enable_compilation_cache()
    from reference.compare.report import Report, render
    from reference.compare.runner import PROFILES, run_catalog

    profile = PROFILES[args.profile] if args.profile else None
    examples = args.examples or (profile["max_examples"] if profile else DEFAULT_EXAMPLES)
    sweep = args.sweep if args.sweep is not None else (profile["sweep"] if profile else DEFAULT_SWEEP)

    impl = _open(args, start)
    if impl is None:
        return 2
    with impl:
        ctx = Context(impl, convention=args.convention)
        results, figures = run_catalog(ctx, props, max_examples=examples, sweep=sweep, seed=args.seed,
                                       target=bool(profile and profile["target"]),
                                       replay=_replay(args, examples, sweep),
                                       progress=_progress_printer(sys.stderr.isatty()))
    report = Report(args.impl, args.convention, args.seed, examples, sweep, results,
                    time.perf_counter() - start, figures)
    _write(render(report, args.format), args.output)
    if args.output and args.format != "text":
        c = report.counts
        print(f"handgrad-compare: {c['pass']} passed, {c['fail']} failed, {c['error']} errors; "
              f"report written to {args.output}", file=sys.stderr)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a usage message on bad arguments
    try:
        return run(args)
    except KeyboardInterrupt:
        print("handgrad-compare: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a bare traceback
        print(f"handgrad-compare: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
