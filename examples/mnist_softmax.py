"""Exercise d: MNIST with f(x) = softmax(x W + b), trained by stochastic gradient descent.

x is a 28x28 image flattened to 784 grey values in [0, 1]; W is 784 x 10 and
b has 10 entries, one column and one bias per digit. The loss is the softmax
cross-entropy, computed from the logits x W + b (the library applies softmax
inside the loss, stably). After training, column j of W, seen as a 28x28
image, shows which pixels speak for digit j.

Run:  python examples/mnist_softmax.py --out outputs/mnist_softmax
(MNIST is read from $TINYGRAD_EDU_DATA/mnist or downloaded once; see README.)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from tinygrad_edu import Value, datasets, nn, no_grad, optim
from tinygrad_edu.plots import save_weight_images


def accuracy(W: Value, b: Value, x: np.ndarray, y: np.ndarray) -> float:
    # accuracy = mean(argmax(f(x), 1) == y); softmax keeps the argmax, so the logits suffice
    with no_grad():
        return float(np.mean(np.argmax((x @ W + b).data, axis=1) == y))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2, help="passes over the 60,000 training images (default 2)")
    parser.add_argument("--batch-size", type=int, default=100, help="images per SGD step (default 100)")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate gamma (default 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffling (default 0)")
    parser.add_argument("--data", type=Path, help="folder holding the MNIST .gz files")
    parser.add_argument("--out", type=Path, default=Path("outputs/mnist_softmax"), help="folder for the images")
    args = parser.parse_args(argv)

    x_train, y_train = datasets.load_mnist("train", root=args.data)
    x_test, y_test = datasets.load_mnist("test", root=args.data)
    W = Value(np.zeros((784, 10), dtype=np.float32), label="W")  # zeros are fine: the loss is convex
    b = Value(np.zeros(10, dtype=np.float32), label="b")
    opt = optim.SGD([W, b], lr=args.lr)
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    for epoch in range(args.epochs):
        for xb, yb in datasets.batches(x_train, y_train, args.batch_size, generator=rng):
            loss = nn.functional.cross_entropy(xb @ W + b, yb)  # logits x W + b, softmax inside
            opt.zero_grad()
            loss.backward()
            opt.step()  # x_(j+1) = x_j - gamma * grad
        test_accuracy = accuracy(W, b, x_test, y_test)
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}, test accuracy {test_accuracy:.4f}")
    seconds = time.perf_counter() - start

    test_accuracy = accuracy(W, b, x_test, y_test)
    print(f"test accuracy {test_accuracy:.4f} (the exercise asks for 0.9 or more), {seconds:.1f} s of training")
    pictures = save_weight_images(W.data, args.out)
    print(f"weight images: {args.out}/W_digit_0.png ... W_digit_9.png and {pictures[-1]}")
    return {"test_accuracy": test_accuracy, "seconds": seconds, "pictures": pictures, "W": W.data, "b": b.data}


if __name__ == "__main__":
    main()
