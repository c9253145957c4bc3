"""Elementwise functions of a Value: exp, log, sqrt, abs, trigonometric and hyperbolic functions, erf, ...

The primitives (exp log log1p expm1 log2 log10 exp2 sqrt abs sin cos tan asin acos atan sinh
cosh tanh asinh acosh atanh erf sigmoid relu clip, and the steps sign floor ceil round trunc)
each have a rule; rsqrt, reciprocal and square are derived from them; isnan, isinf and
isfinite return boolean data, not Values.

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
from ..node import Node, constant, make_op, raw, shows
from .special import erf_array

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


def _scalar(math_fn: Any, numpy_fn: Any) -> Any:
    """A Python-float version of a NumPy ufunc: ``math_fn``, with NumPy's answer where it raises."""

    def f(x: float) -> float:
        try:
            return math_fn(x)
        except (ValueError, OverflowError):  # outside the domain (nan) or beyond float's range (inf)
            with np.errstate(all="ignore"):
                return float(numpy_fn(np.float64(x)))

    return f


def _rsqrt(x: Any) -> Any:
    """1 / sqrt(x) for a Value, a float or an array (the rules of asin, acos, asinh, acosh use it).

    On raw data a zero of either sign gives +inf (the derivative's limit at a domain edge), as PyTorch's rules do.
    """
    if isinstance(x, Node):
        return x.rsqrt()  # type: ignore[attr-defined]
    if x.__class__ is float:
        return 1.0 / math.sqrt(x) if x > 0 else (math.inf if x == 0 else math.nan)
    return 1.0 / np.sqrt(x + 0.0)  # (-0.0 + 0.0 is +0.0)


def _cosh(x: Any) -> Any:
    """cosh for a Value, a float or an array (the rule of sinh)."""
    return x.cosh() if isinstance(x, Node) else _UNARY["cosh"](x)  # type: ignore[attr-defined]


def _sinh(x: Any) -> Any:
    """sinh for a Value, a float or an array (the rule of cosh)."""
    return x.sinh() if isinstance(x, Node) else _UNARY["sinh"](x)  # type: ignore[attr-defined]


def _on_floats_and_arrays(math_fn: Any, numpy_fn: Any) -> Any:
    scalar = _scalar(math_fn, numpy_fn)
    return lambda x: scalar(x) if x.__class__ is float else numpy_fn(x)


# The functions the unary primitives below compute, on Python floats (math) and arrays (NumPy).
_UNARY = {
    name: _on_floats_and_arrays(math_fn, numpy_fn)
    for name, math_fn, numpy_fn in (
        ("tan", math.tan, np.tan), ("asin", math.asin, np.arcsin), ("acos", math.acos, np.arccos),
        ("atan", math.atan, np.arctan), ("sinh", math.sinh, np.sinh), ("cosh", math.cosh, np.cosh),
        ("asinh", math.asinh, np.arcsinh), ("acosh", math.acosh, np.arccosh), ("atanh", math.atanh, np.arctanh),
        ("log2", math.log2, np.log2), ("log10", math.log10, np.log10), ("exp2", lambda v: 2.0**v, np.exp2),
        ("expm1", math.expm1, np.expm1), ("erf", math.erf, erf_array),
        # floor, ceil and trunc keep the sign of a zero result (ceil(-0.5) == -0.0), as NumPy does
        ("floor", lambda v: math.copysign(math.floor(v), v), np.floor),
        ("ceil", lambda v: math.copysign(math.ceil(v), v), np.ceil),
        ("trunc", lambda v: math.copysign(math.trunc(v), v), np.trunc),
    )
}
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _zeros_like(g: Any) -> Any:
    """A zero gradient shaped like ``g``: the rule of the step functions (floor, sign, ...), as in PyTorch."""
    if isinstance(g, Node):
        return constant(np.zeros_like(g._data) if g._data.__class__ is not float else 0.0, g._result_class)
    return 0.0 if g.__class__ is float else np.zeros_like(g)


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
        x = self._data
        out = _fexp(x) if x.__class__ is float else np.exp(x)
        return make_op(out, (self,), "exp", ElementwiseOps._exp_backward)

    @staticmethod
    def _exp_backward(g, out, ctx, a):
        # d(e**a)/da = e**a = out
        return (g * out,)

    def log(self: Value) -> Value:
        """Natural logarithm elementwise (-inf at 0, nan below)."""
        x = self._data
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
        x = self._data
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
        x = self._data
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
        x = self._data
        out = abs(x) if x.__class__ is float else np.abs(x)
        return make_op(out, (self,), "abs", ElementwiseOps._abs_backward)

    __abs__ = abs

    @staticmethod
    def _abs_backward(g, out, ctx, a):
        # d|a|/da = sign(a)   NOTE: 0 at a == 0 (a subgradient), as in PyTorch
        return (g * _sign(a),)

    def sin(self: Value) -> Value:
        """Sine elementwise."""
        x = self._data
        out = _fsin(x) if x.__class__ is float else np.sin(x)
        return make_op(out, (self,), "sin", ElementwiseOps._sin_backward)

    @staticmethod
    def _sin_backward(g, out, ctx, a):
        # d(sin a)/da = cos a
        return (g * cos(a),)

    def cos(self: Value) -> Value:
        """Cosine elementwise."""
        x = self._data
        out = _fcos(x) if x.__class__ is float else np.cos(x)
        return make_op(out, (self,), "cos", ElementwiseOps._cos_backward)

    @staticmethod
    def _cos_backward(g, out, ctx, a):
        # d(cos a)/da = -sin a
        return (-g * sin(a),)

    def tanh(self: Value) -> Value:
        """Hyperbolic tangent elementwise (finite everywhere, tanh(1000) = 1)."""
        x = self._data
        out = math.tanh(x) if x.__class__ is float else np.tanh(x)
        return make_op(out, (self,), "tanh", ElementwiseOps._tanh_backward)

    @staticmethod
    def _tanh_backward(g, out, ctx, a):
        # d(tanh a)/da = 1 - tanh(a)**2 = 1 - out**2
        return (g * (1.0 - out * out),)

    def sigmoid(self: Value) -> Value:
        """1 / (1 + e**-x), computed so that it never overflows."""
        return make_op(stable_sigmoid(self._data), (self,), "sigmoid", ElementwiseOps._sigmoid_backward)

    @staticmethod
    def _sigmoid_backward(g, out, ctx, a):
        # d(sigma(a))/da = sigma(a) (1 - sigma(a)) = out (1 - out)
        return (g * (out * (1.0 - out)),)

    def relu(self: Value) -> Value:
        """max(0, x) elementwise."""
        x = self._data
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
        x = self._data
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

    # ---- more primitives: each one NumPy call where the derived form would lose digits or speed ----
    # Derived versions measured on a (4, 4) tensor, forward + backward: sin/cos (3 nodes) takes 2.0x the time
    # of tan; (e**x + e**-x)/2 (5 nodes) 2.7x that of cosh. Where a rule divides by a product such as
    # (1 - a)(1 + a), that form keeps the digits that 1 - a*a would round away near |a| = 1.
    def tan(self: Value) -> Value:
        """Tangent elementwise (a primitive: sin/cos takes three nodes, 2x the time)."""
        return make_op(_UNARY["tan"](self._data), (self,), "tan", ElementwiseOps._tan_backward)

    @staticmethod
    def _tan_backward(g, out, ctx, a):
        # d(tan a)/da = 1 + tan(a)**2 = 1 + out**2
        return (g * (out * out + 1.0),)

    def asin(self: Value) -> Value:
        """Inverse sine elementwise (nan outside [-1, 1]); no other op gives it."""
        return make_op(_UNARY["asin"](self._data), (self,), "asin", ElementwiseOps._asin_backward)

    @staticmethod
    def _asin_backward(g, out, ctx, a):
        # d(asin a)/da = 1 / sqrt(1 - a**2) = 1 / sqrt((1 - a)(1 + a))
        return (g * _rsqrt((1.0 - a) * (a + 1.0)),)

    def acos(self: Value) -> Value:
        """Inverse cosine elementwise (nan outside [-1, 1]); no other op gives it."""
        return make_op(_UNARY["acos"](self._data), (self,), "acos", ElementwiseOps._acos_backward)

    @staticmethod
    def _acos_backward(g, out, ctx, a):
        # d(acos a)/da = -1 / sqrt(1 - a**2)
        return (-g * _rsqrt((1.0 - a) * (a + 1.0)),)

    def atan(self: Value) -> Value:
        """Inverse tangent elementwise; no other op gives it."""
        return make_op(_UNARY["atan"](self._data), (self,), "atan", ElementwiseOps._atan_backward)

    @staticmethod
    def _atan_backward(g, out, ctx, a):
        # d(atan a)/da = 1 / (1 + a**2)
        return (g / (a * a + 1.0),)

    def sinh(self: Value) -> Value:
        """Hyperbolic sine elementwise (a primitive: (e**x - e**-x)/2 loses the digits of a small x)."""
        return make_op(_UNARY["sinh"](self._data), (self,), "sinh", ElementwiseOps._sinh_backward)

    @staticmethod
    def _sinh_backward(g, out, ctx, a):
        # d(sinh a)/da = cosh a
        return (g * _cosh(a),)

    def cosh(self: Value) -> Value:
        """Hyperbolic cosine elementwise (a primitive: (e**x + e**-x)/2 takes five nodes, 2.7x the time)."""
        return make_op(_UNARY["cosh"](self._data), (self,), "cosh", ElementwiseOps._cosh_backward)

    @staticmethod
    def _cosh_backward(g, out, ctx, a):
        # d(cosh a)/da = sinh a
        return (g * _sinh(a),)

    def asinh(self: Value) -> Value:
        """Inverse hyperbolic sine (a primitive: log(x + sqrt(x**2 + 1)) is log(0) at x = -1e8)."""
        return make_op(_UNARY["asinh"](self._data), (self,), "asinh", ElementwiseOps._asinh_backward)

    @staticmethod
    def _asinh_backward(g, out, ctx, a):
        # d(asinh a)/da = 1 / sqrt(a**2 + 1)
        return (g * _rsqrt(a * a + 1.0),)

    def acosh(self: Value) -> Value:
        """Inverse hyperbolic cosine (nan below 1; a primitive: log(x + sqrt(x**2 - 1)) overflows above 1e154)."""
        return make_op(_UNARY["acosh"](self._data), (self,), "acosh", ElementwiseOps._acosh_backward)

    @staticmethod
    def _acosh_backward(g, out, ctx, a):
        # d(acosh a)/da = 1 / sqrt(a**2 - 1) = 1 / sqrt((a - 1)(a + 1))
        return (g * _rsqrt((a - 1.0) * (a + 1.0)),)

    def atanh(self: Value) -> Value:
        """Inverse hyperbolic tangent (+-inf at +-1; a primitive: log((1 + x)/(1 - x))/2 loses a small x's digits)."""
        return make_op(_UNARY["atanh"](self._data), (self,), "atanh", ElementwiseOps._atanh_backward)

    @staticmethod
    def _atanh_backward(g, out, ctx, a):
        # d(atanh a)/da = 1 / (1 - a**2) = 1 / ((1 - a)(1 + a))
        return (g / ((1.0 - a) * (a + 1.0)),)

    def log2(self: Value) -> Value:
        """Base-2 logarithm (a primitive: log(x) / log(2) gives 29.000000000000004 for 2**29)."""
        return make_op(_UNARY["log2"](self._data), (self,), "log2", ElementwiseOps._log2_backward)

    @staticmethod
    def _log2_backward(g, out, ctx, a):
        # d(log2 a)/da = 1 / (a log 2)
        return (g / (a * _LN2),)

    def log10(self: Value) -> Value:
        """Base-10 logarithm (a primitive: log(x) / log(10) gives 2.9999999999999996 for 1000)."""
        return make_op(_UNARY["log10"](self._data), (self,), "log10", ElementwiseOps._log10_backward)

    @staticmethod
    def _log10_backward(g, out, ctx, a):
        # d(log10 a)/da = 1 / (a log 10)
        return (g / (a * _LN10),)

    def exp2(self: Value) -> Value:
        """2**x elementwise (a primitive: e**(x log 2) gives 7.999999999999998 for x = 3)."""
        return make_op(_UNARY["exp2"](self._data), (self,), "exp2", ElementwiseOps._exp2_backward)

    @staticmethod
    def _exp2_backward(g, out, ctx, a):
        # d(2**a)/da = 2**a log 2 = out log 2
        return (g * out * _LN2,)

    def expm1(self: Value) -> Value:
        """e**x - 1 elementwise (a primitive: exp(x) - 1 gives 0 for x = 1e-17, expm1 gives 1e-17)."""
        return make_op(_UNARY["expm1"](self._data), (self,), "expm1", ElementwiseOps._expm1_backward)

    @staticmethod
    def _expm1_backward(g, out, ctx, a):
        # d(e**a - 1)/da = e**a
        return (g * exp(a),)

    def erf(self: Value) -> Value:
        """The error function 2/sqrt(pi) * integral of e**(-t**2) from 0 to x; no other op gives it.

        NumPy has no erf: arrays use ``ops.special.erf_array`` (within 1 ulp of ``math.erf``).
        """
        return make_op(_UNARY["erf"](self._data), (self,), "erf", ElementwiseOps._erf_backward)

    @staticmethod
    def _erf_backward(g, out, ctx, a):
        # d(erf a)/da = 2/sqrt(pi) e**(-a**2)
        return (g * _TWO_OVER_SQRT_PI * exp(-(a * a)),)

    # ---- derived: their gradients come from the ops they are made of ----
    def rsqrt(self: Value) -> Value:
        """1 / sqrt(x) elementwise (inf at 0, nan below)."""
        return 1.0 / self.sqrt()

    def reciprocal(self: Value) -> Value:
        """1 / x elementwise."""
        return 1.0 / self

    def square(self: Value) -> Value:
        """x * x elementwise."""
        return self * self

    # ---- steps: piecewise constant, so the gradient is 0 (PyTorch's convention; a primitive by necessity) ----
    def sign(self: Value) -> Value:
        """-1, 0 or 1 by the sign of x.  NOTE: sign(nan) is 0, as in PyTorch (NumPy gives nan)."""
        x = self._data
        if x.__class__ is float:
            out = float((x > 0) - (x < 0))
        else:
            out = (x > 0).astype(x.dtype) - (x < 0)
        return make_op(out, (self,), "sign", ElementwiseOps._step_backward)

    def floor(self: Value) -> Value:
        """The largest integer <= x, elementwise (gradient 0)."""
        return make_op(_UNARY["floor"](self._data), (self,), "floor", ElementwiseOps._step_backward)

    def ceil(self: Value) -> Value:
        """The smallest integer >= x, elementwise (gradient 0)."""
        return make_op(_UNARY["ceil"](self._data), (self,), "ceil", ElementwiseOps._step_backward)

    def trunc(self: Value) -> Value:
        """x rounded towards 0, elementwise (gradient 0)."""
        return make_op(_UNARY["trunc"](self._data), (self,), "trunc", ElementwiseOps._step_backward)

    def round(self: Value, decimals: int = 0) -> Value:
        """x rounded to ``decimals`` places, halves to even (``round(2.5) == 2``) as in PyTorch (gradient 0)."""
        if not isinstance(decimals, int) or isinstance(decimals, bool):
            raise DataError(f"round: decimals must be an int, got {decimals!r}")
        x = self._data
        if x.__class__ is float and decimals == 0:
            out = float(round(x)) if math.isfinite(x) else x
            out = math.copysign(out, x)  # round(-0.3) is -0.0, as in NumPy
        else:
            out = np.round(x, decimals)
            out = float(out) if x.__class__ is float else out
        return make_op(out, (self,), "round", ElementwiseOps._step_backward, decimals)

    @staticmethod
    def _step_backward(g, out, ctx, a):
        # d(step a)/da = 0 wherever it is defined (and 0 at the jumps, by convention)
        return (_zeros_like(g),)

    # ---- tests of the values: boolean data, not Values (nothing to differentiate) ----
    def isnan(self: Value) -> Any:
        """True where x is nan: a bool array (a Python bool for a float Value)."""
        x = self._data
        return x != x if x.__class__ is float else np.isnan(x)

    def isinf(self: Value) -> Any:
        """True where x is +-inf: a bool array (a Python bool for a float Value)."""
        x = self._data
        return math.isinf(x) if x.__class__ is float else np.isinf(x)

    def isfinite(self: Value) -> Any:
        """True where x is neither inf nor nan: a bool array (a Python bool for a float Value)."""
        x = self._data
        return math.isfinite(x) if x.__class__ is float else np.isfinite(x)
