"""Run README.md's ```python blocks in order, in one namespace, and check the results their comments show.

    python tests/readme_snippets.py [README.md] [--workdir DIR]

The blocks run top to bottom as one session (a later block may use names an earlier one made), from a
scratch folder (a block that saves a file writes it there), with NumPy's and Python's global random
generators seeded. Two kinds of line are checked against their trailing comment:

- a bare expression whose comment is a Python literal: ``W.grad.shape  # ((3, 2), (2,))`` must evaluate
  to ``((3, 2), (2,))``;
- a ``print(...)`` whose comment holds only numbers: ``print(d.data)  # -0.99991`` must print that many
  numbers, each equal to the comment's up to the digits the comment shows.

Other comments are prose and are not checked. The package is whatever ``import tinygrad_edu`` finds:
.ci/check_wheel.sh runs this file with the venv the wheel was installed into, the test suite runs it on
the source tree (tests/test_readme.py).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import os
import random
import re
import sys
import tempfile
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Block:
    """One ```python block: its first line's number in README.md and its source."""

    line: int
    source: str


class SnippetError(AssertionError):
    """A README block that raised, or a line whose result differs from its comment."""


def python_blocks(text: str) -> list[Block]:
    """Every ```python fenced block of a Markdown text, with the README line its code starts on."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append(Block(text.count("\n", 0, match.start(1)) + 1, match.group(1)))
    return blocks


def _comments(source: str) -> dict[int, str]:
    """Line number (within the block) -> the text of the comment on that line."""
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string.lstrip("#").strip()
    return found


def _decimals(token: str) -> int:
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _same(got: Any, expected: Any, shown: str) -> bool:
    """``got`` equals the literal ``expected``; floats only up to the digits shown in the comment."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_same(g, e, shown) for g, e in zip(got, expected)))
    if isinstance(expected, float):
        digits = max((_decimals(t) for t in NUMBER.findall(shown)), default=0)
        return abs(float(got) - expected) <= 0.5 * 10.0 ** -digits * (1 + 1e-9)
    return bool(got == expected)


def _check_printed(printed: str, comment: str) -> str | None:
    """None when the printed numbers match the comment's, else what differs."""
    want, got = comment.split(), NUMBER.findall(printed)
    if len(want) != len(got):
        return f"printed {len(got)} numbers ({printed.strip()!r}), the comment shows {len(want)} ({comment!r})"
    for w, g in zip(want, got):
        if abs(float(g) - float(w)) > 0.5 * 10.0 ** -_decimals(w) * (1 + 1e-9):
            return f"printed {g}, the comment shows {w}"
    return None


def _is_print(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "print")


def run_block(block: Block, namespace: dict[str, Any], filename: str = "README.md") -> int:
    """Execute one block statement by statement in ``namespace``; returns how many results were checked."""
    tree = ast.parse(block.source, filename=filename)
    comments = _comments(block.source)
    checked = 0
    for node in tree.body:
        where = f"{filename}:{block.line + node.lineno - 1}"
        comment = comments.get(node.end_lineno or node.lineno, "")
        literal: Any = None
        has_literal = False
        if isinstance(node, ast.Expr) and not _is_print(node) and comment:
            try:
                literal, has_literal = ast.literal_eval(comment), True
            except (ValueError, SyntaxError):
                pass
        numbers_only = _is_print(node) and comment and all(NUMBER.fullmatch(w) for w in comment.split())
        moved = ast.increment_lineno(ast.Module(body=[node], type_ignores=[]), block.line - 1)
        buffer = io.StringIO()
        try:
            if has_literal:
                assert isinstance(node, ast.Expr)
                expression = ast.increment_lineno(ast.Expression(body=node.value), block.line - 1)
                value = eval(compile(expression, filename, "eval"), namespace)
            else:
                with contextlib.redirect_stdout(buffer) if numbers_only else contextlib.nullcontext():
                    exec(compile(moved, filename, "exec"), namespace)
        except Exception as e:
            raise SnippetError(f"{where}: the block starting at line {block.line} raised "
                               f"{type(e).__name__}: {e}") from e
        if numbers_only:
            sys.stdout.write(buffer.getvalue())
            problem = _check_printed(buffer.getvalue(), comment)
            if problem:
                raise SnippetError(f"{where}: {problem}")
            checked += 1
        elif has_literal:
            if not _same(value, literal, comment):
                raise SnippetError(f"{where}: the line evaluates to {value!r}, its comment says {comment}")
            checked += 1
    return checked


def run(readme: Path, workdir: Path | None = None, verbose: bool = True) -> dict[str, float]:
    """Run every python block of ``readme`` from ``workdir`` (a fresh temporary folder by default).

    Returns ``{"blocks": ..., "checked": ..., "seconds": ...}``; raises ``SnippetError`` on the first failure.
    """
    import numpy as np

    readme = Path(readme).resolve()
    blocks = python_blocks(readme.read_text(encoding="utf-8"))
    if not blocks:
        raise SnippetError(f"{readme}: no ```python blocks found")
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    np.random.seed(0)
    random.seed(0)
    checked, start = 0, time.perf_counter()
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="readme-")))
        previous = os.getcwd()
        os.chdir(workdir)
        stack.callback(os.chdir, previous)
        for block in blocks:
            began = time.perf_counter()
            checked += run_block(block, namespace, readme.name)
            if verbose:
                print(f"  README.md block at line {block.line}: ok, {time.perf_counter() - began:.1f} s", flush=True)
    return {"blocks": len(blocks), "checked": checked, "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("readme", nargs="?", type=Path, default=Path(__file__).resolve().parents[1] / "README.md")
    parser.add_argument("--workdir", type=Path, help="folder to run the blocks from (default: a temporary one)")
    parser.add_argument("--outside", type=Path, help="fail unless tinygrad_edu is imported from outside this folder")
    args = parser.parse_args(argv)
    import tinygrad_edu

    home = Path(tinygrad_edu.__file__).resolve().parent
    if args.outside is not None and args.outside.resolve() in home.parents:
        print(f"FAILED: tinygrad_edu was imported from {home}, inside {args.outside}", file=sys.stderr)
        return 1
    print(f"README snippets of {args.readme} against tinygrad_edu {tinygrad_edu.__version__} "
          f"from {home}")
    try:
        result = run(args.readme, args.workdir)
    except SnippetError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print(f"README snippets: {result['blocks']} blocks ran, {result['checked']} results checked "
          f"against their comments, {result['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
