"""Submissions: what a student hands in, read as the worker loads it and as the grader judges it.

:mod:`.notebook` reads a notebook's code cells, without :mod:`.self_checks`;
:mod:`.adapter` checks a submission that does not follow the API through a
declared layout (:mod:`.declaration`: the TOML file parsed; :mod:`.layouts`: the
data moved between layouts; ``templates/``: ready declarations), or through a
short Python file and the helpers of :mod:`.adapting`;
:mod:`.load_errors` says in one line why a submission does not load;
:mod:`.integrity` finds the answer key or an autodiff library handed in as one's
own, in the file and in :mod:`.local_modules` (the files of its folder it imports,
which the grader stages with it). The worker imports all but ``integrity`` and ``local_modules``
(:data:`reference.compare.sandbox.view.WORKER_FILES`): they use the standard
library, NumPy and :mod:`handgrad.types` only, and this file imports nothing.
"""
