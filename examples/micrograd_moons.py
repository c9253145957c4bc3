"""micrograd's moons demo on tinygrad_edu's scalar layers (its loss and loop, written as micrograd's demo, are in
tinygrad_edu/train_views.py, so that `tinygrad-edu explore moons` replays the same run).

A 2-16-16-1 network of scalar Values (every weight its own node, as in the
lectures' pictures) learns to separate two interleaving half-moons with a
max-margin (hinge) loss plus L2 regularisation, by plain gradient descent.

Run:  python examples/micrograd_moons.py --out outputs/micrograd_moons
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from tinygrad_edu import Value, no_grad
from tinygrad_edu.nn import MLP
from tinygrad_edu.plots import pyplot
from tinygrad_edu.train_views import make_moons, train_moons


def train(model: MLP, X: np.ndarray, y: np.ndarray, steps: int) -> list[tuple[float, float]]:
    """micrograd's training loop (train_moons, in the package: `tinygrad-edu explore moons` replays it)."""

    def report(k: int, model: MLP, loss: float, acc: float) -> None:
        if k % 10 == 0 or k == steps - 1:
            print(f"step {k} loss {loss:.4f}, accuracy {acc * 100:.0f}%")

    return train_moons(model, X, y, steps, on_step=report)


def plot(model: MLP, X: np.ndarray, y: np.ndarray, path: Path) -> None:
    plt = pyplot("the decision boundary picture")  # matplotlib: pip install "tinygrad-edu[plots]"

    xx, yy = np.meshgrid(np.linspace(X[:, 0].min() - 1, X[:, 0].max() + 1, 60),
                         np.linspace(X[:, 1].min() - 1, X[:, 1].max() + 1, 60))
    with no_grad():  # only the values are needed: record no graph
        scores = np.array([model([Value(a), Value(b)]).data for a, b in zip(xx.ravel(), yy.ravel())])
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xx, yy, (scores > 0).reshape(xx.shape), cmap="coolwarm", alpha=0.4)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="black", s=30)
    ax.set(title="Decision boundary of MLP(2, [16, 16, 1])", xlabel="x1", ylabel="x2")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="gradient steps (default 100, as micrograd's demo)")
    parser.add_argument("--points", type=int, default=100, help="number of points (default 100)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--out", type=Path, default=Path("outputs/micrograd_moons"), help="folder for the plot")
    args = parser.parse_args(argv)

    random.seed(args.seed)  # the scalar layers draw their weights from Python's random, as micrograd's do
    X, y = make_moons(args.points, noise=0.1, rng=np.random.default_rng(args.seed))
    model = MLP(2, [16, 16, 1])
    print(model)
    print("number of parameters", len(model.parameters()))
    history = train(model, X, y, args.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    picture = args.out / "decision_boundary.png"
    plot(model, X, y, picture)
    print("picture:", picture)
    return {"history": history, "final_loss": history[-1][0], "final_accuracy": history[-1][1], "picture": picture}


if __name__ == "__main__":
    main()
