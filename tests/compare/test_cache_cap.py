"""The examples kept have a cap: the least recently used files go first; --cache-info and --cache-clear."""

import os
import subprocess
import sys

from reference.compare.reuse.store import Store, cap, evict


def test_past_the_cap_the_least_recently_used_files_go_first(tmp_path):
    root = tmp_path / "examples"
    for i, name in enumerate(["old", "mid", "new"]):
        folder = root / f"{i:020x}"
        folder.mkdir(parents=True)
        (folder / f"{name}.rec").write_bytes(b"x" * 1000)
        os.utime(folder / f"{name}.rec", (1000 + i, 1000 + i))
    assert evict(root, 2500) == 1000
    assert sorted(p.name for p in root.rglob("*.rec")) == ["mid.rec", "new.rec"]
    assert evict(root, 5000) == 0  # under the cap: nothing goes


def test_a_file_replayed_counts_as_used(tmp_path):
    store = Store(tmp_path / "examples" / ("0" * 20))
    store._save("a.sweep", b"not a sweep")  # written: used now
    os.utime(store.folder / "a.sweep", (1000, 1000))
    assert store.load_sweep("a", []) is None  # read (even when it does not fit): used again
    assert (store.folder / "a.sweep").stat().st_mtime > 1000


def test_the_cap_is_read_from_the_environment_with_units():
    assert cap({"HANDGRAD_EXAMPLES_MAX": "2G"}) == 2 << 30 and cap({"HANDGRAD_EXAMPLES_MAX": "123"}) == 123
    assert cap({"HANDGRAD_EXAMPLES_MAX": "lots"}) == cap({}) == 1 << 30


def test_cache_info_shows_and_cache_clear_removes(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    kept = tmp_path / "handgrad" / "examples" / ("0" * 20)
    kept.mkdir(parents=True)
    (kept / "A5.20.0.rec").write_bytes(b"x" * (3 << 20))
    run = lambda *a: subprocess.run([sys.executable, "-m", "reference.compare.cli", *a], env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    info = run("--cache-info")
    assert info.returncode == 0 and "3.0 MiB" in info.stdout and "capped at 1024 MiB" in info.stdout
    cleared = run("--cache-clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout and not kept.exists()
