"""The student's side: the self-check and the kit it ships in.

- ``check`` ``make check``: a notebook's visible tests, as grading runs them
  (``graders.check`` is its public name in the kit)
- ``kit``   ``make student-kit``: the students' repository (release, self-check, README,
  workflow)

Imports from :mod:`graders.course`, :mod:`graders.grading` and :mod:`graders.publish`.
"""
