"""The classroom: a whole class graded at once, and the Gradescope autograder.

:mod:`.grade_class` runs ``handgrad-compare --submissions``: every submission of
a folder (:mod:`.roster`: their ids, files and fingerprints), into one folder of
reports and ``grades.csv``; :mod:`.pool` keeps the grading processes, each one
a :mod:`.grading_process` that grades one submission at a time with the
examples shared; :mod:`.autograder` writes a ready Gradescope autograder from
the scripts in ``gradescope/``. Importing this package loads nothing else.
"""
