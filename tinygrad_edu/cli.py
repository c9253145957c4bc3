"""Command line: ``tinygrad-edu demo`` and ``tinygrad-edu graph`` (also ``python -m tinygrad_edu``)."""

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

    from . import demo, viz_cli

    demo.add_arguments(sub.add_parser("demo", help="a short tour: lecture numbers, MNIST, a rendered graph"))
    viz_cli.add_arguments(sub.add_parser("graph", help="render the computation graph of a built-in example"))
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.run(args)
    return viz_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
