"""Check each public implementation of manifest.toml through its Python adapter, on a copy fetched by hand.

    python tests/realworld/realworld_run.py [--sources DIR] [--examples N] [KEY ...]

A copy is looked for in DIR/<owner>+<name>/ (default: tests/realworld/sources/, or $HANDGRAD_REALWORLD);
one that is not there is skipped with the reason. Prints, per implementation, the questions whose
verdict differs from the manifest's, and the table of docs/adapters.md (adapter lines, mistakes found,
false alarms); exit 1 when a verdict differs.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MANIFEST = tomllib.loads((HERE / "manifest.toml").read_text(encoding="utf-8"))
SOURCES = pathlib.Path(os.environ.get("HANDGRAD_REALWORLD") or HERE / "sources")


def adapter_lines(path: pathlib.Path) -> int:
    """Lines of Python in an adapter: not blank, not a comment, not its docstring, not an import (the same two
    lines in every adapter)."""
    import ast

    text = path.read_text(encoding="utf-8")
    skip = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node.lineno == 1):
            skip |= set(range(node.lineno, node.end_lineno + 1))
    return sum(1 for i, line in enumerate(text.splitlines(), 1)
               if i not in skip and line.strip() and not line.strip().startswith("#"))


def folder_of(key: str, sources: pathlib.Path = SOURCES) -> pathlib.Path:
    """Where the copy of ``key`` goes: ``sources/<owner>+<name>/``."""
    return sources / MANIFEST[key]["repository"].replace("/", "+")


def copy_of(key: str, sources: pathlib.Path = SOURCES) -> pathlib.Path | None:
    """The fetched copy's submission file, or None."""
    path = folder_of(key, sources) / MANIFEST[key]["impl"]
    return path if path.is_file() else None


def verdicts(key: str, sources: pathlib.Path = SOURCES, examples: int = 10, sweep: int = 200) -> dict[str, str]:
    """The question verdicts handgrad-compare gives the copy of ``key`` through its adapter."""
    entry = MANIFEST[key]
    cmd = [sys.executable, "-m", "reference.compare.cli", "--impl", str(copy_of(key, sources)),
           "--adapter", str(HERE / "adapters" / entry["adapter"]), "--format", "json",
           "--examples", str(examples), "--sweep", str(sweep), "--seed", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    try:
        return json.loads(done.stdout)["questions"]
    except (json.JSONDecodeError, KeyError):
        raise RuntimeError(f"{key}: handgrad-compare exited {done.returncode}: {done.stderr.strip()[-500:]}") from None


def differences(key: str, got: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Question → (expected, got) where they differ."""
    return {q: (want, got.get(q)) for q, want in MANIFEST[key]["expected"].items() if got.get(q) != want}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("keys", nargs="*", default=list(MANIFEST))
    parser.add_argument("--sources", type=pathlib.Path, default=SOURCES)
    parser.add_argument("--examples", type=int, default=10)
    args = parser.parse_args(argv)
    status = 0
    print("| implementation | adapter lines | mistakes found | false alarms |\n|---|---|---|---|")
    for key in args.keys:
        entry = MANIFEST[key]
        if copy_of(key, args.sources) is None:
            print(f"| {entry['repository']} | skipped: no copy at {folder_of(key, args.sources)} | | |")
            continue
        got = verdicts(key, args.sources, args.examples)
        off = differences(key, got)
        status |= bool(off)
        failing = sorted(q for q, v in entry["expected"].items() if v == "fail")
        alarms = sorted(q for q, v in got.items() if v in ("fail", "error") and entry["expected"].get(q) != "fail")
        found = sum(1 for q in failing if got.get(q) == "fail")
        print(f"| {entry['repository']} @ {entry['commit'][:7]} | {adapter_lines(HERE / 'adapters' / entry['adapter'])}"
              f" | {len(entry['mistakes'])} mistakes, at {', '.join(failing)} ({found}/{len(failing)} failing) "
              f"| {len(alarms)}{': ' + ', '.join(alarms) if alarms else ''} |" + (f"  DIFFERS: {off}" if off else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
