"""nbgrader's Execute preprocessor, with the grader's limits.

- a whole-notebook deadline on top of the per-cell timeout: each cell gets at most the
  time left, and once the deadline has passed the remaining cells are not run (they fail);
- an output budget per cell: past it, outputs are dropped (a cell printing gigabytes
  cannot exhaust the grader's memory) and one notice says so;
- a kernel that dies (``os._exit``, killed for memory) fails the cell it died in and the
  cells after it, but the tests that passed before keep their points (plain nbgrader
  loses the whole notebook);
- before each test cell, IPython's input and AST transformers are reset to IPython's
  own, and the functions tests compare with (builtins, ``math.isclose``,
  ``torch.allclose``, ``torch.testing.assert_close``, numpy's) are put back as they were
  before the first cell ran: a solution cell cannot turn the tests that follow into
  ``pass``, nor make a comparison always true, that way. Both go through
  ``user_expressions``, which input transformers do not see. (Code in the same process
  can always undo this; what it cannot hide is flagged by ``graders.grading.integrity``.)
"""
from __future__ import annotations

import math
import secrets
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from jupyter_core.utils import run_sync
from traitlets import Dict, Integer, List, Unicode

from ..course import notebooks

# The functions test cells compare with, snapshot before the first cell and restored
# before each test cell. A module not imported yet is skipped (never imported for this).
GUARDED = {
    "builtins": ["isinstance", "issubclass", "type", "float", "int", "bool", "str", "abs",
                 "len", "round", "all", "any", "sum", "min", "max", "sorted", "range", "zip",
                 "getattr", "hasattr", "repr", "print", "set", "list", "dict", "tuple"],
    "math": ["isclose", "isfinite", "isnan"],
    "torch": ["allclose", "isclose", "equal", "is_tensor", "tensor", "as_tensor"],
    "torch.testing": ["assert_close"],
    "numpy": ["allclose", "isclose", "array_equal"],
    "numpy.testing": ["assert_allclose", "assert_array_equal"],
}
_GUARD_CODE = f"""
import sys
guarded = {GUARDED!r}
saved = sys.__dict__.setdefault('_dl_course_guard', {{}})
for m, names in guarded.items():
    if m not in sys.modules:
        continue
    kept = saved.setdefault(m, {{}})
    for a in names:
        if a in kept:
            setattr(sys.modules[m], a, kept[a])
        elif CAPTURE and hasattr(sys.modules[m], a):
            kept[a] = getattr(sys.modules[m], a)
ip = sys.modules['IPython'].get_ipython()
# a global of the notebook named like a builtin the tests use would shadow it
for a in guarded['builtins']:
    if a in ip.user_ns and ip.user_ns[a] is not getattr(sys.modules['builtins'], a):
        del ip.user_ns[a]
# IPython's own input transformers, as they were before the first cell ran
hooks = saved.setdefault('_ipython', {{'cleanup': list(ip.input_transformers_cleanup),
                                       'manager': ip.input_transformer_manager}})
ip.input_transformer_manager = hooks['manager']
ip.input_transformers_cleanup[:] = hooks['cleanup']
ip.input_transformers_post.clear()
ip.ast_transformers.clear()
for name in ('run_cell', 'run_cell_async', 'transform_cell', 'run_ast_nodes', 'run_code',
             'showtraceback'):
    ip.__dict__.pop(name, None)  # an instance attribute would shadow IPython's method
ok = TOKEN
"""
# Evaluated in the kernel as a user expression (not a cell, so no input transformer sees
# it). CAPTURE (before the first cell, and after each read-only cell of the release,
# which is where modules get imported) records the functions of newly imported modules;
# every call puts back what was recorded. The expression's value must be the TOKEN it
# was sent with: if student code intercepted it (a global __import__, a patched exec),
# the guard did not run and the test cell is not run either.
def guard_expression(capture: bool, token: str) -> str:
    return (f"(lambda g: (__import__('builtins').exec({_GUARD_CODE!r}, g), g.get('ok'))[1])"
            f"({{'CAPTURE': {capture!r}, 'TOKEN': {token!r}}})")


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class LimitedExecute(Execute):
    notebook_timeout = Integer(300, help="Seconds the whole notebook may take.").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="Output kept per cell, in bytes.").tag(config=True)
    kernel_env = Dict(None, allow_none=True,
                      help="The kernel's whole environment (graders.grading.engine.kernel_env).")
    kernel_dirs = List(Unicode(), help="Kernel spec folders searched first (the sandbox's).")
    ipc_address = Unicode("", help="Talk to the kernel over Unix sockets with this prefix.")

    # The engine's kernel: its spec folders, socket names and environment are explicit
    # (never os.environ's), so that several notebooks can run from threads of one process.
    def create_kernel_manager(self):
        from jupyter_client.kernelspec import KernelSpecManager

        ksm = KernelSpecManager()
        if self.kernel_dirs:
            ksm.kernel_dirs = list(self.kernel_dirs) + list(ksm.kernel_dirs)
        self.km = self.kernel_manager_class(kernel_name=self.kernel_name, config=self.config,
                                            kernel_spec_manager=ksm)
        if self.ipc_address:
            self.km.transport, self.km.ip = "ipc", self.ipc_address
        return self.km

    async def async_start_new_kernel(self, **kwargs):
        if self.kernel_env is not None:
            kwargs.setdefault("env", dict(self.kernel_env))
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}
        self._died_in: int | None = None
        self._guarded = False
        self.kernel_ready_at: float | None = None   # time.monotonic() when cells began
        self.timeout_func = self._time_left
        return super().preprocess(nb, resources, km)

    def _time_left(self, cell) -> int:
        # rounded up, so that a cell cut at the deadline ends after it
        return max(1, min(self.timeout, math.ceil(self._deadline - time.monotonic())))

    # nbconvert's ExecutePreprocessor runs each cell through preprocess_cell.
    def preprocess_cell(self, cell: NotebookNode, resources, index: int):
        if self.kernel_ready_at is None:
            self.kernel_ready_at = time.monotonic()
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
            if not self._guarded:
                self._guard(capture=True)
            elif notebooks.is_test(cell) and not self._guard(capture=False):
                cell.outputs = [_error("GuardFailed", "not run: code before this test "
                                       "stopped the grader from resetting the kernel's "
                                       "functions and hooks")]
                return cell, resources
            result = super().preprocess_cell(cell, resources, index)
            if notebooks.is_locked(cell) and not notebooks.is_test(cell):
                self._guard(capture=True)
            return result
        except DeadKernelError:
            self._died_in = index
            cell.outputs.append(_error("KernelDied", "the kernel died running this cell "
                                       "(memory limit, os._exit, a signal?)"))
            return cell, resources
        except CellTimeoutError as e:  # its outputs never came: the cell fails, the rest runs
            cell.outputs.append(_error("CellTimeoutError", str(e).splitlines()[0][:200]))
            return cell, resources

    def _guard(self, capture: bool) -> bool:
        token = secrets.token_hex(8)
        msg_id = self.kc.execute("", silent=True, store_history=False,
                                 user_expressions={"guard": guard_expression(capture, token)})
        reply = self.wait_for_reply(msg_id) or {}
        value = (reply.get("content", {}).get("user_expressions", {}).get("guard", {})
                 .get("data", {}).get("text/plain", ""))
        self._guarded = True
        return value == repr(token)

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # an error always counts (it fails the cell)...
            content = msg["content"]        # ...but not all of its bytes
            limit = self.max_output_bytes // 10
            content["evalue"] = str(content.get("evalue", ""))[:limit]
            content["traceback"] = [str(t)[:limit] for t in content.get("traceback", [])[:50]]
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
