"""What a submission's code tries to do that the instructor should look at.

The sandbox prevents what it can (graders/grading/sandbox.py); this module *detects*, by reading
the code the student wrote (answers and extra cells), what no sandbox can stop inside
the kernel's own process: changing how IPython runs later cells, redefining equality,
monkeypatching library functions, or attempts on the gradebook, the solutions, the
network, the kernel itself. Each finding is an integrity flag in the result and in
``grades.csv``: for review, not a penalty.
"""
from __future__ import annotations

import ast
import re

# (pattern in the source, what it means)
PATTERNS = [
    (r"input_transformers|ast_transformers|input_transformer_manager|register_magic"
     r"|events\.register|set_custom_exc",
     "changes how IPython runs later cells (input/AST transformers, hooks)"),
    (r"gradebook|sqlite3", "touches the gradebook (sqlite3 / gradebook.db)"),
    (r"\bsocket\b|urllib|requests\.|http\.client|urlopen", "tries to use the network"),
    (r"os\._exit|sys\.exit|os\.kill|signal\.SIG|\bquit\(|\bexit\(", "exits or kills the kernel"),
    (r"os\.fork|os\.system|subprocess|Popen|multiprocessing|os\.exec|os\.spawn",
     "starts processes"),
    (r"\bsettrace\b|\bsetprofile\b|sys\.modules\[|builtins|__builtins__|__import__"
     r"|_dl_course_guard",
     "tampers with the interpreter (settrace, sys.modules, builtins, __import__)"),
    (r"get_ipython|%xmode|\b_ih\b|\b_oh\b|\bIn\[|\bOut\[",
     "drives IPython itself (get_ipython, cell history)"),
    (r"['\"][^'\"]*(\bsource/|submitted/|autograded/|\.\./\.\.)", "reads files outside its folder"),
]
LIBRARIES = {"torch", "np", "numpy", "math", "F", "nn", "random", "unittest", "pytest"}


def scan(sources: list[str]) -> list[str]:
    """Integrity flags for the code cells a student wrote (deduplicated, in order)."""
    flags: list[str] = []
    text = "\n".join(sources)
    for pattern, meaning in PATTERNS:
        m = re.search(pattern, text)
        if m:
            flags.append(f"{meaning}: `{m.group(0)}`")
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        flags += _ast_flags(tree)
    return list(dict.fromkeys(flags))


def _ast_flags(tree: ast.AST) -> list[str]:
    from .preprocessors import GUARDED

    flags = []
    for node in tree.body:  # top level: the notebook's globals
        names = ([node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else
                 [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)])
        for name in names:
            if name in GUARDED["builtins"]:
                flags.append(f"shadows the builtin `{name}` that tests use (removed before tests)")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("__eq__", "__ne__", "__bool__"):
            if _returns_constant(node):
                flags.append(f"defines {node.name} that ignores its argument (always equal?)")
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                root = _attribute_root(t)
                if root in LIBRARIES:
                    flags.append(f"monkeypatches a library: `{ast.unparse(t)} = ...`")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and node.args:
            if _attribute_root(node.args[0]) in LIBRARIES or getattr(node.args[0], "id", None) in LIBRARIES:
                flags.append(f"monkeypatches a library: `{ast.unparse(node)}`")
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr"
                and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant)):
            flags.append(f"looks attributes up by computed name: `{ast.unparse(node)[:60]}`")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("exec", "eval", "compile"):
            flags.append(f"runs dynamic code: `{node.func.id}(...)`")
    return flags


def _returns_constant(fn: ast.FunctionDef) -> bool:
    returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Constant) for r in returns)


def _attribute_root(node) -> str | None:
    """'torch' for torch.testing.assert_close; None for a plain name."""
    if not isinstance(node, ast.Attribute):
        return None
    while isinstance(node, ast.Attribute):
        node = node.value
    return getattr(node, "id", None)
