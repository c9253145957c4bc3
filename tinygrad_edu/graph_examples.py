"""The built-in example graphs that ``tinygrad-edu graph`` and ``tinygrad-edu demo`` draw, each after backward.

>>> from tinygrad_edu.graph_examples import EXAMPLES
>>> sorted(EXAMPLES)
['cnn-step', 'mlp', 'mnist-step', 'neuron', 'scalar-mlp', 'transformer-step', 'xor']
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from . import nn
from .engine import Value
from .nn import functional as F

__all__ = ["DRAWING", "EXAMPLES", "Block", "CausalSelfAttention", "LeNet", "TinyTransformer", "cnn_step", "mlp",
           "mnist_step", "neuron", "scalar_mlp", "transformer_step", "xor"]


def neuron() -> Value:
    """y = sigma(w1 a1 + w2 a2 + w3 a3 + b) with every number its own Value, after backward."""
    a = [Value(v, label=f"a{i + 1}") for i, v in enumerate([0.5, -1.0, 2.0])]
    w = [Value(v, label=f"w{i + 1}") for i, v in enumerate([0.8, 0.3, -0.5])]
    b = Value(0.1, label="b")
    z = w[0] * a[0] + w[1] * a[1] + w[2] * a[2] + b
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    y.backward()
    return y


def xor() -> Value:
    """The hand-set XOR network of the lectures on its four inputs, with the squared error to the truth table."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    W1 = Value(np.array([[10.0, -10.0], [10.0, -10.0]]), label="W1")
    b1 = Value(np.array([-5.0, 15.0]), label="b1")
    W2 = Value(np.array([[10.0], [10.0]]), label="W2")
    b2 = Value(np.array([-15.0]), label="b2")
    h = (x @ W1 + b1).sigmoid()
    h.label = "h"
    y = (h @ W2 + b2).sigmoid()
    y.label = "y"
    loss = nn.functional.mse_loss(y, np.array([[0.0], [1.0], [1.0], [0.0]]))
    loss.label = "loss"
    loss.backward()
    return loss


def mlp() -> Value:
    """A 4-8-8-2 tensor MLP on a batch of 16 with an MSE loss, after backward."""
    rng = np.random.default_rng(0)
    net = nn.mlp([4, 8, 8, 2], activation="relu", generator=rng)
    loss = nn.functional.mse_loss(net(rng.random((16, 4), dtype=np.float32)), np.zeros((16, 2), np.float32))
    loss.label = "loss"
    loss.backward()
    return loss


def scalar_mlp() -> Value:
    """micrograd's MLP(3, [4, 4, 1]) on one input, after backward."""
    random.seed(0)
    model = nn.MLP(3, [4, 4, 1])
    out = model([Value(1.0, label="x1"), Value(-2.0, label="x2"), Value(0.5, label="x3")])
    out.label = "out"
    out.backward()
    return out


def mnist_step() -> Value:
    """Loss of one 784-128-10 training step on a batch of 128 (random pixels: the shapes are what matter)."""
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(784, 128, generator=rng), nn.ReLU(), nn.Linear(128, 10, generator=rng))
    loss = nn.functional.cross_entropy(net(rng.random((128, 784), dtype=np.float32)), rng.integers(0, 10, 128))
    loss.label = "loss"
    loss.backward()
    return loss


class LeNet(nn.Module):
    """A small LeNet: conv 1->4 5x5 pad 2, pool, conv 4->8 5x5, pool, 200-32-10 (MNIST-shaped, 28 x 28)."""

    def __init__(self, generator: np.random.Generator | None = None) -> None:
        self.conv1 = nn.Conv2d(1, 4, 5, padding=2, generator=generator)
        self.conv2 = nn.Conv2d(4, 8, 5, generator=generator)
        self.fc1 = nn.Linear(8 * 5 * 5, 32, generator=generator)
        self.fc2 = nn.Linear(32, 10, generator=generator)

    def forward(self, x: Value) -> Value:
        x = F.max_pool2d(self.conv1(x).relu(), 2)  # (N, 4, 28, 28) -> (N, 4, 14, 14)
        x = F.max_pool2d(self.conv2(x).relu(), 2)  # (N, 8, 10, 10) -> (N, 8, 5, 5)
        x = self.fc1(x.reshape(x.shape[0], -1)).relu()
        return self.fc2(x)


def cnn_step() -> Value:
    """Loss of one training step of a LeNet-style CNN on a batch of 8 MNIST-shaped images (random pixels)."""
    rng = np.random.default_rng(0)
    net = LeNet(rng)
    images = Value(rng.random((8, 1, 28, 28), dtype=np.float32), label="images", requires_grad=False)
    loss = F.cross_entropy(net(images), rng.integers(0, 10, 8))
    loss.label = "loss"
    loss.backward()
    return loss


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: one projection to q, k, v, ``F.scaled_dot_product_attention``, a mix."""

    def __init__(self, dim: int, heads: int, generator: np.random.Generator | None = None) -> None:
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, generator=generator)
        self.proj = nn.Linear(dim, dim, generator=generator)

    def forward(self, x: Value) -> Value:
        n, length, dim = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, dim // self.heads).transpose((2, 0, 3, 1, 4))
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)  # (N, heads, L, dim/heads)
        return self.proj(out.swapaxes(1, 2).reshape(n, length, dim))


class Block(nn.Module):
    """One pre-norm decoder block: x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x))."""

    def __init__(self, dim: int, heads: int, generator: np.random.Generator | None = None) -> None:
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, generator)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim, generator=generator), nn.ReLU(),
                                 nn.Linear(4 * dim, dim, generator=generator))

    def forward(self, x: Value) -> Value:
        x = x + self.attn(self.ln1(x))  # position i attends to 0..i
        return x + self.mlp(self.ln2(x))


class TinyTransformer(nn.Module):
    """A decoder-only transformer: token + position embeddings, ``layers`` blocks, a final LayerNorm, a head."""

    def __init__(self, vocab: int = 3, length: int = 6, dim: int = 16, heads: int = 2, layers: int = 4,
                 generator: np.random.Generator | None = None) -> None:
        self.tok = nn.Embedding(vocab, dim, generator=generator)
        self.pos = nn.Embedding(length, dim, generator=generator)
        self.blocks = nn.ModuleList([Block(dim, heads, generator) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, generator=generator)

    def forward(self, tokens: np.ndarray) -> Value:
        x = self.tok(tokens) + self.pos(np.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def transformer_step() -> Value:
    """Loss of one training step of a 4-block decoder-only transformer on 4 sequences of 6 tokens over 3 symbols."""
    rng = np.random.default_rng(0)
    net = TinyTransformer(generator=rng)
    tokens = rng.integers(0, 3, (4, 6))
    logits = net(tokens)
    loss = F.cross_entropy(logits.reshape(-1, 3), np.sort(tokens, axis=1).reshape(-1))  # the sorting task
    loss.label = "loss"
    loss.backward()
    return loss


EXAMPLES: dict[str, Callable[[], Value]] = {
    "neuron": neuron,
    "xor": xor,
    "mlp": mlp,
    "scalar-mlp": scalar_mlp,
    "mnist-step": mnist_step,
    "cnn-step": cnn_step,
    "transformer-step": transformer_step,
}

DRAWING: dict[str, dict[str, Any]] = {  # draw_graph options that make an example read on a laptop screen
    "scalar-mlp": {"repeats": 1, "stacked": True},  # the first neuron of each layer in full: 1043 pt wide, not 6298
    "transformer-step": {"collapse": ("LayerNorm",), "repeats": 1},  # block 0 in full, blocks 1-3 as one node
}
