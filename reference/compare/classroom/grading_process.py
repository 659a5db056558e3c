"""A grading process of a batch: submissions in on its standard input, a row a line out.

Started by :mod:`reference.compare.classroom.pool` as ``python -m
reference.compare.classroom.grading_process``. Its first line is the batch's setup: the
settings, where the shared examples are, the output folder and formats; then
one submission a line. For each it calls :func:`reference.compare.grade_one.grade`
with the shared catalog (:mod:`reference.compare.reuse.shared`), writes the reports
and the fingerprint beside them, and answers the row
(:func:`reference.compare.reports.summary.row`). The examples' reference evaluations and
the bulk sweep's are computed by the first submission that needs them and kept
for the next ones. Whatever else is printed goes to standard error (a log).
"""

from __future__ import annotations

import gc
import json
import os
import pathlib
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Batch", "setup", "grade_job", "relabel", "tidy", "main", "REFREEZE"]

#: Submissions graded between two collections of everything this process holds (see :func:`tidy`).
REFREEZE = 20


@dataclass
class Batch:
    """What every submission of the batch shares in this process."""

    settings: Any
    catalog: Any
    out: pathlib.Path
    formats: list[str]
    stage: pathlib.Path
    weights: Any = None


def setup(init: dict) -> Batch:
    """The batch's settings, its shared examples, and the caches and Hypothesis settings of a fast run."""
    from reference.compare.cache_folders import enable_jax_cache
    from reference.compare.classroom.grade_class import settings_from_json
    from reference.compare.reuse.seeded_draws import without_explain
    from reference.compare.reuse.shared import Shared, SharedCatalog
    from reference.compare.reuse.store import Store

    enable_jax_cache()
    without_explain()
    shared = Shared(Store(pathlib.Path(init["store"])) if init.get("store") else None)
    from reference.compare.reports.scoring import Weights

    weights = Weights(**init["weights"]) if init.get("weights") else None
    # learn=False: the examples are recorded on handgrad only (batch._prepare), never on a submission's run
    return Batch(settings_from_json(init["settings"]), SharedCatalog(shared, learn=False), pathlib.Path(init["out"]),
                 list(init["formats"]), pathlib.Path(init["stage"]), weights)


def relabel(report: Any, settings: Any, staged: pathlib.Path, original: pathlib.Path) -> None:
    """A report of the staged copy of a submission, told of the submission itself (its path, its replay commands)."""
    report.implementation = str(original)
    folders = (str(staged.parent), str(original.parent))
    report.error = report.error.replace(*folders)
    for r in report.results:
        r.message = r.message.replace(*folders)
        if r.replay:
            r.replay = settings.replay(str(original), r.id)


def _grade(job: dict, batch: Batch) -> tuple[Any, int]:
    from reference.compare.grade_one import grade
    from reference.compare.reports.formats import load_error_report

    s = batch.settings
    if job.get("error"):
        return load_error_report(job["entry"], s.convention, s.seed, job["error"], 0.0), 2
    target = pathlib.Path(job["target"])
    if job["target"] != job["entry"]:  # a file in a folder of its own: graded there (its worker gets that folder)
        return grade(str(target), replace(s, whole_folder=True), catalog=batch.catalog)
    from reference.compare.sandbox.staging import copy_file

    staged = batch.stage / "submissions" / job["id"] / target.name  # a file of the folder: graded alone
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        if copy_file(target, staged) is None:
            why = f"{target}: not a regular file (a link, a FIFO...): not graded"
            return load_error_report(str(target), s.convention, s.seed, why, 0.0), 2
    except ValueError as exc:
        return load_error_report(str(target), s.convention, s.seed, f"{target}: {exc}", 0.0), 2
    try:
        report, status = grade(str(staged), s, catalog=batch.catalog)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)
    relabel(report, s, staged, target)
    return report, status


def grade_job(job: dict, batch: Batch) -> dict:
    """Grade one submission; its reports (in UTF-8, whatever its file's name) and fingerprint written; its row."""
    from reference.compare.classroom.grade_class import report_path, state_path
    from reference.compare.classroom.roster import utf8
    from reference.compare.reports.formats import render
    from reference.compare.reports.output import write_atomic
    from reference.compare.reports.summary import row

    start = time.perf_counter()
    report, status = _grade(job, batch)
    for fmt in batch.formats:
        path = report_path(batch.out, job["id"], fmt)
        path.parent.mkdir(parents=True, exist_ok=True)  # a file name that is not UTF-8, in a message: \xff
        write_atomic(utf8(render(report, fmt, weights=batch.weights)), str(path))
    result = row(job["id"], report, status, time.perf_counter() - start, weights=batch.weights)
    if result["status"] != "internal":  # the grader's own failure is graded again on --resume
        state = state_path(batch.out, job["id"])
        state.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(json.dumps({"fingerprint": job["fingerprint"], "row": result}), str(state))
    return result


def tidy(graded: int) -> None:
    """After a submission: its garbage collected, and what is left kept out of the collector's way.

    What this process holds for the whole batch (the shared examples, their
    reference evaluations, the journals: 150,000 objects and more) outlives every
    submission, yet each full collection walked it all again: a fifth of the
    grading process's time. So, after each submission, a collection frees what
    it left, and the rest is frozen (``gc.freeze``): the next collections walk
    only what is new. Every ``REFREEZE`` submissions (``graded`` counts from 0)
    everything is unfrozen first, and what died while frozen (a memo's entry
    dropped, if it was in a cycle) is freed too.
    """
    if graded % REFREEZE == REFREEZE - 1:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to the log
    import numpy as np

    from reference.compare.reports.summary import internal_row

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # as handgrad-compare: the grader's own warnings
        batch = setup(json.loads(sys.stdin.readline()))
        for graded, line in enumerate(sys.stdin):
            job = json.loads(line)
            start = time.perf_counter()
            try:
                result = grade_job(job, batch)
            except Exception as exc:  # noqa: BLE001 - the grader's own fault: this row only
                result = internal_row(job["id"], f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
            answers.write(json.dumps({"row": result}) + "\n")
            tidy(graded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
