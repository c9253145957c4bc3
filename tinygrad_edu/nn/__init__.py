"""Neural-network building blocks: modules, layers, losses and initialisation.

micrograd's scalar ``Neuron``/``Layer``/``MLP`` and PyTorch-style tensor
layers (``Linear``, ``Sequential``, activations) share one ``Module`` base.
``tinygrad_edu.nn.functional`` holds the activations and losses.
"""

from . import functional, init
from .activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)

# issue 13: convolution, pooling, normalisation, dropout, embedding layers and the containers
from .containers import ModuleDict, ModuleList
from .layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Embedding,
    GroupNorm,
    LayerNorm,
    MaxPool2d,
    MultiheadAttention,
    Upsample,  # issue 13: resizing (F.interpolate)
)
from .modules import (
    MLP,
    Flatten,
    Identity,
    Layer,
    Linear,
    Module,
    Neuron,
    Parameter,
    Sequential,
    format_parameter_table,
    parameter_table,
)
from .networks import mlp

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

__all__ += [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose2d", "Dropout",
    "Embedding", "GroupNorm", "LayerNorm", "MaxPool2d", "ModuleDict", "ModuleList", "MultiheadAttention",
]
__all__ += ["Upsample"]  # issue 13: resizing
