"""The exercise in one place (docs/exercise.md): the machinery's rooms name no array, function or question of the
course; they take them from the exercise room's description (``reference.compare.exercise.EXERCISE``)."""

import ast
import builtins
import re
import subprocess
import sys

from support import ROOT

#: The rooms that run, reuse, isolate, report and grade: any exercise's machinery.
MACHINERY = ("running", "reuse", "sandbox", "reports", "classroom")


def _pattern() -> re.Pattern:
    """Every name of the course (from the description, so the list cannot drift), every question and property
    id of its catalog, and any id of one of its parts (a letter of ``EXERCISE.parts``, digits), as whole words.
    Not a name: an attribute of NumPy, math or os (``np.abs``), an SVG tag (``<rect``), a NumPy dtype string
    (``"|b1"``)."""
    from reference.compare.exercise import EXERCISE

    words = sorted(EXERCISE.names | set(EXERCISE.question_ids()), key=len, reverse=True)
    assert {"backprop", "W1", "os", "B18-l11", "A1", "X5"} <= set(words)  # the description does describe the course
    ids = "[" + "".join(map(re.escape, EXERCISE.parts)) + r"]\d+(?:-[\w-]+)?"  # any id of a part, even one to come
    assert all(re.fullmatch(ids, q) for q in EXERCISE.question_ids())
    return re.compile(r"(?<![\w<|])(?<!np\.)(?<!numpy\.)(?<!math\.)(?<!os\.)(" + "|".join(map(re.escape, words))
                      + "|" + ids + r")(?!\w)")


def _hits(text: str, pattern: re.Pattern) -> list[tuple[int, str]]:
    """(line, name) of every name of the course in ``text``. A name that is also Python's (the module ``os``, the
    builtin ``abs``) counts only as the course's: in quotes or after a dot (``"abs"``, ``acts.os``)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for m in pattern.finditer(line):
            word, before = m.group(1), line[m.start() - 1:m.start()]
            if (word == "os" or hasattr(builtins, word)) and not (before and before in ".\"'"):
                continue
            out.append((number, word))
    return out


def test_the_pattern_tells_a_name_from_the_standard_library():
    pattern = _pattern()
    assert not _hits(">>> import tempfile, os\nx = os.path.join(a, b)\nnp.abs(v) + abs(v) + np.sign(v)\n"
                     "'<rect x=1/>' hasattr(os, 'geteuid') <th>abs err</th>", pattern)
    assert [w for _, w in _hits('acts.os\n"backprop.W1"\nabs_ = "abs"\nsee B18-l11 and X4, B19, Q1', pattern)] == \
        ["os", "backprop", "W1", "abs", "B18-l11", "X4", "B19"]


def test_the_machinery_names_nothing_of_the_course():
    """Code, strings, comments, docstrings and doctests alike: a hit is file:line and the name."""
    pattern = _pattern()
    hits = []
    for room in MACHINERY:
        for path in sorted((ROOT / "reference" / "compare" / room).rglob("*.py")):
            hits += [f"{path.relative_to(ROOT)}:{n}: {w}" for n, w in _hits(path.read_text(), pattern)]
    assert not hits, f"{len(hits)} names of the course in the machinery:\n" + "\n".join(hits)


def test_the_description_is_light():
    """Importing the exercise's description loads neither Hypothesis nor JAX: every room may import it."""
    code = ("import sys\nfrom reference.compare.exercise import EXERCISE\n"
            "print(sorted({'hypothesis', 'jax'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["[]"]


#: What the machinery imports of the course, besides the description (``reference.compare.exercise``) and the
#: catalog's vocabulary (``reference.compare.exercise.catalog``: Property, Context, …): body.py takes its
#: verdicts' exceptions and statistics from the catalog's modules. The sandbox imports nothing else: its grader's
#: side reads the description, and starts each worker with the module of the API's table to import.
KNOWN = {
    ("reference/compare/running/body.py", "reference.compare.exercise.catalog.chain"),
    ("reference/compare/running/body.py", "reference.compare.exercise.catalog.check"),
}


def test_the_machinery_imports_the_course_only_through_its_description():
    allowed = {"reference.compare.exercise", "reference.compare.exercise.catalog"}
    found = set()
    for room in MACHINERY:
        for path in sorted((ROOT / "reference" / "compare" / room).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                for name in names:
                    if (name.startswith(("handgrad.", "reference.compare.exercise")) and name not in allowed):
                        found.add((str(path.relative_to(ROOT)), name))
    assert found == KNOWN, sorted(found ^ KNOWN)
