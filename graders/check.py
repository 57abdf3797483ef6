"""The student's self-check where students call it, a name fixed by the released kit:
``from graders.check import check_exercise`` in a notebook, ``python -m graders.check
NOTEBOOK...`` in a terminal. The code is :mod:`graders.student.check`."""
from .student.check import check, check_exercise, format_report, link, main

__all__ = ["check", "check_exercise", "format_report", "link", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
