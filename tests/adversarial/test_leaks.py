"""Nothing leaks between the two sides: working directory, environment, sys.path."""

import os
import subprocess
import sys

from support import HONEST, ROOT, attack, strict_json


def test_the_worker_sees_neither_the_graders_folder_nor_its_environment(tmp_path):
    source = HONEST + '''
import os, sys
def sign(x):
    raise RuntimeError(f"cwd={os.getcwd()} secret={os.environ.get('HANDGRAD_TEST_SECRET')} "
                       f"path0={sys.path[0]} files={sorted(os.listdir('.'))[:5]} "
                       f"blas={os.environ.get('OPENBLAS_NUM_THREADS')}")
'''
    env = dict(os.environ, HANDGRAD_TEST_SECRET="s3cr3t-value", PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="8")
    grader = tmp_path / "grader"
    grader.mkdir()
    (grader / "grader-only.txt").write_text("private")
    done, report = attack(tmp_path, source, "--property", "A5", "--examples", "2", "--sweep", "0", env=env,
                          cwd=grader)
    message = strict_json(report)["properties"][0]["message"]
    assert "s3cr3t-value" not in message and "secret=None" in message
    assert f"cwd={grader}" not in message and "grader-only.txt" not in message
    assert "path0=" in message and f"path0={grader}" not in message
    assert "blas=1" in message  # one BLAS thread, whatever the grader's environment says


def test_modules_planted_in_the_graders_folder_change_nothing(tmp_path):
    for name in ("numpy", "types", "handgrad", "json"):
        (tmp_path / f"{name}.py").write_text("raise SystemExit('planted module imported')\n")
    out = tmp_path / "report.json"
    # -P: the grader itself started without its working folder on sys.path, as the installed command is
    done = subprocess.run([sys.executable, "-P", "-m", "reference.compare.cli", "--impl", "handgrad",
                           "--property", "A5", "--property", "B7", "--examples", "3", "--sweep", "0",
                           "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    assert strict_json(out.read_text())["summary"]["failed"] == 0
