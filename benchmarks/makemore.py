"""Case 12 (issue 16): one training step of makemore part 2's MLP and of part 5's WaveNet, batch 32.

Both networks are written the way the lectures write them, once, against a library handle ``T`` (and its
``F``): passing ``tinygrad_edu`` runs them on this engine, passing ``torch`` runs the very same lines on
PyTorch, which is what a learner gets by swapping the two import lines. Both engines start from the same
NumPy weights, and the runner checks that the losses of two steps agree before it times anything.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

VOCAB, BATCH, LR = 27, 32, 0.1


# ---- part 2: embedding (27, 10), block 3, 200 tanh units, 27 outputs --------------------------------------
def mlp_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """C, W1, b1, W2, b2 as in part 2 (with part 3's scaling, so that the tanh units are not saturated)."""
    f32 = np.float32
    return [rng.standard_normal((VOCAB, 10)).astype(f32), (rng.standard_normal((30, 200)) * 0.2).astype(f32),
            (rng.standard_normal(200) * 0.01).astype(f32), (rng.standard_normal((200, VOCAB)) * 0.01).astype(f32),
            np.zeros(VOCAB, f32)]


def _sgd_update(loss, parameters: list) -> float:
    """The lectures' update: zero the gradients, backward, ``p.data += -lr * p.grad``; returns the loss."""
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -LR * p.grad
    return loss.item()


def mlp_step(T: ModuleType, F: ModuleType, parameters: list, X, Y) -> float:
    """Forward, backward and the SGD update of part 2's training loop; returns the loss."""
    C, W1, b1, W2, b2 = parameters
    emb = C[X]  # (32, 3, 10): an embedding lookup
    h = T.tanh(emb.view(-1, 30) @ W1 + b1)
    return _sgd_update(F.cross_entropy(h @ W2 + b2, Y), parameters)


# ---- part 5: the hierarchical (WaveNet-like) model ---------------------------------------------------------
class Linear:
    def __init__(self, weight, bias=None):
        self.weight, self.bias = weight, bias

    def __call__(self, x):
        out = x @ self.weight
        return out if self.bias is None else out + self.bias

    def parameters(self) -> list:
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    """Part 5's batch norm: statistics over the batch (and the groups of a 3-d input), running buffers."""

    def __init__(self, T: ModuleType, dim: int, eps: float = 1e-5, momentum: float = 0.1):
        self.T, self.eps, self.momentum = T, eps, momentum
        self.gamma, self.beta = T.tensor(np.ones(dim, np.float32)), T.tensor(np.zeros(dim, np.float32))
        self.running_mean, self.running_var = T.tensor(np.zeros(dim, np.float32)), T.tensor(np.ones(dim, np.float32))

    def __call__(self, x):
        dim = 0 if x.ndim == 2 else (0, 1)
        xmean = x.mean(dim, keepdim=True)
        xvar = x.var(dim, keepdim=True)
        out = self.gamma * ((x - xmean) / self.T.sqrt(xvar + self.eps)) + self.beta
        with self.T.no_grad():
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return out

    def parameters(self) -> list:
        return [self.gamma, self.beta]


class Tanh:
    def __init__(self, T: ModuleType):
        self.T = T

    def __call__(self, x):
        return self.T.tanh(x)

    def parameters(self) -> list:
        return []


class FlattenConsecutive:
    def __init__(self, n: int):
        self.n = n

    def __call__(self, x):
        B, L, C = x.shape
        x = x.view(B, L // self.n, C * self.n)
        return x.squeeze(1) if x.shape[1] == 1 else x

    def parameters(self) -> list:
        return []


def wavenet_weights(rng: np.random.Generator, n_embd: int = 24, n_hidden: int = 128) -> list[np.ndarray]:
    """The embedding, three bias-free hidden weights (kaiming-scaled) and the output layer (scaled by 0.1)."""
    def kaiming(fan_in: int, fan_out: int) -> np.ndarray:
        return (rng.standard_normal((fan_in, fan_out)) / fan_in**0.5).astype(np.float32)

    return [rng.standard_normal((VOCAB, n_embd)).astype(np.float32), kaiming(2 * n_embd, n_hidden),
            kaiming(2 * n_hidden, n_hidden), kaiming(2 * n_hidden, n_hidden),
            kaiming(n_hidden, VOCAB) * np.float32(0.1), np.zeros(VOCAB, np.float32)]


def wavenet(T: ModuleType, weights: list[np.ndarray]) -> tuple[list, list]:
    """(layers, parameters) of part 5's model on library ``T``; the embedding is the first layer's table."""
    emb, w1, w2, w3, w_out, b_out = (T.tensor(w.copy()) for w in weights)
    n_hidden = w1.shape[1]
    layers: list = [emb]
    for w in (w1, w2, w3):
        layers += [FlattenConsecutive(2), Linear(w), BatchNorm1d(T, n_hidden), Tanh(T)]
    layers.append(Linear(w_out, b_out))
    parameters = [emb] + [p for layer in layers[1:] for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return layers, parameters


def wavenet_step(T: ModuleType, F: ModuleType, model: tuple[list, list], X, Y) -> float:
    """Forward, backward and the SGD update of part 5's training loop; returns the loss."""
    layers, parameters = model
    x = layers[0][X]  # (32, 8, 24)
    for layer in layers[1:]:
        x = layer(x)
    return _sgd_update(F.cross_entropy(x, Y), parameters)


def setups(T: ModuleType, F: ModuleType, block: int) -> Callable[[], Callable[[], float]]:
    """Fresh (step, weights) makers for one engine; ``block`` 3 is part 2's MLP, 8 part 5's WaveNet."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, VOCAB, (BATCH, block))
    Y = rng.integers(0, VOCAB, BATCH)
    tX, tY = T.tensor(X), T.tensor(Y)
    if block == 3:
        weights = mlp_weights(rng)

        def make_mlp():
            params = [T.tensor(w.copy()) for w in weights]
            for p in params:
                p.requires_grad = True
            return lambda: mlp_step(T, F, params, tX, tY)

        return make_mlp
    weights8 = wavenet_weights(rng)

    def make_wavenet():
        model = wavenet(T, weights8)
        return lambda: wavenet_step(T, F, model, tX, tY)

    return make_wavenet
