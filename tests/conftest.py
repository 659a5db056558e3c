"""The implementations under test are not test modules: pytest does not import them. Which tests are slow.

The default ``pytest`` runs the checks themselves: the twins, the catalog on every bundled implementation
(each bug caught at its questions, each equivalent rewrite passing), diagnoses, shrinking, reports, the
layout. Tests that start the command, a class, an autograder, a notebook kernel or a sandboxed worker per
case are marked ``slow`` here, in one place, and run with ``pytest -m slow`` (CI runs both).
"""

import pathlib

import pytest

collect_ignore_glob = ["implementations/*"]

from support import write_solutions  # noqa: E402

write_solutions()  # the implementations' correct parts, before any of them is loaded

HERE = pathlib.Path(__file__).parent
#: Folders and files of end-to-end tests (each case a run of the command or of a worker).
SLOW = ("adversarial", "compare/test_batch.py", "compare/test_replay.py", "compare/test_autograder.py",
        "compare/test_autograder_install.py", "compare/test_api.py", "compare/test_cli.py",
        "compare/test_cli_options.py", "compare/test_example_notebook.py", "compare/test_pytest_plugin.py",
        "compare/test_self_checks.py", "compare/test_prairielearn.py", "compare/test_sandbox.py",
        "compare/test_wiring.py", "compare/test_adapters.py", "compare/test_report.py",
        "compare/test_python_adapters.py", "realworld", "test_definitions.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        try:
            where = pathlib.Path(str(item.path)).relative_to(HERE).as_posix()
        except ValueError:  # a doctest of the packages: fast
            continue
        if any(where == s or where.startswith(s + "/") for s in SLOW):
            item.add_marker(pytest.mark.slow)
