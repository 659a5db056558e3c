"""handgrad-compare: check an implementation of the API against the reference, claim by claim.

    handgrad-compare [--impl MODULE_OR_FILE [--whole-folder]] [--adapter ADAPTER] [--run-all-cells]
                     [--examples N] [--seed S|fresh]
                     [--convention seed|any-subgradient] [--timeout SECONDS]
                     [--total-timeout SECONDS] [--memory-limit SIZE] [--allow-import NAME ...]
                     [--allow-package NAME ...]
                     [--weights FILE.toml]
                     [--format text|markdown|json|gradescope|prairielearn|html [--output FILE]] ...
                     [--sweep N] [--profile dev|ci|thorough] [--property ID ...] [--list]
                     [--progress | --no-progress] [--no-cache] [--version]
    handgrad-compare --submissions DIR --output-dir OUT [--jobs N] [--resume] [--format F ...] [options above]
    handgrad-compare --autograder DIR [options above]
    handgrad-compare --cache-info | --cache-clear

``--format``/``--output`` come in pairs, in order: ``--format json --output
r.json --format html --output r.html``; one ``--format`` more than ``--output``
goes to standard output. ``--property`` adds up: an id (B18-l11), a question
(B15) or a part (A, B, X); one that matches nothing is an error.

``--impl`` takes a module name, a .py file or a Jupyter notebook (.ipynb: its
definitions; every statement with ``--run-all-cells``). ``--adapter`` declares
how a submission differs from the API (docs/adapters.md): a TOML file, a
bundled template by name (mlp_class, column_functions, row_functions), or a
Python file run in the worker that exposes the API by calling the student's
code (reference.compare.submissions.adapting). What
loads is graded: a property that needs a function the submission lacks is
"missing", the others are checked. A file's worker is given the file and the
local modules it imports (its folder may hold other students' files);
``--whole-folder``: the file's folder is the submission's own, given whole.

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
import signal
import sys
import warnings

__all__ = ["main", "build_parser", "parse_size"]

from reference.compare.options import (  # noqa: F401 - FORMATS: the tests'
    FORMATS,
    FRESH,
    build_parser,
    draw_seed,
    front_end,
    grades_a_class,
    parse_size,
    seed_for,
)


def _destinations(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(format, file or None for standard output) pairs; ValueError when they do not pair up."""
    formats, outputs = args.formats or ["text"], args.outputs or []
    if len(outputs) > len(formats):
        raise ValueError("give a --format for each --output (they pair up in order)")
    if len(formats) > len(outputs) + 1:
        raise ValueError("only one --format may go to standard output: give an --output for each other --format")
    if len(set(outputs)) < len(outputs):
        raise ValueError("--output: the same file twice")
    return list(zip(formats, outputs + [None]))


def _write(text: str, output: str | None) -> None:
    from reference.compare.reports.output import write_atomic

    if output:
        write_atomic(text, output)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _bad_numbers(args: argparse.Namespace) -> str | None:
    """What is wrong with the numbers among the options, or None (a quick look: nothing heavy is imported)."""
    seed = args.seed if isinstance(args.seed, int) else None  # or FRESH
    for name, value, lo in (("--examples", args.examples, 1), ("--sweep", args.sweep, 0), ("--seed", seed, 0)):
        if value is not None and value < lo:
            return f"{name} must be >= {lo}; got {value}"
    for name, value in (("--timeout", args.timeout), ("--total-timeout", args.total_timeout)):
        if not (math.isfinite(value) and value > 0):
            return f"{name} must be a finite number of seconds > 0; got {value}"
    if args.memory_limit < 64 << 20:
        return f"--memory-limit must be at least 64M; got {args.memory_limit} bytes"
    return None


def _bad_options(args: argparse.Namespace) -> str | None:
    """What is wrong with the options that argparse cannot see, or None. Nothing has run yet."""
    bad = _bad_numbers(args)
    if bad:
        return bad
    try:
        args.scoring = _weights(args.weights, _submission_folders(args))
    except ValueError as exc:
        return str(exc)
    from reference.compare.sandbox.view import refuse_key

    try:
        refuse_key(tuple(args.allow_package or ()))
        refuse_key(tuple(args.allow_import), "--allow-import")
    except ValueError as exc:
        return str(exc)
    if args.adapter is not None:
        from reference.compare.submissions.adapter import read_adapter

        try:
            read_adapter(args.adapter)
        except ValueError as exc:
            return f"--adapter: {exc}"
    from reference.compare.reports.output import check_writable
    from reference.compare.running.selection import expand

    try:
        for _, output in [] if _many(args) else _destinations(args):
            if output:
                check_writable(output)
    except ValueError as exc:
        return str(exc)
    try:
        args.properties = list(expand(args.properties or ()))
    except ValueError as exc:
        return f"--property: {exc}"
    return None


def _a_class(args: argparse.Namespace) -> bool:
    """Whether the command grades a folder of submissions (an option of batch grading is given)."""
    return grades_a_class(args)


def _many(args: argparse.Namespace) -> bool:
    """Whether the command grades a class or writes an autograder (their reports go to folders, not --output)."""
    return bool(args.autograder) or _a_class(args)


def _submission_folders(args: argparse.Namespace) -> list[str]:
    """The folders that hold what is graded: the folder of an ``--impl`` file, the ``--submissions`` folder."""
    folders = []
    impl = str(args.impl or "")
    if impl.endswith((".py", ".ipynb")) or os.sep in impl or "/" in impl:
        folders.append(os.path.dirname(os.path.abspath(impl)))
    if args.submissions:
        folders.append(os.path.abspath(args.submissions))
    return folders


def _weights(path: str | None, submitted: list[str] = ()):
    """The Weights of ``--weights FILE``, or of ./pyproject.toml's [tool.handgrad], or None.

    ./pyproject.toml is not read when the working folder is, or lies under, a folder in ``submitted`` (a
    submission's folder, a class's): a file there may be a student's, and would set the student's credit.
    """
    from reference.compare.reports.scoring import Weights

    if path:
        return Weights.from_toml(path)
    if os.path.isfile("pyproject.toml"):
        import tomllib

        here = os.path.realpath(os.getcwd())
        for folder in map(os.path.realpath, submitted):
            if here == folder or here.startswith(folder.rstrip(os.sep) + os.sep):
                print(f"handgrad-compare: ./pyproject.toml not read: the working folder {here} lies in the "
                      f"submission's folder {folder}, where a student's file would set the credit; name the "
                      f"points with --weights FILE.toml", file=sys.stderr)
                return None
        try:
            with open("pyproject.toml", "rb") as f:
                table = tomllib.load(f).get("tool", {}).get("handgrad")
        except (OSError, tomllib.TOMLDecodeError):
            return None
        return Weights.from_mapping(table, source="pyproject.toml [tool.handgrad]") if table else None
    return None


def _terminate(signum, frame):
    raise KeyboardInterrupt  # the report of what was done is still written


def _settings(args: argparse.Namespace, seed: int | None = None):
    """The run's Settings; ``seed`` (else ``--seed``'s, once :func:`run` has drawn it) must be a number: a front end
    that has not chosen its seed yet never falls back to a known one (options.DEFAULT_SEEDS)."""
    from reference.compare.grade_one import Settings

    seed = args.seed if seed is None else seed
    if not isinstance(seed, int):
        raise TypeError(f"the seed is not drawn yet ({seed!r}): the front end chooses it first")
    return Settings(convention=args.convention, seed=seed, examples=args.examples, sweep=args.sweep,
                    profile=args.profile, timeout=args.timeout, total_timeout=args.total_timeout,
                    memory_limit=args.memory_limit, allow_import=tuple(args.allow_import),
                    allow_packages=None if args.allow_package is None else tuple(args.allow_package),
                    properties=tuple(args.properties or ()), adapter=args.adapter, run_all_cells=args.run_all_cells,
                    whole_folder=args.whole_folder)


def _start_early(args: argparse.Namespace):
    """A single run's submission, its contained process started now: it imports while the grader loads the
    catalog (JAX, Hypothesis: about 1.5 s). None for the other commands, or when the options are wrong."""
    if args.list or _many(args) or args.adapter is not None or _bad_numbers(args):
        return None  # an adapter is read (and its errors reported) by _bad_options first
    import dataclasses

    from reference.compare.sandbox.view import refuse_key

    try:
        refuse_key(tuple(args.allow_package or ()) + tuple(args.allow_import))
    except ValueError:
        return None  # said by _bad_options, naming the option

    from reference.compare.cache_folders import examples_dir
    from reference.compare.grade_one import start_sandboxed

    settings = _settings(args)
    if not args.no_cache:  # as reuse.store.for_run: the kept examples are hidden from the submission
        settings = dataclasses.replace(settings, hide=tuple(settings.hide) + (str(examples_dir()),))
    return start_sandboxed(args.impl, settings)


def run(args: argparse.Namespace) -> int:
    """The command: check ``args.impl`` and write the report; returns the exit status."""
    args.seed_drawn = False
    if front_end(args) == "impl":  # a single run draws its seed now (only if asked: its default is 0)
        args.seed_drawn = seed_for(args) == FRESH
        args.seed = draw_seed() if args.seed_drawn else seed_for(args)
    early = _start_early(args)
    try:
        return _run(args, early)
    finally:
        if early is not None and not isinstance(early, Exception):
            early.close()  # taken by the run (closed there already: no harm), or not needed after all


def _caches(*, clear: bool) -> int:
    """``--cache-info`` and ``--cache-clear``."""
    import shutil

    from reference.compare.reuse.store import cap, usage

    for what, folder, size in usage():
        if clear and "workers'" not in what and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            print(f"removed {folder} ({what}, {size / 2**20:.1f} MiB)")
        elif not clear:
            print(f"{size / 2**20:9.1f} MiB  {folder}  ({what})")
    if not clear:
        print(f"the examples kept are capped at {cap() / 2**20:.0f} MiB ($HANDGRAD_EXAMPLES_MAX); the least "
              "recently used go first")
    return 0


def _run(args: argparse.Namespace, early) -> int:
    bad = _bad_options(args)
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2

    from reference.compare.cache_folders import enable_jax_cache
    from reference.compare.exercise.catalog import CATALOG, select

    if args.cache_info or args.cache_clear:
        return _caches(clear=args.cache_clear)
    if args.list:
        for p in CATALOG:
            print(f"{p.id:<14} {p.question:<4} {p.title}")
        return 0
    if args.autograder and _a_class(args):
        print("handgrad-compare: --autograder writes an autograder; --submissions grades a folder: one or the other",
              file=sys.stderr)
        return 2
    if args.autograder:  # the seed is the conf's: pinned, or drawn by each run of run_autograder
        from reference.compare.classroom.autograder import autograder_main

        return autograder_main(args, _settings(args, seed=0), seed_for(args))  # (settings.seed: not read)
    if _many(args):  # the seed is the class's: drawn once for the batch (or the interrupted batch's)
        from reference.compare.classroom.grade_class import batch_main, batch_seed

        return batch_main(args, _settings(args, seed=batch_seed(args)))
    if args.seed_drawn:
        print(f"handgrad-compare: seed {args.seed}, drawn for this run (replay it with --seed {args.seed})",
              file=sys.stderr)
    enable_jax_cache()
    report, status = _grade(args, len(select(args.properties)), early)
    _write_all(report, _destinations(args), weights=args.scoring)
    return status


def _grade(args: argparse.Namespace, properties: int, early=None):
    """The run, with progress bars when asked or interactive, Hypothesis's files in the cache folder."""
    from hypothesis.configuration import set_hypothesis_home_dir

    from reference.compare.cache_folders import hypothesis_dir
    from reference.compare.grade_one import grade, open_sandboxed, ready
    from reference.compare.reuse.seeded_draws import without_explain
    from reference.compare.reuse.store import for_run
    from reference.compare.running.progress import Bars

    set_hypothesis_home_dir(hypothesis_dir())  # never .hypothesis/ in the working folder
    without_explain()
    # the examples kept for this seed; a seed drawn for this run is never met again: its examples are not kept
    settings, catalog = for_run(_settings(args), enabled=not (args.no_cache or getattr(args, "seed_drawn", False)))
    def opener(spec, settings_, deadline):
        if early is None:
            return open_sandboxed(spec, settings_, deadline)
        if not isinstance(early, Exception):
            early.deadline = deadline
        return ready(early)
    with Bars(properties, settings.resolved()[1], enabled=args.progress) as bars:
        return grade(args.impl, settings, progress=bars.property_done, opener=bars.opener(opener), catalog=catalog)


def _write_all(report, destinations: list[tuple[str, str | None]], *, weights=None) -> None:
    """Each format to its file (or standard output); what went wrong, and where the files are, on stderr."""
    from reference.compare.reports.formats import render
    from reference.compare.sandbox.interface import escape

    if report.error:
        print(f"handgrad-compare: cannot check {escape(report.error, 4000)}", file=sys.stderr)
    for fmt, output in destinations:
        if not report.error or fmt in ("json", "gradescope", "prairielearn") or output:
            _write(render(report, fmt, weights=weights), output)
    if report.internal_error:
        print(f"handgrad-compare: internal error: {escape(report.internal_error, 4000)}", file=sys.stderr)
    files = [output for fmt, output in destinations if output]
    if files and not report.error and any(fmt != "text" for fmt, _ in destinations):
        print(f"handgrad-compare: {report.tally()}; report written to {', '.join(escape(f, 4000) for f in files)}",
              file=sys.stderr)


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
