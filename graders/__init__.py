"""Grading code of the dl-course repository.

One module per concern (see docs/design.md §2). Grading runs in stages:
prepare (``prepare``) -> run (``engine``) -> score (``outcomes``) -> decide (``policy``)
-> publish (``grade``, ``gradebook``, ``feedback``, ``export``).

- ``config``      the course configuration (``course_config.py``) as Python objects
- ``notebooks``   reading notebooks and telling their nbgrader cells apart
- ``engine``      the one way a notebook runs: a fresh sandboxed kernel under the limits
- ``execute``     one notebook through the engine, outside a grading batch (tests, benchmarks)
- ``outcomes``    per graded exercise: points, pass / fail, the visible failure message
- ``release``     ``make release``: nbgrader generate_assignment into ``release/``
- ``prepare``     stage 1: the submission, paired (misfiled work routed), normalised, scanned, hidden tests back
- ``normalise``   the student's answers transplanted into the pristine release notebook
- ``autograde``   one submission through the stages (``Grader.grade``), into a result
- ``gradebook``   recording results in nbgrader's gradebook, from one writer
- ``nbgrader_app`` building nbgrader's API object with the course's configuration
- ``sandbox``     the student's kernel, isolated (bubblewrap, cgroups, rlimits)
- ``preprocessors`` nbgrader's Execute with a deadline, an output budget, a guard
- ``integrity``   what a submission tries that the instructor should review
- ``results``     the JSON result of one submission, and its history
- ``policy``      the 0/1/2 scale and its reasons
- ``overrides``   the instructor's override CSV
- ``submissions`` finding what was handed in, and when
- ``feedback``    the per-student HTML report (never the hidden tests' source)
- ``grade``       ``make grade``: every submission, then feedback and grades.csv
- ``shards``      the same, split over CI jobs and merged
- ``export``      ``grades.csv``
- ``report``      ``make report``: the instructor's class report page
- ``similarity``  pairs of students with unusually similar answers (copydetect)
- ``lms``         ``make export``: grades in Moodle's / Canvas's import format
- ``check``       ``make check``: the student's self-check
- ``kit``         ``make student-kit``: the students' repository (release, self-check, README, workflow)
- ``examples``    the example submissions that ``make demo`` grades
- ``cli``         the verbs the Makefile calls (``python -m graders ...``)
"""
