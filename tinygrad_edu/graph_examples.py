"""The built-in example graphs that ``tinygrad-edu graph`` and ``tinygrad-edu demo`` draw, each after backward.

>>> from tinygrad_edu.graph_examples import EXAMPLES
>>> sorted(EXAMPLES)
['mlp', 'mnist-step', 'neuron', 'scalar-mlp', 'xor']
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from . import nn
from .engine import Value

__all__ = ["EXAMPLES", "mlp", "mnist_step", "neuron", "scalar_mlp", "xor"]


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


EXAMPLES: dict[str, Callable[[], Value]] = {
    "neuron": neuron,
    "xor": xor,
    "mlp": mlp,
    "scalar-mlp": scalar_mlp,
    "mnist-step": mnist_step,
}
