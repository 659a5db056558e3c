"""Grading a class: every submission in a folder, in parallel, into one folder of reports and ``grades.csv``.

    handgrad-compare --submissions DIR --output-dir OUT [--jobs N] [--format F ...] [--resume] [run options]

A submission is an entry of DIR: a ``.py`` file, a ``.ipynb`` notebook, or a
folder holding one (with its own helper modules), with an id of its own
(:mod:`reference.compare.classroom.roster`: the ids, the file to check, why there is
none). Each gets its reports ``OUT/reports/<id>/report.<ext>`` (``--format``,
repeatable, default json), a row in ``OUT/grades.csv`` and its place in the
class summary (``OUT/summary.txt``, ``OUT/summary.md``):
:mod:`reference.compare.reports.summary`. An entry that has no file to check (a link, a
FIFO, unreadable, more than its worker may be given) is a ``cannot-load`` row.

Each submission is checked by :func:`reference.compare.grade_one.grade`, as
``--impl`` would check it alone, with the examples drawn once for the class and
replayed to each (:mod:`reference.compare.reuse.shared`): the same verdicts and
counterexamples as a run alone with the same seed, whatever the order or the
number of jobs. ``--jobs`` grading processes (default: the cores) take the
submissions in turn (:mod:`reference.compare.classroom.pool`); each submission runs
in its own contained worker, which sees neither DIR, OUT nor the other
submissions. ``--resume`` skips a submission whose reports are there for the
same tool, code, settings, points and file contents (a fingerprint beside them,
``graded.json``; the files are read in chunks:
:func:`~reference.compare.classroom.roster.content_hash`). The grading processes'
logs go to ``OUT/.batch/``.

The class is graded with one seed, drawn for the batch unless ``--seed`` gives it
(:data:`reference.compare.options.DEFAULT_SEEDS`): students who cannot know it cannot
answer the grader's calls from a table recorded beforehand. It is in the summary's
heading, each report and the last line on stderr, and kept in ``OUT/.batch/seed``:
``--resume`` without ``--seed`` goes on with it.

Exit status: 0 every submission graded (whatever its verdicts: see grades.csv);
2 bad options (before any work); 3 the grader failed on a submission (its row
says ``internal``), or on the batch; 130 interrupted (what was graded is kept:
``--resume``). But for 2, grades.csv and the summary are written, with what was
graded.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pathlib
import sys
import tempfile
import time
from typing import Any

from reference.compare.classroom.roster import Submission, content_hash, find_submissions, source_keys, utf8
from reference.compare.options import FRESH, draw_seed, seed_for

__all__ = ["report_path", "state_path", "seed_path", "batch_seed", "fingerprint", "batch_main", "weights_to_json",
           "EXTENSIONS", "settings_to_json", "settings_from_json"]

#: A report's file extension by format.
EXTENSIONS = {"json": "json", "text": "txt", "markdown": "md", "gradescope": "gradescope.json",
              "prairielearn": "prairielearn.json", "html": "html"}


def report_path(out: pathlib.Path, sub_id: str, fmt: str) -> pathlib.Path:
    """Where a submission's report in ``fmt`` goes: ``OUT/reports/<id>/report.<ext>``."""
    return out / "reports" / sub_id / f"report.{EXTENSIONS.get(fmt, fmt)}"


def state_path(out: pathlib.Path, sub_id: str) -> pathlib.Path:
    """Where a graded submission's fingerprint and row are kept (for ``--resume``)."""
    return out / "reports" / sub_id / "graded.json"


def seed_path(out: pathlib.Path) -> pathlib.Path:
    """Where the batch's seed is kept (for ``--resume``)."""
    return out / ".batch" / "seed"


def _kept_seed(out: pathlib.Path) -> int | None:
    """The seed of the batch graded last into ``out``, or None (none kept, or unreadable)."""
    try:
        seed = int(seed_path(out).read_text().strip())
    except (OSError, ValueError):
        return None
    return seed if seed >= 0 else None


def batch_seed(args: argparse.Namespace) -> int:
    """The class's seed: ``--seed``'s; else, with ``--resume``, the one kept in ``OUT/.batch/seed`` by the batch
    it goes on with; else one drawn now (:func:`reference.compare.options.draw_seed`)."""
    choice = seed_for(args)
    if choice != FRESH:
        return choice
    if args.resume and args.seed is None and args.output_dir:
        kept = _kept_seed(pathlib.Path(args.output_dir))
        if kept is not None:
            return kept
        print(f"handgrad-compare: --resume: no seed kept in {seed_path(pathlib.Path(args.output_dir))}: a fresh one, "
              f"every submission is graded again", file=sys.stderr)
    return draw_seed()


def weights_to_json(weights: Any) -> dict | None:
    """``--weights`` (a :class:`~reference.compare.reports.scoring.Weights`, or None) as plain data for the grading
    processes."""
    return None if weights is None else dataclasses.asdict(weights)


def settings_to_json(settings: Any) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(settings), default=str))


def settings_from_json(data: dict) -> Any:
    from reference.compare.grade_one import Settings

    return Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def fingerprint(sub: Submission, settings: Any, formats: list[str], code: str, weights: Any = None) -> str:
    """What a submission's reports depend on: the tool, its code, the settings, the points, the formats, the files."""
    import handgrad

    options = {k: v for k, v in settings_to_json(settings).items() if k != "hide"}
    path = options.get("adapter")  # a file named by an option: its contents count, not its name
    if isinstance(path, str) and os.path.isfile(path):
        options["adapter"] = hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    data = {"version": handgrad.__version__, "code": code, "settings": options, "formats": sorted(formats),
            "weights": weights_to_json(weights), "content": content_hash(sub.entry)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _bad_options(args: argparse.Namespace) -> str | None:
    """What is wrong with a batch's options, or None. Nothing has run yet."""
    if not args.submissions:
        return "--output-dir, --jobs and --resume go with --submissions DIR"
    folder = pathlib.Path(args.submissions)
    if not folder.is_dir():
        return f"--submissions: {folder} is not a folder"
    if args.impl != "handgrad" or args.outputs:
        return "--submissions grades a folder: give its reports a folder with --output-dir, not --impl or --output"
    if not args.output_dir:
        return "--submissions needs --output-dir OUT (the folder of the reports and grades.csv)"
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        return f"--jobs must be between 1 and 64; got {args.jobs}"
    out = pathlib.Path(args.output_dir)
    if out.exists() and not out.is_dir():
        return f"--output-dir: {out} is not a folder"
    if not out.exists() and not out.absolute().parent.is_dir():
        return f"--output-dir: the folder {out.absolute().parent} does not exist"
    try:
        out.mkdir(exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".handgrad-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"--output-dir: cannot write in {out}: {exc.strerror}"
    if not any(True for _ in find_submissions(folder, exclude=(out,))):
        return f"--submissions: no submission in {folder} (.py or .ipynb files, or folders holding one)"
    return None


def _resumed(subs: list[Submission], out: pathlib.Path, prints: dict[str, str], formats: list[str]) -> dict:
    """The rows of submissions whose reports are up to date (same fingerprint, every report file there)."""
    rows = {}
    for sub in subs:
        try:
            state = json.loads(state_path(out, sub.id).read_text())
        except (OSError, ValueError):
            continue
        if state.get("fingerprint") == prints[sub.id] and all(
                report_path(out, sub.id, f).is_file() for f in formats):
            rows[sub.id] = state["row"]
    return rows


def _progress(total: int, enabled: bool | None):
    """A progress bar with an ETA on standard error (tqdm) when asked (``--progress``) or interactive, else None."""
    from reference.compare.running.progress import interactive

    if not total or not (interactive() if enabled is None else enabled):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", file=sys.stderr, dynamic_ncols=True)


def _prepare(settings: Any, props: list, store_folder: pathlib.Path) -> list[str]:
    """Draw the examples the class shares (those not kept already), on handgrad; the properties left unshared."""
    from reference.compare.reuse.shared import Shared
    from reference.compare.reuse.store import Store

    examples, sweep, target = settings.resolved()
    if target:  # the examples of a targeted run depend on the implementation: each submission draws its own
        return [p.id for p in props]
    return Shared(Store(store_folder)).prepare(props, max_examples=examples, seed=settings.seed, sweep=sweep)


def _grade_all(args: argparse.Namespace, settings: Any, subs: list[Submission], prints: dict, formats: list[str],
               props: list, rows: list[dict]) -> None:
    """Grade ``subs`` in parallel; their rows appended to ``rows`` as they come (kept if interrupted)."""
    from reference.compare.cache_folders import examples_dir
    from reference.compare.classroom.pool import MARGIN, Pool
    from reference.compare.reuse.store import code_digest

    out = pathlib.Path(args.output_dir).absolute()
    stage = pathlib.Path(tempfile.mkdtemp(prefix="handgrad-batch-"))
    try:
        cache = examples_dir()
        store = stage / "examples" if args.no_cache else cache / code_digest()
        hidden = [pathlib.Path(args.submissions).absolute(), out, stage, cache]
        settings = dataclasses.replace(settings, hide=tuple(settings.hide) + tuple(str(h) for h in hidden))
        (out / ".batch").mkdir(exist_ok=True)  # the grading processes' logs
        init = {"settings": settings_to_json(settings), "store": str(store), "out": str(out), "formats": formats,
                "stage": str(stage), "weights": weights_to_json(getattr(args, "scoring", None))}
        pool = Pool(args.jobs or os.cpu_count() or 1, init, seconds=settings.total_timeout + settings.timeout + MARGIN,
                    log=str(out / ".batch" / "grader"))
        pool.start(len(subs))  # the grading processes load while the examples are drawn
        _prepare(settings, props, store)
        bar = _progress(len(subs), getattr(args, "progress", None))

        def done(row: dict) -> None:
            rows.append(row)
            if bar is not None:
                bar.set_postfix_str(f"{row['id'][:20]}: {row['status']}")
                bar.update()
        jobs = [{"id": s.id, "entry": str(s.entry.absolute()), "target": str(s.target.absolute()) if s.target else "",
                 "error": s.error, "fingerprint": prints[s.id]} for s in subs]
        try:
            pool.run(jobs, done)
        finally:
            if bar is not None:
                bar.close()
    finally:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)


def _finish(out: pathlib.Path, rows: list[dict], columns: list[str], heading: str, weights: Any,
            sources: dict) -> None:
    """grades.csv and the class summary, in UTF-8 whatever a row says (``submissions.utf8``)."""
    from reference.compare.reports.output import write_atomic
    from reference.compare.reports.summary import class_summary, write_csv

    write_atomic(utf8(write_csv(rows, columns)), str(out / "grades.csv"))
    for name, fmt in (("summary.txt", "text"), ("summary.md", "markdown")):
        write_atomic(utf8(class_summary(rows, columns, heading=heading, fmt=fmt, weights=weights,
                                                sources=sources)), str(out / name))


def batch_main(args: argparse.Namespace, settings: Any) -> int:
    """``handgrad-compare --submissions``: grade every submission; returns the exit status."""
    bad = _bad_options(args)
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2
    from reference.compare.cache_folders import enable_jax_cache
    from reference.compare.exercise.catalog import select
    from reference.compare.reuse.seeded_draws import without_explain
    from reference.compare.reuse.store import code_digest

    start = time.perf_counter()
    enable_jax_cache()
    without_explain()
    out, formats = pathlib.Path(args.output_dir), list(dict.fromkeys(getattr(args, "formats", None) or ["json"]))
    from reference.compare.reports.output import write_atomic

    seed_path(out).parent.mkdir(exist_ok=True)
    write_atomic(f"{settings.seed}\n", str(seed_path(out)))  # before any work: an interrupted batch goes on with it
    subs = find_submissions(pathlib.Path(args.submissions), exclude=(out,))
    props = list(select(list(settings.properties) or None))
    weights = getattr(args, "scoring", None)
    prints = {s.id: fingerprint(s, settings, formats, code_digest(), weights) for s in subs}
    resumed = _resumed(subs, out, prints, formats) if args.resume else {}
    rows, status = list(resumed.values()), 0
    if resumed and len(resumed) < len(subs) and args.seed is None:
        print(f"handgrad-compare: --resume grades {len(subs) - len(resumed)} new or changed submission(s) with the "
              f"batch's seed {settings.seed}, which its reports show: if they have been handed back, grade late or "
              f"changed work in a new --output-dir (a seed of its own; see Seeds in docs/security.md)",
              file=sys.stderr)
    examples, sweep, _ = settings.resolved()
    try:
        _grade_all(args, settings, [s for s in subs if s.id not in resumed], prints, formats, props, rows)
    except KeyboardInterrupt:
        print("handgrad-compare: interrupted; what was graded is kept (--resume goes on)", file=sys.stderr)
        status = 130
    finally:  # what was graded is written, whatever stopped the rest
        _finish(out, rows, list(dict.fromkeys(p.question for p in props)),
                f"seed {settings.seed}, {examples} examples per property, sweep {sweep}", weights,
                {s.id: source_keys(s.target) for s in subs})
    counts = {k: sum(r["status"] == k for r in rows) for k in ("ok", "failed", "cannot-load", "integrity", "internal")}
    print(f"handgrad-compare: {len(rows)} of {len(subs)} submissions graded ({len(resumed)} up to date) in "
          f"{time.perf_counter() - start:.0f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)
          + f"; seed {settings.seed}; grades in {out / 'grades.csv'}", file=sys.stderr)
    return status or (3 if counts["internal"] else 0)
