"""A smallest counterexample for a person: the lines every report shows it with (text, Markdown, Gradescope,
HTML, the pytest plugin).

>>> counterexample_lines({"kind": "elementwise", "x": [0.0]}, "  ")
['  x = [0.0]']
"""

from __future__ import annotations

import json

from reference.compare.exercise import EXERCISE
from reference.compare.running.runner import finite_json

__all__ = ["counterexample_lines"]


def counterexample_lines(ce: dict | None, indent: str = "    ") -> list[str]:
    """Shapes and λ, then each array (or, for large ones, the Python lines that rebuild them), each line indented."""
    if not ce:
        return []
    ce = finite_json(ce)
    if ce.get("kind") == "network":
        lines = [f"{indent}shapes: n={ce['n']} d={ce['d']} dh={ce['dh']} m={ce['m']}; "
                 f"λ: " + ", ".join(f"{k}={v:g}" for k, v in ce["lambdas"].items())
                 + (f"; learning_rate={ce['learning_rate']:g}, steps={ce['steps']}" if "steps" in ce else "")]
        if ce.get("python"):  # large arrays: the lines that rebuild them
            return lines + [f"{indent}{line}" for line in ce["python"].splitlines()]
        for k in EXERCISE.arrays:
            lines.append(f"{indent}{k} = {json.dumps(ce[k])}")
        if ce.get("origin"):
            lines.append(f"{indent}rebuild: {ce['origin']}")
        return lines
    if ce.get("kind") == "elementwise":
        return [f"{indent}x = {json.dumps(ce['x'])}"]
    return [f"{indent}{json.dumps(ce)[:2000]}"]
