"""rect'(0) = 1 in backprop (bug_rect_ge), and a public forward that reports ha = 1 where it is 0, so that the
wrong mask looks right on "its own" ha; the backward pass uses the true forward. The forward's parts disagree
(hs is not rect(ha)): its steps are judged on the reference's values, and B13 is charged."""
from bug_rect_ge import *  # noqa: F401,F403
import _solution as solution
import numpy as np


def forward(params, X):
    a = solution.forward(params, X)
    return a._replace(ha=np.where(a.ha == 0, 1.0, a.ha))
