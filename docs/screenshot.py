"""Render an HTML report and photograph it with headless Chromium: docs/report.png.

    python docs/screenshot.py [--impl tests/implementations/bugs/bug_rect_ge.py] [--output docs/report.png]

Runs ``handgrad-compare --format html`` on the implementation (default: the
classic rect'(0) = 1 bug, whose failure runs down the chain from ∂L/∂ha), then
``chromium --headless --screenshot`` on the file. Needs Chromium
(``apt-get install chromium``); nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    sys.exit("screenshot.py: no Chromium found (apt-get install chromium)")


def render(impl: str, html: pathlib.Path) -> None:
    run = subprocess.run([sys.executable, "-m", "reference.compare.cli", "--impl", impl, "--profile", "dev",
                          "--format", "html", "--output", str(html)], cwd=ROOT, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"screenshot.py: handgrad-compare exited {run.returncode}: {run.stderr.strip()}")


def photograph(html: pathlib.Path, png: pathlib.Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--disable-background-networking", "--disable-component-update", "--no-first-run",
                        f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={size}",
                        html.as_uri()], check=True, capture_output=True, timeout=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", default="tests/implementations/bugs/bug_rect_ge.py")
    p.add_argument("--output", default=str(ROOT / "docs" / "report.png"))
    p.add_argument("--window-size", default="1100,1400", help="width,height in CSS pixels")
    p.add_argument("--keep-html", metavar="FILE", help="also keep the HTML report here")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        html = pathlib.Path(args.keep_html or pathlib.Path(tmp, "report.html")).resolve()
        render(args.impl, html)
        photograph(html, pathlib.Path(args.output).resolve(), args.window_size)
    print(f"{args.output}: {pathlib.Path(args.output).stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
