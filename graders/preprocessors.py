"""nbgrader's Execute preprocessor, with the grader's limits.

- a whole-notebook deadline on top of the per-cell timeout: each cell gets at most the
  time left, and once the deadline has passed the remaining cells are not run (they fail);
- an output budget per cell: past it, outputs are dropped (a cell printing gigabytes
  cannot exhaust the grader's memory) and one notice says so;
- a kernel that dies (``os._exit``, killed for memory) fails the cell it died in and the
  cells after it, but the tests that passed before keep their points (plain nbgrader
  loses the whole notebook);
- before each test cell, IPython's input and AST transformers are reset to IPython's
  own, through ``user_expressions`` (which transformers do not see): a solution cell
  cannot turn the tests that follow into ``pass`` that way.
"""
from __future__ import annotations

import math
import time

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from . import notebooks

# Evaluated in the kernel as a user expression (not a cell, so no transformer sees it).
RESET_HOOKS = (
    "(lambda ip: (ip.input_transformers_cleanup.__setitem__(slice(None), [t for t in "
    "ip.input_transformers_cleanup if getattr(t, '__module__', '').startswith('IPython.')]), "
    "ip.input_transformers_post.clear(), ip.ast_transformers.clear()))"
    "(__import__('IPython').get_ipython())")


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class LimitedExecute(Execute):
    notebook_timeout = Integer(300, help="Seconds the whole notebook may take.").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="Output kept per cell, in bytes.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}
        self._died_in: int | None = None
        self.timeout_func = self._time_left
        return super().preprocess(nb, resources, km)

    def _time_left(self, cell) -> int:
        # rounded up, so that a cell cut at the deadline ends after it
        return max(1, min(self.timeout, math.ceil(self._deadline - time.monotonic())))

    # nbconvert's ExecutePreprocessor runs each cell through preprocess_cell.
    def preprocess_cell(self, cell: NotebookNode, resources, index: int):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._died_in is not None:
            cell.outputs = [_error("KernelDied", f"not run: the kernel died in cell "
                                   f"{self._died_in + 1}")]
            return cell, resources
        if time.monotonic() >= self._deadline:
            cell.outputs = [_error("NotebookDeadlineExceeded", f"not run: the notebook ran "
                                   f"longer than {self.notebook_timeout} s")]
            return cell, resources
        try:
            if notebooks.is_test(cell):
                self._reset_hooks()
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in = index
            cell.outputs.append(_error("KernelDied", "the kernel died running this cell "
                                       "(memory limit, os._exit, a signal?)"))
            return cell, resources

    def _reset_hooks(self) -> None:
        msg_id = self.kc.execute("", silent=True, store_history=False,
                                 user_expressions={"reset": RESET_HOOKS})
        self.wait_for_reply(msg_id)

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # an error always counts: it fails the cell
            return super().output(outs, msg, display_id, cell_index)
        size = len(str(msg.get("content", "")))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            notice = new_output("stream", name="stdout",
                                text=f"\n[output truncated: more than {self.max_output_bytes} "
                                     "bytes]\n")
            outs.append(notice)
        return None
