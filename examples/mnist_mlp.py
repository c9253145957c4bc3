"""An MLP on MNIST: 784 -> 256 -> ReLU -> 10, trained with Adam to >= 0.97 test accuracy.

Shows the tensor side the way PyTorch users write it (``nn.Sequential``,
``nn.Linear``, ``F.cross_entropy``, ``optim.Adam`` with a cosine learning-rate
schedule), a tqdm progress bar, a
plot of the loss and accuracy, and the model saved with ``tinygrad_edu.save``
and loaded back with the accuracy unchanged.

With ``--checkpoint PATH`` the whole run (model, Adam's moments, the schedule,
the shuffling generator, the position in the epoch, the history) is saved every
``--every`` steps, and a run started again with the same arguments resumes from
it and ends with the same weights, bit for bit, as a run never interrupted.

Run:  python examples/mnist_mlp.py --out outputs/mnist_mlp [--checkpoint outputs/mnist_mlp/run.safetensors]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import datasets, nn, no_grad, optim, threads
from tinygrad_edu.nn import functional as F
from tinygrad_edu.plots import pyplot


def make_model(hidden: int, seed: int) -> nn.Module:
    generator = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(784, hidden, generator=generator),
        nn.ReLU(),
        nn.Linear(hidden, 10, generator=generator),
    )


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy, mean(argmax(f(x), 1) == y), in batches without recording a graph."""
    hits = 0
    with no_grad():
        for start in range(0, len(x), 2000):
            hits += int(np.sum(np.argmax(model(x[start : start + 2000]).data, axis=1) == y[start : start + 2000]))
    return hits / len(x)


def plot(history: dict, path: Path) -> None:
    plt = pyplot("the loss and accuracy plot")  # matplotlib: pip install "tinygrad-edu[plots]"

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(history["step"], history["loss"], lw=0.8)
    left.set(xlabel="step", ylabel="training loss (cross-entropy)", yscale="log", title="Loss")
    right.plot(range(1, len(history["test_accuracy"]) + 1), history["test_accuracy"], "o-")
    right.set(xlabel="epoch", ylabel="test accuracy", title="Accuracy on the 10,000 test images")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="passes over the training set (default 5)")
    parser.add_argument("--hidden", type=int, default=256, help="hidden units (default 256)")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step (default 128)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
    parser.add_argument("--limit", type=int, help="train on the first N images only (for quick runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="folder holding the MNIST .gz files")
    parser.add_argument("--out", type=Path, default=Path("outputs/mnist_mlp"), help="folder for plot and weights")
    parser.add_argument("--checkpoint", type=Path, help="checkpoint file: resumed from when it exists")
    parser.add_argument("--every", type=int, default=100, help="steps between checkpoints (default 100)")
    args = parser.parse_args(argv)
    if args.checkpoint:
        args.checkpoint.parent.mkdir(parents=True, exist_ok=True)

    x_train, y_train = datasets.load_mnist("train", root=args.data)
    x_test, y_test = datasets.load_mnist("test", root=args.data)
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    # standardise the pixels with the training set's mean and spread: the first layer learns faster on
    # inputs centred on 0 (the same shift and scale are applied to the test images)
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    model = make_model(args.hidden, args.seed)
    print(model)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    schedule = optim.CosineAnnealingLR(opt, T_max=args.epochs)  # lr falls smoothly towards 0 by the last epoch
    rng = np.random.default_rng(args.seed)
    history: dict[str, list] = {"step": [], "loss": [], "test_accuracy": []}

    step, first_epoch, position = 0, 0, None
    if args.checkpoint and args.checkpoint.exists():
        checkpoint = tg.load(args.checkpoint)
        model.load_state_dict(checkpoint["model"])
        opt.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(checkpoint["scheduler"])
        rng.bit_generator.state = checkpoint["rng"]
        step, first_epoch, position = checkpoint["step"], checkpoint["epoch"], checkpoint["batches"]
        history = checkpoint["history"]
        print(f"resuming from {args.checkpoint}: step {step}, epoch {first_epoch + 1}")

    for epoch in range(first_epoch, args.epochs):
        batches = datasets.batches(x_train, y_train, args.batch_size, generator=rng)
        if position is not None:  # (resuming: the epoch's order, and the batches already done)
            batches.load_state_dict(position)
            position = None
        done = batches.state_dict()["position"]
        bar = tqdm(batches, total=len(batches), initial=done, desc=f"epoch {epoch + 1}/{args.epochs}")
        for xb, yb in bar:
            # BLAS threads only on cores no other program is using: with one core busy elsewhere, a second
            # thread makes every matrix product wait for it (2-10x slower steps; benchmarks/README.md, case 7)
            threads.use_free_cores()
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            history["step"].append(step)
            history["loss"].append(loss.item())
            if step % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
            if args.checkpoint and step % args.every == 0:  # everything the run needs to go on from here
                tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": schedule.state_dict(),
                         "rng": rng.bit_generator.state, "batches": batches.state_dict(), "epoch": epoch,
                         "step": step, "history": history}, args.checkpoint)
        schedule.step()
        history["test_accuracy"].append(evaluate(model, x_test, y_test))
        print(f"epoch {epoch + 1}: test accuracy {history['test_accuracy'][-1]:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    plot(history, args.out / "training.png")
    weights = args.out / "mnist_mlp.safetensors"
    tg.save(model.state_dict(), weights)
    reloaded = make_model(args.hidden, seed=args.seed + 1)  # different initial weights...
    reloaded.load_state_dict(tg.load(weights))  # ...replaced by the saved ones
    accuracy, reloaded_accuracy = history["test_accuracy"][-1], evaluate(reloaded, x_test, y_test)
    print(f"test accuracy {accuracy:.4f}; after saving to {weights} and loading back: {reloaded_accuracy:.4f}")
    print(f"plot: {args.out / 'training.png'}")
    return {"test_accuracy": accuracy, "reloaded_accuracy": reloaded_accuracy, "weights": weights,
            "plot": args.out / "training.png"}


if __name__ == "__main__":
    main()
