"""The course as it is written: its configuration, its notebooks and their release.

The bottom layer: nothing here imports from the other packages.

- ``config``       ``course_config.py`` as Python objects; the repository's paths; ``InputError``
- ``handin``       a hand-in's files, listed as hostile input: no link followed, refusals, limits
- ``handin_read``  reading one of them, bounded: bytes, text, a notebook's JSON (depth checked)
- ``notebooks``    reading notebooks and telling their nbgrader cells apart
- ``nbgrader_app`` nbgrader's API object with the course's configuration
- ``release``      ``make release``: nbgrader's generate_assignment into ``release/``
- ``datafiles``    each TP's data cell (``make data-cells``), for a notebook opened alone
- ``examples``     the example submissions ``make demo`` grades
"""
