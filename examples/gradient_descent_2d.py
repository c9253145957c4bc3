"""Gradient descent on f(x1, x2) = sin(0.8 x1) sin(0.6 x2) e^(0.1 x1) inside a box.

The lecture minimises f over -2 <= x1 <= 3, -2 <= x2 <= 2 from (2, 2); the
minimum lies on the boundary, near (2.11894, -2) with f = -1.14312. Plain
gradient descent would walk out of the box, so each step is projected back
into it (clipped). The gradients come from the engine's backward().

Run:  python examples/gradient_descent_2d.py --out outputs/gradient_descent_2d
The descent lives in tinygrad_edu/train_views.py, whose page (tinygrad-edu
explore descent) shows the path step by step.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Value
from tinygrad_edu.plots import pyplot
from tinygrad_edu.train_views import HIGH, LOW, descend  # the descent, shared with its page
from tinygrad_edu.train_views import f2d as f


def plot(path: np.ndarray, out: Path) -> list[Path]:
    plt = pyplot("the descent pictures")  # matplotlib: pip install "tinygrad-edu[plots]"

    g1, g2 = np.meshgrid(np.linspace(LOW[0], HIGH[0], 200), np.linspace(LOW[1], HIGH[1], 200))
    fz = np.sin(0.8 * g1) * np.sin(0.6 * g2) * np.exp(0.1 * g1)
    fp = np.sin(0.8 * path[:, 0]) * np.sin(0.6 * path[:, 1]) * np.exp(0.1 * path[:, 0])

    fig, ax = plt.subplots(figsize=(6, 5))
    cs = ax.contourf(g1, g2, fz, levels=30, cmap="viridis")
    fig.colorbar(cs, label="f(x1, x2)")
    ax.plot(path[:, 0], path[:, 1], "o-", color="white", ms=3, lw=1, label="gradient descent")
    ax.plot(*path[-1], "r*", ms=14, label=f"end ({path[-1][0]:.5f}, {path[-1][1]:.5f})")
    ax.set(xlabel="x1", ylabel="x2", title="Projected gradient descent from (2, 2)")
    ax.legend(loc="upper left")
    contour = out / "contour.png"
    fig.savefig(contour, dpi=120, bbox_inches="tight")
    plt.close(fig)

    fig = plt.figure(figsize=(7, 5))
    ax3 = fig.add_subplot(projection="3d")
    ax3.plot_surface(g1, g2, fz, cmap="viridis", alpha=0.7, linewidth=0)
    ax3.plot(path[:5, 0], path[:5, 1], fp[:5], "ro-", ms=5, lw=2, label="first four steps")
    ax3.set(xlabel="x1", ylabel="x2", zlabel="f", title="Four steps of descent on the surface")
    ax3.legend()
    surface = out / "surface.png"
    fig.savefig(surface, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return [contour, surface]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gamma", type=float, default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--steps", type=int, default=200, help="number of steps m (default 200)")
    parser.add_argument("--out", type=Path, default=Path("outputs/gradient_descent_2d"), help="folder for the plots")
    args = parser.parse_args(argv)

    path = descend(np.array([2.0, 2.0]), args.gamma, args.steps)
    x1, x2 = path[-1]
    value = f(Value(path[-1])).item()
    print(f"after {args.steps} steps: x = ({x1:.5f}, {x2:.5f}), f(x) = {value:.5f}")
    print("lecture's minimum:       x = (2.11894, -2.00000), f(x) = -1.14312")
    args.out.mkdir(parents=True, exist_ok=True)
    pictures = plot(path, args.out)
    print("plots:", *pictures)
    return {"x": (float(x1), float(x2)), "f": value, "path": path, "pictures": pictures}


if __name__ == "__main__":
    main()
