"""What a user sees of a graded course, as one digest per file: the snapshot that shows a
change to the grading code (a refactor, a new layout) changes nothing a user sees.

``snapshot(course_root, scratch)`` copies the graded course's results into ``scratch``,
pins what legitimately varies from run to run (timings, the hash of the grader's code),
rebuilds every page and file from them with the user's verbs (``feedback``, ``report``,
``export``), and returns {file: sha256} for the results, the feedback pages, the report,
the grade files and the gradebook's scores. ``tests/test_examples.py`` compares the demo's
with ``tests/snapshots/demo.json``; ``DL_COURSE_UPDATE_SNAPSHOT=1`` rewrites that file
after a change meant to be seen (say which in the commit).

Only the standard library and ``graders.cli.main`` are used, so the same file snapshots
an older checkout of the repository too.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

#: What varies between two runs of the same grader on the same hand-ins.
PINNED = {"timings": {"normalise_s": 0.0, "kernel_start_s": 0.0, "autograde_s": 0.0},
          "input_hash": "pinned"}
BUILT = re.compile(rb"Built \d{4}-\d\d-\d\d \d\d:\d\d UTC")


def _pin(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update({k: v for k, v in PINNED.items() if k in data})
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _gradebook_rows(db: Path) -> bytes:
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT st.id, a.name, nb.name, bc.name, gc.max_score, g.auto_score, "
            "g.manual_score, sa.timestamp "
            "FROM grade g JOIN grade_cells gc ON g.cell_id = gc.id "
            "JOIN base_cell bc ON bc.id = gc.id "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN notebook nb ON sn.notebook_id = nb.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN assignment a ON sa.assignment_id = a.id "
            "JOIN student st ON sa.student_id = st.id ORDER BY 1, 2, 3, 4").fetchall()
    return json.dumps(rows).encode()


def snapshot(course_root: Path, scratch: Path) -> dict[str, str]:
    from graders.cli import main

    course_root, scratch = Path(course_root), Path(scratch)
    shutil.copytree(course_root, scratch, symlinks=True,
                    ignore=shutil.ignore_patterns(".work", "autograded", "feedback", "report",
                                                  "grades*.csv", "*.history"))
    for path in (scratch / "results").rglob("*.json"):
        _pin(path)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for verb in (["feedback"], ["report"], ["export", "--format", "csv"],
                     ["export", "--format", "moodle"], ["export", "--format", "canvas"]):
            assert main(["--root", str(scratch), *verb]) == 0, verb
    digests = {}
    for pattern in ("results/**/*.json", "feedback/**/*", "report/**/*", "grades*.csv"):
        for path in sorted(scratch.glob(pattern)):
            if path.is_file():
                # the report names the course's folder (here the scratch copy) and its time
                data = path.read_bytes().replace(str(scratch).encode(), b"<course>")
                data = BUILT.sub(b"Built <time>", data)
                digests[path.relative_to(scratch).as_posix()] = hashlib.sha256(data).hexdigest()
    digests["gradebook.db (scores)"] = hashlib.sha256(
        _gradebook_rows(scratch / "gradebook.db")).hexdigest()
    return dict(sorted(digests.items()))


if __name__ == "__main__":   # python tests/demo_snapshot.py GRADED_COURSE SCRATCH OUT.json
    import sys

    sys.path.insert(0, str(Path.cwd()))   # the checkout to snapshot: run it from its root
    out = snapshot(Path(sys.argv[1]), Path(sys.argv[2]))
    Path(sys.argv[3]).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{len(out)} files")
