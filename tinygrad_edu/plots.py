"""Pictures shared by the examples and the demo (matplotlib, imported only when used)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_weight_images(W: np.ndarray, out: Path) -> list[Path]:
    """Save column j of a 784 x 10 weight matrix as a 28x28 image per digit, plus a grid of all ten.

    Red pixels are evidence for the digit, blue against it (one colour scale for all ten).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    limit = float(np.abs(W).max()) or 1.0
    paths = []
    for digit in range(W.shape[1]):
        path = out / f"W_digit_{digit}.png"
        plt.imsave(path, W[:, digit].reshape(28, 28), cmap="seismic", vmin=-limit, vmax=limit)
        paths.append(path)
    fig, axes = plt.subplots(2, 5, figsize=(10, 4.4))
    for digit, ax in enumerate(axes.ravel()):
        ax.imshow(W[:, digit].reshape(28, 28), cmap="seismic", vmin=-limit, vmax=limit)
        ax.set_title(f"digit {digit}")
        ax.axis("off")
    fig.suptitle("Columns of W after training (red: evidence for the digit, blue: against)")
    fig.tight_layout()
    grid = out / "W_all_digits.png"
    fig.savefig(grid, dpi=110)
    plt.close(fig)
    return paths + [grid]
