"""A LeNet-style CNN on MNIST, trained with Adam to >= 0.99 test accuracy in a few minutes on 2 cores.

The network (PyTorch's layers, the shapes after each one for a batch of N images)::

    (N, 1, 28, 28) -> Conv2d(1, 16, 5, padding=2) -> ReLU -> MaxPool2d(2) -> (N, 16, 14, 14)
                   -> Conv2d(16, 32, 5)           -> ReLU -> MaxPool2d(2) -> (N, 32, 5, 5)
                   -> Flatten -> Linear(800, 128) -> ReLU -> Linear(128, 10) -> logits

A convolution slides each 5x5 filter over the image and takes a dot product at every place:
``out[n, o, y, x] = b[o] + sum_{c,i,j} w[o, c, i, j] * in[n, c, y + i, x + j]``; the engine lays
every window side by side (im2col) and does ONE matrix product (see ``tinygrad_edu/ops/conv.py``).
Max pooling keeps the largest number of each 2x2 block, halving the height and the width.

It writes three pictures (the loss and test accuracy, the 16 filters of the first layer, and one test
image's 16 feature maps: the first layer's outputs), saves the weights with ``tinygrad_edu.save``
(safetensors, PyTorch's state_dict keys: ``torch.nn.Sequential`` of the same layers loads them) and
loads them back into a fresh model with the accuracy unchanged.

Measured (5 epochs, the defaults): test accuracy 0.9930 after 677 s on 2 cores shared with other jobs
(load ~4.5; 85-162 s per epoch; in a quieter moment 16 steps/s, ~60 s per epoch).

Run:  python examples/mnist_cnn.py --out outputs/mnist_cnn          (full run)
      python examples/mnist_cnn.py --epochs 1 --limit 2000          (a quick look, seconds)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import datasets, nn, no_grad, optim, threads
from tinygrad_edu.nn import functional as F
from tinygrad_edu.plots import pyplot


def make_model(seed: int, channels: tuple[int, int] = (16, 32), hidden: int = 128) -> nn.Sequential:
    """LeNet's layout; the indices of the Sequential (0, 3, 7, 9) are the state_dict's key prefixes."""
    c1, c2 = channels
    g = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, c1, 5, padding=2, generator=g),  # 28x28 -> 28x28 (padding 2 keeps the size)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 14x14
        nn.Conv2d(c1, c2, 5, generator=g),  # -> 10x10 (no padding: 14 - 5 + 1)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 5x5
        nn.Flatten(),  # (N, c2, 5, 5) -> (N, c2 * 25)
        nn.Linear(c2 * 25, hidden, generator=g),
        nn.ReLU(),
        nn.Linear(hidden, 10, generator=g),
    )


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 500) -> float:
    """Test accuracy, mean(argmax(f(x), 1) == y), in batches (im2col's windows of 500 images: ~80 MB)."""
    hits = 0
    with no_grad():
        for start in range(0, len(x), batch):
            logits = model(x[start : start + batch]).data
            hits += int(np.sum(np.argmax(logits, axis=1) == y[start : start + batch]))
    return hits / len(x)


# ---- pictures -------------------------------------------------------------------------------------
def plot_training(history: dict, path: Path) -> None:
    plt = pyplot("the training curves")  # matplotlib: pip install "tinygrad-edu[plots]"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(history["step"], history["loss"], lw=0.5, alpha=0.5, label="each step")
    window = min(50, len(history["loss"]))
    smooth = np.convolve(history["loss"], np.ones(window) / window, mode="valid")  # a running mean
    left.plot(history["step"][window - 1 :], smooth, label=f"mean of {window} steps")
    left.set(xlabel="step", ylabel="training loss (cross-entropy)", yscale="log", title="Loss")
    left.legend()
    epochs = range(1, len(history["test_accuracy"]) + 1)
    right.plot(epochs, history["test_accuracy"], "o-")
    right.axhline(0.99, color="grey", ls="--", lw=0.8)
    right.set_xticks(list(epochs))
    right.set(xlabel="epoch", ylabel="test accuracy", title=f"Accuracy on the {history['n_test']:,} test images")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def tile(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """Images (n, h, w) laid out in a grid of ``cols`` columns, NaN between them (drawn as the background).

    One picture of many small images: matplotlib draws one image instead of one axes per filter (~10x faster).
    """
    n, h, w = images.shape
    rows = -(-n // cols)
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, cols)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return grid


def plot_filters(weight: np.ndarray, path: Path) -> None:
    """The first layer's filters (out, 1, 5, 5), one colour scale: red weights add, blue subtract."""
    plt = pyplot("the filter picture")
    limit = float(np.abs(weight).max()) or 1.0
    cmap = plt.get_cmap("seismic").with_extremes(bad="white")
    fig, ax = plt.subplots(figsize=(6, 6.4))
    shown = ax.imshow(tile(weight[:, 0], cols=int(np.ceil(np.sqrt(len(weight))))), cmap=cmap, vmin=-limit, vmax=limit)
    ax.axis("off")
    fig.colorbar(shown, ax=ax, shrink=0.8, label="weight")
    ax.set_title(f"The first layer's {len(weight)} filters, 5x5 each\n(red: positive weights, blue: negative)")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_feature_maps(image: np.ndarray, maps: np.ndarray, label: int, path: Path) -> None:
    """One test image and what each first-layer filter makes of it (the convolution's outputs, before ReLU).

    Each map is scaled to its own range (dark: its smallest value, bright: its largest).
    """
    plt = pyplot("the feature-map picture")
    low = maps.min(axis=(1, 2), keepdims=True)
    spread = np.maximum(maps.max(axis=(1, 2), keepdims=True) - low, 1e-12)
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.2), width_ratios=(1, 2.2))
    left.imshow(image, cmap="gray_r")
    left.set_title(f"A test image (a {label})")
    right.imshow(tile((maps - low) / spread, cols=int(np.ceil(np.sqrt(len(maps)))), gap=2), cmap=cmap)
    right.set_title(f"The first layer's {len(maps)} outputs for it (bright: the filter's pattern is there)")
    for ax in (left, right):
        ax.axis("off")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# ---- the run ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="passes over the training set (default 5)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default 64)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's initial learning rate (default 2e-3)")
    parser.add_argument("--limit", type=int, help="train on the first N images only (for quick runs)")
    parser.add_argument("--test-limit", type=int, help="evaluate on the first N test images only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="folder holding the MNIST .gz files")
    parser.add_argument("--out", type=Path, default=Path("outputs/mnist_cnn"), help="folder for pictures and weights")
    args = parser.parse_args(argv)
    started, cpu_started = time.perf_counter(), time.process_time()  # wall clock, and CPU time of all threads

    x_train, y_train = datasets.load_mnist("train", root=args.data, flatten=False)
    x_test, y_test = datasets.load_mnist("test", root=args.data, flatten=False)
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    if args.test_limit:
        x_test, y_test = x_test[: args.test_limit], y_test[: args.test_limit]
    # standardise with the training set's mean and spread, and add the channel axis: (N, 28, 28) -> (N, 1, 28, 28)
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = ((x_train - mean) / std)[:, None], ((x_test - mean) / std)[:, None]

    model = make_model(args.seed)
    print(model)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    # the learning rate falls along a half cosine from lr to 0 over the whole run, a little every step
    schedule = optim.CosineAnnealingLR(opt, T_max=args.epochs * steps_per_epoch)
    rng = np.random.default_rng(args.seed)
    history: dict = {"step": [], "loss": [], "test_accuracy": [], "epoch_seconds": [], "n_test": len(x_test)}

    step = 0
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        bar = tqdm(datasets.batches(x_train, y_train, args.batch_size, generator=rng), total=steps_per_epoch,
                   desc=f"epoch {epoch + 1}/{args.epochs}")
        for xb, yb in bar:
            threads.use_free_cores()  # BLAS threads only on cores other programs leave free (see threads.py)
            loss = F.cross_entropy(model(xb), yb)  # softmax + negative log-likelihood of the right digit
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            step += 1
            history["step"].append(step)
            history["loss"].append(loss.item())
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        history["epoch_seconds"].append(time.perf_counter() - epoch_start)
        history["test_accuracy"].append(evaluate(model, x_test, y_test))
        print(f"epoch {epoch + 1}: test accuracy {history['test_accuracy'][-1]:.4f} "
              f"({history['epoch_seconds'][-1]:.0f} s training)")

    args.out.mkdir(parents=True, exist_ok=True)
    pictures = {"training": args.out / "training.png", "filters": args.out / "filters.png",
                "feature_maps": args.out / "feature_maps.png"}
    plot_training(history, pictures["training"])
    first_conv = model[0]
    plot_filters(first_conv.weight.data, pictures["filters"])
    with no_grad():
        maps = first_conv(x_test[:1]).data[0]  # (16, 28, 28): one map per filter
    plot_feature_maps(x_test[0, 0], maps, int(y_test[0]), pictures["feature_maps"])

    weights = args.out / "mnist_cnn.safetensors"
    tg.save(model.state_dict(), weights)
    reloaded = make_model(seed=args.seed + 1)  # different initial weights...
    reloaded.load_state_dict(tg.load(weights))  # ...replaced by the saved ones
    accuracy, reloaded_accuracy = history["test_accuracy"][-1], evaluate(reloaded, x_test, y_test)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"test accuracy {accuracy:.4f} on {len(x_test)} images; after saving to {weights} and loading back: "
          f"{reloaded_accuracy:.4f}")
    print(f"elapsed {elapsed:.0f} s wall clock, {cpu:.0f} s CPU "
          f"({', '.join(f'{s:.0f}' for s in history['epoch_seconds'])} s per epoch)")
    print("pictures: " + ", ".join(str(p) for p in pictures.values()))
    return {"test_accuracy": accuracy, "reloaded_accuracy": reloaded_accuracy, "weights": weights,
            "pictures": pictures, "elapsed": elapsed, "cpu_seconds": cpu, "history": history, "model": model}


if __name__ == "__main__":
    main()
