"""Reports: what a run tells its reader, and where it is written.

:mod:`.formats` renders a run in six formats (text, Markdown, JSON, Gradescope,
PrairieLearn: :mod:`.prairielearn`, HTML: :mod:`.html_page`, with its
:mod:`.heatmap` pictures); :mod:`.causes` names a report's root causes and what
each explains further down;
:mod:`.counterexample` writes a smallest counterexample for a person;
:mod:`.scoring` turns a report into points per question (``--weights``);
:mod:`.summary` is a class's ``grades.csv`` and what the class got wrong;
:mod:`.result` is what ``reference.check`` returns; :mod:`.output` checks a
destination writable before the work and writes it atomically after.
Importing this package loads nothing else.
"""
