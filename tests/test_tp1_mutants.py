"""TP1 (micrograd): do the tests catch the bugs students make, and pass every correct answer?

Each ``Mutant`` is one edit of a solution cell of the source notebook. A wrong one names
the test cell that must fail; a correct alternative (``caught_by=None``) must pass every
test cell. The fast tests check the suite itself (every test cell has its mutants, every
solution cell its correct alternative, every edit applies); the slow ones execute the
notebook in a kernel, in grading mode (see ``tests/mutation.py``).
"""
from __future__ import annotations

import time

import pytest

from graders import notebooks
from tests.mutation import ROOT, Mutant, apply, check_mutant, run_source

TP = "TP1_micrograd"
SOURCE = ROOT / "source" / TP / "micrograd.ipynb"

NUMGRAD = "tp1_numerical_grad_solution"
VALUE = "tp1_value_solution"
NEURON = "tp1_neuron_solution"
MLP = "tp1_mlp_solution"
HINGE = "tp1_hinge_loss_solution"
STEP = "tp1_train_step_solution"

# The reference solution's lines that the mutants below edit.
CENTRAL = "return (f(x + h) - f(x - h)) / (2 * h)"
MUL_GRADS = ("self.grad += other.data * out.grad\n"
             "            other.grad += self.data * out.grad")
TOPO = ("            if v not in visited:\n"
        "                visited.add(v)\n"
        "                for child in v._prev:\n"
        "                    build_topo(child)\n"
        "                topo.append(v)\n")
BACKWARD_BODY = ("""        topo = []
        visited = set()

        def build_topo(v):
""" + TOPO + """
        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
""")
NEURON_ACT = "act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)"
LAYER_CALL = ("        out = [n(x) for n in self.neurons]\n"
              "        return out[0] if len(out) == 1 else out\n")
MLP_CALL = ("        for layer in self.layers:\n"
            "            x = layer(x)\n"
            "        return x\n")
HINGE_BODY = ("    losses = [(1 + -yi * si).relu() for si, yi in zip(scores, ys)]\n"
              "    return sum(losses) * (1.0 / len(losses))\n")
STEP_BODY = """    scores = [model(x) for x in X]
    loss = loss_fn(scores, ys)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data
"""

MUTANTS = [
    # --- exercise 1: numerical_grad -------------------------------------------------------
    Mutant("forward difference instead of the central one", NUMGRAD,
           CENTRAL, "return (f(x + h) - f(x)) / h", "tp1_numerical_grad"),
    Mutant("central difference divided by h instead of 2h", NUMGRAD,
           CENTRAL, "return (f(x + h) - f(x - h)) / h", "tp1_numerical_grad"),
    Mutant("ignores the step h it is given", NUMGRAD,
           CENTRAL, "return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5", "tp1_numerical_grad"),
    Mutant("correct: 0.5 * (...) / h", NUMGRAD,
           CENTRAL, "return 0.5 * (f(x + h) - f(x - h)) / h", None),

    # --- exercise 2a: forward pass --------------------------------------------------------
    Mutant("__mul__ does not wrap plain numbers (a * 3 fails)", VALUE,
           "other = other if isinstance(other, Value) else Value(other)\n"
           "        out = Value(self.data * other.data",
           "out = Value(self.data * other.data", "tp1_value_forward"),
    Mutant("__mul__ forgets its children (the graph is cut)", VALUE,
           'out = Value(self.data * other.data, (self, other), "*")',
           "out = Value(self.data * other.data)", "tp1_value_forward"),
    Mutant("__pow__ forgets its child", VALUE,
           'out = Value(self.data ** k, (self,), f"**{k}")',
           "out = Value(self.data ** k)", "tp1_value_forward"),
    Mutant("__pow__ multiplies by k instead of raising to k", VALUE,
           'out = Value(self.data ** k, (self,), f"**{k}")',
           'out = Value(self.data * k, (self,), f"**{k}")', "tp1_value_forward"),
    Mutant("tanh written as sinh, (e^x - e^-x) / 2", VALUE,
           "t = math.tanh(self.data)",
           "t = (math.exp(self.data) - math.exp(-self.data)) / 2", "tp1_value_forward"),
    Mutant("__mul__ works in place and returns self", VALUE,
           'out = Value(self.data * other.data, (self, other), "*")',
           "self.data = self.data * other.data\n        out = self", "tp1_value_forward"),

    # --- exercise 2b: local derivatives ---------------------------------------------------
    Mutant("__mul__ overwrites the grads (= instead of +=)", VALUE, MUL_GRADS,
           "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
           "tp1_local_grads"),
    Mutant("__mul__ forgets the chain rule (no * out.grad)", VALUE, MUL_GRADS,
           "self.grad += other.data\n            other.grad += self.data", "tp1_local_grads"),
    Mutant("__mul__ swaps the local derivatives", VALUE, MUL_GRADS,
           "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad",
           "tp1_local_grads"),
    Mutant("__pow__ derivative k a^k (forgets the - 1)", VALUE,
           "self.grad += k * self.data ** (k - 1) * out.grad",
           "self.grad += k * self.data ** k * out.grad", "tp1_local_grads"),
    Mutant("__pow__ derivative a^(k-1) (forgets the factor k)", VALUE,
           "self.grad += k * self.data ** (k - 1) * out.grad",
           "self.grad += self.data ** (k - 1) * out.grad", "tp1_local_grads"),
    Mutant("exp derivative uses the input instead of e^input", VALUE,
           "self.grad += out.data * out.grad",
           "self.grad += self.data * out.grad", "tp1_local_grads"),
    Mutant("tanh derivative 1 - a^2 with the input a instead of the output", VALUE,
           "self.grad += (1 - t ** 2) * out.grad",
           "self.grad += (1 - self.data ** 2) * out.grad", "tp1_local_grads"),
    Mutant("tanh derivative 1 - tanh (no square)", VALUE,
           "self.grad += (1 - t ** 2) * out.grad",
           "self.grad += (1 - t) * out.grad", "tp1_local_grads"),
    Mutant("relu lets the gradient through for negative inputs", VALUE,
           "self.grad += (out.data > 0) * out.grad",
           "self.grad += out.grad", "tp1_local_grads"),
    Mutant("relu derivative taken as the output value", VALUE,
           "self.grad += (out.data > 0) * out.grad",
           "self.grad += out.data * out.grad", "tp1_local_grads"),
    Mutant("relu overwrites the grad (= instead of +=)", VALUE,
           "self.grad += (out.data > 0) * out.grad",
           "self.grad = (out.data > 0) * out.grad", "tp1_local_grads"),

    # --- exercise 2c: backward --------------------------------------------------------------
    Mutant("backward walks the topological order forwards (leaves first)", VALUE,
           "for v in reversed(topo):", "for v in topo:", "tp1_backward"),
    Mutant("backward forgets to seed the output's grad with 1", VALUE,
           "        self.grad = 1.0\n        for v in reversed(topo):",
           "        for v in reversed(topo):", "tp1_backward"),
    Mutant("topological sort without a visited set (shared nodes back-propagated twice)", VALUE,
           TOPO,
           "            for child in v._prev:\n"
           "                build_topo(child)\n"
           "            topo.append(v)\n", "tp1_backward"),
    Mutant("pre-order DFS (a node before its children), walked from the root", VALUE,
           BACKWARD_BODY,
           """        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                topo.append(v)
                for child in v._prev:
                    build_topo(child)

        build_topo(self)
        self.grad = 1.0
        for v in topo:
            v._backward()
""", "tp1_backward"),
    Mutant("breadth-first order instead of a topological order", VALUE,
           BACKWARD_BODY,
           """        self.grad = 1.0
        queue, seen = [self], {self}
        while queue:
            v = queue.pop(0)
            v._backward()
            for child in v._prev:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
""", "tp1_backward"),
    Mutant("correct: iterative topological sort with an explicit stack", VALUE,
           BACKWARD_BODY,
           """        order, done, stack = [], set(), [(self, False)]
        while stack:
            v, expanded = stack.pop()
            if expanded:
                order.append(v)
            elif v not in done:
                done.add(v)
                stack.append((v, True))
                stack.extend((c, False) for c in v._prev if c not in done)
        self.grad = 1
        for v in order[::-1]:
            v._backward()
""", None),
    Mutant("correct: tanh from exponentials, derivative from the output", VALUE,
           """        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
""",
           """        e = math.exp(-2 * abs(self.data))
        t = math.copysign((1 - e) / (1 + e), self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad = self.grad + out.grad * (1 - out.data * out.data)
""", None),
    Mutant("correct: relu with max and a conditional derivative; exp recomputed", VALUE,
           """        out = Value(0.0 if self.data < 0 else self.data, (self,), "relu")

        def _backward():
            self.grad += (out.data > 0) * out.grad
""",
           """        out = Value(max(0, self.data), [self], "ReLU")

        def _backward():
            if self.data > 0:
                self.grad += out.grad
""", None),
    Mutant("correct: __mul__ and __pow__ written with other names and orders", VALUE,
           """        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
""",
           """        if not isinstance(other, Value):
            other = Value(float(other))
        result = Value(self.data * other.data, [self, other], "mul")

        def backprop():
            g = result.grad
            other.grad += g * self.data
            self.grad += g * other.data

        result._backward = backprop
        return result
""", None),

    # --- exercise 3: Neuron -------------------------------------------------------------------
    Mutant("Neuron forgets the bias", NEURON, NEURON_ACT,
           "act = sum(wi * xi for wi, xi in zip(self.w, x))", "tp1_neuron"),
    Mutant("Neuron always applies the ReLU (ignores nonlin)", NEURON,
           "return act.relu() if self.nonlin else act", "return act.relu()", "tp1_neuron"),
    Mutant("Neuron uses tanh instead of ReLU", NEURON,
           "return act.relu() if self.nonlin else act",
           "return act.tanh() if self.nonlin else act", "tp1_neuron"),
    Mutant("Neuron computes on .data: the output is cut from the weights", NEURON, NEURON_ACT,
           "act = Value(sum(wi.data * (xi.data if isinstance(xi, Value) else xi) "
           "for wi, xi in zip(self.w, x)) + self.b.data)", "tp1_neuron"),
    Mutant("Neuron.parameters forgets the bias", NEURON,
           "return self.w + [self.b]", "return self.w", "tp1_neuron"),
    Mutant("correct: an explicit loop, parameters by unpacking", NEURON,
           NEURON_ACT + "\n        return act.relu() if self.nonlin else act",
           "act = self.b\n"
           "        for i in range(len(self.w)):\n"
           "            act = self.w[i] * x[i] + act\n"
           "        if self.nonlin:\n"
           "            act = act.relu()\n"
           "        return act", None),

    # --- exercise 4: Layer and MLP ------------------------------------------------------------
    Mutant("Layer always returns a list, even with one neuron", MLP,
           "return out[0] if len(out) == 1 else out", "return out", "tp1_mlp"),
    Mutant("MLP feeds the input to every layer instead of chaining them", MLP, MLP_CALL,
           "        for layer in self.layers:\n"
           "            out = layer(x)\n"
           "        return out\n", "tp1_mlp"),
    Mutant("MLP applies a ReLU to its output too", MLP, MLP_CALL,
           "        for layer in self.layers:\n"
           "            x = layer(x)\n"
           "        return x.relu() if isinstance(x, Value) else [v.relu() for v in x]\n", "tp1_mlp"),
    Mutant("Layer.parameters returns a list of lists", MLP,
           "return [p for n in self.neurons for p in n.parameters()]",
           "return [n.parameters() for n in self.neurons]", "tp1_mlp"),
    Mutant("MLP.parameters only returns the last layer's", MLP,
           "return [p for layer in self.layers for p in layer.parameters()]",
           "return self.layers[-1].parameters()", "tp1_mlp"),
    Mutant("correct: Layer.__call__ with a loop", MLP, LAYER_CALL,
           "        outs = []\n"
           "        for neuron in self.neurons:\n"
           "            outs.append(neuron(x))\n"
           "        if len(self.neurons) == 1:\n"
           "            return outs[0]\n"
           "        return outs\n", None),
    Mutant("correct: MLP.__call__ with functools.reduce", MLP, MLP_CALL,
           "        import functools\n"
           "        return functools.reduce(lambda h, layer: layer(h), self.layers, x)\n", None),

    # --- exercise 5: hinge_loss -------------------------------------------------------------
    Mutant("hinge loss summed instead of averaged", HINGE,
           "return sum(losses) * (1.0 / len(losses))", "return sum(losses)", "tp1_hinge_loss"),
    Mutant("hinge loss with the wrong sign, max(0, 1 + y s)", HINGE,
           "(1 + -yi * si).relu()", "(1 + yi * si).relu()", "tp1_hinge_loss"),
    Mutant("hinge loss without the max(0, .)", HINGE,
           "(1 + -yi * si).relu()", "(1 + -yi * si)", "tp1_hinge_loss"),
    Mutant("hinge loss computed on .data (no gradient to the scores)", HINGE,
           "(1 + -yi * si).relu()", "Value(max(0.0, 1 - yi * si.data))", "tp1_hinge_loss"),
    Mutant("correct: an explicit loop and a division", HINGE, HINGE_BODY,
           "    total = 0\n"
           "    for s, y in zip(scores, ys):\n"
           "        total = total + (1 - y * s).relu()\n"
           "    return total / len(ys)\n", None),

    # --- exercise 6: train_step ---------------------------------------------------------------
    Mutant("train_step forgets zero_grad (gradients accumulate over steps)", STEP,
           "    model.zero_grad()\n", "", "tp1_train_step"),
    Mutant("train_step zeroes the gradients after backward", STEP,
           "    model.zero_grad()\n    loss.backward()\n",
           "    loss.backward()\n    model.zero_grad()\n", "tp1_train_step"),
    Mutant("train_step climbs the gradient (+= instead of -=)", STEP,
           "        p.data -= lr * p.grad", "        p.data += lr * p.grad", "tp1_train_step"),
    Mutant("train_step returns the loss Value instead of a float", STEP,
           "return loss.data", "return loss", "tp1_train_step"),
    Mutant("train_step forgets the learning rate", STEP,
           "        p.data -= lr * p.grad", "        p.data -= p.grad", "tp1_train_step"),
    Mutant("correct: zero_grad first, update written as += -lr * grad", STEP, STEP_BODY,
           "    model.zero_grad()\n"
           "    loss = loss_fn([model(x) for x in X], ys)\n"
           "    loss.backward()\n"
           "    params = model.parameters()\n"
           "    for p in params:\n"
           "        p.data += -lr * p.grad\n"
           "    return float(loss.data)\n", None),
]


@pytest.fixture(scope="module")
def source_nb():
    return notebooks.read(SOURCE)


# --- fast: the suite itself --------------------------------------------------------------

def test_every_test_cell_has_a_mutant(source_nb):
    tests = {notebooks.grade_id(c) for c in notebooks.test_cells(source_nb)}
    caught = {m.caught_by for m in MUTANTS if m.caught_by}
    assert caught <= tests, f"mutants name unknown test cells: {caught - tests}"
    assert tests <= caught, f"test cells that no mutant exercises: {tests - caught}"


def test_every_solution_cell_has_a_correct_alternative(source_nb):
    solutions = {notebooks.grade_id(c) for c in notebooks.solution_cells(source_nb)}
    alternatives = {m.cell for m in MUTANTS if m.caught_by is None}
    assert solutions <= alternatives, f"solution cells without a correct alternative: {solutions - alternatives}"


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant_applies(source_nb, mutant):
    nb = apply(source_nb, mutant)  # asserts the edited text occurs exactly once
    assert notebooks.cell_by_grade_id(nb, mutant.cell).source != \
        notebooks.cell_by_grade_id(source_nb, mutant.cell).source


# --- slow: executed in a kernel, in grading mode -------------------------------------------

@pytest.mark.slow
def test_reference_solution_passes_every_test(source_nb, tmp_path):
    import copy

    start = time.perf_counter()
    results = run_source(copy.deepcopy(source_nb), TP, tmp_path)
    elapsed = time.perf_counter() - start
    expected = {notebooks.grade_id(c) for c in notebooks.test_cells(source_nb)}
    assert set(results) == expected
    failed = {g: o.message for g, o in results.items() if not o.passed}
    assert not failed, f"the reference solution fails: {failed}"
    assert sum(o.points for o in results.values()) == notebooks.total_points(source_nb) == 12
    # the grading budget: well under the TP's notebook_timeout (300 s)
    assert elapsed < 60, f"the source notebook took {elapsed:.0f} s in grading mode"


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(source_nb, mutant, tmp_path):
    check_mutant(source_nb, TP, mutant, tmp_path)
