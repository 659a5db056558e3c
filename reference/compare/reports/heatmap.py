"""A failing array as a picture: |got − want| / allowed entry by entry, the worst entry marked.

Self-contained: the cells are a PNG written here (zlib, no imaging library) and
inlined as a data URI in an SVG that marks the worst entry; nothing is fetched.
The input is a failure's ``details["ratio_map"]`` (at most 64 × 64; the strings
"inf" and "nan" stand for non-finite ratios, as in the JSON report).

>>> svg = heatmap_svg([[0.0, 0.5], [3.0, "inf"]], title="A")
>>> svg.startswith("<svg") and "data:image/png;base64," in svg and 'class="hg-worst"' in svg
True
>>> worst_cell([[0.0, 0.5], [3.0, "inf"]])
(1, 1)
"""

from __future__ import annotations

import base64
import html
import struct
import zlib

import numpy as np

__all__ = ["ratios", "worst_cell", "colours", "png", "heatmap_svg", "legend_svg"]

#: Within the allowed error (ratio ≤ 1): light to mid grey by log10(ratio) from −4 to 0.
_WITHIN = ((246, 246, 246), (176, 176, 176))
#: Beyond it: yellow → orange → red → dark red by log10(ratio) from 0 to 6.
_BEYOND = ((255, 224, 130), (251, 140, 0), (211, 47, 47), (100, 0, 0))
_NONFINITE = (33, 33, 33)
_PIXELS = 320  # the picture's longer side, about


def ratios(ratio_map) -> np.ndarray:
    """The map as a 2-D float array ("inf", "nan" and None read as inf)."""
    rows = [[float("inf") if isinstance(v, str) or v is None else float(v) for v in row] for row in ratio_map]
    a = np.array(rows, dtype=np.float64) if rows and rows[0] else np.zeros((1, 1))
    return np.where(np.isnan(a), np.inf, a)


def worst_cell(ratio_map) -> tuple[int, int]:
    """(row, column) of the largest ratio."""
    a = ratios(ratio_map)
    return tuple(int(k) for k in np.unravel_index(int(np.argmax(a)), a.shape))


def _ramp(t: np.ndarray, stops) -> np.ndarray:
    """Colours at positions t in [0, 1] along evenly spaced ``stops``."""
    stops = np.array(stops, dtype=np.float64)
    x = np.clip(t, 0, 1) * (len(stops) - 1)
    i = np.minimum(x.astype(int), len(stops) - 2)
    f = (x - i)[..., None]
    return stops[i] * (1 - f) + stops[i + 1] * f


def colours(a: np.ndarray) -> np.ndarray:
    """RGB (uint8) per entry of a ratio array."""
    finite = np.isfinite(a)
    with np.errstate(divide="ignore"):
        lg = np.log10(np.where(finite & (a > 0), a, 1e-300))
    out = np.where((a <= 1)[..., None], _ramp((lg + 4) / 4, _WITHIN), _ramp(lg / 6, _BEYOND))
    out[~finite] = _NONFINITE
    return out.round().astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    """An RGB image (h, w, 3 uint8) as PNG bytes."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + np.ascontiguousarray(rgb[i]).tobytes() for i in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def heatmap_svg(ratio_map, *, title: str = "") -> str:
    """The map as an inline SVG: the cells (a PNG), a frame, the worst entry circled, the axes named."""
    a = ratios(ratio_map)
    rows, cols = a.shape
    cell = max(2, min(48, _PIXELS // max(rows, cols)))
    image = np.repeat(np.repeat(colours(a), cell, axis=0), cell, axis=1)
    uri = "data:image/png;base64," + base64.b64encode(png(image)).decode("ascii")
    w, h = cols * cell, rows * cell
    r, c = worst_cell(ratio_map)
    pad_l, pad_t = 34, 8
    label = html.escape(title)
    ring = (f'<circle cx="{pad_l + c * cell + cell / 2}" cy="{pad_t + r * cell + cell / 2}" r="{cell / 2 + 7}" '
            f'fill="none" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="3 2"/>') if cell < 12 else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hg-heatmap" width="{max(w + pad_l + 8, 180)}" '
        f'height="{h + pad_t + 30}" role="img" aria-label="|got - want| / allowed over {label}">'
        f"<title>|got − want| / allowed over {label}</title>"
        f'<image x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" href="{uri}" '
        f'style="image-rendering:pixelated"/>'
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#555" stroke-width="1"/>'
        f'<rect class="hg-worst" x="{pad_l + c * cell - 2}" y="{pad_t + r * cell - 2}" width="{cell + 4}" '
        f'height="{cell + 4}" fill="none" stroke="#1565c0" stroke-width="3"/>'
        f"{ring}"
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" text-anchor="end" class="hg-axis">0</text>'
        + (f'<text x="{pad_l - 4}" y="{pad_t + h}" text-anchor="end" class="hg-axis">{rows - 1}</text>'
           if rows > 1 else "")
        + f'<text x="{pad_l}" y="{pad_t + h + 14}" class="hg-axis">0</text>'
        + (f'<text x="{pad_l + w}" y="{pad_t + h + 14}" text-anchor="end" class="hg-axis">{cols - 1}</text>'
           if cols > 1 else "")
        + f'<text x="{pad_l}" y="{pad_t + h + 26}" class="hg-axis">'
        f"{rows} × {cols}</text></svg>")


def legend_svg() -> str:
    """The colour scale: within the allowed error, beyond it (log scale), non-finite."""
    stops = "".join(f'<stop offset="{i / (len(_BEYOND) - 1):.2f}" stop-color="rgb{c}"/>' for i, c in enumerate(_BEYOND))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="hg-legend" width="330" height="34" role="img" '
        'aria-label="colour scale"><defs><linearGradient id="hg-beyond">' + stops + "</linearGradient>"
        f'<linearGradient id="hg-within"><stop offset="0" stop-color="rgb{_WITHIN[0]}"/>'
        f'<stop offset="1" stop-color="rgb{_WITHIN[1]}"/></linearGradient></defs>'
        '<rect x="0" y="2" width="70" height="14" fill="url(#hg-within)" stroke="#999"/>'
        '<rect x="74" y="2" width="200" height="14" fill="url(#hg-beyond)" stroke="#999"/>'
        f'<rect x="280" y="2" width="24" height="14" fill="rgb{_NONFINITE}"/>'
        '<text x="0" y="30" class="hg-axis">0 … 1 ok</text><text x="74" y="30" class="hg-axis">&gt;1</text>'
        '<text x="174" y="30" text-anchor="middle" class="hg-axis">10³</text>'
        '<text x="274" y="30" text-anchor="end" class="hg-axis">≥10⁶</text>'
        '<text x="280" y="30" class="hg-axis">inf/nan</text></svg>')
