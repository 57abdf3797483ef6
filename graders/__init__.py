"""Grading code of the dl-course repository.

One module per concern (see DESIGN.md §2):

- ``config``      the course configuration (``course_config.py``) as Python objects
- ``notebooks``   reading notebooks and telling their nbgrader cells apart
- ``execute``     running a notebook in a fresh kernel, as the grader does
- ``outcomes``    per graded exercise: points, pass / fail, the visible failure message
- ``release``     ``make release``: nbgrader generate_assignment into ``release/``
- ``normalise``   the student's answers transplanted into the pristine release notebook
- ``autograde``   one submission through nbgrader's autograde, into a result
- ``nbgrader_app`` building nbgrader's API object with the course's configuration
- ``sandbox``     the student's kernel, isolated (bubblewrap, cgroups, rlimits)
- ``preprocessors`` nbgrader's Execute with a deadline, an output budget, a guard
- ``integrity``   what a submission tries that the instructor should review
- ``results``     the JSON result of one submission
- ``policy``      the 0/1/2 scale and its reasons
- ``overrides``   the instructor's override CSV
- ``submissions`` finding what was handed in, and when
- ``feedback``    the per-student HTML report (never the hidden tests' source)
- ``grade``       ``make grade``: every submission, then feedback and grades.csv
- ``shards``      the same, split over CI jobs and merged
- ``export``      ``grades.csv``
- ``check``       ``make check``: the student's self-check
- ``examples``    the example submissions that ``make demo`` grades
- ``cli``         the verbs the Makefile calls (``python -m graders ...``)
"""
