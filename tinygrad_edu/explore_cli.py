"""``tinygrad-edu explore EXAMPLE -o page.html``: an interactive page that steps through forward and backward.

Graphs (those of ``tinygrad-edu graph``, and one more):
  neuron       the lectures' neuron sigma(w1 a1 + w2 a2 + w3 a3 + b), scalar Values
  used-twice   e = a*b + a: a feeds two ops, so its gradient is the sum of two parts (the classic trap)
  xor-graph    the lectures' hand-set XOR network with its squared error, tensors (``graph xor``)
  mlp          a tensor MLP 4-8-8-2 with an MSE loss, one cluster per layer
  scalar-mlp   micrograd's MLP(3, [4, 4, 1]) node by node
  mnist-step   one training step of a 784-128-10 MNIST classifier
  cnn-step     one training step of a LeNet-style CNN on 8 MNIST-shaped images
  transformer-step  one training step of a 4-block decoder-only transformer (blocks 1-3 as one node)

Training runs (a slider over the steps: decision surface or descent path, loss curve, weights):
  gates        NOT, NAND, OR, AND, and XOR from random weights (a run that converges, one that does not)
  xor          XOR from random weights only: the converging and the stalling run
  descent      the lecture's projected gradient descent on its contour plot
  moons        micrograd's moons demo: the decision boundary of a 2-16-16-1 scalar MLP as it is learnt

The page is one HTML file with everything inline: open it in a browser, from disk, offline.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .engine import Value
from .graph_examples import EXAMPLES
from .train_views import descent_page, gates_page, moons_page
from .viz_cli import add_merge_arguments, merge_options
from .viz_page import to_html


def used_twice() -> Value:
    """e = a*b + a with a = 2, b = -3: a is used twice, de/da = b + 1 = -2."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    e = c + a
    e.label = "e"
    return e


PAGES: dict[str, Callable[[], Value]] = {**{("xor-graph" if k == "xor" else k): v for k, v in EXAMPLES.items()},
                                         "used-twice": used_twice}
TRAINING: dict[str, Callable[[Path], str]] = {  # training views (train_views.py)
    "gates": lambda out: gates_page(out),
    "xor": lambda out: gates_page(out, gates=(), title="XOR learnt from random weights: one run converges, one not"),
    "descent": lambda out: descent_page(out),
    "moons": lambda out: moons_page(out),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``explore`` sub-command's options."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("example", choices=sorted([*PAGES, *TRAINING]), help="which graph or training run")
    parser.add_argument("-o", "--out", type=Path, help="output file (default explore-EXAMPLE.html)")
    parser.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="left-right or top-bottom")
    parser.add_argument("--collapse", action="store_true", help="one node per module")
    parser.add_argument("--max-nodes", type=int, default=400, help="merge repeated structure above this many nodes")
    add_merge_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Write the chosen example's page; prints where and how large."""
    out = args.out or Path(f"explore-{args.example}.html")
    if args.example in TRAINING:
        page = TRAINING[args.example](out)
        print(f"wrote {out} ({len(page.encode()) / 1024:.0f} KB): open it in a browser")
        return 0
    make = PAGES[args.example]
    args.example = "xor" if args.example == "xor-graph" else args.example  # (the name of its drawing options)
    page = to_html(make(), out, title=(make.__doc__ or args.example).splitlines()[0], rankdir=args.rankdir,
                   collapse_modules=args.collapse, max_nodes=args.max_nodes, **merge_options(args))
    print(f"wrote {out} ({len(page.encode()) / 1024:.0f} KB): open it in a browser")
    return 0
