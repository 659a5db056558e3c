"""pytest for the whole repository: Hypothesis profiles; the handgrad plugin (``--handgrad-impl``, alias ``--impl``).

The plugin is what any project gets with ``pip install handgrad``; here it is loaded from the tree
unless pytest already loads it from an installed entry point.
"""

import os
from importlib.metadata import entry_points

from hypothesis import settings

from reference.compare.runner import register_profiles

register_profiles()
# --hypothesis-profile NAME overrides this; CI runs derandomized.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

PLUGIN = "reference.compare.pytest_plugin"
# Loaded here unless pytest loads it itself from an installed entry point (then loading it twice is an error).
_AUTOLOADED = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and any(
    ep.value == PLUGIN for ep in entry_points(group="pytest11"))
pytest_plugins = [] if _AUTOLOADED else [PLUGIN]


def pytest_addoption(parser):
    parser.addoption("--impl", action="append", default=[], dest="handgrad_impl", metavar="MODULE_OR_FILE",
                     help="the same as --handgrad-impl: run the property catalog on this implementation; repeatable")
