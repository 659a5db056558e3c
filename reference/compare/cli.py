"""handgrad-compare: check an implementation of the API against the reference, claim by claim.

    handgrad-compare [--impl MODULE_OR_FILE] [--adapter ADAPTER] [--run-all-cells]
                     [--examples N] [--seed S]
                     [--convention seed|any-subgradient] [--timeout SECONDS]
                     [--total-timeout SECONDS] [--memory-limit SIZE] [--allow-import NAME ...]
                     [--weights FILE.toml] [--format text|markdown|json|gradescope] [--output FILE]
                     [--sweep N] [--profile dev|ci|thorough] [--property ID ...] [--list]

``--impl`` takes a module name, a .py file or a Jupyter notebook (.ipynb: its
definitions; every statement with ``--run-all-cells``). ``--adapter`` declares
how a submission differs from the API (docs/adapters.md): a TOML file, or a
bundled template by name (mlp_class, column_functions, row_functions). What
loads is graded: a property that needs a function the submission lacks is
"missing", the others are checked.

Exit status: 0 every property holds; 1 a property fails or errors, or the
submission's integrity check fails; 2 the implementation cannot be imported or
has none of the API's functions, or the command line or the adapter file is
wrong (found before any work); 3 an internal error of handgrad-compare (one
line, never a traceback; the report is still written with what was done).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import warnings

__all__ = ["main", "build_parser", "parse_size"]

from reference.compare.grade import DEFAULT_EXAMPLES, DEFAULT_SWEEP, DEFAULT_TOTAL_TIMEOUT


def parse_size(text: str) -> int:
    """``4G``, ``512M``, ``65536K`` or a number of bytes, as bytes.

    >>> parse_size("4G"), parse_size("512M")
    (4294967296, 536870912)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4G, 512M)")
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " "))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="handgrad-compare",
        description="Check an implementation of the handgrad API against the JAX reference, "
                    "one verdict per question of the course (A1–A9, B1–B18).",
        epilog="Exit status: 0 all pass, 1 a property fails or errors (or integrity fails), 2 cannot load "
               "the implementation (or bad arguments), 3 internal error.")
    p.add_argument("--impl", default="handgrad", metavar="MODULE_OR_FILE",
                   help="importable module name, or path to a .py file or a Jupyter notebook (.ipynb) "
                        "(default: handgrad)")
    p.add_argument("--adapter", metavar="ADAPTER",
                   help="how the submission differs from the API: a TOML adapter file, or a bundled template by "
                        "name: " + ", ".join(_templates()) + " (see docs/adapters.md); checked before anything "
                        "runs. The API names it does not give are absent: their properties are errors")
    p.add_argument("--run-all-cells", action="store_true",
                   help="a notebook runs every top-level statement (training loops, plots...), not only the "
                        "imports, definitions and simple assignments")
    p.add_argument("--examples", type=int, default=None, metavar="N",
                   help=f"Hypothesis examples per property (default {DEFAULT_EXAMPLES}, or the profile's)")
    p.add_argument("--sweep", type=int, default=None, metavar="N",
                   help=f"problems in the bulk random sweep (default {DEFAULT_SWEEP}, or the profile's; 0: none)")
    p.add_argument("--profile", choices=("dev", "ci", "thorough"), default=None,
                   help="a settings profile: sets --examples and --sweep (thorough: 10× ci)")
    p.add_argument("--seed", type=int, default=0, help="random seed >= 0: the same seed gives the same report "
                                                      "(default 0)")
    p.add_argument("--convention", choices=("seed", "any-subgradient"), default="seed",
                   help="at kinks demand the course's values (seed) or accept any valid subgradient")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit for one call of the implementation, and for its import (default 10)")
    p.add_argument("--total-timeout", type=float, default=DEFAULT_TOTAL_TIMEOUT, metavar="SECONDS",
                   help=f"overall deadline: the report is written by then, properties not reached marked "
                        f"not-run (default {DEFAULT_TOTAL_TIMEOUT:g})")
    p.add_argument("--memory-limit", type=parse_size, default=4 << 30, metavar="SIZE",
                   help="address space the implementation's process may use (default 4G)")
    p.add_argument("--allow-import", action="append", default=[], metavar="NAME",
                   help="a library the submission may use (jax, torch, tensorflow, autograd); repeatable")
    p.add_argument("--weights", metavar="FILE.toml",
                   help="points per question, credit per status, visibility (Gradescope); default: "
                        "[tool.handgrad] of ./pyproject.toml if present, else 1 point a question")
    p.add_argument("--format", choices=("text", "markdown", "json", "gradescope"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (default: standard output)")
    p.add_argument("--property", action="append", metavar="ID", dest="properties",
                   help="only these properties or questions (e.g. B15, B18-l11); repeatable")
    p.add_argument("--list", action="store_true", help="list the properties and exit")
    return p


def _templates() -> list[str]:
    from reference.compare.sandbox.adapter import TEMPLATES

    return sorted(p.stem for p in TEMPLATES.glob("*.toml"))


def _progress_printer(enabled: bool):
    def show(result, i, total):
        print(f"[{i:2d}/{total}] {result.id:<14} {result.status:<5} {result.seconds:6.2f} s",
              file=sys.stderr, flush=True)
    return show if enabled else None


def _write(text: str, output: str | None) -> None:
    from reference.compare.output import write_atomic

    if output:
        write_atomic(text, output)
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
    """What is wrong with the options that argparse cannot see, or None. Nothing has run yet."""
    for name, value, lo in (("--examples", args.examples, 1), ("--sweep", args.sweep, 0), ("--seed", args.seed, 0)):
        if value is not None and value < lo:
            return f"{name} must be >= {lo}; got {value}"
    for name, value in (("--timeout", args.timeout), ("--total-timeout", args.total_timeout)):
        if not (math.isfinite(value) and value > 0):
            return f"{name} must be a finite number of seconds > 0; got {value}"
    if args.memory_limit < 64 << 20:
        return f"--memory-limit must be at least 64M; got {args.memory_limit} bytes"
    try:
        args.weights = _weights(args.weights)
    except ValueError as exc:
        return str(exc)
    if args.adapter is not None:
        from reference.compare.sandbox.adapter import read_adapter

        try:
            read_adapter(args.adapter)
        except ValueError as exc:
            return f"--adapter: {exc}"
    if args.output:
        from reference.compare.output import check_writable

        try:
            check_writable(args.output)
        except ValueError as exc:
            return str(exc)
    return None


def _weights(path: str | None):
    """The Weights of ``--weights FILE``, or of ./pyproject.toml's [tool.handgrad], or None."""
    from reference.compare.scoring import Weights

    if path:
        return Weights.from_toml(path)
    if os.path.isfile("pyproject.toml"):
        import tomllib

        try:
            with open("pyproject.toml", "rb") as f:
                table = tomllib.load(f).get("tool", {}).get("handgrad")
        except (OSError, tomllib.TOMLDecodeError):
            return None
        return Weights.from_mapping(table, source="pyproject.toml [tool.handgrad]") if table else None
    return None


def _terminate(signum, frame):
    raise KeyboardInterrupt  # the report of what was done is still written


def _settings(args: argparse.Namespace):
    from reference.compare.grade import Settings

    return Settings(convention=args.convention, seed=args.seed, examples=args.examples, sweep=args.sweep,
                    profile=args.profile, timeout=args.timeout, total_timeout=args.total_timeout,
                    memory_limit=args.memory_limit, allow_import=tuple(args.allow_import),
                    properties=tuple(args.properties or ()), adapter=args.adapter, run_all_cells=args.run_all_cells)


def run(args: argparse.Namespace) -> int:
    """The command: check ``args.impl`` and write the report; returns the exit status."""
    bad = _bad_options(args)
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2

    from reference.compare.catalog import CATALOG, select

    if args.list:
        for p in CATALOG:
            print(f"{p.id:<14} {p.question:<4} {p.title}")
        return 0
    try:
        select(args.properties)
    except ValueError as exc:
        print(f"handgrad-compare: --property: {exc}", file=sys.stderr)
        return 2

    _enable_compilation_cache()
    from reference.compare.grade import grade
    from reference.compare.report import render

    report, status = grade(args.impl, _settings(args), progress=_progress_printer(sys.stderr.isatty()))
    if report.error:
        print(f"handgrad-compare: cannot check {report.error}", file=sys.stderr)
        if args.format in ("json", "gradescope") or args.output:
            _write(render(report, args.format, weights=args.weights), args.output)
        return status
    _write(render(report, args.format, weights=args.weights), args.output)
    if report.internal_error:
        print(f"handgrad-compare: internal error: {report.internal_error}", file=sys.stderr)
    if args.output and args.format != "text":
        c = report.counts
        print(f"handgrad-compare: {c['pass']} passed, {c['fail']} failed, {c['error']} errors; "
              f"report written to {args.output}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a usage message on bad arguments
    signal.signal(signal.SIGTERM, _terminate)
    try:
        import numpy as np

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the grader's own warnings, from looking at a submission's values
            return run(args)
    except KeyboardInterrupt:
        print("handgrad-compare: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a bare traceback
        print(f"handgrad-compare: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
