"""pytest for the whole repository: Hypothesis profiles; the handgrad plugin (``--handgrad-impl``, alias ``--impl``).

The plugin is what any project gets with ``pip install handgrad``; here it is loaded from the tree,
and the installed entry point is blocked (``-p no:handgrad`` in pyproject.toml): loaded from
site-packages first, it would import handgrad and reference from there, and the doctests of the
tree's own modules would then not match the modules imported.
"""

import os

from hypothesis import settings

from reference.compare.running.runner import register_profiles

register_profiles()
# --hypothesis-profile NAME overrides this; CI runs derandomized.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["reference.compare.pytest_plugin"]


def pytest_addoption(parser):
    parser.addoption("--impl", action="append", default=[], dest="handgrad_impl", metavar="MODULE_OR_FILE",
                     help="the same as --handgrad-impl: run the property catalog on this implementation; repeatable")
