"""``tinygrad-edu graph EXAMPLE``: render the computation graph of a built-in example.

Examples:
  neuron       the lectures' neuron sigma(w1 a1 + w2 a2 + w3 a3 + b), scalar Values, after backward
  xor          the lectures' hand-set XOR network, h = sigma(x W1 + b1), y = sigma(h W2 + b2), tensors
  mlp          a tensor MLP 4-8-8-2 with an MSE loss, one cluster per layer
  scalar-mlp   micrograd's MLP(3, [4, 4, 1]) node by node, grouped by layer and neuron
  mnist-step   one training step of a 784-128-10 MNIST classifier: a handful of labelled nodes
  cnn-step     one training step of a LeNet-style CNN (conv, pool, conv, pool, 3 linear layers), 8 images
  transformer-step  one training step of a 4-block decoder-only transformer: block 0 in full, blocks 1-3 as one
               node, each LayerNorm as one node
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .graph_examples import DRAWING, EXAMPLES
from .viz import MAX_SIZE, draw_graph, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``graph`` sub-command's options."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("example", choices=sorted(EXAMPLES), help="which built-in graph to draw")
    parser.add_argument("--out", type=Path, help="output file (default graph-EXAMPLE.FORMAT)")
    parser.add_argument("--format", choices=["svg", "png", "pdf", "dot"],
                        help="default: the --out extension, or svg; must agree with the --out extension")
    parser.add_argument("--rankdir", choices=["auto", "LR", "TB"], default="auto",
                        help="left-right, top-bottom, or auto (top-bottom for deep graphs)")
    parser.add_argument("--full-size", action="store_true",
                        help=f"do not scale the picture down to {MAX_SIZE[0]:g} x {MAX_SIZE[1]:g} inches")
    parser.add_argument("--no-data", action="store_true", help="hide the data")
    parser.add_argument("--no-grad", action="store_true", help="hide the gradients")
    parser.add_argument("--no-group", action="store_true", help="no clusters per module")
    parser.add_argument("--collapse", action="store_true", help="one node per module")
    parser.add_argument("--grad-colors", action="store_true", help="shade values by |grad| (vanishing/exploding)")
    parser.add_argument("--max-nodes", type=int, default=400, help="merge repeated structure above this many nodes")
    parser.add_argument("--max-clusters", type=int, default=100, help="... or above this many module boxes")
    add_merge_arguments(parser)


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    """``--repeats`` and ``--collapse-class``, shared with ``explore``; their defaults depend on the example."""
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="draw the first N of each run of sibling modules of one class in full, the rest as "
                             "one node; 0: all in full (default: 1 for scalar-mlp and transformer-step, else 0)")
    parser.add_argument("--collapse-class", nargs="*", metavar="CLASS",
                        help="module classes drawn as one node each (default: LayerNorm for transformer-step); "
                             "given without names: none")


def merge_options(args: argparse.Namespace) -> dict[str, Any]:
    """``draw_graph``'s ``repeats`` and ``collapse`` from the options, or the example's defaults (``DRAWING``)."""
    options = dict(DRAWING.get(args.example, {}))
    if args.repeats is not None:
        if args.repeats < 0:
            raise SystemExit(f"tinygrad-edu {args.command}: --repeats must be 0 or more, got {args.repeats}")
        options["repeats"] = args.repeats or None
    if args.collapse_class is not None:
        options["collapse"] = tuple(args.collapse_class)
    return options


def run(args: argparse.Namespace) -> int:
    """Draw the chosen example and write it; prints where."""
    suffix = args.out.suffix.lstrip(".").lower() if args.out else ""
    if args.format and suffix and suffix != args.format:  # n.svg holding PNG bytes would be a broken file
        raise SystemExit(f"tinygrad-edu graph: --format {args.format} disagrees with --out {args.out} "
                         f"(a .{suffix} file); drop one of them or make them agree, e.g. --out "
                         f"{args.out.with_suffix('.' + args.format)}")
    root = EXAMPLES[args.example]()
    dot = draw_graph(
        root,
        rankdir=args.rankdir,
        show_data=not args.no_data,
        show_grad=not args.no_grad,
        group=not args.no_group,
        collapse_modules=args.collapse,
        grad_colors=args.grad_colors,
        max_nodes=args.max_nodes,
        max_clusters=args.max_clusters,
        title=(EXAMPLES[args.example].__doc__ or args.example).splitlines()[0],
        max_size=None if args.full_size else MAX_SIZE,
        **merge_options(args),
    )
    fmt = args.format or (args.out.suffix.lstrip(".") if args.out and args.out.suffix else "svg")
    out = args.out or Path(f"graph-{args.example}.{fmt}")
    print(f"wrote {render(dot, out, fmt)}")
    return 0
