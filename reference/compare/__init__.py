"""The comparator: checks any implementation of the API against the reference, claim by claim.

Its doors: :mod:`.api` (``reference.check``), :mod:`.cli` (``handgrad-compare``,
its options in :mod:`.options`) and :mod:`.pytest_plugin`; each puts one run
together through :mod:`.grade_one`. :mod:`.targets` makes what the Python API is
given ready for the sandbox; :mod:`.cache_folders` says where every cache lives.
Its rooms, by role:

- :mod:`.exercise`: what is checked and on what: the catalog of properties (A1–A9,
  B1–B18, X1–X5), the problems, the strategies, the tolerances, the diagnoses;
- :mod:`.running`: a property under Hypothesis, the catalog, the bulk sweep, shrinking;
- :mod:`.reuse`: examples drawn once and served again: records, journals, the disk store;
- :mod:`.sandbox`: the implementation under test, in this process or a contained child;
- :mod:`.submissions`: what a student hands in: notebooks, adapters, load errors, integrity;
- :mod:`.reports`: the report's six formats, its root causes, points per question, a class's grades;
- :mod:`.classroom`: a whole class at once, and the Gradescope autograder.

Importing this package loads nothing else: import the module you need.
"""
