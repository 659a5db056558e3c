"""A submission file's worker is given the file and the local modules it imports, not its whole folder: graded one
file at a time from a folder of the class's files, a student imported a classmate's file by a computed name and
scored as the classmate did (round 3, attack 5)."""

import json
import subprocess

from support import CLI, HONEST

#: No work of her own: imports whichever .py beside her defines the API (a name computed at run time).
ALICE = '''
import glob, importlib, os
for _f in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "*.py"))):
    _name = os.path.basename(_f)[:-3]
    if _name != "alice":
        _m = importlib.import_module(_name)
        if hasattr(_m, "sign"):
            globals().update({k: getattr(_m, k) for k in dir(_m) if not k.startswith("__")})
            break
'''
ARGS = ["--property", "A5", "--examples", "3", "--sweep", "0", "--format", "json"]


def _grading_folder(tmp_path):
    """The grader's folder of the class's files: bob's (his work in helper modules, one in a package of his,
    imported as written) and alice's."""
    grading = tmp_path / "grading"
    (grading / "bobs").mkdir(parents=True)
    (grading / "bobs" / "__init__.py").write_text("")
    (grading / "bobs" / "work.py").write_text(HONEST)
    (grading / "hg_bob.py").write_text("from bobs.work import *\n")
    (grading / "bob.py").write_text("from hg_bob import *\n")
    (grading / "alice.py").write_text(ALICE)
    return grading


def _grade(tmp_path, name, *extra):
    out = tmp_path / f"{name}.json"
    done = subprocess.run(CLI + ["--impl", f"grading/{name}.py", *ARGS, "--output", str(out), *extra],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return done, json.loads(out.read_text())


def test_a_file_beside_a_classmates_correct_file_gets_nothing_of_it(tmp_path):
    _grading_folder(tmp_path)
    done, report = _grade(tmp_path, "alice")
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])  # nothing of hers loads
    assert report["questions"].get("A5") != "pass", report
    assert "other .py files beside it" in report["error"], report["error"]


def test_the_local_modules_a_file_imports_go_with_it(tmp_path):
    _grading_folder(tmp_path)
    done, report = _grade(tmp_path, "bob")  # bob.py -> hg_bob.py -> bobs/__init__.py, bobs/work.py
    assert done.returncode == 0, done.stderr[-2000:]
    assert report["questions"]["A5"] == "pass"


def test_a_folder_that_is_the_submissions_own_is_given_whole(tmp_path):
    _grading_folder(tmp_path)
    done, report = _grade(tmp_path, "alice", "--whole-folder")  # what Gradescope's autograder says of its folder
    assert done.returncode == 0, done.stderr[-2000:]
    assert report["questions"]["A5"] == "pass"


def test_local_imports_are_found_in_the_sources_transitively_and_nothing_else(tmp_path):
    from reference.compare.sandbox.staging import local_imports

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "main.py").write_text("import helpers\nfrom pkg.sub import deep\nimport importlib\n"
                                      "importlib.import_module('named')\nimportlib.import_module(NAME)\nimport numpy\n")
    (tmp_path / "helpers.py").write_text("import util\n")
    (tmp_path / "util.py").write_text("")
    (tmp_path / "named.py").write_text("")
    (tmp_path / "pkg" / "__init__.py").write_text("from .sib import y\n")
    (tmp_path / "pkg" / "sib.py").write_text("y = 1\n")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "deep.py").write_text("from .. import sib\n")
    (tmp_path / "classmate.py").write_text("")  # imported by no one: left out
    (tmp_path / "linked.py").symlink_to(tmp_path / "util.py")
    (tmp_path / "helpers.py").write_text("import util\nimport linked\n")  # a link is not followed
    got = sorted(str(p.relative_to(tmp_path)) for p in local_imports(tmp_path / "main.py"))
    assert got == ["helpers.py", "named.py", "pkg/__init__.py", "pkg/sib.py", "pkg/sub/__init__.py",
                   "pkg/sub/deep.py", "util.py"]
