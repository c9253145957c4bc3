"""``mlp(sizes)``: the lectures' tensor network, Linear layers with an activation between them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ArgumentError
from .activation import ReLU, Sigmoid, Tanh
from .modules import Linear, Module, Sequential

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def mlp(
    sizes: list[int],
    activation: str = "relu",
    final_activation: str | None = None,
    dtype: Any = np.float32,
    generator: np.random.Generator | None = None,
) -> Sequential:
    """A tensor MLP from layer sizes, e.g. ``mlp([4, 5, 5, 3, 2], "sigmoid")``.

    Linear layers with ``activation`` between them (and ``final_activation``
    after the last one, if given): the lectures' a^(k+1) = sigma(W a^(k) + b).
    """
    if len(sizes) < 2:
        raise ArgumentError(f"mlp: need at least an input and an output size, got {sizes}")
    for name in (activation, final_activation):
        if name is not None and name not in _ACTIVATIONS:
            raise ArgumentError(f"mlp: activations must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    layers: list[Module] = []
    for i in range(len(sizes) - 1):
        layers.append(Linear(sizes[i], sizes[i + 1], dtype=dtype, generator=generator))
        last = i == len(sizes) - 2
        if not last:
            layers.append(_ACTIVATIONS[activation]())
        elif final_activation is not None:
            layers.append(_ACTIVATIONS[final_activation]())
    return Sequential(*layers)
