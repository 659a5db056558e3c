"""The report as one self-contained HTML page (``--format html``), or a fragment for Jupyter.

No network: inline CSS, inline SVG, PNG data URIs, no script. It shows the
question grid, the exercise's backward chain (``EXERCISE.chain_nodes``, from the
output back to the parameters and the input) coloured by the properties that check each
quantity, the table of properties, and for each property that did not pass
its message, a heatmap of |got − want| / allowed over the failing array (from
``details["ratio_map"]``) with the worst entry marked, next to the smallest
counterexample. Statuses are any strings: the known ones have a colour, others grey.
"""

from __future__ import annotations

import collections
import html

from reference.compare.exercise import EXERCISE
from reference.compare.reports.causes import ratio_text, root_causes
from reference.compare.reports.counterexample import counterexample_lines
from reference.compare.reports.heatmap import heatmap_svg, legend_svg
from reference.compare.running.runner import finite_json
from reference.compare.sandbox.interface import escape
from reference.compare.submissions.integrity import dropped_note

__all__ = ["to_html", "html_fragment", "COLOURS", "worst_status", "worst_rank", "failing_field", "CHAIN"]

#: The exercise's chain of quantities: node, label, position, the properties (ids or questions) that check it.
CHAIN = EXERCISE.chain_nodes

#: A status's colour; any other status is drawn grey.
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00", "inherited": "#d98880",
           "missing": "#8d6e63", "not-implemented": "#78909c", "not-run": "#b0b0b0", "internal": "#6a1b9a"}
_OTHER = "#9e9e9e"
#: From worst to best, for the colour of a question or a node of the chain; unknown statuses rank after internal.
_RANK = ("fail", "error", "internal", "inherited", "missing", "not-implemented", "not-run", "pass")
_W, _H = 120, 46

_CSS = """
.hg{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#212121;max-width:1180px}
.hg h1{font-size:22px;margin:0 0 4px}.hg h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd}
.hg h3{font-size:15px;margin:0 0 6px}.hg .hg-meta{color:#555}.hg .hg-note{color:#8a4b00;margin:2px 0}
.hg .hg-pill{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px;font-weight:600}
.hg .hg-grid{display:flex;flex-wrap:wrap;gap:4px}
.hg .hg-q{width:58px;height:40px;border-radius:5px;color:#fff;text-align:center;font-weight:700;
 padding-top:3px;box-sizing:border-box;font-size:14px}
.hg .hg-q small{display:block;font-weight:400;font-size:10px;opacity:.95}
.hg table{border-collapse:collapse;font-size:13px}.hg td,.hg th{padding:2px 8px;border-bottom:1px solid #eee;
 text-align:left}.hg td.hg-n{text-align:right;font-variant-numeric:tabular-nums}
.hg .hg-card{border:1px solid #ddd;border-left:6px solid var(--c);border-radius:6px;padding:10px 12px;margin:10px 0}
.hg .hg-row{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}
.hg pre{background:#f7f7f7;padding:6px 8px;margin:4px 0;font-size:12px;max-width:640px;white-space:pre-wrap;
 overflow-wrap:anywhere}.hg details{margin:6px 0}.hg summary{cursor:pointer;color:#555}
.hg .hg-axis{font-size:10px;fill:#555}.hg .hg-msg{margin:4px 0 8px;word-break:break-word}
.hg code{font-size:12px;word-break:break-all}.hg figure{margin:0}
.hg figcaption{font-size:12px;color:#555;max-width:300px}
"""


def worst_status(statuses) -> str:
    """The worst of some statuses ("not checked" when there are none)."""
    statuses = list(statuses)
    if not statuses:
        return "not checked"
    return min(statuses, key=lambda s: _RANK.index(s) if s in _RANK else _RANK.index("internal") + 0.5)


def _colour(status: str) -> str:
    return COLOURS.get(status, _OTHER)


def _e(text) -> str:
    return html.escape(escape(text, 4000))


def _pill(status: str) -> str:
    return f'<span class="hg-pill" style="background:{_colour(status)}">{html.escape(status)}</span>'


def _header(report) -> str:
    counts = collections.Counter(r.status for r in report.results)
    pills = " ".join(f"{_pill(s)} {n}" for s, n in sorted(counts.items(), key=lambda kv: worst_rank(kv[0])))
    notes = [f"isolation: {report.isolation}"] if report.isolation else []
    notes += [f"integrity {report.integrity.get('status')}: {f}" for f in report.integrity.get("findings", [])]
    notes += dropped_note(report.integrity)
    if report.internal_error:
        notes.append(f"internal error of the grader (not the submission's fault): {report.internal_error}")
    if report.error:
        notes.append(f"could not check: {report.error}")
    examples = report.examples if report.examples is not None else "profile"
    return (f"<h1>handgrad-compare: {_e(report.implementation)}</h1>"
            f'<div class="hg-meta">convention {_e(report.convention)} · seed {report.seed} · {examples} examples '
            f"per property · sweep {report.sweep} · {report.seconds:.1f} s</div><div>{pills}</div>"
            + "".join(f'<div class="hg-note">{_e(n)}</div>' for n in notes))


def worst_rank(status: str) -> float:
    return _RANK.index(status) if status in _RANK else _RANK.index("internal") + 0.5


def _grid(report) -> str:
    by_q: dict[str, list[str]] = {}
    for r in report.results:
        by_q.setdefault(r.question, []).append(r.status)
    cells = []
    for q, statuses in by_q.items():
        s = worst_status(statuses)
        cells.append(f'<div class="hg-q" style="background:{_colour(s)}" title="{html.escape(q)}: '
                     f'{html.escape(s)}">{html.escape(q)}<small>{html.escape(s)}</small></div>')
    legend = " ".join(_pill(s) for s in COLOURS)
    return f'<h2>Questions</h2><div class="hg-grid">{"".join(cells)}</div><p>{legend}</p>'


def failing_field(result) -> str | None:
    """The node of the chain a failure's array names (``EXERCISE.chain_field``), None when it names none."""
    m = EXERCISE.chain_field.search(str((result.details or {}).get("array", "")))
    return m.group(1) if m else None


def _node_status(report, node: str, checks: tuple[str, ...]) -> tuple[str, list[str]]:
    """The worst status of the properties checking ``node``; a failure found in another array says nothing of it."""
    hits = [r for r in report.results if (r.id in checks or r.question in checks)
            and (r.status == "pass" or failing_field(r) in (None, node))]
    return worst_status(r.status for r in hits), list(dict.fromkeys(r.question for r in hits))


def _chain(report) -> str:
    pos = {name: xy for name, _, xy, _ in CHAIN}
    parts = ['<defs><marker id="hg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>']
    for a, b in EXERCISE.chain_edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        start = (x1 + _W, y1 + _H / 2) if x2 > x1 + _W else (x1 + _W / 2, y1 + _H)
        end = (x2, y2 + _H / 2) if x2 > x1 + _W else (x2 + _W / 2, y2)
        parts.append(f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" stroke="#777" '
                     f'stroke-width="1.6" marker-end="url(#hg-arrow)"/>')
    for name, label, (x, y), checks in CHAIN:
        status, questions = _node_status(report, name, checks)
        parts.append(f'<g><title>{html.escape(label)}: {html.escape(status)} ({", ".join(questions) or "-"})'
                     f'</title><rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="8" fill="{_colour(status)}"/>'
                     f'<text x="{x + _W / 2}" y="{y + 19}" text-anchor="middle" fill="#fff" font-size="15" '
                     f'font-weight="700">{html.escape(label)}</text><text x="{x + _W / 2}" y="{y + 37}" '
                     f'text-anchor="middle" fill="#fff" font-size="11">{html.escape(" ".join(questions) or "-")} '
                     f"· {html.escape(status)}</text></g>")
    return ('<h2>The backward chain</h2><svg xmlns="http://www.w3.org/2000/svg" width="620" height="230" '
            'role="img" aria-label="the backward chain coloured by status">' + "".join(parts) + "</svg>")


def _g(x) -> str:
    return "-" if x is None else x if isinstance(x, str) else f"{x:.2g}"


def _table(report) -> str:
    """One row per property, with the text report's columns: ERR/ALLOWED (the worst entry's |got − want| over
    what was allowed there) and ABS ERR (|got − want| at that entry), "-" where nothing was compared."""
    rows = ["<tr><th>question</th><th>property</th><th>status</th><th>examples</th><th>seconds</th>"
            "<th>err/allowed</th><th>abs err</th><th>claim</th></tr>"]
    for r in report.results:
        ratio = ratio_text(r)
        d = finite_json({"a": r.abs_error_at_worst})
        rows.append(f"<tr><td>{_e(r.question)}</td><td><code>{_e(r.id)}</code></td><td>{_pill(r.status)}</td>"
                    f'<td class="hg-n">{r.examples + r.sweep_examples}</td><td class="hg-n">{r.seconds:.2f}</td>'
                    f'<td class="hg-n">{_e(ratio)}</td><td class="hg-n">{"-" if ratio == "-" else _g(d["a"])}</td>'
                    f"<td>{_e(r.title)}</td></tr>")
    return "<h2>Properties</h2><table>" + "".join(rows) + "</table>"


def _counterexample(ce) -> str:
    if not ce:
        return ""
    lines = counterexample_lines(ce, "")
    return "<div><h3>smallest counterexample</h3><pre>" + html.escape("\n".join(lines)) + "</pre></div>"


def _figure(r) -> str:
    d = finite_json(r.details or {})
    figure = ""
    if d.get("ratio_map"):
        where = f"[{', '.join(map(str, d['index']))}]" if d.get("index") else ""
        figure = (f"<figure>{heatmap_svg(d['ratio_map'], title=str(d.get('array', r.id)))}<figcaption>"
                  f"|got − want| / allowed over {_e(d.get('array', ''))}; worst entry {_e(where)}: got "
                  f"{_e(d.get('got'))}, reference {_e(d.get('want'))}, allowed {_e(d.get('allowed'))}"
                  f"</figcaption></figure>")
    return figure


def _cause(question: str, props: list, heirs: list[str], folded: list) -> str:
    """A root cause's card: each of its failing properties' message and picture, its smallest counterexample
    and replay once, and the failures it explains folded under it."""
    shown = next((r for r in props if r.counterexample), None)
    parts = []
    for r in props:
        name = _e(r.id) if r.id == r.question else f"{_e(r.id)} ({_e(r.question)})"
        parts.append(f'<div class="hg-msg"><strong>{name}</strong> {_pill(r.status)} {_e(r.message)}</div>')
        figure = _figure(r)
        example = _counterexample(r.counterexample) if r is shown else ""
        if figure or example:
            parts.append(f'<div class="hg-row">{figure}{example}</div>')
    if shown is not None and shown.replay:
        parts.append(f"<div>replay: <code>{_e(shown.replay)}</code></div>")
    if folded:
        parts.append(f"<details><summary>inherited by {_e(', '.join(heirs))}: not charged again</summary><ul>"
                     + "".join(f"<li><code>{_e(r.id)}</code> {_e(r.message)}</li>" for r in folded)
                     + "</ul></details>")
    heading = f"{_e(question)}: {_e(props[0].title)}"
    return (f'<div class="hg-card" style="--c:{_colour(props[0].status)}"><h3>{heading}</h3>'
            + "".join(parts) + "</div>")


def _others(report) -> str:
    """The properties neither passed nor failed on their own (inherited, missing, …), folded, one line each."""
    others = [r for r in report.results if r.status not in ("pass", "fail", "error", "not-run")]
    if not others:
        return ""
    return ("<details><summary>not counted against their question (inherited) or not checked: "
            f"{len(others)}</summary><ul>"
            + "".join(f"<li><code>{_e(r.id)}</code> {_pill(r.status)} {_e(r.message)}</li>" for r in others)
            + "</ul></details>")


def html_fragment(report) -> str:
    """The report as a ``<div>`` with its own scoped style (for Jupyter's ``_repr_html_``)."""
    causes = root_causes(report)
    body = [_header(report)]
    if report.results:
        if causes:
            body += ["<h2>Root causes</h2><p>Each mistake once, in the chain's order, with its smallest "
                     "counterexample; what it explains further down is folded under it.</p>", legend_svg(),
                     *(_cause(*c) for c in causes)]
        body += [_grid(report), _chain(report), _others(report), _table(report)]
    return f'<div class="hg"><style>{_CSS}</style>{"".join(body)}</div>'


def to_html(report) -> str:
    """The whole page: ``--format html``."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>handgrad-compare: {_e(report.implementation)}</title></head>"
            f'<body style="margin:18px">{html_fragment(report)}</body></html>\n')
