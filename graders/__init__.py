"""Grading code of the dl-course repository, in layers: each package imports only from
the ones above it in this list (``tests/test_layout.py`` checks it; design §2).

- ``course/``     the course as written: configuration, notebooks, release, data cells,
  the demo's examples, reading a hand-in safely
- ``grading/``    one submission through the stages: find (``submissions``) -> prepare
  (``prepare``, ``normalise``, ``integrity``) -> run (``engine``, ``sandbox``,
  ``preprocessors``) -> score (``outcomes``) -> decide (``policy``) -> its result
  (``results``); ``autograde.Grader`` chains them
- ``publish/``    what a run leaves for people: gradebook, feedback pages, ``grades.csv``,
  overrides
- ``student/``    the self-check (``make check``; ``graders.check`` in the kit) and the kit
- ``instructor/`` the class report, similar answers, the LMS export

On top, the class-level runs and the verbs:

- ``grade``  ``make grade`` / ``grade-one``: every submission, then feedback and grades.csv
- ``shards`` the same, split over CI jobs and merged
- ``cli``    the verbs the Makefile calls (``python -m graders ...``)
- ``check``  the student's public name for ``student.check``
"""
