"""A first run's second core: another process records properties from the end of the catalog.

A run with no examples kept for its seed draws every property under Hypothesis,
one after another on one core: most of a first run. What a passing property
draws on the trusted implementation is a record that stands for every
implementation (:mod:`reference.compare.reuse.shared`), so a single run with a
store starts this process (``shared.start_recorder``): it records the run's
properties that have no record, last first, on the trusted implementation in its
own process, and keeps each in the store. The run goes from the first; before
each property it looks in the store again (``Shared.recheck``), and replays what
this process kept, as a second run would. Where the two meet, a property may be
recorded twice (the same files, written atomically). The run stops this process
when its properties are done (``shared.stop_recorder``). The verdicts are a
replay's, which are a run's (tested in ``tests/compare/test_replay.py``); a
record that this process could not make is made by the run itself.

``python -m reference.compare.reuse.recorder`` reads one line of JSON on its
standard input (the store's folder, the properties, the settings) and records
until they are all kept or its standard input closes.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
from typing import Any

__all__ = ["record", "main"]

def _told_to_stop() -> bool:
    """Whether the run closed our standard input (it is done, or gone)."""
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable) and not sys.stdin.buffer.read1(1)


def record(job: dict[str, Any], stopping=_told_to_stop) -> list[str]:
    """Record ``job``'s properties, in its order, that the store has no record of; the ids recorded."""
    import pathlib

    from reference.compare.exercise.catalog import Context, by_id
    from reference.compare.reuse.records import Recording, record_name, recording
    from reference.compare.reuse.seeded_draws import import_all
    from reference.compare.reuse.store import Store
    from reference.compare.running.runner import run_property
    from reference.compare.sandbox import InProcessImpl, asking

    import_all()  # as the run: the same modules loaded, the same draws
    store, done = Store(pathlib.Path(job["folder"])), []
    options = {"max_examples": job["max_examples"], "seed": job["seed"], "shrink": job["shrink"]}
    with InProcessImpl(job["spec"]) as impl:
        ctx = Context(impl)
        for prop_id in job["ids"]:
            name = record_name(prop_id, **options)
            if stopping():
                break
            if store.load_record(name) is not None:  # the run keeps records too: never record one twice
                continue
            sink = Recording(kinks=tuple(ctx.kinks))  # as SharedCatalog records one: a pass that refused nothing
            with asking(impl, prop_id):
                result = run_property(recording(by_id(prop_id), sink), ctx, **options)
            if result.status == "pass" and not sink.refused:
                store.save_record(name, sink)
                done.append(prop_id)
    return done


def main() -> int:
    """The process :func:`start` starts: Hypothesis and JAX set up as the command sets them up, then :func:`record`."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a file being written is removed, not left half-done
    try:
        os.nice(1)  # the run's own thread comes first where both want a core
    except OSError:
        pass
    try:
        from hypothesis.configuration import set_hypothesis_home_dir

        from reference.compare.cache_folders import enable_jax_cache, hypothesis_dir
        from reference.compare.reuse.seeded_draws import without_explain

        set_hypothesis_home_dir(hypothesis_dir())
        without_explain()  # as the command: the same settings, the same draws
        enable_jax_cache()
        record(json.loads(sys.stdin.readline()))
    except Exception:  # noqa: BLE001 - an optimization only: the run records what is missing itself
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
