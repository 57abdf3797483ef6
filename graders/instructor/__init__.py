"""The instructor's views of a graded class.

- ``report``     ``make report``: the class report page, built in steps:
  ``report_data`` (the stored results read), ``sections`` (what each section shows),
  ``plots`` (its SVG figures), ``page`` (the templates' environment; ``templates/``)
- ``similarity`` pairs of students with unusually similar answers (copydetect)
- ``lms``        ``make export``: grades in Moodle's / Canvas's import format

Imports from :mod:`graders.course`, :mod:`graders.grading` and :mod:`graders.publish`.
"""
