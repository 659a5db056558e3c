"""What pickle's memo shared, copied apart: no two calls of a request share an input.

Pickling with the memo sends an object met twice once, so the worker would
unpickle one array for two arguments; a submission that modified one would
change the other. :func:`unshared` copies every array, list and dict met
before, as if each had been sent on its own.

>>> import numpy as np
>>> x = np.zeros(2)
>>> a, b = unshared([x, x])
>>> a is x, b is x, np.array_equal(a, b)
(True, False, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["unshared"]


def unshared(value: Any) -> Any:
    """``value`` (lists and dicts refilled in place) with no array, list or dict in it twice."""
    return _apart(value, set())


def _apart(value: Any, seen: set) -> Any:
    """``value`` with every array, list and dict met before (its id in ``seen``) copied.

    Pickle's memo sends an object met twice once; copied here, no two calls (nor
    two arguments of one call) share an input, as when each was sent on its own.
    """
    if isinstance(value, np.ndarray):
        if id(value) in seen:
            return value.copy()
        seen.add(id(value))
        return value
    if isinstance(value, tuple):
        items = [_apart(v, seen) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, (list, dict)):
        met = id(value) in seen
        seen.add(id(value))
        if isinstance(value, list):
            items = [_apart(v, seen) for v in value]
            return items if met else _refill(value, items)
        fresh = {k: _apart(v, seen) for k, v in value.items()}
        return fresh if met else _refill(value, fresh)
    return value


def _refill(container: Any, items: Any) -> Any:
    if isinstance(container, list):
        container[:] = items
    else:
        container.update(items)
    return container
