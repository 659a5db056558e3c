"""The comparator: checks any implementation of the API against the reference, claim by claim.

- :mod:`.catalog`: the properties, one or more per question (A1–A9, B1–B18, X1–X5);
- :mod:`.problems` (plain data) and :mod:`.strategies` (Hypothesis): what the properties run on;
- :mod:`.tolerance`: how much of the reference's error bound a comparison accepts;
- :mod:`.runner` (Hypothesis, property by property) and :mod:`.sweep` with
  :mod:`.batches` (the bulk random sweep): the two ways the catalog is run;
- :mod:`.sandbox`: the implementation under test, in this process or a contained child;
- :mod:`.report` and :mod:`.cli`: ``handgrad-compare`` and its four formats.

Importing this package loads nothing else: import the module you need.
"""
