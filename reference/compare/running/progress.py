"""One progress bar with an ETA over a run: its properties, then its bulk sweep's problems (tqdm).

Quiet unless interactive: standard error is a terminal, or the code runs in a
Jupyter kernel; ``enabled=True`` (the command's ``--progress``) shows it
anyway, ``enabled=False`` never. In a terminal the bar goes to standard error;
in Jupyter it is a widget, and with no ipywidgets there is no bar at all
(tqdm's text bars would fill the cell's standard error).

>>> bars = Bars(properties=2, sweep=0, enabled=False)
>>> bars.property_done(type("R", (), {"id": "Q1", "status": "pass"})(), 1, 2)
>>> bars.close()
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from typing import Callable

from reference.compare.sandbox.interface import StandIn

__all__ = ["Bars", "interactive", "SweepCounter"]


def interactive() -> bool:
    """Standard error is a terminal, or this is a Jupyter kernel."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return _in_jupyter()


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return bool(get and type(get()).__name__ == "ZMQInteractiveShell")


def _bar(**kwargs):
    """A tqdm bar: a widget in Jupyter (None there without ipywidgets), text on standard error elsewhere."""
    if not _in_jupyter():
        from tqdm import tqdm

        return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)
    if importlib.util.find_spec("ipywidgets") is None:
        return None
    from tqdm.notebook import tqdm as widget

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm's notices about its notebook bar
        try:
            return widget(**kwargs)
        except ImportError:  # ipywidgets too old or broken: no bar rather than a cell of stderr
            return None


class SweepCounter(StandIn):
    """Stands for an Impl and counts the bulk sweep's problems as their batches come back."""

    def __init__(self, impl, on_batch: Callable[[int], None]) -> None:
        self.impl, self.on_batch = impl, on_batch

    def submit_sweep(self, batch: dict, calls: list):
        collect = self.impl.submit_sweep(batch, calls)

        def done():
            result = collect()
            self.on_batch(len(batch["dims"]))
            return result
        return done

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.impl.close()


class Bars:
    """One bar: a step per property, then a step per problem of the sweep."""

    def __init__(self, properties: int, sweep: int, *, enabled: bool | None = None) -> None:
        self.enabled = interactive() if enabled is None else enabled
        self.sweep, self.failed = sweep, 0
        self._bar = _bar(total=properties + sweep, desc="checking", unit="step") if self.enabled else None

    def property_done(self, result, i: int, total: int) -> None:
        """:func:`reference.compare.grade_one.grade`'s ``progress`` callback."""
        self.failed += result.status not in ("pass", "not-run")
        if self._bar is not None:
            self._bar.set_postfix_str(f"{result.id} {result.status}; {self.failed} not passing", refresh=False)
            self._bar.update(1)

    def sweep_batch(self, problems: int) -> None:
        if self._bar is not None and self.sweep:
            self._bar.set_postfix_str(f"bulk sweep; {self.failed} not passing", refresh=False)
            self._bar.update(min(problems, self._bar.total - self._bar.n))

    def opener(self, base: Callable) -> Callable:
        """``base`` (an opener for ``grade``) with the sweep counted."""
        def open_counted(spec, settings, deadline):
            impl = base(spec, settings, deadline)
            return impl if isinstance(impl, Exception) or self._bar is None else SweepCounter(impl, self.sweep_batch)
        return open_counted

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
