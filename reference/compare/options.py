"""handgrad-compare's options: the parser, and the sizes and formats it reads (:mod:`reference.compare.cli`)."""

from __future__ import annotations

import argparse
import re
import secrets

from reference.compare.grade_one import DEFAULT_EXAMPLES, DEFAULT_SWEEP, DEFAULT_TOTAL_TIMEOUT

__all__ = ["FORMATS", "build_parser", "parse_size", "FRESH", "DEFAULT_SEEDS", "seed_word", "draw_seed", "front_end",
           "grades_a_class", "seed_for"]

# reports.formats.FORMATS, kept light here
FORMATS = ("text", "markdown", "json", "gradescope", "prairielearn", "html")


def parse_size(text: str) -> int:
    """``4G``, ``512M``, ``65536K`` or a number of bytes, as bytes.

    >>> parse_size("4G"), parse_size("512M")
    (4294967296, 536870912)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4G, 512M)")
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " "))


#: ``--seed fresh``: a seed drawn for the run from the operating system's randomness (:func:`draw_seed`).
FRESH = "fresh"
#: The seed each front end grades with when ``--seed`` is not given: the one place that says which draws a
#: secret seed. Checking one's own code replays (seed 0, as the docs say); a class and the Gradescope autograder
#: grade with a seed the students cannot know, since the calls a known seed makes can be answered from a table
#: recorded beforehand with the public package (docs/security.md, "Seeds").
DEFAULT_SEEDS = {"impl": 0, "submissions": FRESH, "autograder": FRESH}


def seed_word(text: str) -> int | str:
    """``--seed``'s value: a whole number (checked ``>= 0`` with the other numbers), or :data:`FRESH`.

    >>> seed_word("7"), seed_word("fresh")
    (7, 'fresh')
    """
    if text.strip().lower() == FRESH:
        return FRESH
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a seed: {text!r} (a whole number >= 0, or {FRESH})") from None


def draw_seed() -> int:
    """A seed nobody can know beforehand: 32 bits of the operating system's randomness (:mod:`secrets`)."""
    return secrets.randbits(32)


def grades_a_class(args: argparse.Namespace) -> bool:
    """Whether the command grades a folder of submissions (an option of batch grading is given)."""
    return bool(args.submissions or args.output_dir or args.resume or args.jobs is not None)


def front_end(args: argparse.Namespace) -> str:
    """The command's front end, a key of :data:`DEFAULT_SEEDS`: autograder, submissions or impl."""
    return "autograder" if args.autograder else "submissions" if grades_a_class(args) else "impl"


def seed_for(args: argparse.Namespace) -> int | str:
    """The seed the command grades with: ``--seed``'s, else its front end's default; :data:`FRESH`: to be drawn
    (by the single run, once for a class, or on every run of the autograder)."""
    return DEFAULT_SEEDS[front_end(args)] if args.seed is None else args.seed


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="handgrad-compare",
        description="Check an implementation of the handgrad API against the JAX reference, "
                    "one verdict per question of the course (A1–A9, B1–B18).",
        epilog="Exit status: 0 all pass, 1 a property fails or errors (or integrity fails), 2 cannot load "
               "the implementation (or bad arguments), 3 internal error. " + _cache_note())
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument("--impl", default="handgrad", metavar="MODULE_OR_FILE",
                   help="importable module name, or path to a .py file or a Jupyter notebook (.ipynb) "
                        "(default: handgrad)")
    p.add_argument("--adapter", metavar="ADAPTER",
                   help="how the submission differs from the API: a TOML adapter file, a Python adapter (.py, run "
                        "beside the submission), or a bundled template by "
                        "name: " + ", ".join(_templates()) + " (see docs/adapters.md); checked before anything "
                        "runs. The API names it does not give are absent: their properties are errors")
    p.add_argument("--run-all-cells", action="store_true",
                   help="a notebook runs every top-level statement (training loops, plots...), not only the "
                        "imports, definitions and simple assignments")
    p.add_argument("--whole-folder", action="store_true",
                   help="the --impl file's folder is the submission's own (Gradescope's submission folder): its "
                        "worker is given every file of it, not only the file and the local modules it imports")
    p.add_argument("--examples", type=int, default=None, metavar="N",
                   help=f"Hypothesis examples per property (default {DEFAULT_EXAMPLES}, or the profile's)")
    p.add_argument("--sweep", type=int, default=None, metavar="N",
                   help=f"problems in the bulk random sweep (default {DEFAULT_SWEEP}, or the profile's; 0: none)")
    p.add_argument("--profile", choices=("dev", "ci", "thorough"), default=None,
                   help="a settings profile: sets --examples and --sweep (thorough: 10× ci)")
    p.add_argument("--seed", type=seed_word, default=None, metavar="S",
                   help="random seed >= 0: the same seed gives the same report; fresh: one drawn from the system's "
                        "randomness, shown in the report. Default 0 with --impl; with --submissions one fresh seed "
                        "for the class (--resume keeps it); with --autograder fresh on every run (docs/security.md)")
    p.add_argument("--convention", choices=("seed", "any-subgradient"), default="seed",
                   help="at kinks demand the course's values (seed) or accept any valid subgradient")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit for one call of the implementation, and for its import (at least 5 s; default 10)")
    p.add_argument("--total-timeout", type=float, default=DEFAULT_TOTAL_TIMEOUT, metavar="SECONDS",
                   help=f"overall deadline: the report is written by then, properties not reached marked "
                        f"not-run (default {DEFAULT_TOTAL_TIMEOUT:g})")
    p.add_argument("--memory-limit", type=parse_size, default=4 << 30, metavar="SIZE",
                   help="address space the implementation's process may use (default 4G)")
    p.add_argument("--allow-import", action="append", default=[], metavar="NAME",
                   help="a library the submission may use (jax, torch, tensorflow, autograd): no integrity finding, "
                        "and it is in the worker's view; repeatable")
    p.add_argument("--allow-package", action="append", default=None, metavar="NAME",
                   help="an installed package the submission's worker sees, with what it requires (default: "
                        "numpy, scipy, matplotlib, pandas, those installed); repeatable")
    _report_options(p)
    _class_options(p)
    return p


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", metavar="FILE.toml",
                   help="points per question, credit per status, visibility (Gradescope); default: "
                        "[tool.handgrad] of ./pyproject.toml if present (not read in a submission's folder), else 1 "
                        "point a question")
    p.add_argument("--format", choices=FORMATS, action="append", dest="formats",
                   help="the report's format (default text); repeatable, each with its --output "
                        "(with --submissions: each written for every submission; default json)")
    p.add_argument("--output", metavar="FILE", action="append", dest="outputs",
                   help="write the report of the matching --format here (default: standard output); repeatable")
    p.add_argument("--property", action="append", metavar="ID", dest="properties",
                   help="only these properties, questions or parts (e.g. B18-l11, B15, A); repeatable, they add up")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: only when stderr is a terminal)")
    p.add_argument("--list", action="store_true", help="list the properties and exit")
    p.add_argument("--no-cache", action="store_true",
                   help="draw the examples afresh: neither replay nor keep them "
                        "(kept in $HANDGRAD_EXAMPLES or ~/.cache/handgrad/examples)")
    p.add_argument("--cache-info", action="store_true",
                   help="show the caches' folders and sizes, and the cap on the examples kept "
                        "($HANDGRAD_EXAMPLES_MAX, default 1G: the least recently used go first), and exit")
    p.add_argument("--cache-clear", action="store_true",
                   help="remove the examples kept, JAX's compiled programs and Hypothesis's files, and exit")


def _class_options(p: argparse.ArgumentParser) -> None:
    batch = p.add_argument_group("a class at once (reference/compare/classroom/grade_class.py)")
    batch.add_argument("--submissions", metavar="DIR", help="grade every .py, .ipynb or folder in DIR")
    batch.add_argument("--output-dir", metavar="OUT", help="the reports, grades.csv and the class summary go here")
    batch.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: the cores)")
    batch.add_argument("--resume", action="store_true", help="skip submissions whose reports are up to date")
    batch.add_argument("--autograder", metavar="DIR", help="write a Gradescope autograder (setup.sh, run_autograder)")


def _templates() -> list[str]:
    from reference.compare.submissions.adapter import TEMPLATES

    return sorted(p.stem for p in TEMPLATES.glob("*.toml"))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("handgrad")
    except PackageNotFoundError:
        return "(not installed)"


def _cache_note() -> str:
    from reference.compare.cache_folders import describe

    return describe()
