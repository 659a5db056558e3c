#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (written by handgrad-compare --autograder).
# It installs bubblewrap, which contains each submission (best effort: without it submissions run in the
# weaker same-user mode), a Python >= 3.11 if the image lacks one, and handgrad into a virtual environment,
# with the packages a submission may import (requirements.txt).
set -u
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
# handgrad is installed from the archive written beside this script (it is not on PyPI)
if ls ./handgrad-@VERSION@-*.whl >/dev/null 2>&1; then
  PACKAGE=(./handgrad-@VERSION@-*.whl)
elif [ -f ./handgrad-@VERSION@.tar.gz ]; then
  PACKAGE=(./handgrad-@VERSION@.tar.gz)
else
  echo "setup.sh: no handgrad-@VERSION@ archive beside setup.sh in $(pwd): write the autograder again with" \
       "handgrad-compare --autograder DIR and upload DIR/autograder.zip" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# HANDGRAD_NO_APT=1: never call apt-get (an image built offline, or the tests)
APT=""
if [ -z "${HANDGRAD_NO_APT:-}" ] && command -v apt-get >/dev/null 2>&1; then APT=apt-get; fi
if [ -n "$APT" ] && ! command -v bwrap >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
    || echo "setup.sh: bubblewrap could not be installed: submissions will run as the grader's user" >&2
fi
# a virtual environment left by an earlier run of setup.sh is used again
PY=""
for candidate in "$ROOT/handgrad-venv/bin/python" python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 \
     && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ] && [ -n "$APT" ]; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null 2>&1 && PY=python3.11
fi
if [ -z "$PY" ]; then
  echo "setup.sh: handgrad needs Python >= 3.11 (use Gradescope's Ubuntu 24.04 image)" >&2
  exit 1
fi
if [ "$PY" != "$ROOT/handgrad-venv/bin/python" ] && ! "$PY" -m venv "$ROOT/handgrad-venv" 2>/dev/null; then
  [ -n "$APT" ] && apt-get install -y -qq "$(basename "$PY")-venv" python3-venv >/dev/null 2>&1
  "$PY" -m venv "$ROOT/handgrad-venv" || { echo "setup.sh: cannot create a virtual environment" >&2; exit 1; }
fi
# handgrad from its archive, its dependencies from PyPI, with the pins of its metadata (pip's own settings
# apply: PIP_NO_INDEX=1 and PIP_FIND_LINKS install them offline)
PIP=("$ROOT/handgrad-venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" --upgrade pip >/dev/null 2>&1 \
  || echo "setup.sh: pip could not be upgraded; going on with $("$ROOT/handgrad-venv/bin/python" -m pip --version)" >&2
"${PIP[@]}" "${PACKAGE[@]}" || { echo "setup.sh: handgrad could not be installed from ${PACKAGE[*]}" >&2; exit 1; }
# the packages a submission may import (requirements.txt, written with the autograder: by default SciPy,
# Matplotlib and pandas): its worker sees only those installed here
if [ -f ./requirements.txt ] && grep -q '^[^#[:space:]]' ./requirements.txt; then
  "${PIP[@]}" -r ./requirements.txt || echo "setup.sh: the packages of requirements.txt could not all be" \
    "installed: a submission that imports one that is missing cannot be loaded" >&2
fi

# One run on handgrad itself with the configured options fills the caches (JAX's compiled programs; with a
# seed pinned in the configuration, its examples and reference evaluations too): each submission's run then
# replays them. With --seed fresh (the default) every run draws its own examples.
CONF="$(pwd)/handgrad-autograder.conf"
OPTIONS=()
if [ -f "$CONF" ]; then
  mapfile -t OPTIONS < <(tr -d '\r' < "$CONF" | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$')
fi
WARM="$(mktemp -d)"
"$ROOT/handgrad-venv/bin/handgrad-compare" --impl handgrad "${OPTIONS[@]}" --format json --output "$WARM/handgrad.json" \
  >/dev/null 2>&1 || echo "setup.sh: the warm-up run failed: submissions are graded all the same, more slowly" >&2
rm -rf "$WARM"
exit 0
