"""Running the catalog: how an implementation meets the properties.

:mod:`.runner` runs a property under Hypothesis (and follows a recorded run),
then the catalog; :mod:`.body` is the one test body, which the runner, the
follower and the replayer call on each example, and how a run ends (its
:class:`~.body.PropertyResult`); :mod:`.sweep` is the bulk random sweep,
thousands of problems a second; :mod:`.shrink` shrinks a failing network
problem and writes it down as Python; :mod:`.selection` expands ``--property``
patterns into the properties a run checks; :mod:`.progress` draws the bars with
an ETA. Importing this package loads nothing else.
"""
