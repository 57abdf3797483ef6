"""One submission through the stages: find -> prepare -> run -> score -> decide.

- ``submissions``   what was handed in, by whom, when
- ``prepare``       stage 1: the hand-in paired with the release (misfiled work routed),
  normalised, scanned, hidden tests put back
- ``normalise``     the student's answers transplanted into the pristine release notebook
- ``integrity``     what a submission tries that the instructor should review
- ``engine``        stage 2, the one way a notebook runs: a fresh sandboxed kernel under the limits
- ``sandbox``       the student's kernel, isolated (bubblewrap, cgroups, rlimits)
- ``preprocessors`` nbgrader's Execute with a deadline, an output budget, a guard
- ``execute``       one notebook through the engine, outside a grading batch (tests, benchmarks)
- ``outcomes``      stage 3: per graded exercise, points, pass / fail, the visible message
- ``policy``        stage 4: the 0/1/2 scale and its reasons
- ``results``       the JSON result of one submission, and its history
- ``autograde``     the stages chained: ``Grader.grade`` (every entry point uses it)

Imports only from :mod:`graders.course`.
"""
