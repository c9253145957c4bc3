"""One SGD step of a LeNet-style CNN written plainly by hand in NumPy, convolutions as im2col + matmul.

conv 1->8 5x5 pad 2, ReLU, max pool 2, conv 8->16 5x5, ReLU, max pool 2, 400-120-84-10 with ReLUs,
softmax cross-entropy. The forward keeps what the backward needs; the backward is written out layer
by layer (col2im adds each window's gradient back in place). The benchmark compares tinygrad_edu's
generic graph against it; a test checks that both compute the same loss and gradients.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

KEYS = ("c1.weight", "c1.bias", "c2.weight", "c2.bias", "f1.weight", "f1.bias", "f2.weight", "f2.bias",
        "f3.weight", "f3.bias")


def _im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """(N, C, H, W) -> (N * Ho * Wo, C * k * k)."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, Ho, Wo, k, k)
    n, c, ho, wo = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)


def _col2im(gcols: np.ndarray, shape: tuple[int, ...], k: int, pad: int) -> np.ndarray:
    n, c, h, w = shape
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    g = gcols.reshape(n, ho, wo, c, k, k)
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), gcols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + ho, j : j + wo] += g[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, pad : pad + h, pad : pad + w]


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    cols = _im2col(x, k, pad)
    out = cols @ w.reshape(o, -1).T + b
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), cols


def _conv_back(g: np.ndarray, cols: np.ndarray, x_shape: tuple[int, ...], w: np.ndarray, pad: int,
               need_input: bool) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    o, k = w.shape[0], w.shape[2]
    gm = g.transpose(0, 2, 3, 1).reshape(-1, o)
    gw = (gm.T @ cols).reshape(w.shape)
    gb = gm.sum(axis=0)
    gx = _col2im(gm @ w.reshape(o, -1), x_shape, k, pad) if need_input else None
    return gx, gw, gb


def _pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    return out, blocks == out[:, :, :, None, :, None]


def _pool_back(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
    # ties share the gradient here; after a ReLU a tie is a window of zeros, whose gradient the ReLU stops
    n, c, h, _, w, _ = mask.shape
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, 2 * h, 2 * w)


def loss_and_grads(p: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Forward and backward of the CNN with parameters ``p`` (in ``KEYS`` order): the loss and the gradients."""
    c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b = p
    n = len(y)
    z1, cols1 = _conv(x, c1w, c1b, 2)
    a1 = np.maximum(z1, 0)
    p1, m1 = _pool(a1)
    z2, cols2 = _conv(p1, c2w, c2b, 0)
    a2 = np.maximum(z2, 0)
    p2, m2 = _pool(a2)
    h0 = p2.reshape(n, -1)
    z3 = h0 @ f1w.T + f1b
    h1 = np.maximum(z3, 0)
    z4 = h1 @ f2w.T + f2b
    h2 = np.maximum(z4, 0)
    logits = h2 @ f3w.T + f3b
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) - shifted[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1
    g /= n
    grads = [g.T @ h2, g.sum(0)]
    g = (g @ f3w) * (z4 > 0)
    grads = [g.T @ h1, g.sum(0)] + grads
    g = (g @ f2w) * (z3 > 0)
    grads = [g.T @ h0, g.sum(0)] + grads
    g = (g @ f1w).reshape(p2.shape)
    g = _pool_back(g, m2) * (z2 > 0)
    gp1, gw2, gb2 = _conv_back(g, cols2, p1.shape, c2w, 0, True)
    g = _pool_back(gp1, m1) * (z1 > 0)  # type: ignore[arg-type]
    _, gw1, gb1 = _conv_back(g, cols1, x.shape, c1w, 2, False)
    return loss, [gw1, gb1, gw2, gb2] + grads


def numpy_lenet_step(p: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step in place on ``p``; returns the loss before it."""
    loss, grads = loss_and_grads(p, x, y)
    for w, g in zip(p, grads):
        w -= lr * g
    return loss
