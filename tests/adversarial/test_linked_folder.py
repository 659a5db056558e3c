"""A folder linked to elsewhere on the host, beside a submission file, stages nothing (attack round 13,
`08_symlink_dir`).

The grader copies a submission file and the local modules it imports. Only the file's last path component was
checked for a link: ``keys -> /some/staff/folder`` beside the file, and ``import keys.course_secrets`` in dead
code, staged the staff's file (root's, mode 600) into the worker, whose code then showed it in the report; a link
to the installed answer key gave 32 of 32 with no line of the exercise written."""

import json
import os

from support import HONEST, attack, strict_json

SECRET = "TOKEN-4f1c9e"

#: d_tanh shows what the linked module holds, if it was staged; the import sits in dead code, so that the grader
#: stages it (it follows the submission's imports) without the file failing to load.
LEAKING = HONEST + '''
if False:
    import keys.course_secrets  # noqa: F401

def d_tanh(x):
    try:
        import keys.course_secrets as found
    except ImportError:
        return _h.d_tanh(x)
    raise RuntimeError("leaked " + found.TEXT)
'''


def test_a_folder_linked_beside_the_submission_is_not_staged(tmp_path):
    staff = tmp_path / "staff"
    staff.mkdir()
    (staff / "course_secrets.py").write_text(f"TEXT = {SECRET!r}\n")
    os.chmod(staff / "course_secrets.py", 0o600)
    student = tmp_path / "student"
    student.mkdir()
    os.symlink(staff, student / "keys")
    done, report = attack(student, LEAKING, "--property", "A4", "--examples", "3", "--sweep", "0")
    assert SECRET not in report and SECRET not in done.stdout + done.stderr
    data = strict_json(report)
    assert data["questions"]["A4"] == "pass", json.dumps(data["properties"][0])[:500]


def test_local_imports_never_follow_a_linked_folder(tmp_path):
    from reference.compare.submissions.local_modules import local_imports

    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "mod.py").write_text("X = 1\n")
    student = tmp_path / "student"
    (student / "pkg").mkdir(parents=True)
    (student / "pkg" / "__init__.py").write_text("")
    (student / "pkg" / "own.py").write_text("Y = 2\n")
    os.symlink(tmp_path / "elsewhere", student / "linked")
    os.symlink(tmp_path / "elsewhere", student / "pkg" / "inner")
    (student / "sub.py").write_text("import pkg.own\nimport linked.mod\nimport pkg.inner.mod\n")
    found = {p.relative_to(student).as_posix() for p in local_imports(student / "sub.py")}
    assert found == {"pkg/__init__.py", "pkg/own.py"}


def test_a_folder_swapped_for_a_link_while_it_is_copied_is_not_followed(tmp_path, monkeypatch):
    """Attack round 15 (`12_race_class`, `17_race_class_key`): a student writing into the graded folder swapped a
    sub-folder for a link to a host folder between its listing and its copy; the copy followed it (a secret in the
    class's reports; the installed answer key as the student's own package, 32 of 32). Every folder is now opened
    from its parent's descriptor without following a link."""
    import shutil

    from reference.compare.sandbox import staging

    secret = tmp_path / "host"
    secret.mkdir()
    (secret / "key.py").write_text(f"TEXT = {SECRET!r}\n")
    student = tmp_path / "student"
    (student / "pkg").mkdir(parents=True)
    (student / "pkg" / "own.py").write_text("Y = 2\n")
    (student / "sub.py").write_text("import pkg.own\n")
    listing, swapped = os.scandir, []

    def swapping(fd):  # the first listing is made; then the sub-folder becomes a link, as a racing student makes it
        entries = list(listing(fd))
        if not swapped:
            swapped.append(True)
            shutil.rmtree(student / "pkg")
            os.symlink(secret, student / "pkg")

        class Listed(list):
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False
        return Listed(entries)

    monkeypatch.setattr(staging.os, "scandir", swapping)
    staging.copy_folder(student, tmp_path / "copy")
    copied = [p.read_text() for p in (tmp_path / "copy").rglob("*.py")]
    assert swapped and not any(SECRET in text for text in copied), copied


def test_a_file_below_a_linked_folder_is_not_copied(tmp_path):
    """A local import copied from its path: every folder of the path below the submission's is opened without
    following a link (round 15's race between the import's check and its copy)."""
    from reference.compare.sandbox.staging import copy_file

    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "key.py").write_text(f"TEXT = {SECRET!r}\n")
    student = tmp_path / "student"
    student.mkdir()
    os.symlink(tmp_path / "host", student / "pkg")
    assert copy_file(student / "pkg" / "key.py", tmp_path / "out.py", below=student) is None
    assert not (tmp_path / "out.py").exists()


def test_a_file_that_grows_while_it_is_copied_is_copied_no_further_than_the_limit(tmp_path, monkeypatch):
    """Attack round 16 (`01_grow`): a file grown after the size check at its opening was copied to its end (1 GiB
    against a 256 MB limit, 6 GB written in a class). The copy stops past the limit."""
    import pytest

    from reference.compare.sandbox import staging

    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (3 << 20))
    real_fstat = os.fstat

    def small_at_opening(fd):  # the size at opening, before the student grew it
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, info.st_ino, info.st_dev, info.st_nlink, info.st_uid, info.st_gid, 10,
                               int(info.st_atime), int(info.st_mtime), int(info.st_ctime)))

    monkeypatch.setattr(staging.os, "fstat", small_at_opening)
    with pytest.raises(ValueError, match="MB"):
        staging.copy_file(source, tmp_path / "copy.bin", limit=1 << 20)
    assert (tmp_path / "copy.bin").stat().st_size <= (1 << 20) + 1
