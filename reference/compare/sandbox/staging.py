"""What the worker is given: copies of the submission's folder and of its adapter file, in its own folder.

The worker runs contained, with its own folder as the one place it reads the
submission from: the submission file (a .py file or a notebook) comes with the
other files of its folder, hidden files and folders left behind; an adapter file
is copied beside it. A message from the worker names these copies; :meth:`Staged.shown`
names them again as the user did.

>>> import tempfile
>>> staged = stage(tempfile.mkdtemp(), "handgrad")
>>> staged.target, staged.options
('handgrad', [])
"""

from __future__ import annotations

import pathlib
import shutil
from dataclasses import dataclass, field

from reference.compare.sandbox.worker import is_path

__all__ = ["Staged", "stage"]


@dataclass
class Staged:
    """What the worker loads, with which options, and where each copy came from."""

    #: The worker's copy of the submission file, or a module name (imported as installed).
    target: str
    #: The worker's options after the socket and the target (``--adapter FILE``, ``--run-all-cells``).
    options: list[str] = field(default_factory=list)
    #: (a path in the worker's folder, the path the user gave), longest copy first.
    copies: list[tuple[str, str]] = field(default_factory=list)

    def shown(self, text: str) -> str:
        """``text`` with the worker's copies named as the user named them."""
        for copy, original in self.copies:
            text = text.replace(copy, original)
        return text


def stage(workdir: str, spec: str, *, adapter: pathlib.Path | None = None, run_all_cells: bool = False) -> Staged:
    """Copy the submission (when ``spec`` is a file) and the adapter file into ``workdir``."""
    staged = Staged(spec, ["--run-all-cells"] if run_all_cells else [])
    path = pathlib.Path(spec)
    if is_path(spec) and path.is_file():  # else: a module name, or a file the worker says does not exist
        home = pathlib.Path(workdir, "submission")
        shutil.copytree(path.parent, home, ignore=lambda d, names: [n for n in names if n.startswith(".")])
        staged.target = str(home / path.name)
        staged.copies.append((str(home), str(path.parent.resolve())))
    if adapter is not None:
        copy = pathlib.Path(workdir, "adapter", adapter.name)
        copy.parent.mkdir()
        shutil.copyfile(adapter, copy)
        staged.options += ["--adapter", str(copy)]
        staged.copies.insert(0, (str(copy), str(adapter)))
    return staged
