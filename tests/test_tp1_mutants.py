"""TP1 (micrograd): do the tests catch the bugs students make, and pass every correct answer?

Each ``Mutant`` is one edit of a solution cell of the source notebook. A wrong one names
the test cell that must fail; a correct alternative (``caught_by=None``) must pass every
test cell. The fast tests check the suite itself (every test cell has its mutants, every
solution cell its correct alternative, every edit applies); the slow ones execute the
notebook in a kernel, in grading mode (both shared by every suite: ``mutation.MutantSuite``
in ``tests/mutation.py``). Each slow mutant costs a kernel start, so the list keeps the
classic bugs of each exercise, not every variant.

Besides the classic bugs, the suite holds one mutant of each kind of bug that tests which only
check the obvious let through (the comment after the mutant names its kind): an argument
never varied (a generator ignored, a size hard-coded), an edge value (0, an overflow, relu'
at 0), a second call (state kept or reset between calls), hidden context and aliasing (the
caller's object modified), and a return type other than the docstring's.
"""
from __future__ import annotations

from tests import mutation
from tests.mutation import ROOT, Mutant

TP = "TP1_micrograd"
SOURCE = ROOT / "source" / TP / "micrograd.ipynb"

NUMGRAD = "tp1_numerical_grad_solution"
MANUAL = "tp1_manual_backprop_solution"  # exercise 1b, optional (a bonus point)
VALUE = "tp1_value_solution"
ZERO_GRAD = "tp1_zero_grad_solution"
NEURON = "tp1_neuron_solution"
MLP = "tp1_mlp_solution"
HINGE = "tp1_hinge_loss_solution"
STEP = "tp1_train_step_solution"
TRAIN = "tp1_train_solution"

# The reference solution's lines that the mutants below edit.
CENTRAL = "return (f(x + h) - f(x - h)) / (2 * h)"
MUL_GRADS = ("self.grad += other.data * out.grad\n"
             "            other.grad += self.data * out.grad")
BACKWARD_BODY = """        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
"""
# __mul__, __pow__, exp, tanh and relu, from the first line of __mul__'s solution to relu's end
CORE_OPS = '''        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, k):
        """self ** k for a constant number k (int or float). d(a^k)/da = k a^(k-1)."""
        assert isinstance(k, (int, float)), "only constant int or float exponents are supported"
        ### BEGIN SOLUTION
        out = Value(self.data ** k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        """e ** self. d(e^a)/da = e^a."""
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self):
        """tanh(self). d tanh(a)/da = 1 - tanh(a)^2.

        Numerically stable for large |a|: Value(400.0).tanh().data == 1.0 and
        Value(-400.0).tanh().data == -1.0 (math.exp(2 * 400) overflows: use math.tanh).
        """
        ### BEGIN SOLUTION
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """max(0, self). d relu(a)/da = 1 if a > 0 else 0."""
        ### BEGIN SOLUTION
        out = Value(0.0 if self.data < 0 else self.data, (self,), "relu")

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out
'''
CORE_OPS_ALT = '''        if not isinstance(other, Value):
            other = Value(float(other))
        result = Value(self.data * other.data, [self, other], "mul")

        def backprop():
            g = result.grad
            other.grad += g * self.data
            self.grad += g * other.data

        result._backward = backprop
        return result

    def __pow__(self, k):
        out = Value(self.data ** k, [self], "pow")

        def _backward():
            self.grad = self.grad + out.grad * (k * self.data ** (k - 1))

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, [self], "exp")

        def _backward():
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        e = math.exp(-2 * abs(self.data))
        out = Value(math.copysign((1 - e) / (1 + e), self.data), [self], "tanh")

        def _backward():
            self.grad = self.grad + out.grad * (1 - out.data * out.data)

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(0, self.data), [self], "ReLU")

        def _backward():
            if self.data > 0:
                self.grad += out.grad

        out._backward = _backward
        return out
'''
DERIVED_OPS = """        return self * -1
        ### END SOLUTION

    def __radd__(self, other):  # other + self, e.g. 2 + Value(3.0), or sum([...]) = 0 + ...
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __sub__(self, other):  # self - other
        ### BEGIN SOLUTION
        return self + (-other)
        ### END SOLUTION

    def __rsub__(self, other):  # other - self, e.g. 2 - Value(3.0)
        ### BEGIN SOLUTION
        return other + (-self)
        ### END SOLUTION

    def __rmul__(self, other):  # other * self, e.g. 2 * Value(3.0)
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __truediv__(self, other):  # self / other
        ### BEGIN SOLUTION
        return self * other ** -1
        ### END SOLUTION

    def __rtruediv__(self, other):  # other / self, e.g. 2 / Value(3.0)
        ### BEGIN SOLUTION
        return other * self ** -1
"""
DERIVED_OPS_ALT = """        return self * -1.0

    def __radd__(self, other):
        return self.__add__(other)

    def __sub__(self, other):
        return self + other * -1

    def __rsub__(self, other):
        return -self + other

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        return self * (other if isinstance(other, Value) else Value(other)) ** -1

    def __rtruediv__(self, other):
        return Value(other) / self
"""
ZERO_GRAD_BODY = """        for p in self.parameters():
            p.grad = 0.0
"""
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
TRAIN_BODY = "    return [train_step(model, X, ys, loss_fn, lr) for _ in range(steps)]\n"

MUTANTS = [
    # --- exercise 1: numerical_grad -------------------------------------------------------
    Mutant("forward difference instead of the central one", NUMGRAD,
           CENTRAL, "return (f(x + h) - f(x)) / h", "tp1_numerical_grad"),
    Mutant("central difference divided by h instead of 2 h", NUMGRAD,
           CENTRAL, "return (f(x + h) - f(x - h)) / h", "tp1_numerical_grad"),
    Mutant("central difference with the sign flipped", NUMGRAD,
           CENTRAL, "return (f(x - h) - f(x + h)) / (2 * h)", "tp1_numerical_grad"),
    Mutant("correct: 0.5 * (...) / h", NUMGRAD,
           CENTRAL, "return 0.5 * (f(x + h) - f(x - h)) / h", None),

    # --- exercise 1b (optional): backpropagation by hand ------------------------------------
    Mutant("by hand: the chain factor dL/de forgotten (dL/da = b)", MANUAL,
           "dL_da, dL_db = b * dL_de, a * dL_de", "dL_da, dL_db = b, a", "tp1_manual_backprop"),
    Mutant("by hand: dL/da and dL/db swapped", MANUAL,
           "dL_da, dL_db = b * dL_de, a * dL_de", "dL_da, dL_db = a * dL_de, b * dL_de", "tp1_manual_backprop"),
    Mutant("by hand: dL/dd and dL/df swapped", MANUAL,
           "dL_dd, dL_df = f, d", "dL_dd, dL_df = d, f", "tp1_manual_backprop"),
    Mutant("correct: the expanded formulas, inline", MANUAL,
           "    e = a * b\n",
           "    return {'L': (a * b + c) * f, 'a': b * f, 'b': a * f, 'c': f, 'f': a * b + c}\n    e = a * b\n", None),

    # --- exercise 2a: forward pass --------------------------------------------------------
    Mutant("__mul__ does not wrap plain numbers (a * 3 fails)", VALUE,
           "other = other if isinstance(other, Value) else Value(other)\n"
           "        out = Value(self.data * other.data",
           "out = Value(self.data * other.data", "tp1_value_forward"),
    Mutant("__mul__ forgets its children (the graph is cut)", VALUE,
           'out = Value(self.data * other.data, (self, other), "*")',
           "out = Value(self.data * other.data)", "tp1_value_forward"),
    Mutant("tanh as (e^2a - 1) / (e^2a + 1): overflows at a = 400", VALUE,  # edge value
           "t = math.tanh(self.data)",
           "e = math.exp(2 * self.data)\n        t = (e - 1) / (e + 1)", "tp1_value_forward", kind='edge value'),
    Mutant("correct: tanh as sinh / cosh with math.exp(a) and math.exp(-a)", VALUE,
           "t = math.tanh(self.data)",
           "ep, em = math.exp(self.data), math.exp(-self.data)\n        t = (ep - em) / (ep + em)", None),

    # --- exercise 2b: local derivatives ---------------------------------------------------
    Mutant("__mul__ overwrites the grads (= instead of +=)", VALUE, MUL_GRADS,
           "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
           "tp1_local_grads"),
    Mutant("__pow__ derivative k a^k (forgets the - 1)", VALUE,
           "self.grad += k * self.data ** (k - 1) * out.grad",
           "self.grad += k * self.data ** k * out.grad", "tp1_local_grads"),
    Mutant("tanh derivative 1 - a^2 with the input a instead of the output", VALUE,
           "self.grad += (1 - t ** 2) * out.grad",
           "self.grad += (1 - self.data ** 2) * out.grad", "tp1_local_grads"),
    Mutant("relu derivative with >= on the output (lets the gradient through for a < 0)", VALUE,
           "self.grad += (out.data > 0) * out.grad",
           "self.grad += (out.data >= 0) * out.grad", "tp1_local_grads"),
    Mutant("__pow__ derivative as k * out / a (divides by zero at a = 0)", VALUE,  # edge value
           "self.grad += k * self.data ** (k - 1) * out.grad",
           "self.grad += k * out.data / self.data * out.grad", "tp1_local_grads", kind='edge value'),
    Mutant("relu derivative 1 at a = 0 (self.data >= 0)", VALUE,  # edge value
           "self.grad += (out.data > 0) * out.grad",
           "self.grad += (self.data >= 0) * out.grad", "tp1_local_grads", kind='edge value'),
    Mutant("correct: relu derivative from the input, 1.0 if a > 0 else 0.0; max(0.0, a)", VALUE,
           'out = Value(0.0 if self.data < 0 else self.data, (self,), "relu")\n\n'
           '        def _backward():\n'
           '            self.grad += (out.data > 0) * out.grad',
           'out = Value(max(0.0, self.data), (self,), "relu")\n\n'
           '        def _backward():\n'
           '            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad', None),
    Mutant("correct: __pow__ with math.pow", VALUE,
           "self.grad += k * self.data ** (k - 1) * out.grad",
           "self.grad += k * math.pow(self.data, k - 1) * out.grad", None),

    # --- exercise 2c: backward --------------------------------------------------------------
    Mutant("backward walks the topological order forwards (leaves first)", VALUE,
           "for v in reversed(topo):", "for v in topo:", "tp1_backward"),
    Mutant("backward without a topological order: _backward, then recurse into the children", VALUE,
           BACKWARD_BODY,
           """        self.grad = 1.0

        def _propagate(v):
            v._backward()
            for child in v._prev:
                _propagate(child)

        _propagate(self)
""", "tp1_backward"),
    Mutant("backward resets every gradient of the graph first (no accumulation)", VALUE,  # calling twice
           "        build_topo(self)\n        self.grad = 1.0\n",
           "        build_topo(self)\n        for v in topo:\n            v.grad = 0.0\n        self.grad = 1.0\n",
           "tp1_backward", kind='called twice'),
    Mutant("backward keeps its visited set between calls (a mutable default argument)", VALUE,  # calling twice
           BACKWARD_BODY,
           """        topo = []
        self._topo(self, topo)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()

    def _topo(self, v, topo, visited=set()):  # the default set is created once, for every call
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                self._topo(child, topo, visited)
            topo.append(v)
""", "tp1_backward", kind='called twice'),
    Mutant("correct: recursive topological sort, `in topo` as the visited test", VALUE,
           BACKWARD_BODY,
           """        topo = []

        def visit(node):
            if node in topo:
                return
            for c in node._prev:
                visit(c)
            topo.append(node)

        visit(self)
        self.grad = 1.0
        for node in topo[::-1]:
            node._backward()
""", None),
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
    Mutant("correct: the five operations written with other names, orders and formulas", VALUE,
           CORE_OPS, CORE_OPS_ALT, None),

    # --- exercise 2d: the other operators ---------------------------------------------------
    Mutant("__neg__ multiplies by 1 instead of -1", VALUE,
           "return self * -1\n", "return self * 1\n", "tp1_expression"),
    Mutant("__radd__ written as other + self (infinite recursion)", VALUE,
           "return self + other\n", "return other + self\n", "tp1_expression"),
    Mutant("__sub__ computes other - self", VALUE,
           "return self + (-other)", "return -self + other", "tp1_expression"),
    Mutant("__rsub__ with the sign flipped (2 - a gives a - 2)", VALUE,
           "return other + (-self)", "return self + (-other)", "tp1_expression"),
    Mutant("__rmul__ copied from __radd__ (2 * a gives a + 2)", VALUE,
           "return self * other\n", "return self + other\n", "tp1_expression"),
    Mutant("__truediv__ inverted (a / b gives b / a)", VALUE,
           "return self * other ** -1", "return self ** -1 * other", "tp1_expression"),
    Mutant("__rtruediv__ inverted (3 / a gives a / 3)", VALUE,
           "return other * self ** -1", "return self * other ** -1", "tp1_expression"),
    Mutant("correct: the other operators written differently", VALUE,
           DERIVED_OPS, DERIVED_OPS_ALT, None),

    # --- exercise 3: zero_grad --------------------------------------------------------------
    Mutant("zero_grad resets the values instead of the gradients", ZERO_GRAD,
           "            p.grad = 0.0\n", "            p.data = 0.0\n", "tp1_zero_grad"),
    Mutant("zero_grad sets the gradients to None", ZERO_GRAD,
           "            p.grad = 0.0\n", "            p.grad = None\n", "tp1_zero_grad"),
    Mutant("zero_grad only resets the first layer of an MLP", ZERO_GRAD, ZERO_GRAD_BODY,
           '        params = self.layers[0].parameters() if hasattr(self, "layers") else self.parameters()\n'
           "        for p in params:\n"
           "            p.grad = 0.0\n", "tp1_zero_grad"),
    Mutant("zero_grad multiplies the gradients by 0 (an inf gradient becomes nan)", ZERO_GRAD,  # edge value
           "            p.grad = 0.0\n", "            p.grad *= 0\n", "tp1_zero_grad", kind='edge value'),
    Mutant("correct: setattr in a comprehension, an int 0", ZERO_GRAD, ZERO_GRAD_BODY,
           '        [setattr(p, "grad", 0) for p in self.parameters()]\n', None),

    # --- exercise 4: Neuron -------------------------------------------------------------------
    Mutant("Neuron forgets the bias", NEURON, NEURON_ACT,
           "act = sum(wi * xi for wi, xi in zip(self.w, x))", "tp1_neuron"),
    Mutant("Neuron.parameters forgets the bias", NEURON,
           "return self.w + [self.b]", "return self.w", "tp1_neuron"),
    Mutant("Neuron.parameters appends the bias to self.w itself (grows at each call)", NEURON,  # aliasing
           "return self.w + [self.b]", "self.w.append(self.b)\n        return self.w", "tp1_neuron", kind='aliasing'),
    Mutant("Neuron.parameters lists the bias first", NEURON,  # the docstring's contract
           "return self.w + [self.b]", "return [self.b] + self.w", "tp1_neuron", kind="the docstring's contract"),
    Mutant("correct: an explicit loop, parameters by unpacking", NEURON,
           NEURON_ACT + "\n        return act.relu() if self.nonlin else act",
           "act = self.b\n"
           "        for i in range(len(self.w)):\n"
           "            act = self.w[i] * x[i] + act\n"
           "        if self.nonlin:\n"
           "            act = act.relu()\n"
           "        return act", None),

    # --- exercise 5: Layer and MLP ------------------------------------------------------------
    Mutant("MLP applies a ReLU to its output too (the last layer is not linear)", MLP, MLP_CALL,
           "        for layer in self.layers:\n"
           "            x = layer(x)\n"
           "        return x.relu() if isinstance(x, Value) else [v.relu() for v in x]\n", "tp1_mlp"),
    Mutant("Layer.parameters returns a list of lists", MLP,
           "return [p for n in self.neurons for p in n.parameters()]",
           "return [n.parameters() for n in self.neurons]", "tp1_mlp"),
    Mutant("MLP.parameters only returns the last layer's", MLP,
           "return [p for layer in self.layers for p in layer.parameters()]",
           "return self.layers[-1].parameters()", "tp1_mlp"),
    Mutant("MLP.parameters extends a list kept on the model (grows at each call)", MLP,  # calling twice
           "return [p for layer in self.layers for p in layer.parameters()]",
           "self._params = getattr(self, '_params', [])\n"
           "        for layer in self.layers:\n"
           "            self._params.extend(layer.parameters())\n"
           "        return self._params", "tp1_mlp", kind='called twice'),
    Mutant("correct: Layer.__call__ with a loop", MLP, LAYER_CALL,
           "        outs = []\n"
           "        for neuron in self.neurons:\n"
           "            outs.append(neuron(x))\n"
           "        if len(self.neurons) == 1:\n"
           "            return outs[0]\n"
           "        return outs\n", None),

    # --- exercise 6: hinge_loss -------------------------------------------------------------
    Mutant("hinge loss summed instead of averaged", HINGE,
           "return sum(losses) * (1.0 / len(losses))", "return sum(losses)", "tp1_hinge_loss"),
    Mutant("hinge loss without the max(0, .)", HINGE,
           "(1 + -yi * si).relu()", "(1 + -yi * si)", "tp1_hinge_loss"),
    Mutant("hinge_loss overwrites the caller's list of scores", HINGE, HINGE_BODY,  # aliasing
           "    for i in range(len(scores)):\n"
           "        scores[i] = (1 - ys[i] * scores[i]).relu()\n"
           "    return sum(scores) / len(scores)\n", "tp1_hinge_loss", kind='aliasing'),
    Mutant("correct: an explicit loop and a division", HINGE, HINGE_BODY,
           "    total = 0\n"
           "    for s, y in zip(scores, ys):\n"
           "        total = total + (1 - y * s).relu()\n"
           "    return total / len(ys)\n", None),

    # --- exercise 7: train_step ---------------------------------------------------------------
    Mutant("train_step forgets zero_grad (gradients accumulate over steps)", STEP,
           "    model.zero_grad()\n", "", "tp1_train_step"),
    Mutant("train_step climbs the gradient (+= instead of -=)", STEP,
           "        p.data -= lr * p.grad", "        p.data += lr * p.grad", "tp1_train_step"),
    Mutant("train_step zeroes the gradients after backward (nothing left to update with)", STEP,
           "    model.zero_grad()\n    loss.backward()\n", "    loss.backward()\n    model.zero_grad()\n",
           "tp1_train_step"),
    Mutant("correct: zero_grad first, update written as += -lr * grad", STEP, STEP_BODY,
           "    model.zero_grad()\n"
           "    loss = loss_fn([model(x) for x in X], ys)\n"
           "    loss.backward()\n"
           "    params = model.parameters()\n"
           "    for p in params:\n"
           "        p.data += -lr * p.grad\n"
           "    return float(loss.data)\n", None),

    # --- exercise 8: train --------------------------------------------------------------------
    Mutant("train returns only the last loss", TRAIN, TRAIN_BODY,
           "    for _ in range(steps):\n"
           "        loss = train_step(model, X, ys, loss_fn, lr)\n"
           "    return loss\n", "tp1_train"),
    Mutant("train ignores steps (always 10)", TRAIN, TRAIN_BODY,
           "    return [train_step(model, X, ys, loss_fn, lr) for _ in range(10)]\n", "tp1_train"),
    Mutant("train only evaluates the loss, never updates the model", TRAIN, TRAIN_BODY,
           "    return [loss_fn([model(x) for x in X], ys).data for _ in range(steps)]\n", "tp1_train"),
    Mutant("train always trains with hinge_loss, whatever loss_fn it is given", TRAIN, TRAIN_BODY,  # argument
           "    return [train_step(model, X, ys, hinge_loss, lr) for _ in range(steps)]\n", "tp1_train", kind='argument never varied'),
    Mutant("correct: a loop that appends float losses", TRAIN, TRAIN_BODY,
           "    losses = []\n"
           "    for step in range(steps):\n"
           "        loss = train_step(model, X, ys, loss_fn, lr)\n"
           "        losses.append(float(loss))\n"
           "    return losses\n", None),
]


class TestTP1(mutation.MutantSuite):
    tp, source, mutants = TP, SOURCE, MUTANTS
    points, bonus, test_cells = 20, 1, 12   # the bonus: exercise 1b
