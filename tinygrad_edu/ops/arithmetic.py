"""micrograd's operators: + - * / ** and neg, and the matrix product @.

``ArithmeticOps`` is a base class of ``engine.Value``. Each op computes its
value, then calls ``make_op`` with its gradient rule, written right below it:
``rule(g, out, ctx, *inputs)`` returns one gradient per input. ``backward()``
calls a rule on raw floats/arrays; ``backward(create_graph=True)`` calls the
very same rule on Values, which is how higher-order gradients come for free.
Gradients of broadcast inputs are summed back to the input's shape by the
graph walk (``autograd.backprop``), so the rules can ignore broadcasting.

A plain number ``c`` on one side is kept in the op's ctx instead of becoming
a constant node: fewer objects per op, and drawings show "* 2" on the op.
These operators are the hottest code of the scalar (micrograd) path, so they
read the ``_data`` slot directly rather than the ``.data`` property (which
normalises assignments; reading through it costs 3% of a scalar step).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..node import Node, Operand, lift, make_op, raw, shows
from .elementwise import log

if TYPE_CHECKING:
    from ..engine import Value

Number = (float, int)  # plain numbers, np.float64 included (a float subclass)


def broadcast_error(op: str, a: Any, b: Any) -> ShapeError:
    """The error for operands whose shapes do not broadcast."""
    return ShapeError(
        f"{op}: shapes {fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} cannot be "
        "broadcast together (each axis, counted from the right, must be equal or 1)"
    )


def _number(x: float | int) -> float:
    """A number on one side of an op, as a float: an int beyond float's range is inf, as in IEEE (Python raises)."""
    try:
        return float(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _divide(a: Any, b: Any) -> Any:
    """a / b; for two Python floats with IEEE semantics (inf/nan) like NumPy's."""
    if a.__class__ is float and b.__class__ is float and b == 0:
        return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _float_pow(x: float, c: float) -> float:
    """x ** c on Python floats with NumPy's answers (inf, nan) where Python raises or goes complex."""
    if x == 0 and c < 0:  # IEEE: inf, signed like x when c is an odd integer (Python raises)
        odd = c.is_integer() and int(c) % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf
    if x < 0 and not c.is_integer() and (math.isfinite(x) or c == 0.5) and math.isfinite(c):
        return math.nan  # Python would give a complex number (and NumPy's x**0.5 is sqrt(x): nan at -inf)
    try:
        return x**c
    except OverflowError:
        return math.inf if x > 0 or c % 2 == 0 else -math.inf


def power(x: Any, e: Any) -> Any:
    """x ** e for floats (NumPy's answers, never complex), arrays and Values alike: the rules use it."""
    if x.__class__ is float and e.__class__ is float:
        return _float_pow(x, e)
    return x**e


def _matmul_error(a: np.ndarray, b: np.ndarray) -> ShapeError:
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        what = f"a.shape[-1] ({k_a}) must equal b.shape[{0 if b.ndim == 1 else -2}] ({k_b})"
    else:
        what = "their batch axes cannot be broadcast together"
    return ShapeError(f"matmul: shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)} do not fit: {what}")


class ArithmeticOps:
    """The arithmetic operators, mixed into ``Value``."""

    __slots__ = ()

    def __add__(self: Value, other: Operand) -> Value:
        if other.__class__ is not self.__class__ and not isinstance(other, Node):
            if isinstance(other, Number):
                c = _number(other)
                return make_op(self._data + c, (self,), "+", _add_number_backward, c)
            other = lift(other, "add", self._result_class)
        try:
            out = self._data + other._data
        except ValueError:
            raise broadcast_error("add", self._data, other._data) from None
        return make_op(out, (self, other), "+", _add_backward)

    def __radd__(self: Value, other: Operand) -> Value:  # other + self
        if isinstance(other, Number):
            c = _number(other)
            return make_op(c + self._data, (self,), "+", _add_number_backward, c)
        return lift(other, "add", self._result_class) + self

    def __sub__(self: Value, other: Operand) -> Value:
        if other.__class__ is not self.__class__ and not isinstance(other, Node):
            if isinstance(other, Number):
                c = _number(other)
                return make_op(self._data - c, (self,), "-", _add_number_backward, c)
            other = lift(other, "sub", self._result_class)
        try:
            out = self._data - other._data
        except ValueError:
            raise broadcast_error("sub", self._data, other._data) from None
        return make_op(out, (self, other), "-", _sub_backward)

    def __rsub__(self: Value, other: Operand) -> Value:  # other - self
        if isinstance(other, Number):
            c = _number(other)
            return make_op(c - self._data, (self,), "r-", _neg_backward, c)
        return lift(other, "sub", self._result_class) - self

    def __neg__(self: Value) -> Value:
        return make_op(-self._data, (self,), "neg", _neg_backward)

    def __mul__(self: Value, other: Operand) -> Value:
        if other.__class__ is not self.__class__ and not isinstance(other, Node):
            if isinstance(other, Number):
                c = _number(other)
                return make_op(self._data * c, (self,), "*", _mul_number_backward, c)
            other = lift(other, "mul", self._result_class)
        try:
            out = self._data * other._data
        except ValueError:
            raise broadcast_error("mul", self._data, other._data) from None
        return make_op(out, (self, other), "*", _mul_backward)

    def __rmul__(self: Value, other: Operand) -> Value:  # other * self
        if isinstance(other, Number):
            c = _number(other)
            return make_op(c * self._data, (self,), "*", _mul_number_backward, c)
        return lift(other, "mul", self._result_class) * self

    def __truediv__(self: Value, other: Operand) -> Value:
        if other.__class__ is not self.__class__ and not isinstance(other, Node):
            if isinstance(other, Number):
                c = _number(other)
                return make_op(_divide(self._data, c), (self,), "/", _div_number_backward, c)
            other = lift(other, "div", self._result_class)
        try:
            out = _divide(self._data, other._data)
        except ValueError:
            raise broadcast_error("div", self._data, other._data) from None
        return make_op(out, (self, other), "/", _div_backward)

    def __rtruediv__(self: Value, other: Operand) -> Value:  # other / self
        if isinstance(other, Number):
            c = _number(other)
            return make_op(_divide(c, self._data), (self,), "r/", _rdiv_number_backward, c)
        return lift(other, "div", self._result_class) / self

    def __pow__(self: Value, other: Operand) -> Value:
        """``self ** other``; a number exponent is a constant, a Value one is differentiated.

        NOTE: a negative base with a non-integer exponent gives nan (not complex).
        """
        if isinstance(other, Number):
            c = _number(other)
            x = self._data
            out = _float_pow(x, c) if x.__class__ is float else x**c
            return make_op(out, (self,), "**", _pow_number_backward, c)
        other = lift(other, "pow", self._result_class)
        a, b = self._data, other._data
        if a.__class__ is float and b.__class__ is float:
            out = _float_pow(a, b)
        else:
            try:
                out = np.power(a, b)
            except ValueError:
                raise broadcast_error("pow", a, b) from None
        return make_op(out, (self, other), "**", _pow_backward)

    def __rpow__(self: Value, other: Operand) -> Value:  # other ** self
        return lift(other, "pow", self._result_class) ** self

    def __matmul__(self: Value, other: Operand) -> Value:
        other = lift(other, "matmul", self._result_class)
        a, b = self._data, other._data
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ShapeError(
                f"matmul: operands must have at least 1 axis, got shapes "
                f"{fmt_shape(np.shape(a))} and {fmt_shape(np.shape(b))} (use * for scalars)"
            )
        try:
            out = a @ b
        except ValueError:
            raise _matmul_error(a, b) from None
        return make_op(out, (self, other), "@", _matmul_backward, (self.requires_grad, other.requires_grad))

    def __rmatmul__(self: Value, other: Operand) -> Value:  # other @ self
        return lift(other, "matmul", self._result_class) @ self


# ---- the rules ---------------------------------------------------------------------
def _add_backward(g, out, ctx, a, b):
    # d(a+b)/da = 1, d(a+b)/db = 1
    return g, g


@shows("c")
def _add_number_backward(g, out, c, a):
    # d(a+c)/da = 1 (also for a-c)
    return (g,)


def _sub_backward(g, out, ctx, a, b):
    # d(a-b)/da = 1, d(a-b)/db = -1
    return g, -g


@shows("c")
def _neg_backward(g, out, ctx, a):
    # d(-a)/da = -1 (also for c-a, whose c is in ctx)
    return (-g,)


def _mul_backward(g, out, ctx, a, b):
    # d(a*b)/da = b, d(a*b)/db = a
    return g * b, g * a


@shows("c")
def _mul_number_backward(g, out, c, a):
    # d(a*c)/da = c
    return (g * c,)


def _div_backward(g, out, ctx, a, b):
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 = -out/b
    return g / b, -g * out / b


@shows("c")
def _div_number_backward(g, out, c, a):
    # d(a/c)/da = 1/c
    return (g / c,)


@shows("c")
def _rdiv_number_backward(g, out, c, a):
    # d(c/a)/da = -c/a**2 = -out/a
    return (-g * out / a,)


@shows("c")
def _pow_number_backward(g, out, c, a):
    # d(a**c)/da = c * a**(c-1)
    # NOTE: for c == 0 the derivative is 0 everywhere, a == 0 included (PyTorch's convention),
    # where the formula would give 0 * 0**-1 = nan.
    if c == 0:
        return (g * 0.0,)
    return (g * c * power(a, c - 1),)


def _pow_backward(g, out, ctx, a, b):
    # d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * log(a)
    # NOTE: PyTorch's conventions at a == 0, which the formulas leave undefined:
    # - where a == 0 and b == 0, d/da = 0 (the exponent b-1 is bumped to 0 there, so 0 * a**0 = 0, not 0 * inf;
    #   elsewhere the formula is left alone, so that its own derivative in b stays right);
    # - where a == 0 and b >= 0, d/db = 0 (a**b is flat in b there): log is taken of 1 instead of 0;
    #   where a == 0 and b < 0 it stays inf * log(0) = -inf.
    ra, rb = raw(a), raw(b)
    a_is_zero = ra == 0
    both_zero = a_is_zero & (rb == 0)
    flat = a_is_zero & (rb >= 0)
    return g * b * power(a, b - 1 + both_zero), g * out * log(a + flat)


def _matmul_backward(g, out, ctx, a, b):
    # d(a@b)/da = g @ b^T,  d(a@b)/db = a^T @ g
    # 1-D operands are promoted to matrices the way NumPy does (a row for a,
    # a column for b) and the added axis is removed again at the end; batch
    # axes that were broadcast are summed by the graph walk.
    need_a, need_b = ctx  # skip the product nobody needs (e.g. d/d data)
    a_nd, b_nd = a.ndim, b.ndim
    a2 = a.reshape((1,) + a.shape) if a_nd == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b_nd == 1 else b
    g2 = g
    if a_nd == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if b_nd > 1 else g2.reshape((1,) + g2.shape)
    if b_nd == 1:
        g2 = g2.reshape(g2.shape + (1,))
    ga = gb = None
    if need_a:
        ga = g2 @ b2.swapaxes(-1, -2)
        if a_nd == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need_b:
        gb = a2.swapaxes(-1, -2) @ g2
        if b_nd == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb
