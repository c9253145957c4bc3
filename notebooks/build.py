"""Write the lecture notebooks of this folder, without outputs: ``python notebooks/build.py``.

The notebooks are kept as this script's cells so that a change shows as a readable diff; the .ipynb files it
writes are what Jupyter opens. tests/test_notebooks.py checks that they match this script and runs them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

def md(text: str) -> tuple[str, str]:
    """A markdown cell (a plain string is a code cell)."""
    return ("markdown", text)


def setup(names: str, more: str = "") -> str:
    """The first code cell: the imports of one notebook."""
    return f"import numpy as np\n\nfrom tinygrad_edu import {names}\n{more}from tinygrad_edu.viz import draw_dot"

MATHS_CIRCLE = [
    md("# Neural networks: the maths-circle lecture\n\n"
    "The Swedish school maths-circle lecture (2022), worked with tinygrad_edu: a network as layers of nodes, "
    "counting its parameters, the squared error, single neurons set by hand, and gradient descent."),
    setup("Value, nn"),
    md("## One node\n\n"
       "Node i of layer k+1 computes $a_i^{(k+1)} = \\sigma(\\sum_j w_{ij}^{(k)} a_j^{(k)} + b_i^{(k)})$. "
    "Here is one node with three inputs, every number its own `Value`, after `backward()`: the static picture, "
    "then the page that plays forward and backward step by step (press *next* or the arrow keys)."),
    """a = [Value(v, label=f"a{i + 1}") for i, v in enumerate([0.5, -1.0, 2.0])]
w = [Value(v, label=f"w{i + 1}") for i, v in enumerate([0.8, 0.3, -0.5])]
b = Value(0.1, label="b")
y = (w[0] * a[0] + w[1] * a[1] + w[2] * a[2] + b).sigmoid()
y.label = "y"
y.backward()
draw_dot(y)""",
    "draw_dot(y, interactive=True)",
    md("## Counting parameters\n\nA layer from n to m nodes has n·m weights and m biases. "
    "The lecture's 4-5-5-3-2 network has 25 + 30 + 18 + 8 = **81**."),
    """net = nn.mlp([4, 5, 5, 3, 2], activation="sigmoid")
print(nn.format_parameter_table(net))
assert nn.parameter_table(net)[-1]["total"] == 81""",
    md("## The squared error\n\n$L = |Y - \\hat Y|^2$ of a 10-class output against a one-hot label: 2.3032 when "
    "the label is the class the network rates highest (2), 2.4032 when it is 9."),
    """output = Value(np.array([0.54, 0.24, 0.92, 0.61, 0.51, 0.14, 0.42, 0.32, 0.51, 0.87]))
for label, lecture in [(2, "2.3032"), (9, "2.4032")]:
    one_hot = nn.functional.one_hot([label], 10)[0].double()
    loss = nn.functional.mse_loss(output, one_hot, reduction="sum")
    print(f"label {label}: L = {loss.item():.4f} (lecture {lecture})")
    assert f"{loss.item():.4f}" == lecture""",
    md("## Neurons set by hand\n\n"
       "$y = \\sigma(xW + b)$ with $W = [0.4, 0.4]$: OR with $b = -0.4$, AND with $b = -0.8$."),
    """x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
W = Value(np.array([[0.4], [0.4]]), label="W")
for gate, bias in [("OR", -0.4), ("AND", -0.8)]:
    out = (x @ W + bias).sigmoid()
    print(gate, np.round(out.data[:, 0], 1))""",
    md("## Gradient descent\n\n$x_{j+1} = x_j - \\gamma \\nabla f(x_j)$ on "
    "$f(x_1, x_2) = \\sin(0.8 x_1) \\sin(0.6 x_2) e^{0.1 x_1}$ over the box $-2 \\le x_1 \\le 3$, "
    "$-2 \\le x_2 \\le 2$, from (2, 2). Each step is projected back into the box; the minimum lies on its edge, "
    "near (2.11894, -2) with f = -1.14312. The gradient comes from `backward()`."),
    """LOW, HIGH = np.array([-2.0, -2.0]), np.array([3.0, 2.0])

def f(x):
    return (0.8 * x[0]).sin() * (0.6 * x[1]).sin() * (0.1 * x[0]).exp()

x = Value(np.array([2.0, 2.0]), label="x")
path = [x.data.copy()]
for _ in range(200):
    x.zero_grad()
    f(x).backward()
    x.data = np.clip(x.data - 0.5 * x.grad, LOW, HIGH)
    path.append(x.data.copy())
print("end:", np.round(x.data, 5), "f =", round(f(x).item(), 5))
assert np.allclose(x.data, [2.11894, -2.0], atol=1e-4)""",
    md("The graph of f at the start point, and its step-through:"),
    """fx = f(Value(np.array([2.0, 2.0]), label="x"))
fx.label = "f"
fx.backward()
draw_dot(fx)""",
    "draw_dot(fx, interactive=True)",
]

COURSE = [
    md("# Neural networks: the course lecture, with exercises a-d\n\n"
    "The Norwegian university course lecture (2020), worked with tinygrad_edu: sigmoid neurons, the hand-set "
    "XOR network, cross-entropy, and the exercises: a) NOT, b) NAND, c) XOR from random weights (a run that "
    "converges and one that does not), d) an MNIST classifier $f(x) = \\mathrm{softmax}(xW + b)$."),
    setup("Value, datasets, nn, no_grad, optim"),
    md("## The hand-set XOR network\n\n$h = \\sigma(x W_1 + b_1)$, $y = \\sigma(h W_2 + b_2)$ with "
    "$W_1 = [[10, -10], [10, -10]]$, $b_1 = [-5, 15]$, $W_2 = [[10], [10]]$, $b_2 = [-15]$: outputs 0, 1, 1, 0."),
    """X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
W1 = Value(np.array([[10.0, -10.0], [10.0, -10.0]]), label="W1")
b1 = Value(np.array([-5.0, 15.0]), label="b1")
W2 = Value(np.array([[10.0], [10.0]]), label="W2")
b2 = Value(np.array([-15.0]), label="b2")
h = (X @ W1 + b1).sigmoid()
h.label = "h"
y = (h @ W2 + b2).sigmoid()
y.label = "y"
loss = nn.functional.mse_loss(y, np.array([[0.0], [1.0], [1.0], [0.0]]))
loss.label = "loss"
loss.backward()
print(np.round(y.data[:, 0], 3))
draw_dot(loss)""",
    "draw_dot(loss, interactive=True)",
    md("## Cross-entropy\n\nThe terms $y \\log f(x) + (1 - y) \\log(1 - f(x))$: about -0.01 for a confident right "
    "answer, about -4.61 for a confident wrong one."),
    """for target, f in [(1, 0.99), (0, 0.01), (1, 0.01), (0, 0.99)]:
    term = -nn.functional.binary_cross_entropy(Value(np.array([f])), np.array([float(target)]))
    print(f"y = {target}, f = {f}: {term.item():.2f}")""",
    md("## Exercises a-c: NOT, NAND and XOR learnt by gradient descent\n\n"
    "Each model is $\\sigma(xW + b)$ (XOR with a hidden layer of two sigmoid units), weights drawn in [-1, 1], "
    "trained on binary cross-entropy computed from the logits."),
    """X1 = np.array([[0.0], [1.0]])
GATES = {"NOT": (X1, np.array([[1.0], [0.0]])),
         "NAND": (X, np.array([[1.0], [1.0], [1.0], [0.0]])),
         "XOR": (X, np.array([[0.0], [1.0], [1.0], [0.0]]))}

def train(gate, hidden, seed, epochs=1500, lr=2.0):
    x, t = GATES[gate]
    rng = np.random.default_rng(seed)
    sizes = [x.shape[1]] + ([hidden] if hidden else []) + [1]
    layers = [(Value(rng.uniform(-1, 1, (m, n)), label=f"W{i + 1}"), Value(rng.uniform(-1, 1, n), label=f"b{i + 1}"))
              for i, (m, n) in enumerate(zip(sizes, sizes[1:]))]
    opt = optim.SGD([p for layer in layers for p in layer], lr=lr)

    def logits(x):
        for W, b in layers[:-1]:
            x = (x @ W + b).sigmoid()
        W, b = layers[-1]
        return x @ W + b

    for _ in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(logits(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = logits(x).sigmoid().data[:, 0]
    return out, loss.item(), bool(np.all(np.round(out) == t[:, 0]))

for gate in ("NOT", "NAND"):
    out, final, ok = train(gate, 0, seed=0)
    print(f"{gate}: outputs {np.round(out, 3)}, loss {final:.4f}, correct: {ok}")
    assert ok""",
    md("XOR from random weights: some draws find a correct model, others stall. We look for one of each."),
    """runs = {}
for seed in range(30):
    out, final, ok = train("XOR", 2, seed)
    runs.setdefault(ok, (seed, out, final))
    if len(runs) == 2:
        break
for ok, (seed, out, final) in sorted(runs.items(), reverse=True):
    verdict = "converges" if ok else "does not converge"
    print(f"seed {seed}: {verdict}: outputs {np.round(out, 3)}, loss {final:.4f}")""",
    md("The training runs step by step, with the decision surface and the loss at each step, are the page of "
    "`tinygrad-edu explore gates` (and `xor`)."),
    md("## Exercise d: MNIST with $f(x) = \\mathrm{softmax}(xW + b)$\n\n"
    "One pass over the 60,000 training images in batches of 100 reaches a test accuracy above 0.9. The data is "
    "read from `$TINYGRAD_EDU_DATA/mnist` or the cache (set `download=True` to fetch it)."),
    """try:
    x_train, y_train = datasets.load_mnist("train", download=False)
    x_test, y_test = datasets.load_mnist("test", download=False)
except Exception as e:  # no local copy: say so instead of downloading in class
    x_train = None
    print("MNIST is not here:", e)
if x_train is not None:
    W = Value(np.zeros((784, 10), dtype=np.float32), label="W")
    b = Value(np.zeros(10, dtype=np.float32), label="b")
    opt = optim.SGD([W, b], lr=0.5)
    for xb, yb in datasets.batches(x_train, y_train, 100, generator=np.random.default_rng(0)):
        loss = nn.functional.cross_entropy(xb @ W + b, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        accuracy = float(np.mean(np.argmax((x_test @ W + b).data, axis=1) == y_test))
    print(f"test accuracy {accuracy:.4f}")
    assert accuracy >= 0.9""",
    md("The columns of W, one 28x28 picture per digit, and the graph of one training step:"),
    """if x_train is not None:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
    for digit, ax in enumerate(axes):
        ax.imshow(W.data[:, digit].reshape(28, 28), cmap="coolwarm")
        ax.set_title(str(digit))
        ax.axis("off")
    plt.show()
    loss = nn.functional.cross_entropy(x_train[:100] @ W + b, y_train[:100])
    loss.label = "loss"
    loss.backward()
    display(draw_dot(loss))""",
]

WALKTHROUGH = [
    md("# From micrograd to tensors\n\n"
    "One neuron three ways: by hand, with scalar `Value`s (micrograd's way), and with tensors; its graph, "
    "backward by hand and by the engine, and a gradient check against finite differences."),
    setup("Value", "from tinygrad_edu.testing import gradcheck\n"),
    md("## The neuron by hand\n\n$y = \\tanh(w_1 x_1 + w_2 x_2 + b)$. Forward, one number at a time:"),
    """x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
n = w1 * x1 + w2 * x2 + b
out = np.tanh(n)
print(f"n = {n:.4f}, out = {out:.4f}")""",
    md("Backward by hand, by the chain rule: $d\\,out/dn = 1 - \\tanh^2 n$; then each input of the sum gets that "
    "times its partner in the product."),
    """dn = 1 - out ** 2
by_hand = {"x1": dn * w1, "w1": dn * x1, "x2": dn * w2, "w2": dn * x2, "b": dn}
by_hand""",
    md("## The same with scalar Values\n\nEvery number is a `Value`; the engine records the graph as it computes."),
    """vals = {k: Value(v, label=k) for k, v in dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b).items()}
x1w1 = vals["x1"] * vals["w1"]
x1w1.label = "x1*w1"
x2w2 = vals["x2"] * vals["w2"]
x2w2.label = "x2*w2"
nv = x1w1 + x2w2 + vals["b"]
nv.label = "n"
o = nv.tanh()
o.label = "out"
o.backward()
for k, v in vals.items():
    print(f"{k}: engine {v.grad:+.4f}, by hand {by_hand[k]:+.4f}")
    assert abs(v.grad - by_hand[k]) < 1e-9
draw_dot(o)""",
    md("Step through backward: the engine visits the graph from the output, each node's rule in words."),
    "draw_dot(o, interactive=True)",
    md("## The same with tensors\n\nThe inputs become a row `x`, the weights a column `W`: "
    "$out = \\tanh(xW + b)$. One matmul replaces the products and the sum."),
    """xt = Value(np.array([[x1, x2]]), label="x")
Wt = Value(np.array([[w1], [w2]]), label="W")
bt = Value(np.array([b]), label="b")
ot = (xt @ Wt + bt).tanh().sum()
ot.label = "out"
ot.backward()
print("dW", Wt.grad[:, 0], "db", bt.grad, "dx", xt.grad[0])
assert np.allclose(Wt.grad[:, 0], [by_hand["w1"], by_hand["w2"]]) and np.isclose(bt.grad[0], by_hand["b"])
draw_dot(ot)""",
    "draw_dot(ot, interactive=True)",
    md("## Gradient check\n\nCompare the engine's gradients with central finite differences, every element."),
    """rng = np.random.default_rng(0)
ok = gradcheck(lambda x, W, b: (x @ W + b).tanh().sum(), rng.normal(size=(4, 2)), rng.normal(size=(2, 3)),
               rng.normal(size=3))
print("gradcheck:", ok)
assert ok""",
]

NOTEBOOKS = {
    "maths_circle_lecture.ipynb": MATHS_CIRCLE,
    "course_lecture_exercises.ipynb": COURSE,
    "micrograd_to_tensors.ipynb": WALKTHROUGH,
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name``, without outputs."""
    cells = []
    for i, item in enumerate(NOTEBOOKS[name]):
        cell = new_markdown_cell(item[1]) if isinstance(item, tuple) else new_code_cell(item)
        cell["id"] = f"c{i:02d}"  # stable ids: rebuilding changes nothing
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    return nb


def main() -> None:
    for name in NOTEBOOKS:
        nbformat.write(build(name), HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
