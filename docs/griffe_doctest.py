"""A griffe extension for the API pages (mkdocs.yml): the docstrings are prose with doctests and Sphinx roles.

Markdown reads a doctest's ``>>>`` as nested quotes and shows ``:class:`~a.B``` as it is written. This
extension puts each run of doctest lines (prompts and the output that follows, up to a blank line) in a
``pycon`` code block, and writes a role as code: ``:class:`~a.B``` as ```B```, ``:mod:`a``` as ```a```.
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|obj|exc):`~?([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(1)
    shown = target.rsplit(".", 1)[-1] if match.group(0).split("`", 1)[1].startswith("~") else target
    return f"`{shown}`"


def fenced(text: str) -> str:
    """``text`` with its doctests in code blocks and its roles as code (outside the doctests)."""
    out: list[str] = []
    block: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith(">>>") or (block and line.strip()):
            block.append(line)
            continue
        if block:
            out += ["```pycon", *block, "```"]
            block = []
        out.append(_ROLE.sub(_role, line))
    if block:
        out += ["```pycon", *block, "```"]
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Rewrites every docstring as :func:`fenced` says, once it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fenced(obj.docstring.value)
