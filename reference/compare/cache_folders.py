"""Where handgrad keeps what it caches: the user's cache folder, never the working directory.

- ``$XDG_CACHE_HOME/handgrad`` (``~/.cache/handgrad`` when unset) is the root;
- ``jax/`` under it holds JAX's persistent compilation cache (``$HANDGRAD_CACHE`` overrides that folder);
- ``hypothesis/`` under it is Hypothesis's storage directory (``$HYPOTHESIS_STORAGE_DIRECTORY``
  overrides it), where Hypothesis would otherwise write ``.hypothesis/`` in the working folder;
- ``examples/`` under it keeps the examples a seed draws, replayed by the next run
  (:mod:`reference.compare.reuse.store`; ``$HANDGRAD_EXAMPLES`` overrides it).

>>> cache_root({"XDG_CACHE_HOME": "/c"}).as_posix(), jax_cache_dir({"XDG_CACHE_HOME": "/c"}).as_posix()
('/c/handgrad', '/c/handgrad/jax')
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from typing import Iterator, Mapping

__all__ = ["cache_root", "jax_cache_dir", "hypothesis_dir", "examples_dir", "enable_jax_cache", "hypothesis_home",
           "describe"]


def cache_root(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """The folder handgrad's caches live under."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base, "handgrad")


def jax_cache_dir(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """JAX's persistent compilation cache for the command (the Python API leaves JAX's configuration alone)."""
    env = os.environ if env is None else env
    return pathlib.Path(env["HANDGRAD_CACHE"]) if env.get("HANDGRAD_CACHE") else cache_root(env) / "jax"


def hypothesis_dir(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """Hypothesis's storage directory during a run."""
    env = os.environ if env is None else env
    where = env.get("HYPOTHESIS_STORAGE_DIRECTORY")
    return pathlib.Path(where) if where else cache_root(env) / "hypothesis"


def examples_dir(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """Where the examples drawn for a seed are kept between runs."""
    env = os.environ if env is None else env
    where = env.get("HANDGRAD_EXAMPLES")
    return pathlib.Path(where).absolute() if where else cache_root(env).absolute() / "examples"


def enable_jax_cache() -> None:
    """The catalog compiles a few fixed bucket shapes: JAX's persistent cache makes later runs start fast.

    Set by the command and the batch's grading processes only (the Python API leaves JAX's configuration alone).
    """
    import jax

    path = str(jax_cache_dir())
    try:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except Exception:  # noqa: BLE001 - a cache is an optimization only
        pass


def describe() -> str:
    """One sentence for ``--help``: the folders, as they are on this machine."""
    return (f"Caches live in {cache_root()} (JAX's compiled programs in {jax_cache_dir()}, Hypothesis's files in "
            f"{hypothesis_dir()}, the examples kept per seed in {examples_dir()}), never in the working folder; "
            f"$XDG_CACHE_HOME, $HANDGRAD_CACHE, $HYPOTHESIS_STORAGE_DIRECTORY and $HANDGRAD_EXAMPLES move them.")


@contextlib.contextmanager
def hypothesis_home() -> Iterator[pathlib.Path]:
    """Hypothesis stores its files under :func:`hypothesis_dir` inside the block; what it had is restored after."""
    import hypothesis.configuration as configuration

    saved = vars(configuration).get("__hypothesis_home_directory")
    path = hypothesis_dir()
    configuration.set_hypothesis_home_dir(path)
    try:
        yield path
    finally:
        configuration.set_hypothesis_home_dir(saved)
