"""Activation functions of a Value, PyTorch's definitions (``torch.nn.functional``), each derived from other ops.

``ActivationOps`` is a base class of ``engine.Value``. None of these has a
rule of its own: each is written with the primitives (``erf``, ``expm1``,
``logaddexp``, ``where``, ``clip``, ...), so its gradient, and its gradient's
gradient, come from theirs. The stable ones stay stable because their
primitives are: ``softplus`` is ``logaddexp(x, 0)``, finite at x = +-1000.

Where PyTorch's gradient at a kink differs from the one-sided limit, the form
is chosen to give PyTorch's: ``elu`` takes the exponential side at 0,
``hardtanh``/``relu6``/``hardsigmoid`` have gradient 0 at their corners
(a ``where`` with the clipped value as a constant), ``leaky_relu`` has the
slope at 0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, DataError
from .index import where
from .reduce import check_axis

if TYPE_CHECKING:
    from ..engine import Value

_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
# SELU's constants (Klambauer et al. 2017), as PyTorch writes them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _number(op: str, name: str, x: Any) -> float:
    """A number argument, as a float; anything else is a DataError naming the op."""
    if not isinstance(x, float | int) or isinstance(x, bool):
        raise DataError(f"{op}: {name} must be a number, got {x!r}")
    return float(x)


class ActivationOps:
    """Activation functions, mixed into ``Value``."""

    __slots__ = ()

    def gelu(self: Value, approximate: str = "none") -> Value:
        """x * Phi(x) with Phi the standard normal CDF: x/2 (1 + erf(x/sqrt 2)); ``approximate="tanh"``
        uses x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))).

        >>> round(Value(1.0).gelu().data, 6)
        0.841345
        """
        if approximate == "none":
            return self * 0.5 * ((self * _SQRT1_2).erf() + 1.0)
        if approximate == "tanh":
            inner = (self + self * self * self * _GELU_CUBIC) * _SQRT_2_OVER_PI
            return self * 0.5 * (inner.tanh() + 1.0)
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self: Value) -> Value:
        """x * sigmoid(x) (also called swish)."""
        return self * self.sigmoid()

    def elu(self: Value, alpha: float = 1.0) -> Value:
        """x where x > 0, alpha (e**x - 1) elsewhere.

        NOTE: the exponential is taken of min(x, 0), so that the branch ``where`` discards cannot
        overflow to inf and turn the gradient into nan (0 * inf).
        """
        alpha = _number("elu", "alpha", alpha)
        negative = self.clip(max=0.0).expm1()
        return where(self._data > 0, self, negative if alpha == 1.0 else negative * alpha)

    def celu(self: Value, alpha: float = 1.0) -> Value:
        """x where x > 0, alpha (e**(x/alpha) - 1) elsewhere (alpha must not be 0)."""
        alpha = _number("celu", "alpha", alpha)
        if alpha == 0:
            raise ArgumentError("celu: alpha must not be 0 (it divides x)")
        negative = (self.clip(max=0.0) / alpha).expm1() * alpha
        return where(self._data > 0, self, negative)

    def selu(self: Value) -> Value:
        """scale * elu(x, alpha) with PyTorch's fixed alpha = 1.6733 and scale = 1.0507 (self-normalising)."""
        return self.elu(_SELU_ALPHA) * _SELU_SCALE

    def softplus(self: Value, beta: float = 1.0, threshold: float = 20.0) -> Value:
        """log(1 + e**(beta x)) / beta, computed as logaddexp(beta x, 0) / beta: finite for any x.

        As in PyTorch, it is x itself (gradient 1) where beta x > threshold.
        """
        beta = _number("softplus", "beta", beta)
        threshold = _number("softplus", "threshold", threshold)
        if beta == 0:
            raise ArgumentError("softplus: beta must not be 0 (it divides the result)")
        z = self if beta == 1.0 else self * beta
        soft = z.logaddexp(0.0)
        if beta != 1.0:
            soft = soft / beta
        if threshold == math.inf:
            return soft
        return where(z._data > threshold, self, soft)

    def softsign(self: Value) -> Value:
        """x / (1 + |x|)."""
        return self / (self.abs() + 1.0)

    def mish(self: Value) -> Value:
        """x * tanh(softplus(x))."""
        return self * self.softplus().tanh()

    def leaky_relu(self: Value, negative_slope: float = 0.01) -> Value:
        """x where x > 0, negative_slope * x elsewhere (the slope's gradient at 0, as in PyTorch)."""
        slope = _number("leaky_relu", "negative_slope", negative_slope)
        return where(self._data > 0, self, self * slope)

    def hardtanh(self: Value, min_val: float = -1.0, max_val: float = 1.0) -> Value:
        """x clipped to [min_val, max_val]; gradient 1 strictly inside, 0 elsewhere (corners included).

        NOTE: ``clip`` has gradient 1 at the limits themselves; PyTorch's hardtanh has 0 there.
        """
        lo = _number("hardtanh", "min_val", min_val)
        hi = _number("hardtanh", "max_val", max_val)
        if lo > hi:
            raise ArgumentError(f"hardtanh: min_val ({lo}) must not be greater than max_val ({hi})")
        x = self._data
        if x.__class__ is float:
            inside: Any = lo < x < hi
            clipped: Any = min(max(x, lo), hi) if x == x else x
        else:
            inside = (x > lo) & (x < hi)
            clipped = np.clip(x, lo, hi)
        return where(inside, self, clipped)  # the clipped data is a constant: no gradient outside

    def relu6(self: Value) -> Value:
        """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
        return self.hardtanh(0.0, 6.0)

    def hardsigmoid(self: Value) -> Value:
        """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between."""
        return (self + 3.0).hardtanh(0.0, 6.0) / 6.0

    def hardswish(self: Value) -> Value:
        """x * relu6(x + 3) / 6."""
        return self * self.hardsigmoid()

    def logsigmoid(self: Value) -> Value:
        """log(sigmoid(x)) = -softplus(-x) = -logaddexp(-x, 0): finite for any x (-1000 at x = -1000)."""
        return -(-self).logaddexp(0.0)

    def softmin(self: Value, dim: int = -1) -> Value:
        """softmax(-x) along ``dim``: weights that favour the smallest entries."""
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise DataError(f"softmin: dim must be an int, got {dim!r}")
        check_axis(self.shape, dim, "softmin")
        return (-self).softmax(dim=dim)
