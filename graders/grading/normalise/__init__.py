"""The normalised submission: the student's answers transplanted into the release.

Grading never runs a submitted notebook as it is (docs/design.md §1). It runs the pristine
release notebook of the TP, in which each solution cell holds the student's answer and
the student's own cells stay where they were; read-only cells (instructions, setup,
tests) always come from the release. Every repair made on the way is a note.

What arrives in the wild (nbgrader issues #424, #1398, #1546, #1941): editors that drop
the nbgrader metadata (Colab) or the cell ids (nbformat < 4.5), students who change a
cell's type, split, duplicate or move a cell, delete and retype it, or edit, delete or
move a test cell. A student's cell is therefore matched to the release in three steps.

1. **Read-only cells**, whose text is known exactly: by nbgrader ``grade_id``, else by
   cell id, else by content (verbatim; or, for a copy the student edited, the most
   similar cell at that place; or found whole inside another cell, merged with it by
   Shift+M, and cut back out). The longest chain of them in release order is the
   skeleton every other cell is placed against; one out of that order was moved, and is
   graded at its place in the release. Each runs as the release has it.
2. **Answers**, for each solution cell of the release. Its candidates are the cells that
   carry its ``grade_id`` or cell id (each part of a split or duplicated cell does), and
   the unmatched cells that define a name its stub defines (``def numerical_grad``): an
   answer that lost its metadata and id, or a code cell turned into markdown (markdown
   counts as code only when it parses as Python and defines such a name; prose stays
   prose). What runs before the exercise's first test cell, as in a run from top to
   bottom, is the answer: the candidates that carry its metadata, else those at its
   place (after the previous exercise's tests), else those further up; at its place, a
   cell that defines the stub's other names is the other half of a split cell. When no
   candidate comes before the test, the answer was moved below it and is moved back.
   For a stub that defines no name, the unmatched code cells at its place are the
   answer. A neighbour that does not parse alone but does with the answer is the rest of
   a cell split in the middle of a function. Exact copies are kept once, untouched
   copies of the stub are dropped, and the cells found are joined, in notebook order,
   into the solution cell; the other candidates are the student's own cells and run
   where they are.
   When the answer cannot be told (different versions below the test and none above;
   a markdown cell that is not Python), that exercise keeps the release stub and scores
   0, with a note saying why; the student's cells stay where they were, so the rest of
   the notebook is graded as written.
3. **The student's own cells** (helpers, experiments, notes) are kept, in order, after
   the matched cell they follow: so before the next test cell.

**Where each step is**, in the order ``steps.normalise`` runs them (each module's
docstring says what it matches and when):

- ``unmerge``      read-only cells merged into another cell (Shift+M), cut back out
- ``by_metadata``  step 1 by ``grade_id``, else by cell id
- ``by_content``   step 1 by verbatim content
- ``skeleton``     the heaviest chain of claimed cells: the anchors
- ``edited``       step 1 by likeness at its place: a read-only cell the student edited
- ``answers``      step 2, one solution cell at a time; ``fragments``: the rest of a cell
  split in the middle of a function
- ``notes``        the notes on the read-only cells
- ``assemble``     step 3: the notebook written

and what they share: ``cells`` (a student's cell, read), ``index`` (the release, indexed),
``matching`` (what is known so far, and the result, ``Normalised``). ``self_checks`` is
apart: the self-check lines made harmless before a run.
"""
from .edited import SIMILAR
from .matching import Normalised
from .self_checks import SELF_CHECK_LINE, without_self_checks
from .steps import normalise

__all__ = ["SELF_CHECK_LINE", "SIMILAR", "Normalised", "normalise", "without_self_checks"]
