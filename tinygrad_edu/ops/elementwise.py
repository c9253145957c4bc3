"""Elementwise functions of a Value: exp, log, log1p, sqrt, abs, sin, cos, tanh, sigmoid, relu, clip.

``ElementwiseOps`` is a base class of ``engine.Value``; each function is
followed by its gradient rule ``rule(g, out, ctx, *inputs)`` (see
``arithmetic.py``). On Python floats (micrograd-style scalars) the ``math``
module computes them, with NumPy's answers (inf, nan) where ``math`` would
raise. The module-level ``exp log sin cos sigmoid`` work on floats, arrays and
Values alike: rules are written with them, so that one rule serves both
backward modes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, DataError
from ..node import Node, make_op, raw, shows

if TYPE_CHECKING:
    from ..engine import Value


# Scalar helpers: math.* is far faster than NumPy on Python floats, but raises
# where NumPy returns inf/nan; these give NumPy's answers.
def _fexp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _flog(x: float) -> float:
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _fsin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else math.nan


def _fcos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else math.nan


def stable_sigmoid(x: Any) -> Any:
    """1 / (1 + e**-x) for a float or an array, never overflowing: the one sigmoid of the package.

    For x >= 0 it is 1 / (1 + e**-x) with e**-x in (0, 1]; for x < 0 the same
    value written as e**x / (1 + e**x), with e**x in (0, 1).
    """
    if x.__class__ is float:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        if x != x:
            return x  # nan in, nan out
        e = math.exp(x)  # x < 0, so this never overflows
        return e / (1.0 + e)
    e = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any x
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x, np.float32), copy=False)


def exp(x: Any) -> Any:
    """e**x for a Value, a float or an array."""
    if isinstance(x, Node):
        return x.exp()  # type: ignore[attr-defined]
    return _fexp(x) if x.__class__ is float else np.exp(x)


def log(x: Any) -> Any:
    """Natural logarithm for a Value, a float or an array."""
    if isinstance(x, Node):
        return x.log()  # type: ignore[attr-defined]
    return _flog(x) if x.__class__ is float else np.log(x)


def sin(x: Any) -> Any:
    """Sine for a Value, a float or an array."""
    if isinstance(x, Node):
        return x.sin()  # type: ignore[attr-defined]
    return _fsin(x) if x.__class__ is float else np.sin(x)


def cos(x: Any) -> Any:
    """Cosine for a Value, a float or an array."""
    if isinstance(x, Node):
        return x.cos()  # type: ignore[attr-defined]
    return _fcos(x) if x.__class__ is float else np.cos(x)


def sigmoid(x: Any) -> Any:
    """The stable sigmoid for a Value, a float or an array."""
    if isinstance(x, Node):
        return x.sigmoid()  # type: ignore[attr-defined]
    return stable_sigmoid(x)


def _sign(x: Any) -> Any:
    x = raw(x)
    if x.__class__ is float:
        return float((x > 0) - (x < 0)) if x == x else x
    return np.sign(x)


class ElementwiseOps:
    """Elementwise functions, mixed into ``Value``."""

    __slots__ = ()

    def exp(self: Value) -> Value:
        """e**x elementwise."""
        x = self.data
        out = _fexp(x) if x.__class__ is float else np.exp(x)
        return make_op(out, (self,), "exp", ElementwiseOps._exp_backward)

    @staticmethod
    def _exp_backward(g, out, ctx, a):
        # d(e**a)/da = e**a = out
        return (g * out,)

    def log(self: Value) -> Value:
        """Natural logarithm elementwise (-inf at 0, nan below)."""
        x = self.data
        if x.__class__ is float:
            out = _flog(x)
        else:
            out = np.log(x)
        return make_op(out, (self,), "log", ElementwiseOps._log_backward)

    @staticmethod
    def _log_backward(g, out, ctx, a):
        # d(log a)/da = 1/a
        return (g / a,)

    def log1p(self: Value) -> Value:
        """log(1 + x) elementwise, accurate for tiny x (-inf at -1, nan below).

        A primitive rather than ``(1 + x).log()``: 1 + x rounds away the digits of a tiny x
        (``1 + 1e-17 == 1``), so the derived form gives 0 where log1p gives 1e-17.
        """
        x = self.data
        if x.__class__ is float:
            out = math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan)
        else:
            out = np.log1p(x)
        return make_op(out, (self,), "log1p", ElementwiseOps._log1p_backward)

    @staticmethod
    def _log1p_backward(g, out, ctx, a):
        # d log(1 + a)/da = 1 / (1 + a)
        return (g / (a + 1.0),)

    def sqrt(self: Value) -> Value:
        """Square root elementwise (nan below 0)."""
        x = self.data
        if x.__class__ is float:
            out = math.sqrt(x) if x >= 0 else math.nan
        else:
            out = np.sqrt(x)
        return make_op(out, (self,), "sqrt", ElementwiseOps._sqrt_backward)

    @staticmethod
    def _sqrt_backward(g, out, ctx, a):
        # d(sqrt a)/da = 1 / (2 sqrt a) = 1 / (2 out)
        return (g / (out * 2.0),)

    def abs(self: Value) -> Value:
        """|x| elementwise."""
        x = self.data
        out = abs(x) if x.__class__ is float else np.abs(x)
        return make_op(out, (self,), "abs", ElementwiseOps._abs_backward)

    __abs__ = abs

    @staticmethod
    def _abs_backward(g, out, ctx, a):
        # d|a|/da = sign(a)   NOTE: 0 at a == 0 (a subgradient), as in PyTorch
        return (g * _sign(a),)

    def sin(self: Value) -> Value:
        """Sine elementwise."""
        x = self.data
        out = _fsin(x) if x.__class__ is float else np.sin(x)
        return make_op(out, (self,), "sin", ElementwiseOps._sin_backward)

    @staticmethod
    def _sin_backward(g, out, ctx, a):
        # d(sin a)/da = cos a
        return (g * cos(a),)

    def cos(self: Value) -> Value:
        """Cosine elementwise."""
        x = self.data
        out = _fcos(x) if x.__class__ is float else np.cos(x)
        return make_op(out, (self,), "cos", ElementwiseOps._cos_backward)

    @staticmethod
    def _cos_backward(g, out, ctx, a):
        # d(cos a)/da = -sin a
        return (-g * sin(a),)

    def tanh(self: Value) -> Value:
        """Hyperbolic tangent elementwise (finite everywhere, tanh(1000) = 1)."""
        x = self.data
        out = math.tanh(x) if x.__class__ is float else np.tanh(x)
        return make_op(out, (self,), "tanh", ElementwiseOps._tanh_backward)

    @staticmethod
    def _tanh_backward(g, out, ctx, a):
        # d(tanh a)/da = 1 - tanh(a)**2 = 1 - out**2
        return (g * (1.0 - out * out),)

    def sigmoid(self: Value) -> Value:
        """1 / (1 + e**-x), computed so that it never overflows."""
        return make_op(stable_sigmoid(self.data), (self,), "sigmoid", ElementwiseOps._sigmoid_backward)

    @staticmethod
    def _sigmoid_backward(g, out, ctx, a):
        # d(sigma(a))/da = sigma(a) (1 - sigma(a)) = out (1 - out)
        return (g * (out * (1.0 - out)),)

    def relu(self: Value) -> Value:
        """max(0, x) elementwise."""
        x = self.data
        out = (x if x > 0 or x != x else 0.0) if x.__class__ is float else np.maximum(x, 0)  # (nan stays nan)
        return make_op(out, (self,), "ReLU", ElementwiseOps._relu_backward)

    @staticmethod
    def _relu_backward(g, out, ctx, a):
        # d(max(0, a))/da = 1 if a > 0 else 0   NOTE: 0 at a == 0, as in PyTorch
        return (g * (raw(a) > 0),)

    def clip(
        self: Value, lo: float | None = None, hi: float | None = None, *, min: float | None = None,
        max: float | None = None,
    ) -> Value:
        """Limit values to [lo, hi] (PyTorch: ``min=``, ``max=``); the gradient is 0 where a limit bites.

        >>> Value(3.0).clip(max=1.0).data
        1.0
        """
        if min is not None or max is not None:
            if lo is not None or hi is not None:
                raise ArgumentError("clip: give the limits either positionally or as min=/max=, not both")
            lo, hi = min, max
        for bound in (lo, hi):
            if bound is not None and (not isinstance(bound, float | int) or isinstance(bound, bool)):
                raise DataError(f"clip: limits must be numbers or None, got {bound!r}")
        if lo is None and hi is None:
            raise ArgumentError("clip: at least one of the limits (lo/min, hi/max) must be given")
        x = self.data
        if x.__class__ is float:
            out = x if lo is None or not x < lo else float(lo)
            out = out if hi is None or not out > hi else float(hi)
        else:
            out = np.clip(x, lo, hi)
        return make_op(out, (self,), "clip", ElementwiseOps._clip_backward, (lo, hi))

    @staticmethod
    @shows("min", "max")
    def _clip_backward(g, out, ctx, a):
        # d clip(a, lo, hi)/da = 1 inside [lo, hi], 0 outside
        lo, hi = ctx
        x = raw(a)
        inside = (x >= (-math.inf if lo is None else lo)) & (x <= (math.inf if hi is None else hi))
        return (g * inside,)

    clamp = clip  # PyTorch's name
