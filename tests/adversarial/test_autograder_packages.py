"""The Gradescope autograder installs the packages a submission may import.

Attack round 6: a correct notebook with ``import matplotlib.pyplot as plt`` scored 0 on Gradescope: the setup.sh
that ``--autograder`` writes installed handgrad alone, though the manual lists Matplotlib among the packages a
submission may import by default (its worker sees a package only when installed).
"""

import os
import shutil
import subprocess

import pytest

from support import compare


def test_the_autograder_lists_the_default_packages_for_setup_sh(tmp_path):
    done = compare("--autograder", str(tmp_path / "ag"), "--examples", "3")
    assert done.returncode == 0, done.stderr
    wanted = [w for w in (tmp_path / "ag" / "requirements.txt").read_text().splitlines() if not w.startswith("#")]
    assert {"matplotlib", "scipy", "pandas"} <= set(wanted) and "numpy" not in wanted  # numpy: handgrad's pin
    import zipfile

    with zipfile.ZipFile(tmp_path / "ag" / "autograder.zip") as z:
        assert "requirements.txt" in z.namelist()
    done = compare("--autograder", str(tmp_path / "own"), "--allow-package", "scipy")  # a course's own list
    assert done.returncode == 0, done.stderr
    assert [w for w in (tmp_path / "own" / "requirements.txt").read_text().splitlines()
            if not w.startswith("#")] == ["scipy"]


def _fake(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + text)
    path.chmod(0o755)


@pytest.mark.skipif(shutil.which("bash") is None, reason="setup.sh is a bash script")
def test_setup_sh_installs_them_beside_handgrad(tmp_path):
    import handgrad
    from reference.compare.classroom.autograder import write_autograder

    ag, root = tmp_path / "ag", tmp_path / "root"
    write_autograder(ag, ["--examples", "3"], archive=False)
    (ag / f"handgrad-{handgrad.__version__}.tar.gz").write_bytes(b"")  # what setup.sh installs handgrad from
    log = tmp_path / "calls.log"
    # a virtual environment whose python says which pip installs it was asked for (nothing is installed)
    _fake(root / "handgrad-venv" / "bin" / "python", f'[ "$1" = -c ] && exit 0\necho "$*" >> {log}\n')
    _fake(root / "handgrad-venv" / "bin" / "handgrad-compare", "exit 0\n")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "HANDGRAD_NO_APT": "1"}
    done = subprocess.run(["bash", str(ag / "setup.sh")], cwd=ag, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert any(c.endswith(f"handgrad-{handgrad.__version__}.tar.gz") for c in calls), calls
    assert any("-m pip install" in c and c.endswith("-r ./requirements.txt") for c in calls), calls
