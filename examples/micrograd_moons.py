"""micrograd's moons demo, unchanged but for its imports, on tinygrad_edu's scalar layers.

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


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two half circles: the upper centred at (0, 0), the lower at (1, 0.5); labels -1 and +1."""
    t = np.linspace(0, np.pi, n // 2)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    X = np.vstack([upper, lower]) + rng.normal(0, noise, size=(2 * (n // 2), 2))
    y = np.hstack([-np.ones(n // 2), np.ones(n // 2)])
    return X, y


def loss_and_accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[Value, float]:
    # --- micrograd's demo code from here on, as written for micrograd ---
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]  # svm "max-margin" loss
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())  # L2 regularization
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train(model: MLP, X: np.ndarray, y: np.ndarray, steps: int) -> list[tuple[float, float]]:
    history = []
    for k in range(steps):
        total_loss, acc = loss_and_accuracy(model, X, y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
        if k % 10 == 0 or k == steps - 1:
            print(f"step {k} loss {total_loss.data:.4f}, accuracy {acc * 100:.0f}%")
    return history


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
