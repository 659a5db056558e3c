"""The exercise: what is checked, and on what. Everything here knows the course's network and its questions.

:mod:`.catalog` holds the properties, one or more per numbered claim (A1–A9,
B1–B18, X1–X5), with the vocabulary they are written in (``Property``,
``Context``, ``compare``) and the backward chain that tells a root mistake from
an inherited one; :mod:`.problems` is a network problem as plain data,
:mod:`.strategies` how Hypothesis draws one, :mod:`.bulk_problems` how the bulk
sweep makes and evaluates them by the batch; :mod:`.tolerance` is how much of the
reference's error bound a comparison accepts, :mod:`.reference_memo` asks the
reference each question once, :mod:`.diagnose` names the classic mistake a
wrong array matches and :mod:`.explain` puts that line on a failing check.
:mod:`.course` describes all that for the machinery, in one value: :data:`EXERCISE`.
Importing this package loads that description (NumPy and the API's table), nothing else.
"""

from reference.compare.exercise.course import EXERCISE, Exercise

__all__ = ["EXERCISE", "Exercise"]
