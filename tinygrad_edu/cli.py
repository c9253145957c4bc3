"""Command line: ``tinygrad-edu demo``, ``graph`` and ``explore`` (also ``python -m tinygrad_edu``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu",
        description="tinygrad_edu: automatic differentiation you can read in an afternoon.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    from . import demo, explore_cli, viz_cli

    demo.add_arguments(sub.add_parser("demo", help="a short tour: lecture numbers, MNIST, a rendered graph"))
    viz_cli.add_arguments(sub.add_parser("graph", help="render the computation graph of a built-in example"))
    explore_cli.add_arguments(sub.add_parser("explore", help="write a page that steps through forward and backward"))
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.run(args)
    if args.command == "explore":
        return explore_cli.run(args)
    return viz_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
