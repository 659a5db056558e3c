"""The examples of a seed, drawn once and kept on disk: a second run replays them.

A run records what each passing property drew (:mod:`reference.compare.reuse.shared`):
its examples, the calls its check made, the reference's answers for each; the
next run with the same code and settings replays them instead of drawing and
evaluating again, with the same verdicts. They are kept under the user's cache folder, never the working folder
(:func:`reference.compare.cache_folders.examples_dir`: ``~/.cache/handgrad/examples``,
or ``$HANDGRAD_EXAMPLES``); one sub-folder per version of the code (a
digest of handgrad's and the comparator's sources and of the versions of Python,
NumPy, JAX and Hypothesis), so a change of either never replays stale examples.
Sub-folders unused for 30 days are removed.

Per property, ``<id>.<examples>.<seed>.rec`` holds the examples and calls as
frames of plain data (:mod:`reference.compare.sandbox.wire`) and ``.evals`` the
reference's answers (evaluations and part A's arrays), raw; both are read back without unpickling anything, and a
file that does not read is ignored and replaced: about 17 MB for a default run.
The folder holds the reference's answers on those examples: a run hides it from
the submission's process (``Settings.hide``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pathlib
import platform
import shutil
import stat
import struct
import sys
import time
from typing import Any

import numpy as np

from reference.compare.exercise import EXERCISE
from reference.compare.reports.output import write_atomic
from reference.compare.reuse.evaluations_file import from_bytes, to_bytes
from reference.compare.sandbox import wire
from reference.engine import Evaluation

__all__ = ["code_digest", "Store", "for_run", "CHUNK", "cap", "evict", "DEFAULT_CAP", "usage"]

#: Examples per frame (a frame's description is capped at wire.HEADER_LIMIT).
CHUNK = 40
_TYPES = EXERCISE.types
_REBUILT = {EXERCISE.problem.__name__: EXERCISE.problem, "Evaluation": Evaluation}
_STALE = 30 * 86400
#: The examples kept, all seeds and versions together, at most (bytes; ``$HANDGRAD_EXAMPLES_MAX`` sets it, e.g.
#: ``500M``, ``4G``): about 95 MB a seed at the default settings, so ten seeds. Past it the least recently used
#: files go first (a file is used when it is written or replayed).
DEFAULT_CAP = 1 << 30


def cap(env: dict | None = None) -> int:
    """The cap on the examples kept, in bytes: ``$HANDGRAD_EXAMPLES_MAX`` or :data:`DEFAULT_CAP`.

    >>> cap({"HANDGRAD_EXAMPLES_MAX": "500M"}), cap({})
    (524288000, 1073741824)
    """
    text = (os.environ if env is None else env).get("HANDGRAD_EXAMPLES_MAX", "").strip()
    if not text:
        return DEFAULT_CAP
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    try:
        return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)
    except ValueError:
        return DEFAULT_CAP


def _files(root: pathlib.Path) -> list[tuple[float, int, pathlib.Path]]:
    """(last used, size, path) of every file kept under ``root``, links not followed."""
    out = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = pathlib.Path(folder, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((st.st_mtime, st.st_size, path))
    return out


def evict(root: pathlib.Path, most: int) -> int:
    """Remove the least recently used files under ``root`` until it holds at most ``most`` bytes; the bytes freed."""
    files = sorted(_files(root))
    total, freed = sum(size for _, size, _ in files), 0
    for _, size, path in files:
        if total - freed <= most:
            break
        try:
            path.unlink()
            freed += size
        except OSError:
            pass
    return freed


def _used(path: pathlib.Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


@functools.lru_cache(maxsize=None)
def code_digest() -> str:
    """What recorded examples depend on besides the settings: the sources and the libraries' versions."""
    import hypothesis
    import jax
    import numpy

    import handgrad
    import reference

    h = hashlib.sha256()
    for text in (handgrad.__version__, hypothesis.__version__, numpy.__version__, jax.__version__,
                 sys.version.split()[0], platform.machine(), str(_local(reference.__file__))):
        h.update(text.encode() + b"\0")
    for package in (handgrad, reference):
        root = pathlib.Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def _local(path: str) -> bool:
    """Whether Hypothesis draws constants from this file's source (see
    :func:`reference.compare.reuse.seeded_draws.import_all`)."""
    try:
        from hypothesis.internal.constants_ast import is_local_module_file

        return bool(is_local_module_file(path))
    except Exception:  # noqa: BLE001 - its rule, approximately
        return "/site-packages/" not in path


# -- plain data in, plain data out -----------------------------------------------------
def _rebuilt(value: Any) -> Any:
    """A decoded tree with the comparator's own named tuples (Problem, Evaluation) rebuilt as such."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        cls = _REBUILT.get(type(value).__name__)
        items = [_rebuilt(v) for v in value]
        if cls is not None and tuple(value._fields) == cls._fields:
            return cls(*items)
        return type(value)(*items)
    if isinstance(value, (tuple, list)):
        return type(value)(_rebuilt(v) for v in value)
    if isinstance(value, dict):
        return {k: _rebuilt(v) for k, v in value.items()}
    return value


def _parts(example: Any, path: tuple = (), out: dict | None = None) -> dict:
    """id → path of the arrays and tuples in an example (a call's arguments are often these very objects)."""
    out = {} if out is None else out
    if isinstance(example, (tuple, np.ndarray)) and len(path) <= 3:
        out.setdefault(id(example), path)
        if isinstance(example, tuple):
            for i, v in enumerate(example):
                _parts(v, path + (i,), out)
    return out


def _at(example: Any, path: list) -> Any:
    for i in path:
        example = example[i]
    return example


def _calls_out(example: Any, calls: list) -> list:
    parts = _parts(example)
    return [[name, [("ref", list(parts[id(a)])) if id(a) in parts else ("value", a) for a in args], kwargs]
            for name, args, kwargs in calls]


def _calls_in(example: Any, calls: list) -> list:
    return [(name, tuple(_at(example, v) if kind == "ref" else v for kind, v in args), dict(kwargs))
            for name, args, kwargs in calls]


def _frames(data: bytes) -> list[bytes]:
    """The frames one after another in ``data``."""
    out, at = [], 0
    while at < len(data):
        (hlen,) = struct.unpack_from("<Q", data, at)
        (blen,) = struct.unpack_from("<Q", data, at + 8 + hlen)
        out.append(data[at:at + 16 + hlen + blen])
        at += 16 + hlen + blen
    return out


class Store:
    """One folder of records and sweeps (see :class:`~reference.compare.reuse.shared.Shared`); failures are silent
    misses."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder

    def _read(self, name: str) -> list | None:
        try:
            data = (self.folder / name).read_bytes()
            _used(self.folder / name)
            return [_rebuilt(wire.decode(f, types=_TYPES)) for f in _frames(data)]
        except (OSError, struct.error, wire.WireError, TypeError, ValueError):
            return None

    def _save(self, name: str, chunks: list | bytes) -> None:
        try:
            first = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            data = chunks if isinstance(chunks, bytes) else b"".join(wire.encode(c) for c in chunks)
            write_atomic(data, str(self.folder / name))
            if first:
                _prune(self.folder.parent, keep=self.folder)
            evict(self.folder.parent, cap())
        except OSError:
            pass  # a cache is an optimization only

    def load_record(self, name: str):
        from reference.compare.reuse.shared import Recording

        chunks = self._read(name + ".rec")
        if not chunks:
            return None
        try:
            rec = Recording(kinks=tuple(chunks[0]["kinks"]))
            for c in chunks:
                rec.examples += c["examples"]
                rec.calls += [_calls_in(e, calls) for e, calls in zip(c["examples"], c["calls"])]
            rec.evaluations = self._evaluations(name, len(rec.examples))
        except (KeyError, TypeError, IndexError):
            return None
        return rec if len(rec.examples) == len(rec.evaluations) == len(rec.calls) else None

    def _evaluations(self, name: str, count: int) -> list:
        """The reference's evaluations kept for a record (None for each one not kept)."""
        try:
            data = (self.folder / (name + ".evals")).read_bytes()
            _used(self.folder / (name + ".evals"))
            out = from_bytes(data)
        except (OSError, ValueError, KeyError, TypeError, IndexError, StopIteration, struct.error):
            return [None] * count
        if len(out) != count:
            return [None] * count
        return [e if isinstance(e, dict) else None for e in out]  # {reference_memo.key: answer} per example

    def save_record(self, name: str, rec) -> None:
        chunks = [{"kinks": list(rec.kinks), "examples": rec.examples[i:i + CHUNK],
                   "calls": [_calls_out(e, c) for e, c in zip(rec.examples[i:i + CHUNK], rec.calls[i:i + CHUNK])]}
                  for i in range(0, len(rec.examples), CHUNK)]
        self._save(name + ".rec", chunks or [{"kinks": list(rec.kinks), "examples": [], "calls": []}])
        self.save_evaluations(name, rec)

    def save_evaluations(self, name: str, rec) -> None:
        """Keep a record's reference evaluations (where made, at the default kinks) beside it."""
        if tuple(rec.kinks) != (0.0, 0.0) or not any(e is not None for e in rec.evaluations):
            return
        try:
            data = to_bytes(rec.evaluations)
        except TypeError:
            return
        self._save(name + ".evals", data)

    def load_sweep(self, name: str, batches: list) -> list | None:
        """The reference's evaluations of a sweep's ``batches`` kept under ``name``, or None."""
        try:
            data = (self.folder / (name + ".sweep")).read_bytes()
            _used(self.folder / (name + ".sweep"))
            out = from_bytes(data)
            fits = len(out) == len(batches) and all(
                EXERCISE.sweep_fits(e, b) for e, b in zip(out, batches))
        except (OSError, ValueError, KeyError, TypeError, IndexError, StopIteration, struct.error):
            return None
        return out if fits else None

    def save_sweep(self, name: str, evaluations: list) -> None:
        """Keep a sweep's evaluations (all made, at the default kinks), raw: every run reads them."""
        try:
            data = to_bytes(evaluations, compress=False)
        except TypeError:
            return
        self._save(name + ".sweep", data)


def _prune(root: pathlib.Path, keep: pathlib.Path) -> None:
    """Remove the sub-folders of other versions of the code that were not used for 30 days."""
    for folder in root.iterdir():
        try:
            digest = len(folder.name) == 20 and all(c in "0123456789abcdef" for c in folder.name)
            if digest and folder != keep and folder.is_dir() and not folder.is_symlink() \
                    and time.time() - folder.stat().st_mtime > _STALE:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def for_run(settings: Any, *, enabled: bool = True) -> tuple[Any, Any]:
    """A single run's settings and catalog: examples replayed from the cache (None: run as usual).

    The cache folder is added to the folders the submission's process must not see.
    """
    from reference.compare.cache_folders import examples_dir
    from reference.compare.reuse.seeded_draws import import_all
    from reference.compare.reuse.shared import Shared, SharedCatalog

    import_all()  # with or without the cache, the same examples for a seed
    folder = examples_dir()
    _, _, target = settings.resolved()
    if not enabled or target:
        return settings, None
    store = Store(folder / code_digest())
    try:
        os.utime(store.folder)  # used: not pruned
    except OSError:
        pass
    return dataclasses.replace(settings, hide=tuple(settings.hide) + (str(folder),)), SharedCatalog(Shared(store))


def usage() -> list[tuple[str, pathlib.Path, int]]:
    """What the caches hold: (what, folder, bytes) for each of :mod:`reference.compare.cache_folders`' folders."""
    from reference.compare import cache_folders as c

    out = []
    folders = (("examples kept per seed", c.examples_dir()), ("JAX's compiled programs", c.jax_cache_dir()),
               ("Hypothesis's files", c.hypothesis_dir()), ("the workers' views", c.cache_root() / "view"),
               ("the workers' jails", c.cache_root() / "jail"))
    for what, folder in folders:
        out.append((what, folder, sum(size for _, size, _ in _files(folder)) if folder.is_dir() else 0))
    return out
