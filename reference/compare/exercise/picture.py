"""The backward chain as the HTML report draws it: each quantity's node, label, position and the properties that
check it; the edges between nodes; the pattern that finds, in a failure's ``array`` detail, the node it names.
"""

from __future__ import annotations

import re

__all__ = ["CHAIN", "EDGES", "FIELD"]

#: The regularized gradients' properties: each checks all four parameter gradients (B18-all every gradient).
_B18 = ("B18-l11", "B18-l12", "B18-l21", "B18-l22", "B18-all")
#: The backward chain: node, label, position, and the properties (ids or questions) that check it.
CHAIN = (
    ("oa", "∂L/∂oa", (20, 70), ("B7", "B8", "B18-all")),
    ("hs", "∂L/∂hs", (170, 70), ("B11", "B12", "B18-all")),
    ("ha", "∂L/∂ha", (320, 70), ("B13", "B14", "B18-all")),
    ("W1", "∂R/∂W1", (480, 10), ("B15-W1", "B16") + _B18),
    ("b1", "∂R/∂b1", (480, 70), ("B15-b1", "B16") + _B18),
    ("x", "∂L/∂x", (480, 130), ("B17", "B18-all")),
    ("W2", "∂R/∂W2", (20, 170), ("B9", "B10-W2") + _B18),
    ("b2", "∂R/∂b2", (170, 170), ("B9", "B10-b2") + _B18),
)
EDGES = (("oa", "hs"), ("hs", "ha"), ("ha", "W1"), ("ha", "b1"), ("ha", "x"), ("oa", "W2"), ("oa", "b2"))
FIELD = re.compile(r"backprop\(\.\.\.\)\.(oa|hs|ha|x|W1|b1|W2|b2)\b")
