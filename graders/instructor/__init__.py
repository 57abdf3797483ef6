"""The instructor's views of a graded class.

- ``report``     ``make report``: the class report page
- ``similarity`` pairs of students with unusually similar answers (copydetect)
- ``lms``        ``make export``: grades in Moodle's / Canvas's import format

Imports from :mod:`graders.course`, :mod:`graders.grading` and :mod:`graders.publish`.
"""
