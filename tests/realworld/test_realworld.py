"""Public student implementations, each through its Python adapter: every real mistake fails its question,
and the questions they get right pass (manifest.toml). Their code is not committed (no licence): each test
skips, saying where to put the copy, when it is not there (README.md)."""

import pytest
from realworld_run import HERE, MANIFEST, adapter_lines, copy_of, differences, folder_of, verdicts


@pytest.mark.parametrize("key", list(MANIFEST))
def test_adapter_is_short(key):
    assert adapter_lines(HERE / "adapters" / MANIFEST[key]["adapter"]) <= 15


@pytest.mark.parametrize("key", list(MANIFEST))
def test_real_mistakes_found_at_their_questions(key):
    if copy_of(key) is None:
        entry = MANIFEST[key]
        pytest.skip(f"no copy of {entry['repository']} at {folder_of(key)} (fetch commit {entry['commit']}: "
                    "tests/realworld/README.md)")
    assert differences(key, verdicts(key)) == {}
