"""Grading a class: every submission in a folder, in parallel, into one folder of reports and ``grades.csv``.

    handgrad-compare --submissions DIR --output-dir OUT [--jobs N] [--format F ...] [--resume] [run options]

A submission is an entry of DIR: a ``.py`` file, a ``.ipynb`` notebook, or a
folder holding one (with its own helper modules); its id is its name without
``.py``/``.ipynb``, unique and the same in every run (:func:`submission_ids`).
Each gets its reports ``OUT/reports/<id>/report.<ext>`` (``--format``,
repeatable, default json), a row in ``OUT/grades.csv`` and its place in the
class summary (``OUT/summary.txt``, ``OUT/summary.md``):
:mod:`reference.compare.summary`. An entry that is a link, a FIFO or unreadable
is a ``cannot-load`` row, and so is one that holds more than its worker may be
given (:func:`over_limit`), told by its files' sizes before anything is read.

Each submission is checked by :func:`reference.compare.grade.grade`, as
``--impl`` would check it alone, with the examples drawn once for the class and
replayed to each (:mod:`reference.compare.replay`): the same verdicts and
counterexamples as a run alone with the same seed, whatever the order or the
number of jobs. ``--jobs`` grading processes (default: the cores) take the
submissions in turn (:mod:`reference.compare.batch_pool`); each submission runs
in its own contained worker, which sees neither DIR, OUT nor the other
submissions. ``--resume`` skips a submission whose reports are there for the
same tool, code, settings, points and file contents (a fingerprint beside them,
``graded.json``; the files are read in chunks: :func:`content_hash`). The
grading processes' logs go to ``OUT/.batch/``.

Exit status: 0 every submission graded (whatever its verdicts: see grades.csv);
2 bad options (before any work); 3 the grader failed on a submission (its row
says ``internal``), or on the batch; 130 interrupted (what was graded is kept:
``--resume``). But for 2, grades.csv and the summary are written, with what was
graded.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import hashlib
import json
import os
import pathlib
import stat
import sys
import tempfile
import time
from typing import Any, Iterator

from reference.compare.sandbox.staging import _COMPILED, MAX_BYTES, MAX_FILES

__all__ = ["Submission", "report_path", "state_path", "find_submissions", "submission_ids", "printable", "utf8",
           "over_limit", "content_hash", "fingerprint",
           "batch_main", "weights_to_json",
           "EXTENSIONS", "settings_to_json", "settings_from_json"]

#: A report's file extension by format.
EXTENSIONS = {"json": "json", "text": "txt", "markdown": "md", "gradescope": "gradescope.json", "html": "html"}
_KINDS = (".py", ".ipynb")
#: The longest id, in bytes of UTF-8: it names a folder of reports (file systems allow 255).
_MAX_ID = 200
#: Bytes of a file read at a time to fingerprint it.
_CHUNK = 1 << 20


@dataclasses.dataclass
class Submission:
    """One entry of the submissions folder: its id, the entry, the file to check (or why there is none)."""

    id: str
    entry: pathlib.Path
    target: pathlib.Path | None
    error: str = ""


def report_path(out: pathlib.Path, sub_id: str, fmt: str) -> pathlib.Path:
    """Where a submission's report in ``fmt`` goes: ``OUT/reports/<id>/report.<ext>``."""
    return out / "reports" / sub_id / f"report.{EXTENSIONS.get(fmt, fmt)}"


def state_path(out: pathlib.Path, sub_id: str) -> pathlib.Path:
    """Where a graded submission's fingerprint and row are kept (for ``--resume``)."""
    return out / "reports" / sub_id / "graded.json"


def _target(entry: pathlib.Path) -> tuple[pathlib.Path | None, str]:
    """The file to check in a submission: the file itself, or the one .py or .ipynb file of a folder; or None and
    why not, on one line."""
    shown = printable(str(entry))
    try:
        if entry.is_symlink():
            return None, f"{shown}: a symbolic link: not graded (put the submission itself in the folder)"
        if entry.is_file():
            os.close(os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK))  # it can be read
            return entry, ""
        if not entry.is_dir():
            return None, f"{shown}: neither a regular file nor a folder: not graded"
        found = sorted(p for p in entry.iterdir() if p.suffix in _KINDS and p.is_file() and not p.is_symlink()
                       and not p.name.startswith((".", "_")))
    except OSError as exc:
        return None, f"{shown}: cannot be read ({exc.strerror})"
    if len(found) == 1:
        return found[0], ""
    for name in ("submission.py", "solution.py", "submission.ipynb", "solution.ipynb"):
        if (entry / name).is_file():
            return entry / name, ""
    what = ", ".join(printable(p.name) for p in found) or "none"
    return None, f"{shown}: a submission folder must hold one .py or .ipynb file to check (found: {what})"


def utf8(text: str) -> str:
    """``text`` as UTF-8 can hold it: a byte of a file name that is not UTF-8 (a lone surrogate to Python) as
    ``\\xff`` (and, should it hold any other lone surrogate, every surrogate as ``\\udc80``)."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def printable(text: str) -> str:
    """``text`` on one line, as UTF-8 can hold it (:func:`utf8`): a control character as its escape (``\\n``)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in utf8(text))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def _label(name: str, tag: str = "") -> str:
    """An id made of ``name`` (:func:`printable`) and ``tag``; a name too long for a folder is cut, and a digest
    of the whole added."""
    text, most = printable(name), _MAX_ID - len(tag.encode())
    if len(text.encode()) > most:
        text = text.encode()[:most - 9].decode("utf-8", "ignore") + "~" + _digest(text.encode())
    return text + tag


def _shared(ids: list[str]) -> list[int]:
    """The places of ``ids`` that hold an id held more than once."""
    counts = collections.Counter(ids)
    return [i for i, x in enumerate(ids) if counts[x] > 1]


def submission_ids(entries: list[pathlib.Path]) -> list[str]:
    """The ids of the entries of a submissions folder: unique, and the same in every run.

    An id is the entry's name without ``.py``/``.ipynb``, printable (a byte that
    is not UTF-8 as ``\\xff``, a newline as ``\\n``); the whole name when that
    is another's id too (``d.py``, ``d.ipynb`` and ``d.py.py`` are all three
    whole); and when even whole names print alike, a digest of the name's bytes
    after ``~``.

    >>> submission_ids([pathlib.Path(n) for n in ("ada.py", "d.ipynb", "d.py", "d.py.py")])
    ['ada', 'd.ipynb', 'd.py', 'd.py.py']
    """
    names = [_label(p.name) for p in entries]
    ids = [name if p.is_dir() else _label(p.stem) for p, name in zip(entries, names)]
    while longer := [i for i in _shared(ids) if ids[i] != names[i]]:
        for i in longer:
            ids[i] = names[i]
    for i in _shared(ids):
        ids[i] = _label(entries[i].name, "~" + _digest(os.fsencode(entries[i].name)))
    return ids


def _resolved(path: pathlib.Path) -> pathlib.Path:
    """``path`` with its links resolved; as it is when they cannot be (a link to itself)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def find_submissions(folder: pathlib.Path, *, exclude: tuple[pathlib.Path, ...] = ()) -> list[Submission]:
    """The submissions in ``folder``, in order of name, with their ids (:func:`submission_ids`); hidden entries,
    ``__pycache__`` and ``exclude`` skipped. One that holds more than its worker may be given
    (:func:`over_limit`) is not graded."""
    skip = {_resolved(p) for p in exclude}
    entries = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".") and p.name != "__pycache__"
               and (p.is_dir() or p.suffix in _KINDS) and _resolved(p) not in skip]
    out = []
    for entry, sub_id in zip(entries, submission_ids(entries)):
        target, error = _target(entry)
        beyond = over_limit(entry) if target is not None else ""
        if beyond:
            target, error = None, (f"{printable(str(entry))}: {beyond}: not graded (a submission may hold at "
                                   f"most {MAX_FILES} files and {MAX_BYTES >> 20} MB)")
        out.append(Submission(sub_id, entry, target, error))
    return out


def _worker_files(entry: pathlib.Path) -> Iterator[tuple[pathlib.Path, os.stat_result]]:
    """The files of a submission that its worker is given, with their ``lstat``, in a fixed order.

    Staging's rule (:mod:`reference.compare.sandbox.staging`): regular files,
    no hidden ones, no ``__pycache__`` or compiled code, and no link followed;
    a folder that cannot be read is passed over, as staging passes it over.
    OSError when ``entry`` itself cannot be looked at.
    """
    top = os.lstat(entry)
    if stat.S_ISREG(top.st_mode):
        yield entry, top
    if not stat.S_ISDIR(top.st_mode):
        return
    folders = [entry]
    while folders:  # depth first, without recursion: a folder may be nested deeper than Python recurses
        folder, below = folders.pop(), []
        try:
            with os.scandir(folder) as listing:
                found = sorted(((e.name, e.stat(follow_symlinks=False)) for e in listing
                                if not e.name.startswith(".")), key=lambda item: item[0])
        except OSError:
            continue
        for name, info in found:
            if stat.S_ISDIR(info.st_mode) and name != "__pycache__":
                below.append(folder / name)
            elif stat.S_ISREG(info.st_mode) and not name.endswith(_COMPILED):
                yield folder / name, info
        folders += reversed(below)


def over_limit(entry: pathlib.Path) -> str:
    """What a submission holds beyond what its worker may be given (staging's ``MAX_FILES`` files and
    ``MAX_BYTES`` bytes), or ""; told from the files' sizes: none is read."""
    files = size = 0
    try:
        for _, info in _worker_files(entry):
            files, size = files + 1, size + info.st_size
            if files > MAX_FILES:
                return f"more than {MAX_FILES} files"
            if size > MAX_BYTES:
                return f"more than {MAX_BYTES >> 20} MB in its files"
    except OSError:  # what cannot be read is said when it is graded
        pass
    return ""


def _hash_file(h: Any, path: pathlib.Path, most: int) -> int:
    """Feed ``h`` the regular file ``path``, at most ``most`` bytes, in chunks; how many were read.

    Opened without following a link; OSError when it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        read = 0
        if stat.S_ISREG(os.fstat(fd).st_mode):  # else it changed since it was listed: nothing to read
            while read < most and (chunk := os.read(fd, min(_CHUNK, most - read))):
                h.update(chunk)
                read += len(chunk)
        return read
    finally:
        os.close(fd)


def content_hash(entry: pathlib.Path) -> str:
    """A digest of what a submission's worker is given: each file's path and contents, read in chunks.

    No link is followed, and no more than ``MAX_BYTES`` is read. A submission
    over the limit (:func:`over_limit`; it is not graded) is told by its files'
    paths, sizes and times: none is read.
    """
    h, whole, left = hashlib.sha256(), not over_limit(entry), MAX_BYTES
    try:
        for path, info in _worker_files(entry):
            h.update(os.fsencode(path.relative_to(entry.parent)) + b"\0")
            if whole:
                left -= _hash_file(h, path, left)
            else:
                h.update(f"{info.st_size} {info.st_mtime_ns}".encode())
            h.update(b"\0")
    except OSError as exc:  # graded as it is (it will not load); its row is redone next time
        h.update(f"unreadable {time.time()} {exc}".encode("utf-8", "backslashreplace"))
    return h.hexdigest()


def weights_to_json(weights: Any) -> dict | None:
    """``--weights`` (a :class:`~reference.compare.scoring.Weights`, or None) as plain data for the grading
    processes."""
    return None if weights is None else dataclasses.asdict(weights)


def settings_to_json(settings: Any) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(settings), default=str))


def settings_from_json(data: dict) -> Any:
    from reference.compare.grade import Settings

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
    from reference.compare.progress import interactive

    if not total or not (interactive() if enabled is None else enabled):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", file=sys.stderr, dynamic_ncols=True)


def _prepare(settings: Any, props: list, store_folder: pathlib.Path) -> list[str]:
    """Draw the examples the class shares (those not kept already), on handgrad; the properties left unshared."""
    from reference.compare.examples_cache import Store
    from reference.compare.replay import Shared

    examples, sweep, target = settings.resolved()
    if target:  # the examples of a targeted run depend on the implementation: each submission draws its own
        return [p.id for p in props]
    return Shared(Store(store_folder)).prepare(props, max_examples=examples, seed=settings.seed, sweep=sweep)


def _grade_all(args: argparse.Namespace, settings: Any, subs: list[Submission], prints: dict, formats: list[str],
               props: list, rows: list[dict]) -> None:
    """Grade ``subs`` in parallel; their rows appended to ``rows`` as they come (kept if interrupted)."""
    from reference.compare.batch_pool import MARGIN, Pool
    from reference.compare.cache import examples_dir
    from reference.compare.examples_cache import code_digest

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


def _finish(out: pathlib.Path, rows: list[dict], columns: list[str], heading: str, weights: Any) -> None:
    """grades.csv and the class summary, in UTF-8 whatever a row says (:func:`utf8`)."""
    from reference.compare.output import write_atomic
    from reference.compare.summary import class_summary, write_csv

    write_atomic(utf8(write_csv(rows, columns)), str(out / "grades.csv"))
    for name, fmt in (("summary.txt", "text"), ("summary.md", "markdown")):
        write_atomic(utf8(class_summary(rows, columns, heading=heading, fmt=fmt, weights=weights)), str(out / name))


def batch_main(args: argparse.Namespace, settings: Any) -> int:
    """``handgrad-compare --submissions``: grade every submission; returns the exit status."""
    bad = _bad_options(args)
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2
    from reference.compare.cache import enable_jax_cache
    from reference.compare.catalog import select
    from reference.compare.drawing import without_explain
    from reference.compare.examples_cache import code_digest

    start = time.perf_counter()
    enable_jax_cache()
    without_explain()
    out, formats = pathlib.Path(args.output_dir), list(dict.fromkeys(getattr(args, "formats", None) or ["json"]))
    subs = find_submissions(pathlib.Path(args.submissions), exclude=(out,))
    props = list(select(list(settings.properties) or None))
    weights = getattr(args, "scoring", None)
    prints = {s.id: fingerprint(s, settings, formats, code_digest(), weights) for s in subs}
    resumed = _resumed(subs, out, prints, formats) if args.resume else {}
    rows, status = list(resumed.values()), 0
    examples, sweep, _ = settings.resolved()
    try:
        _grade_all(args, settings, [s for s in subs if s.id not in resumed], prints, formats, props, rows)
    except KeyboardInterrupt:
        print("handgrad-compare: interrupted; what was graded is kept (--resume goes on)", file=sys.stderr)
        status = 130
    finally:  # what was graded is written, whatever stopped the rest
        _finish(out, rows, list(dict.fromkeys(p.question for p in props)),
                f"seed {settings.seed}, {examples} examples per property, sweep {sweep}", weights)
    counts = {k: sum(r["status"] == k for r in rows) for k in ("ok", "failed", "cannot-load", "integrity", "internal")}
    print(f"handgrad-compare: {len(rows)} of {len(subs)} submissions graded ({len(resumed)} up to date) in "
          f"{time.perf_counter() - start:.0f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)
          + f"; grades in {out / 'grades.csv'}", file=sys.stderr)
    return status or (3 if counts["internal"] else 0)
