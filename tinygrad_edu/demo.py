"""``tinygrad-edu demo``: a short tour that trains and renders.

1. a few of the lectures' worked numbers, computed with the library;
2. MNIST softmax regression f(x) = softmax(x W + b) trained by SGD to >= 0.90
   test accuracy, with one image per digit of the learnt W;
3. the computation graph of the lectures' neuron and of a small MLP, rendered
   with Graphviz.
It prints where everything was written. The full exercises are in examples/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import datasets, nn, optim
from .engine import Value
from .errors import MissingDependencyError
from .graph_examples import mlp, neuron
from .plots import save_weight_images
from .viz import GraphvizNotFoundError, draw_graph, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` sub-command's options."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="folder for the outputs")
    parser.add_argument("--epochs", type=int, default=1, help="MNIST epochs (default 1)")
    parser.add_argument("--data", type=Path, help="folder holding the MNIST .gz files")


def lecture_numbers() -> None:
    """Print the 81 parameters, the two squared errors and the XOR network's outputs."""
    total = nn.parameter_table(nn.mlp([4, 5, 5, 3, 2]))[-1]["total"]
    print(f"  parameters of a 4-5-5-3-2 network: {total} (lectures: 81)")
    output = Value(np.array([0.54, 0.24, 0.92, 0.61, 0.51, 0.14, 0.42, 0.32, 0.51, 0.87]))
    for label, lecture in ((2, 2.3032), (9, 2.4032)):
        target = np.eye(10)[label]
        print(f"  squared error against one-hot {label}: {((output - target) ** 2).sum().item():.4f} "
              f"(lectures: {lecture})")
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    h = (x @ np.array([[10.0, -10.0], [10.0, -10.0]]) + np.array([-5.0, 15.0]))
    y = (Value(h).sigmoid() @ np.array([[10.0], [10.0]]) - 15.0).sigmoid()
    print(f"  hand-set XOR network on 00 01 10 11: {np.round(y.data[:, 0], 3)} (lectures: ~0 ~1 ~1 ~0)")


def mnist_softmax(out: Path, epochs: int, data: Path | None) -> float:
    """Train softmax regression on MNIST, save the weight images, return the test accuracy."""
    x_train, y_train = datasets.load_mnist("train", root=data)
    x_test, y_test = datasets.load_mnist("test", root=data)
    W, b = Value(np.zeros((784, 10), np.float32), label="W"), Value(np.zeros(10, np.float32), label="b")
    opt = optim.SGD([W, b], lr=0.5)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in datasets.batches(x_train, y_train, 100, generator=np.random.default_rng(0)):
            loss = nn.functional.cross_entropy(xb @ W + b, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    accuracy = float(np.mean(np.argmax(x_test @ W.data + b.data, axis=1) == y_test))
    print(f"  test accuracy {accuracy:.4f} after {epochs} epoch(s), {time.perf_counter() - start:.1f} s")
    try:
        pictures = save_weight_images(W.data, out / "mnist_weights")
    except MissingDependencyError:
        print('  weight images skipped: they need matplotlib, pip install "tinygrad-edu[plots]"')
    else:
        print(f"  weight images: {pictures[0].parent}/W_digit_0.png ... W_digit_9.png, grid {pictures[-1]}")
    return accuracy


def graphs(out: Path) -> None:
    """Render the neuron and the MLP graphs (PNG and SVG, or DOT source without Graphviz)."""
    for name, make in (("neuron", neuron), ("mlp", mlp)):
        dot = draw_graph(make(), title=(make.__doc__ or name).splitlines()[0])
        try:
            for fmt in ("png", "svg"):
                print(f"  {name} graph: {render(dot, out / f'graph_{name}.{fmt}')}")
        except GraphvizNotFoundError as e:
            print(f"  {name} graph source: {render(dot, out / f'graph_{name}.dot')} ({e})")


def run(args: argparse.Namespace) -> int:
    """Run the tour; returns 0 when MNIST reached 0.90."""
    args.out.mkdir(parents=True, exist_ok=True)
    print("1. The lectures' numbers")
    lecture_numbers()
    print("2. MNIST: f(x) = softmax(x W + b), trained by SGD")
    accuracy = mnist_softmax(args.out, args.epochs, args.data)
    print("3. Computation graphs")
    graphs(args.out)
    print(f"All outputs are in {args.out.resolve()}")
    return 0 if accuracy >= 0.90 else 1
