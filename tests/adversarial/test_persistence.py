"""One submission must not change the next one's grade: a .pth file in site-packages, a patched install."""

import pathlib
import site
import sysconfig

import pytest

from support import HONEST, attack, isolation_mode, strict_json

pytestmark = pytest.mark.skipif(
    isolation_mode() != "namespace",
    reason="without bubblewrap the worker runs as the grader's user and may write what it may write "
           "(README, Running untrusted code): this attack would succeed and corrupt this environment")

TARGETS = [pathlib.Path(sysconfig.get_paths()["purelib"]), *map(pathlib.Path, site.getsitepackages())]


def test_a_pth_file_planted_by_one_submission_does_not_reach_the_next(tmp_path):
    planted = [t / "zz_handgrad_attack.pth" for t in TARGETS]
    source = HONEST + f'''
for target in {[str(p) for p in planted]!r}:
    try:
        open(target, "w").write("import os; os.environ['PWNED'] = '1'\\n")
    except OSError:
        pass
try:
    import reference.compare.reports.formats as r
    open(r.__file__, "a").write("\\nraise SystemExit(0)\\n")
except OSError:
    pass

def sigmoid(x):
    return _h.sigmoid(x)
'''
    (tmp_path / "first").mkdir()
    attack(tmp_path / "first", source, "--property", "A1-sigmoid", "--examples", "2", "--sweep", "0")
    assert not any(p.exists() for p in planted)
    (tmp_path / "second").mkdir()
    done, report = attack(tmp_path / "second", "import sys\nsys.exit(3)\n", "--examples", "2", "--sweep", "0")
    assert done.returncode == 2 and "exit(3)" in done.stderr
    assert strict_json(report)["error"]
