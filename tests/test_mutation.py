"""The mutant suites' own rules (tests/mutation.py): a mutant counts as caught only for the
right reason, and a run whose controls fail proves nothing. Shown to fail on mutants that
are "caught" for the wrong reason, with TP1's first exercise (a fast notebook)."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from graders.course import notebooks

from . import mutation
from .mutation import Mutant

TP1 = "TP1_micrograd"
NUMGRAD = "tp1_numerical_grad_solution"
CENTRAL = "return (f(x + h) - f(x - h)) / (2 * h)"


@pytest.mark.parametrize("message, reason", [
    ("NameError: name 'numerical_grad' is not defined", "NameError"),
    ("a hidden test failed (NameError)", "NameError"),
    ("interrupted: the cell did not finish in time (an infinite loop?)", "interrupted"),
    ("KernelDied: the kernel died", "KernelDied"),
    ("NotebookDeadlineExceeded: past 300 s", "NotebookDeadlineExceeded"),
    ("not answered yet (a `raise NotImplementedError()` is still there)", "not answered yet"),
    ("AssertionError: expected 6.0, got 7.0", None),
    ("a hidden test failed (AssertionError): d/dx at 0: expected 1, got 0", None),
    ("RuntimeError raised in your code, called from line 2 of the test", None),
])
def test_what_counts_as_catching(message, reason):
    assert mutation.wrong_reason(message) == reason


def test_an_answer_cell_that_raises_is_seen():
    cell = new_code_cell("x", metadata={"nbgrader": {"grade_id": "a_solution"}})
    nb = new_notebook(cells=[cell])
    assert mutation.cell_error(nb, "a_solution") is None
    cell.outputs = [new_output("error", ename="SyntaxError", evalue="invalid syntax", traceback=[])]
    assert mutation.cell_error(nb, "a_solution") == "SyntaxError: invalid syntax"


@pytest.fixture(scope="module")
def tp1_nb():
    return notebooks.read(mutation.ROOT / "source" / TP1 / "micrograd.ipynb")


@pytest.mark.slow
@pytest.mark.parametrize("mutant, complaint", [
    (Mutant("a typo: an undefined name", NUMGRAD, CENTRAL, "return (f(x + hh) - f(x - h)) / (2 * h)",
            "tp1_numerical_grad"), "wrong reason (NameError)"),
    (Mutant("the answer cell does not even parse", NUMGRAD, CENTRAL, "return (f(x + h) - f(x - h) / (2 * h)",
            "tp1_numerical_grad"), "raised SyntaxError"),
    (Mutant("an infinite loop", NUMGRAD, CENTRAL, "while True: pass", "tp1_numerical_grad"),
     "wrong reason (interrupted)"),
    (Mutant("a real bug: the forward difference", NUMGRAD, CENTRAL,
            "return (f(x + h) - f(x)) / h", "tp1_numerical_grad"), None),
])
def test_a_mutant_caught_for_the_wrong_reason_does_not_count(tp1_nb, mutant, complaint, tmp_path):
    if complaint is None:
        mutation.check_mutant(tp1_nb, TP1, mutant, tmp_path)
        return
    with pytest.raises(AssertionError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        mutation.check_mutant(tp1_nb, TP1, mutant, tmp_path)


@pytest.mark.parametrize("tp", ["1", "2", "3", "4", "5", "6"])
def test_ci_runs_every_kind_of_bug(tp, monkeypatch):
    """Every kind of realistic bug tagged in a suite (an argument never varied, an edge
    value, aliasing, a second call, numerical stability...) runs in CI on every test cell
    it is tagged on, not only the first 3 mutants per cell; and CI runs fewer than all."""
    import importlib

    monkeypatch.delenv("DL_COURSE_ALL_MUTANTS", raising=False)
    mutants = importlib.import_module(f"tests.test_tp{tp}_mutants").MUTANTS
    tagged = {(m.kind, m.caught_by) for m in mutants if m.kind}
    ci = mutation.wrong(mutants)
    assert tagged <= {(m.kind, m.caught_by) for m in ci}
    if tp in ("1", "2"):   # the README's 29 realistic bugs of TP1 and TP2, still tagged
        assert sum(1 for m in mutants if m.kind) >= {"1": 11, "2": 18}[tp]
    everything = [m for m in mutants if m.caught_by]
    assert len(ci) < len(everything) or tp == "5", "CI should not run every mutant"


def test_ci_takes_the_first_mutant_of_each_kind_per_cell():
    ms = [Mutant(f"m{i}", "a_solution", "x", "y", "a", kind=k)
          for i, k in enumerate([None, None, None, None, "edge", "edge", "alias"])]
    assert [m.name for m in mutation.wrong(ms)] == ["m0", "m1", "m2", "m4", "m6"]
