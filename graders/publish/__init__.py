"""What a grading run leaves for people: the gradebook, the feedback pages, the grades.

- ``gradebook`` recording results in nbgrader's gradebook, from one writer
- ``feedback``  the per-student HTML page (never the hidden tests' source)
- ``export``    ``grades.csv``
- ``overrides`` the instructor's override CSV
- ``pages``     HTML pages from Jinja2 templates, escaped as the course's pages always were

Imports from :mod:`graders.course` and :mod:`graders.grading`.
"""
