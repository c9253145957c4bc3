"""Pictures shared by the examples and the demo (matplotlib, imported only when used).

matplotlib is the ``plots`` extra (``pip install "tinygrad-edu[plots]"``); without it
these functions raise ``MissingDependencyError`` saying so.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np

from ._optional import require


def pyplot(feature: str = "pictures") -> ModuleType:
    """``matplotlib.pyplot`` on the file-only Agg backend, or ``MissingDependencyError`` naming the extra.

    >>> plt = pyplot("loss curves")  # doctest: +SKIP
    """
    matplotlib = require("matplotlib", extra="plots", feature=feature)
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", extra="plots", feature=feature)


def save_weight_images(W: np.ndarray, out: Path) -> list[Path]:
    """Save column j of a 784 x 10 weight matrix as a 28x28 image per digit, plus a grid of all ten.

    Red pixels are evidence for the digit, blue against it (one colour scale for all ten).
    """
    plt = pyplot("weight images")
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
