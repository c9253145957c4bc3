"""Activation modules, PyTorch's names and arguments: each calls its function in ``nn.functional``."""

from __future__ import annotations

from ..engine import Operand, Value
from . import functional as F
from .modules import Module


class ReLU(Module):
    """max(0, x)."""

    def forward(self, x: Operand) -> Value:
        return F.relu(x)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x: Operand) -> Value:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e**-x)."""

    def forward(self, x: Operand) -> Value:
        return F.sigmoid(x)


class Softmax(Module):
    """softmax along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Operand) -> Value:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ---- more activation modules (PyTorch's names and arguments) ----
class GELU(Module):
    """x * Phi(x); ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = approximate

    def forward(self, x: Operand) -> Value:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x)."""

    def forward(self, x: Operand) -> Value:
        return F.silu(x)


class ELU(Module):
    """x for x > 0, alpha (e**x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x: Operand) -> Value:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class CELU(ELU):
    """x for x > 0, alpha (e**(x/alpha) - 1) otherwise."""

    def forward(self, x: Operand) -> Value:
        return F.celu(x, self.alpha)


class SELU(Module):
    """scale * elu(x, alpha), self-normalising."""

    def forward(self, x: Operand) -> Value:
        return F.selu(x)


class Softplus(Module):
    """log(1 + e**(beta x)) / beta; x where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Operand) -> Value:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, x: Operand) -> Value:
        return F.softsign(x)


class Mish(Module):
    """x * tanh(softplus(x))."""

    def forward(self, x: Operand) -> Value:
        return F.mish(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Operand) -> Value:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x: Operand) -> Value:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """min(max(x, 0), 6)."""

    def forward(self, x: Operand) -> Value:
        return F.relu6(x)


class Hardsigmoid(Module):
    """relu6(x + 3) / 6."""

    def forward(self, x: Operand) -> Value:
        return F.hardsigmoid(x)


class Hardswish(Module):
    """x * relu6(x + 3) / 6."""

    def forward(self, x: Operand) -> Value:
        return F.hardswish(x)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable."""

    def forward(self, x: Operand) -> Value:
        return F.logsigmoid(x)


class Softmin(Softmax):
    """softmax(-x) along ``dim``."""

    def forward(self, x: Operand) -> Value:
        return F.softmin(x, self.dim)
