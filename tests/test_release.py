"""release/ is generated, in sync with source/, free of solutions and hidden tests, and runs."""
from __future__ import annotations

import shutil

import pytest

from graders.course import notebooks, release
from graders.course.config import ROOT, Course
from graders.course.examples import MARKER
from graders.grading import execute

COURSE = Course(ROOT)
TPS = [tp.id for tp in COURSE.released_tps]


def source_and_release(tp_id):
    for src in notebooks.notebooks_in(COURSE.source_dir / tp_id):
        yield src, COURSE.release_dir / tp_id / src.name


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_source_tp_is_configured():
    on_disk = {p.name for p in COURSE.source_dir.glob("*") if p.is_dir()}
    assert on_disk <= {tp.id for tp in COURSE.tps}, "a folder of source/ is not in course_config.TPS"


@pytest.mark.parametrize("tp_id", TPS)
def test_release_is_in_sync_with_source(tp_id, tmp_path):
    """Regenerating gives byte-identical files (deterministic, and nobody edited release/)."""
    out = tmp_path / "release"
    release.generate(COURSE, [tp_id], release_dir=out, db_url=f"sqlite:///{tmp_path}/gb.db")
    assert files(out / tp_id) == files(COURSE.release_dir / tp_id), \
        f"release/{tp_id} is stale or hand-edited: run `make release`"


@pytest.mark.parametrize("tp_id", TPS)
def test_release_has_no_solution_and_no_hidden_test(tp_id):
    for src_path, rel_path in source_and_release(tp_id):
        src, rel = notebooks.read(src_path), notebooks.read(rel_path)
        text = rel_path.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        released_lines = {line.strip() for c in rel.cells for line in c.source.splitlines()}
        public = set().union(*(_split(c)[0] for c in src.cells))
        for cell in src.cells:
            secret = _split(cell)[1] - public
            leaked = {s for s in secret if s in released_lines and len(s) > 12}
            assert not leaked, f"{notebooks.grade_id(cell)} leaks into the release: {leaked}"
        for cell in rel.cells:
            if notebooks.is_test(cell) or (notebooks.is_locked(cell)):
                assert cell.metadata.get("editable") is False, \
                    f"{notebooks.grade_id(cell)} is not locked in the release"
        assert notebooks.total_points(rel) == notebooks.total_points(src) > 0


def _split(cell) -> tuple[set[str], set[str]]:
    """(public, secret) lines of a source cell: secret ones lie between solution markers
    or inside hidden tests. A secret line that also appears in public is no secret."""
    public, secret, inside = set(), set(), False
    for line in cell.source.splitlines():
        s = line.strip()
        if MARKER.match(line) or s in (notebooks.HIDDEN_BEGIN, notebooks.HIDDEN_END):
            inside = s.startswith("### BEGIN")
            continue
        if s and not s.startswith("#"):
            (secret if inside else public).add(s)
    return public, secret


@pytest.mark.parametrize("tp_id", TPS)
def test_notebooks_are_stored_clean(tp_id):
    for src_path, rel_path in source_and_release(tp_id):
        for path in (src_path, rel_path):
            for cell in notebooks.read(path).cells:
                if cell.cell_type == "code":
                    assert not cell.outputs and cell.execution_count is None, \
                        f"{path.name}: outputs are stored"


@pytest.mark.slow
@pytest.mark.parametrize("tp_id", TPS)
def test_release_runs_and_only_asks_for_answers(tp_id, tmp_path):
    """Executed as given to students, every failing cell fails with NotImplementedError."""
    work = tmp_path / tp_id
    shutil.copytree(COURSE.release_dir / tp_id, work)
    tp = COURSE.tp(tp_id)
    for _, rel_path in source_and_release(tp_id):
        nb = execute.run_notebook(notebooks.read(rel_path), cwd=work, timeout=tp.cell_timeout)
        errors = [(notebooks.grade_id(c) or i, o.ename) for i, c in enumerate(nb.cells)
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert errors, "the release should fail somewhere: nothing is answered"
        unexpected = [e for e in errors if e[1] != "NotImplementedError"]
        assert not unexpected, f"errors other than NotImplementedError: {unexpected}"
        stderr = [notebooks.grade_id(c) for c in nb.cells if notebooks.is_test(c) and any(
            o.get("name") == "stderr" for o in c.get("outputs", []))]
        assert not stderr, f"test cells write to stderr (0 points under nbgrader): {stderr}"
