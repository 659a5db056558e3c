"""The exercise: what is checked, and on what. Everything here knows the course's network and its questions.

:mod:`.catalog` holds the properties, one or more per numbered claim (A1–A9,
B1–B18, X1–X5), with the vocabulary they are written in (``Property``,
``Context``, ``compare``) and the backward chain that tells a root mistake from
an inherited one; :mod:`.problems` is a network problem as plain data,
:mod:`.strategies` how Hypothesis draws one, :mod:`.bulk_problems` how the bulk
sweep makes and evaluates them by the batch; :mod:`.tolerance` is how much of the
reference's error bound a comparison accepts, :mod:`.reference_memo` asks the
reference each question once, :mod:`.diagnose` names the classic mistake a
wrong array matches and :mod:`.explain` puts that line on a failing check;
:mod:`.shrinking` is what a problem is made of, for shrinking, :mod:`.rebuild` a
problem as Python, :mod:`.picture` the chain the HTML report draws.
:mod:`.course` describes all that for the machinery, in one value: :data:`EXERCISE`.
Importing this package loads nothing else; its description (NumPy and the API's table) when asked for.
"""

__all__ = ["EXERCISE", "Exercise"]


def __getattr__(name: str):
    if name in __all__:
        from reference.compare.exercise import course

        return getattr(course, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
