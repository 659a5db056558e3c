"""A ready Gradescope autograder: ``handgrad-compare --autograder DIR [run options]``.

Writes into DIR what Gradescope's autograder zip holds (zip DIR's contents):

- ``setup.sh``: run once when Gradescope builds the image: installs bubblewrap
  (best effort) and this package, from the source archive written beside it
  (``handgrad-<version>.tar.gz``), into a virtual environment
  ``$AUTOGRADER_ROOT/handgrad-venv`` (Python ≥ 3.11, installed with apt-get if missing),
  then the packages of ``requirements.txt``;
- ``requirements.txt``: the packages a submission may import, which its worker
  sees only when installed: those of ``--allow-package`` and ``--allow-import``, by
  default :data:`~reference.compare.sandbox.view.DEFAULT_PACKAGES` (SciPy,
  Matplotlib, pandas; NumPy comes with handgrad), so that a notebook that plots is
  graded;
- ``run_autograder``: run for each submission: checks the one ``.py`` or
  ``.ipynb`` file in ``$AUTOGRADER_ROOT/submission/`` (default ``/autograder``;
  with several, ``submission.py``, ``solution.py``, ``submission.ipynb`` or
  ``solution.ipynb``; its folder, the student's, goes with it: ``--whole-folder``) with
  ``handgrad-compare --format gradescope`` and writes
  ``$AUTOGRADER_ROOT/results/results.json``, always: when the grader cannot run,
  a results.json with score 0 that says so;
- ``handgrad-autograder.conf``: the run's options, one argument a line (read
  by ``run_autograder``; edit it to change them): ``--seed fresh`` unless
  ``--seed`` was given, so that each run draws a seed of its own, which the
  student cannot know (a pinned seed can be answered from a table of the
  grader's calls: docs/security.md); the adapter file copied
  beside it, and ``weights.toml``: the points of ``--weights`` (or of
  ./pyproject.toml's ``[tool.handgrad]``).

The grader ``run_autograder`` calls: ``$HANDGRAD_PYTHON -m reference.compare.cli``
when that is set (tests), else the virtual environment's ``handgrad-compare``,
else ``handgrad-compare`` on the PATH, else ``python3 -m reference.compare.cli``.
Gradescope's default time limit is 10 minutes: unless ``--total-timeout`` is
given, the configuration sets 480 s, so the report is written in time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import stat
import sys
import tarfile
from typing import Any

from reference.compare.options import FRESH

__all__ = ["autograder_main", "write_autograder", "requirements", "run_options", "weights_toml", "source_archive",
           "installed_wheel", "GRADESCOPE_TOTAL_TIMEOUT"]

GRADESCOPE_TOTAL_TIMEOUT = 480.0
#: The configuration's first lines.
CONF_HEADING = (
    "# handgrad-compare's options for run_autograder: one argument a line (lines starting with # are skipped).\n"
    "# --seed fresh: every run draws a seed of its own, shown in its report; a seed written here instead is the same\n"
    "# for every student, and the grader's calls for a known seed can be answered from a table (docs/security.md).\n")
_HERE = pathlib.Path(__file__).parent


def run_options(settings: Any, seed: int | str = FRESH) -> list[str]:
    """A run's settings as the command line's words (what ``handgrad-autograder.conf`` holds), with ``seed``: a
    pinned number, or :data:`~reference.compare.options.FRESH` (each run draws its own); ``settings.seed`` is not
    read."""
    from reference.compare.grade_one import DEFAULT_TOTAL_TIMEOUT

    total = GRADESCOPE_TOTAL_TIMEOUT if settings.total_timeout == DEFAULT_TOTAL_TIMEOUT else settings.total_timeout
    words = ["--seed", str(seed), "--convention", settings.convention, "--timeout", f"{settings.timeout:g}",
             "--total-timeout", f"{total:g}", "--memory-limit", str(settings.memory_limit)]
    for flag, value in (("--examples", settings.examples), ("--sweep", settings.sweep),
                        ("--profile", settings.profile)):
        if value is not None:
            words += [flag, str(value)]
    for name in settings.allow_import:
        words += ["--allow-import", name]
    for name in settings.allow_packages or ():
        words += ["--allow-package", name]
    if settings.run_all_cells:
        words.append("--run-all-cells")
    if settings.adapter and not os.path.isfile(settings.adapter):  # a bundled template, by name
        words += ["--adapter", settings.adapter]
    for prop in settings.properties:
        words += ["--property", prop]
    return words


def source_archive(dest: pathlib.Path) -> pathlib.Path | None:
    """This package's sources as an installable archive in ``dest`` (None when not run from a source tree)."""
    import handgrad

    root = pathlib.Path(handgrad.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "reference").is_dir():
        return None
    top = f"handgrad-{handgrad.__version__}"
    path = dest / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                tar.add(root / name, f"{top}/{name}")
        for package in ("handgrad", "reference"):
            for f in sorted((root / package).rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts and not f.name.endswith((".pyc", ".pyo")):
                    tar.add(f, f"{top}/{f.relative_to(root)}")
    return path


def installed_wheel(dest: pathlib.Path) -> pathlib.Path | None:
    """The installed handgrad packed again as a wheel in ``dest`` (its files as installed, a new RECORD), for a
    grader installed from a wheel or an sdist; None when it is not installed as a distribution."""
    import base64
    import csv
    import hashlib
    import importlib.metadata
    import io
    import zipfile

    try:
        dist = importlib.metadata.distribution("handgrad")
    except importlib.metadata.PackageNotFoundError:
        return None
    info = f"handgrad-{dist.version}.dist-info"
    left = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
    files = [f for f in dist.files or () if f.parts and f.parts[0] in ("handgrad", "reference", info)
             and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo") and f.name not in left]
    if not any(f.parts[0] == "reference" for f in files):
        return None
    path = dest / f"handgrad-{dist.version}-py3-none-any.whl"
    rows = io.StringIO()
    record = csv.writer(rows, lineterminator="\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for f in sorted(files, key=str):
            data = pathlib.Path(dist.locate_file(f)).read_bytes()
            wheel.writestr(f.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.writerow([f.as_posix(), f"sha256={digest}", len(data)])
        record.writerow([f"{info}/RECORD", "", ""])
        wheel.writestr(f"{info}/RECORD", rows.getvalue())
    return path


def _zipped(dest: pathlib.Path, names: list[str]) -> pathlib.Path:
    """``dest/autograder.zip``: these files at its root, as Gradescope takes an autograder."""
    import zipfile

    path = dest / "autograder.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            info = zipfile.ZipInfo.from_file(dest / name, name)
            info.external_attr = ((dest / name).stat().st_mode & 0xFFFF) << 16  # setup.sh stays executable
            z.writestr(info, (dest / name).read_bytes(), zipfile.ZIP_DEFLATED)
    return path


def _executable(path: pathlib.Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


#: requirements.txt's first lines.
REQUIREMENTS_HEADING = (
    "# The packages a submission may import (--allow-package, --allow-import; by default those of the manual),\n"
    "# which its worker sees only when installed: setup.sh installs them beside handgrad (NumPy comes with it).\n")


def requirements(packages: tuple[str, ...]) -> str:
    """requirements.txt for the packages a submission may import (``Settings.view_packages()``): each but NumPy,
    which handgrad requires (and pins), and never the answer key.

    >>> print(requirements(("numpy", "scipy", "matplotlib", "pandas")).splitlines()[2:])
    ['scipy', 'matplotlib', 'pandas']
    """
    kept = [p for p in dict.fromkeys(packages) if p.lower() not in ("numpy", "handgrad", "reference")]
    return REQUIREMENTS_HEADING + "".join(f"{p}\n" for p in kept)


def write_autograder(dest: pathlib.Path, options: list[str], *, files: dict[str, str] | None = None,
                     archive: bool = True, packages: tuple[str, ...] | None = None) -> list[str]:
    """Write the autograder into ``dest``; ``files`` maps an option (``--adapter``) to a file to copy and name;
    ``packages``: those a submission may import, installed by setup.sh (:func:`requirements`; default: the
    defaults of the worker's view).

    Returns the names written.
    """
    import handgrad
    from reference.compare.sandbox.view import DEFAULT_PACKAGES

    dest.mkdir(parents=True, exist_ok=True)
    options, copied = list(options), []
    for flag, source in (files or {}).items():
        name = flag.lstrip("-") + pathlib.Path(source).suffix
        shutil.copyfile(source, dest / name)
        options += [flag, name]
        copied.append(name)
    scripts = _HERE / "gradescope"
    _executable(dest / "setup.sh", (scripts / "setup.sh").read_text().replace("@VERSION@", handgrad.__version__))
    _executable(dest / "run_autograder", (scripts / "run_autograder").read_text())
    (dest / "handgrad-autograder.conf").write_text(CONF_HEADING + "".join(f"{w}\n" for w in options))
    (dest / "requirements.txt").write_text(requirements(DEFAULT_PACKAGES if packages is None else packages))
    written = ["setup.sh", "run_autograder", "handgrad-autograder.conf", "requirements.txt"]
    built = (source_archive(dest) or installed_wheel(dest)) if archive else None
    return written + [p.name for p in (built,) if p] + copied


def weights_toml(weights: Any) -> str:
    """A :class:`~reference.compare.reports.scoring.Weights` as the TOML ``--weights`` reads.

    >>> from reference.compare.reports.scoring import Weights
    >>> print(weights_toml(Weights({"Q7": 3.0}, {"inherited": 0.5}, {"Q8": "hidden"})), end="")
    [weights]
    Q7 = 3.0
    [credit]
    inherited = 0.5
    [visibility]
    Q8 = "hidden"
    """
    lines = []
    for table, values in (("weights", weights.weights), ("credit", weights.credits),
                          ("visibility", weights.visibility)):
        if values:
            lines.append(f"[{table}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "".join(f"{line}\n" for line in lines)


def autograder_main(args: argparse.Namespace, settings: Any, seed: int | str = FRESH) -> int:
    """``handgrad-compare --autograder DIR``: write the autograder; exit status 0, or 2 for bad options.

    The points are those of ``--weights`` (or of ./pyproject.toml's ``[tool.handgrad]``), written to
    ``weights.toml`` beside the scripts; an adapter file is copied there too. ``seed``: :data:`FRESH` (each run of
    run_autograder draws one), or a number pinned for every run, with a warning.
    """
    dest = pathlib.Path(args.autograder)
    files = {"--adapter": args.adapter} if args.adapter and os.path.isfile(args.adapter) else {}
    bad = None
    if dest.exists() and not dest.is_dir():
        bad = f"--autograder: {dest} is not a folder"
    elif not dest.exists() and not dest.absolute().parent.is_dir():
        bad = f"--autograder: the folder {dest.absolute().parent} does not exist"
    if bad:
        print(f"handgrad-compare: {bad}", file=sys.stderr)
        return 2
    try:
        written = write_autograder(dest, run_options(settings, seed), files=files, packages=settings.view_packages())
        if not any(name.endswith((".whl", ".tar.gz")) for name in written):
            print("handgrad-compare: --autograder: handgrad is neither installed as a distribution (pip install) nor "
                  "run from its source tree: there is no package for setup.sh to install", file=sys.stderr)
            return 2
        if getattr(args, "scoring", None) is not None:
            (dest / "weights.toml").write_text(weights_toml(args.scoring))
            with open(dest / "handgrad-autograder.conf", "a") as conf:
                conf.write("--weights\nweights.toml\n")
            written.append("weights.toml")
        zipped = _zipped(dest, written)
    except OSError as exc:
        print(f"handgrad-compare: --autograder: cannot write in {dest}: {exc.strerror}", file=sys.stderr)
        return 2
    if seed != FRESH:
        print(f"handgrad-compare: --autograder: warning: --seed {seed} is the seed of every run, and of every "
              f"student: the grader's calls for a known seed can be answered from a table recorded with the public "
              f"package (docs/security.md, Seeds); without --seed each run draws its own", file=sys.stderr)
    print(f"handgrad-compare: autograder written to {dest} ({', '.join(written)}); upload {zipped} to "
          f"Gradescope", file=sys.stderr)
    return 0
