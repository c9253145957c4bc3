"""The 784 -> 128 -> ReLU -> 10 softmax cross-entropy SGD step, written by hand in NumPy.

This is the practical limit for a NumPy engine: every buffer is allocated
once, every elementwise op writes into it (``out=``), no gradient is computed
for the input batch, and each matrix product is one BLAS call. The benchmark
compares tinygrad_edu's generic graph against it; a test checks that both
compute the same loss and gradients, so the comparison is of the same math.
"""

from __future__ import annotations

import numpy as np


class NumpyMLP:
    """Weights W1 (128, 784), b1, W2 (10, 128), b2 in PyTorch's layout; ``step`` does one SGD update."""

    def __init__(self, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, batch: int) -> None:
        self.W1, self.b1, self.W2, self.b2 = (np.array(a, dtype=np.float32) for a in (W1, b1, W2, b2))
        hidden, classes = self.W1.shape[0], self.W2.shape[0]
        f32 = np.float32
        self.z1 = np.empty((batch, hidden), f32)  # pre-activation
        self.h = np.empty((batch, hidden), f32)  # ReLU output
        self.z2 = np.empty((batch, classes), f32)  # logits, then the softmax in place
        self.rowmax = np.empty((batch, 1), f32)
        self.rowsum = np.empty((batch, 1), f32)
        self.gh = np.empty((batch, hidden), f32)
        self.active = np.empty((batch, hidden), bool)
        self.gW1, self.gW2 = np.empty_like(self.W1), np.empty_like(self.W2)
        self.gb1, self.gb2 = np.empty_like(self.b1), np.empty_like(self.b2)
        self.rows = np.arange(batch)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward and backward; gradients land in gW1, gb1, gW2, gb2."""
        n = len(y)
        np.matmul(x, self.W1.T, out=self.z1)
        self.z1 += self.b1
        np.maximum(self.z1, 0, out=self.h)
        np.matmul(self.h, self.W2.T, out=self.z2)
        self.z2 += self.b2
        z = self.z2
        np.max(z, axis=1, keepdims=True, out=self.rowmax)
        z -= self.rowmax
        picked = z[self.rows, y]  # logit of the true class (shifted)
        np.exp(z, out=z)
        np.sum(z, axis=1, keepdims=True, out=self.rowsum)
        loss = float(np.mean(np.log(self.rowsum[:, 0]) - picked))
        z /= self.rowsum  # softmax
        z[self.rows, y] -= 1.0  # d loss_i / d logits_i = softmax - onehot ...
        z *= 1.0 / n  # ... averaged over the batch
        np.matmul(z.T, self.h, out=self.gW2)
        np.sum(z, axis=0, out=self.gb2)
        np.matmul(z, self.W2, out=self.gh)
        np.greater(self.z1, 0, out=self.active)
        self.gh *= self.active  # ReLU's gradient
        np.matmul(self.gh.T, x, out=self.gW1)
        np.sum(self.gh, axis=0, out=self.gb1)
        return loss

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One SGD step; returns the loss before it."""
        loss = self.loss_and_grads(x, y)
        for p, g in ((self.W1, self.gW1), (self.b1, self.gb1), (self.W2, self.gW2), (self.b2, self.gb2)):
            g *= lr
            p -= g
        return loss


def plain_numpy_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float) -> None:
    """The same step as most people would write it in NumPy: clear, with fresh arrays for every result."""
    W1, b1, W2, b2 = params
    z1 = x @ W1.T + b1
    h = np.maximum(z1, 0)
    z = h @ W2.T + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    dz = p / len(y)
    gh = (dz @ W2) * (z1 > 0)
    for param, grad in ((W1, gh.T @ x), (b1, gh.sum(axis=0)), (W2, dz.T @ h), (b2, dz.sum(axis=0))):
        param -= lr * grad
