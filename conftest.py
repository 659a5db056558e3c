"""pytest options for the whole repository (kept at the root so ``--impl`` works from anywhere)."""

import os

from hypothesis import settings

from reference.compare.runner import register_profiles

register_profiles()
# --hypothesis-profile NAME overrides this; CI runs derandomized.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser):
    parser.addoption(
        "--impl", action="append", default=[], metavar="MODULE_OR_FILE",
        help="also run the property catalog on this implementation (module name or .py path); repeatable",
    )
