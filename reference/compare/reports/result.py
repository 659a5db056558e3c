"""What :func:`reference.check` returns: the report, with what a notebook or a script asks of it.

``passed``, ``questions`` (question → status), ``failures`` (the properties that
did not pass, with their messages and counterexamples), the report in every
format (``to_json``, ``to_markdown``, ``to_text``, ``to_html``, ``save``), and
Jupyter's rich display (``_repr_html_``: the question grid, the chain and the
failures with their pictures; ``_repr_markdown_``).
"""

from __future__ import annotations

import os
import pathlib

__all__ = ["CheckResult", "SUFFIXES"]

#: A file's suffix → the report's format, for :meth:`CheckResult.save`.
SUFFIXES = {".json": "json", ".md": "markdown", ".html": "html", ".htm": "html", ".txt": "text"}


class CheckResult:
    """The outcome of one :func:`reference.check`: the project's Report (``.report``) and its exit status."""

    def __init__(self, report, status: int) -> None:
        self.report, self.status = report, status

    @property
    def passed(self) -> bool:
        """Every property holds (and the submission loaded, and its integrity check passed)."""
        return bool(self.report.ok)

    @property
    def questions(self) -> dict[str, str]:
        """Question → status: the worst status of its properties."""
        return self.report.questions()

    @property
    def results(self) -> list:
        """Every property's result (``PropertyResult``: id, question, status, message, counterexample…)."""
        return list(self.report.results)

    @property
    def failures(self) -> list:
        """The properties that did not pass (fail, error, and any status but pass and not-run)."""
        return [r for r in self.report.results if r.status not in ("pass", "not-run")]

    @property
    def error(self) -> str:
        """Why the implementation could not be checked at all ("" when it was)."""
        return self.report.error

    def to_json(self) -> dict:
        from reference.compare.reports.formats import to_json

        return to_json(self.report)

    def to_markdown(self) -> str:
        from reference.compare.reports.formats import render

        return render(self.report, "markdown")

    def to_text(self) -> str:
        from reference.compare.reports.formats import render

        return render(self.report, "text")

    def to_html(self) -> str:
        """The whole self-contained page, as ``--format html`` writes it."""
        from reference.compare.reports.formats import render

        return render(self.report, "html")

    def save(self, path: str | os.PathLike, format: str | None = None) -> pathlib.Path:
        """Write the report to ``path`` in ``format`` (default: from the suffix: .json .md .html .txt)."""
        from reference.compare.reports.formats import FORMATS, render
        from reference.compare.reports.output import write_atomic

        path = pathlib.Path(path)
        fmt = format or SUFFIXES.get(path.suffix.lower())
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS} (or a path ending in {', '.join(SUFFIXES)}); "
                             f"got {format!r} for {str(path)!r}")
        write_atomic(render(self.report, fmt), str(path))
        return path

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        from reference.compare.reports.html_page import html_fragment

        return html_fragment(self.report)

    def __repr__(self) -> str:
        if self.report.error:
            return f"<CheckResult: could not check {self.report.implementation}: {self.report.error}>"
        bad = [q for q, s in self.questions.items() if s != "pass"]
        verdict = "all pass" if self.passed else (f"not passing: {', '.join(f'{q} {self.questions[q]}' for q in bad)}"
                                                   if bad else "integrity or the grader failed")
        return f"<CheckResult: {len(self.report.results)} properties of {len(self.questions)} questions; {verdict}>"
