"""Neural-network building blocks: modules, layers, losses and initialisation.

micrograd's scalar ``Neuron``/``Layer``/``MLP`` and PyTorch-style tensor
layers (``Linear``, ``Sequential``, activations) share one ``Module`` base.
``tinygrad_edu.nn.functional`` holds the activations and losses.
"""

from . import functional, init
from .modules import (
    CELU,
    ELU,
    GELU,
    MLP,
    SELU,
    Flatten,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    LogSigmoid,
    Mish,
    Module,
    Neuron,
    Parameter,
    ReLU,
    ReLU6,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    format_parameter_table,
    mlp,
    parameter_table,
)

__all__ = [
    "MLP",
    "Flatten",
    "Identity",
    "Layer",
    "Linear",
    "Module",
    "Neuron",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "format_parameter_table",
    "functional",
    "init",
    "mlp",
    "parameter_table",
]
__all__ += [
    "CELU",
    "ELU",
    "GELU",
    "SELU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "Mish",
    "ReLU6",
    "SiLU",
    "Softmin",
    "Softplus",
    "Softsign",
]

