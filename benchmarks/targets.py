"""The targets of benchmarks/README.md, judged from its results table: ``python -m benchmarks --write`` fills them in.

Each target reads the rows it needs from the table (so it also follows a case re-run alone with ``--only``)
and gives one sentence: met or not, and the numbers. ``fill`` writes those sentences into the README in two
places: the summary table between ``<!-- targets:begin -->`` and ``<!-- targets:end -->``, and every
``<!-- target:NAME -->...<!-- /target -->`` span in the prose (the case list names its targets that way).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

BEGIN, END = "<!-- targets:begin -->", "<!-- targets:end -->"
SPAN = re.compile(r"(<!-- target:([a-z0-9_]+) -->)(.*?)(<!-- /target -->)", re.S)
Rows = list[tuple[str, str, float, str]]  # (case, engine, value, unit)


def parse(table: list[str]) -> Rows:
    """(case, engine, value, unit) of every timed row of the results table's markdown lines."""
    rows = []
    for line in table:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0][:1].isdigit():
            continue
        match = re.match(r"([0-9.]+(?:e[-+]?\d+)?)\s+(\S+)", cells[2])
        if match:
            rows.append((cells[0], cells[1], float(match.group(1)), match.group(2)))
    return rows


def _get(rows: Rows, case: str, engine: str, contains: str = "") -> tuple[float, str] | None:
    """The value of the row of ``engine`` whose case starts with ``case`` (and contains ``contains``)."""
    for c, e, v, u in rows:
        if c.startswith(case) and contains in c and e == engine:
            return v, u
    return None


def _fmt(x: tuple[float, str]) -> str:
    return f"{x[0]:.3g} {x[1]}" if x[0] < 100 else f"{x[0]:.0f} {x[1]}"


@dataclass
class Target:
    name: str
    what: str  # the target, as the README states it
    judge: Callable[[Rows], tuple[bool | None, str] | None]  # (met, the numbers); met None: recorded, no target


def ratio(case: str, ours: str, theirs: str, limit: float, strict: bool = False, contains: str = "",
          theirs_case: str | None = None, theirs_contains: str | None = None) -> Callable[[Rows], tuple | None]:
    """A target ``ours / theirs <= limit`` (``<`` when strict) between two rows; ``limit`` 0: no target."""
    def judge(rows: Rows) -> tuple[bool | None, str] | None:
        a = _get(rows, case, ours, contains)
        b = _get(rows, theirs_case or case, theirs, contains if theirs_contains is None else theirs_contains)
        if a is None or b is None or not b[0]:
            return None
        r = a[0] / b[0]
        met = None if not limit else (r < limit if strict else r <= limit)
        return met, f"{r:.2f}x ({_fmt(a)} vs {_fmt(b)})"
    return judge


def _chain_per_node(rows: Rows) -> tuple[bool, str] | None:
    a = _get(rows, "4. chain of 1,000,000 ", "tinygrad_edu")
    return None if a is None else (a[0] <= 2.0, f"{_fmt(a)} per node at 10^6")


def _chain_growth(rows: Rows) -> tuple[bool, str] | None:
    small, big = _get(rows, "4. chain of 1,000 ", "tinygrad_edu"), _get(rows, "4. chain of 1,000,000 ", "tinygrad_edu")
    if small is None or big is None:
        return None
    return big[0] / small[0] <= 1.5, f"{big[0] / small[0]:.2f}x ({_fmt(small)} at 10^3, {_fmt(big)} at 10^6)"


def _busy(rows: Rows) -> tuple[bool, str] | None:
    free = "use_free_cores() every step"
    adaptive = ratio("7.", "tinygrad_edu, neighbour busy", "reference: tinygrad_edu, quiet", 2.0, strict=True,
                     contains=free, theirs_contains="as NumPy sets them")(rows)
    default = ratio("7.", "tinygrad_edu, neighbour busy", "reference: tinygrad_edu, quiet", 0,
                    contains="as NumPy sets them")(rows)
    numpy = ratio("7.", "tinygrad_edu, neighbour busy", "hand-written NumPy, neighbour busy", 0, contains=free)(rows)
    if adaptive is None or default is None or numpy is None:
        return None
    return adaptive[0], (f"busy with use_free_cores() / quiet with the library's threads {adaptive[1]}; the "
                         f"library's own threads busy / quiet {default[1]}; / NumPy busy, same setting {numpy[1]}")


TARGETS = [
    Target("moons", "1. scalar moons step ≤ 0.1x micrograd (GC on)",
           ratio("1.", "tinygrad_edu (GC on)", "micrograd (GC on)", 0.1)),
    Target("mlp_numpy", "2. tensor MLP step ≤ 1.1x hand-written NumPy",
           ratio("2.", "tinygrad_edu", "hand-written NumPy", 1.1)),
    Target("mlp_torch", "2. tensor MLP step faster than PyTorch CPU",
           ratio("2.", "tinygrad_edu", "PyTorch CPU", 1.0, strict=True)),
    Target("per_op", "3. per-op overhead ≤ 0.7x PyTorch", ratio("3.", "tinygrad_edu", "PyTorch CPU", 0.7)),
    Target("chain_node", "4. chain: ≤ 2 µs per node at 10^6", _chain_per_node),
    Target("chain_growth", "4. chain: constant within 1.5x from 10^3 to 10^6", _chain_growth),
    Target("memory", "6. MLP training-loop memory ≤ 1.3x NumPy",
           ratio("6.", "tinygrad_edu", "hand-written NumPy", 1.3)),
    Target("busy", "7. one core busy: not the 2–10x slowdown (use_free_cores() < 2x the quiet step)", _busy),
    Target("quiet", "7. quiet machine: use_free_cores() no slower (≤ 1.1x, the run-to-run noise)",
           ratio("7.", "reference: tinygrad_edu, quiet", "reference: tinygrad_edu, quiet", 1.1,
                 contains="use_free_cores() every step", theirs_contains="as NumPy sets them")),
    Target("lenet", "10a. LeNet step ≤ 1.2x the hand-written NumPy step",
           ratio("10a.", "tinygrad_edu", "hand-written NumPy", 1.2)),
    Target("lenet_1thread", "10a. the same, both with one BLAS thread (the steadier comparison)",
           ratio("10a.", "reference: tinygrad_edu, 1 BLAS thread",
                 "reference: hand-written NumPy, 1 BLAS thread", 1.2)),
    Target("lenet_torch", "10a. LeNet step: the ratio to PyTorch CPU (recorded, no target)",
           ratio("10a.", "tinygrad_edu", "PyTorch CPU", 0)),
    Target("lenet_torch_1thread", "10a. the same with one thread each (recorded, no target)",
           ratio("10a.", "reference: tinygrad_edu, 1 BLAS thread", "reference: PyTorch CPU, 1 thread", 0)),
    Target("lenet_memory", "10b. LeNet training-loop memory ≤ 1.5x NumPy",
           ratio("10b.", "tinygrad_edu", "hand-written NumPy", 1.5)),
    Target("transformer_torch", "11. transformer step: the ratio to PyTorch CPU (recorded, no target)",
           ratio("11.", "tinygrad_edu", "PyTorch CPU", 0)),
    Target("transformer_torch_1thread", "11. the same with one thread each (recorded, no target)",
           ratio("11.", "reference: tinygrad_edu, 1 BLAS thread", "reference: PyTorch CPU, 1 thread", 0)),
    Target("makemore_mlp", "12a. makemore MLP step: the ratio to PyTorch CPU (recorded, no target)",
           ratio("12a.", "tinygrad_edu", "PyTorch CPU", 0)),
    Target("wavenet", "12b. WaveNet step: the ratio to PyTorch CPU (recorded, no target)",
           ratio("12b.", "tinygrad_edu", "PyTorch CPU", 0)),
]


def verdicts(table: list[str]) -> dict[str, str]:
    """Target name -> its sentence, e.g. ``**met**: 0.08x (191 ms vs 2367 ms)``."""
    rows = parse(table)
    out = {}
    for t in TARGETS:
        judged = t.judge(rows)
        if judged is None:
            out[t.name] = "not in the table (the case did not run)"
        else:
            met, numbers = judged
            out[t.name] = numbers if met is None else f"**{'met' if met else 'not met'}**: {numbers}"
    return out


def fill(text: str, table: list[str]) -> str:
    """``text`` (the README) with its summary table and every target span rewritten from ``table``."""
    said = verdicts(table)
    lines = ["| target | measured in the table above |", "|---|---|"]
    lines += [f"| {t.what} | {said[t.name]} |" for t in TARGETS]
    block = "\n".join([BEGIN, *lines, END])
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    return SPAN.sub(lambda m: m.group(1) + said.get(m.group(2), m.group(3)) + m.group(4), text)
