"""Progress bars with an ETA over a run's properties and its bulk sweep (tqdm; widgets in Jupyter).

Quiet unless interactive: standard error is a terminal, or the code runs in a
Jupyter kernel; ``enabled=True`` (the command's ``--progress``) shows them
anyway, ``enabled=False`` never. The bars go to standard error.

>>> bars = Bars(properties=2, sweep=0, enabled=False)
>>> bars.property_done(type("R", (), {"id": "A5", "status": "pass"})(), 1, 2)
>>> bars.close()
"""

from __future__ import annotations

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
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return bool(get and type(get()).__name__ == "ZMQInteractiveShell")


def _bar(**kwargs):
    """A tqdm bar: a widget in Jupyter when ipywidgets is there, text on standard error otherwise."""
    from tqdm import tqdm
    from tqdm.auto import tqdm as auto

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm.auto's experimental warning outside a notebook
        try:
            return auto(file=sys.stderr, dynamic_ncols=True, **kwargs)
        except ImportError:  # a notebook without ipywidgets
            return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


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
    """A bar over the properties, then one over the sweep's problems."""

    def __init__(self, properties: int, sweep: int, *, enabled: bool | None = None) -> None:
        self.enabled = interactive() if enabled is None else enabled
        self.sweep, self.failed = sweep, 0
        self._props = _bar(total=properties, desc="properties", unit="prop") if self.enabled else None
        self._sweep = None

    def property_done(self, result, i: int, total: int) -> None:
        """:func:`reference.compare.grade.grade`'s ``progress`` callback."""
        self.failed += result.status not in ("pass", "not-run")
        if self._props is not None:
            self._props.set_postfix_str(f"{result.id} {result.status}; {self.failed} not passing", refresh=False)
            self._props.update(1)

    def sweep_batch(self, problems: int) -> None:
        if not self.enabled or not self.sweep:
            return
        if self._sweep is None:
            self._sweep = _bar(total=self.sweep, desc="bulk sweep", unit="problem")
        self._sweep.update(min(problems, self._sweep.total - self._sweep.n))

    def opener(self, base: Callable) -> Callable:
        """``base`` (an opener for ``grade``) with the sweep counted."""
        def open_counted(spec, settings, deadline):
            impl = base(spec, settings, deadline)
            return impl if isinstance(impl, Exception) or not self.enabled else SweepCounter(impl, self.sweep_batch)
        return open_counted

    def close(self) -> None:
        for bar in (self._props, self._sweep):
            if bar is not None:
                bar.close()
        self._props = self._sweep = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
