"""Reuse: work done once and served again, within a run, across the submissions of a class, and across runs.

From the inside out: :mod:`.reference_memo` answers the reference's questions by
content, and :mod:`.call_memo` an implementation's calls it already answered;
:mod:`.records` keeps what a passing property drew (its examples, calls and
answers) and replays it, :mod:`.journal` keeps a failing run so the next
submission that fails the same way follows it, and :mod:`.prefetch` sends a
replayed property's calls ahead in one round trip; :mod:`.shared` decides what
is recorded and replayed for many implementations; :mod:`.store` keeps it on
disk between runs (:mod:`.evaluations_file`: the reference's arrays as bytes),
under the folders of :mod:`.cache_folders`; :mod:`.seeded_draws` makes a seed
draw the same examples in every process. Replaying rests on Hypothesis drawing
the same choices for the same seed and the same outcomes of the test (see
:mod:`.journal`). Importing this package loads nothing else.
"""
