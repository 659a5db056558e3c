"""The part-A softmax without the max shift (nan past oa ≈ 709); forward and the loss keep a stable one."""
from _solution import *  # noqa: F401,F403
import numpy as np


def softmax(x):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(axis=-1, keepdims=True)
