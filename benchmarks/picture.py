"""The picture of the results table: for each case, each engine's time over tinygrad_edu's, on a log scale.

``python -m benchmarks --write`` calls ``write`` after it rewrites the table, so that the picture always
shows the table in benchmarks/README.md (cases re-run alone with ``--only`` included).
"""

from __future__ import annotations

import re
from pathlib import Path

PICTURE = Path(__file__).resolve().parents[1] / "docs" / "images" / "benchmarks.svg"
COLOURS = {"tinygrad_edu": "#d62728", "hand-written NumPy": "#7f7f7f", "PyTorch": "#ee8c00", "JAX": "#1f77b4",
           "HIPS autograd": "#2ca02c", "tinygrad ": "#9467bd", "micrograd": "#8c564b", "torch": "#ee8c00"}


def _value(text: str) -> float | None:
    match = re.match(r"\s*([0-9.]+(?:e[-+]?\d+)?)\s", text + " ")
    return float(match.group(1)) if match else None


def relative(table: list[str]) -> list[tuple[str, list[tuple[str, float]]]]:
    """(case, [(engine, time / tinygrad_edu's time)]) from the table's lines, reference rows left out."""
    cases: dict[str, dict[str, float]] = {}
    for line in table:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0][:1].isdigit():
            continue
        value = _value(cells[2])
        if value is None or cells[1].startswith("reference"):
            continue
        cases.setdefault(cells[0], {})[cells[1]] = value
    out = []
    for case, engines in cases.items():
        mine = next((v for e, v in engines.items() if e.startswith("tinygrad_edu")), None)
        if mine is None or len(engines) < 2 or "memory" in case:
            continue
        out.append((case, [(e, v / mine) for e, v in engines.items()]))
    return out


def _colour(engine: str) -> str:
    return next((c for prefix, c in COLOURS.items() if engine.startswith(prefix)), "#17becf")


def write(table: list[str], path: Path = PICTURE) -> Path:
    """Draw ``relative(table)`` as horizontal bars, one group per case, into ``path`` (.svg or .png)."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text in the SVG: smaller, searchable
        _draw(relative(table), path, plt, matplotlib)
    return path


def _draw(groups: list, path: Path, plt, matplotlib) -> None:

    labels, ratios, colours, heads = [], [], [], []
    for case, engines in groups:
        heads.append((len(labels), case))
        for engine, ratio in engines:
            labels.append(engine.replace(", neighbour busy", ""))
            ratios.append(ratio)
            colours.append(_colour(engine))
        labels.append("")  # a gap between cases
        ratios.append(float("nan"))
        colours.append("none")
    fig, ax = plt.subplots(figsize=(9, 0.24 * len(labels) + 0.3 * len(groups) + 1.2))
    ys = list(range(len(labels)))
    ax.barh(ys, [r - 1 for r in ratios], color=colours, height=0.75, left=1)  # from 1: faster left, slower right
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(ys, labels, fontsize=7)
    ax.invert_yaxis()
    finite = [r for r in ratios if r == r]
    ax.set_xlim(min(0.5, min(finite, default=1) / 1.5), max(2.0, max(finite, default=1) * 1.5))
    for at, case in heads:
        ax.text(ax.get_xlim()[0], at - 0.75, " " + case, fontsize=7.5, fontweight="bold", va="bottom")
    for y, r in zip(ys, ratios):
        if r == r:
            ax.text(r, y, f" {r:.2f}x" if r < 10 else f" {r:.0f}x", va="center", fontsize=6.5)
    ax.set_xlabel("time / tinygrad_edu's time in the same case (log scale; < 1: faster than tinygrad_edu)")
    ax.set_title("benchmarks/README.md's table: each engine against tinygrad_edu (= 1)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
