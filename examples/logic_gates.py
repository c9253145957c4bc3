"""Exercises a-c of the Norwegian course: NOT, NAND and XOR learnt by gradient descent.

Each model is y = sigma(x W + b) (the lectures' row form), XOR with one hidden
layer of two sigmoid units: h = sigma(x W1 + b1), y = sigma(h W2 + b2).
Training minimises binary cross-entropy, computed from the logits for
stability. XOR starts from weights drawn uniformly in [-1, 1]: depending on
the draw, descent finds a correct model or stalls in a poor one. The script
searches seeds in order and shows one of each.

Run:  python examples/logic_gates.py --out outputs/logic_gates
The model and its training loop live in tinygrad_edu/train_views.py, whose page
(tinygrad-edu explore gates) replays the same runs step by step.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu.plots import pyplot
from tinygrad_edu.train_views import GATES, X2, correct, find_xor_seeds, train  # the training, shared with the page


def plot(results: dict, out: Path) -> Path:
    plt = pyplot("the decision maps and loss curves")  # matplotlib: pip install "tinygrad-edu[plots]"

    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5))
    grid = np.linspace(0, 1, 101)
    g1, g2 = np.meshgrid(grid, grid)
    plane = np.column_stack([g1.ravel(), g2.ravel()])
    for ax, (title, (gate, model, _)) in zip(axes.ravel()[:4], results.items()):
        x, y = GATES[gate]
        if gate == "NOT":
            ax.plot(grid, model(grid[:, None])[:, 0], lw=2)
            ax.scatter(x[:, 0], y[:, 0], c="red", zorder=3, label="truth table")
            ax.set(xlabel="x", ylabel="f(x)", ylim=(-0.05, 1.05))
            ax.legend()
        else:
            im = ax.imshow(model(plane).reshape(g1.shape), origin="lower", extent=(0, 1, 0, 1), cmap="coolwarm",
                           vmin=0, vmax=1)
            ax.scatter(x[:, 0], x[:, 1], c=y[:, 0], cmap="coolwarm", edgecolors="black", s=120, vmin=0, vmax=1,
                       clip_on=False, zorder=3)
            ax.contour(g1, g2, model(plane).reshape(g1.shape), levels=[0.5], colors="black", linewidths=1)
            ax.set(xlabel="x1", ylabel="x2")
            fig.colorbar(im, ax=ax, label="f(x)")
        ax.set_title(title)
    loss_ax = axes.ravel()[4]
    for title, (_, _, losses) in results.items():
        loss_ax.plot(losses, label=title)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Loss curves")
    loss_ax.legend(fontsize=8)
    axes.ravel()[5].axis("off")
    fig.tight_layout()
    path = out / "logic_gates.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3000, help="gradient-descent steps per model (default 3000)")
    parser.add_argument("--lr", type=float, default=2.0, help="learning rate (default 2.0)")
    parser.add_argument("--good-seed", type=int, help="XOR seed that converges (default: search)")
    parser.add_argument("--bad-seed", type=int, help="XOR seed that does not (default: search)")
    parser.add_argument("--out", type=Path, default=Path("outputs/logic_gates"), help="folder for the picture")
    args = parser.parse_args(argv)

    results, verdicts = {}, {}
    for gate in ("NOT", "NAND"):
        model, losses = train(gate, 0, seed=0, epochs=args.epochs, lr=args.lr)
        results[f"{gate}: sigma(x W + b)"] = (gate, model, losses)
        verdicts[gate] = correct(model, gate)
        print(f"{gate}: outputs {np.round(model(GATES[gate][0])[:, 0], 3)}, correct: {verdicts[gate]}")

    if args.good_seed is None or args.bad_seed is None:
        good, bad = find_xor_seeds(args.epochs, args.lr)
    else:
        good, bad = args.good_seed, args.bad_seed
    for label, seed in (("converges", good), ("does not converge", bad)):
        model, losses = train("XOR", 2, seed, args.epochs, args.lr)
        results[f"XOR, seed {seed}: {label}"] = ("XOR", model, losses)
        verdicts[f"XOR seed {seed}"] = correct(model, "XOR")
        print(f"XOR seed {seed} ({label}): outputs {np.round(model(X2)[:, 0], 3)}, final loss {losses[-1]:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    picture = plot(results, args.out)
    print("picture:", picture)
    return {"verdicts": verdicts, "good_seed": good, "bad_seed": bad, "picture": picture}


if __name__ == "__main__":
    main()
