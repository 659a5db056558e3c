"""Reuse: examples drawn once and served again, across the submissions of a class and across runs.

:mod:`.records` keeps what a passing property drew (its examples, the calls its
check made, the reference's answers) and replays it; :mod:`.journal` keeps a
failing run, so the next submission that fails the same way follows it instead
of shrinking again; :mod:`.prefetch` sends a replayed property's calls ahead in
one round trip; :mod:`.shared` decides what is recorded and replayed for many
implementations; :mod:`.store` keeps it on disk between runs
(:mod:`.evaluations_file`: the reference's arrays as bytes); :mod:`.seeded_draws`
makes a seed draw the same examples in every process. All of it rests on
Hypothesis drawing the same choices for the same seed and the same outcomes of
the test (see :mod:`.journal`; ``tests/compare/test_reuse_assumptions.py`` fails
if a release of Hypothesis changes that), and on one test body for a run, a
followed run and a replay (:mod:`reference.compare.running.body`). The two
memos within a run live where they are used: the reference's answers in
:mod:`reference.compare.exercise.reference_memo`, an implementation's in
:mod:`reference.compare.sandbox.call_memo`. Importing this package loads nothing
else.
"""
