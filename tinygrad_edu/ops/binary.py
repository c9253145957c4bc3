"""Elementwise functions of two Values: maximum, minimum, logaddexp, copysign, lerp, % and //, comparisons.

``BinaryOps`` is a base class of ``engine.Value``. The operands broadcast like
NumPy's; the other operand may be a Value, a number or an array (a constant).

- primitives with a rule: ``maximum``/``minimum`` (one node where the derived
  form with ``where`` takes five and 1.9x the time on a (4, 4) tensor; PyTorch's
  even split of the gradient at ties),
  ``logaddexp`` (stable: log(e**a + e**b) overflows from a = 710 on) and
  ``remainder`` (a - b floor(a/b) loses every digit for a = 1e17, b = 3);
- derived: ``copysign`` and ``lerp``;
- no gradient: ``floor_divide`` (``//``) gives a constant, as PyTorch's
  floor_divide is not differentiable; the comparisons ``eq ne lt le gt ge``
  (and ``== != < <= > >=``) and ``isclose`` give a boolean Value that needs no
  gradient, as PyTorch's (``(t > 0.9).float().mean()``); between two scalars
  (micrograd's Values, or a scalar and a number) they give a Python bool.

NOTE: ``==`` and ``!=`` are elementwise for tensors, as in PyTorch (so ``t in
a_list`` of tensors is ambiguous there too); for micrograd's scalars they stay
identity, as in micrograd (``v in visited_list`` in a hand-written topological
sort must not find a different node of equal value). Values hash by identity
either way: sets and dicts of Values work.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError, ShapeError, fmt_shape
from ..node import Operand, constant, lift, make_op, raw
from .arithmetic import broadcast_error
from .elementwise import sigmoid

if TYPE_CHECKING:
    from ..engine import Value

_LN2 = math.log(2.0)


def _apply(op: str, f: Any, x: Any, y: Any) -> Any:
    """f(x, y) on the operands' data; shapes that do not broadcast raise the project's ShapeError."""
    try:
        return f(x, y)
    except ValueError:
        raise broadcast_error(op, x, y) from None


def _both_floats(x: Any, y: Any) -> bool:
    return x.__class__ is float and y.__class__ is float


def _float_logaddexp(x: float, y: float) -> float:
    if x == y:  # also both +-inf, where x - y would be nan
        return x + _LN2
    m = x if x > y else y  # (nan: m is y and the sum below is nan)
    return m + math.log1p(math.exp(-abs(x - y)))


def _float_remainder(x: float, y: float) -> float:
    return x % y if y != 0 else math.nan


def _float_floor_divide(x: float, y: float) -> float:
    if y == 0 or not math.isfinite(x) or not math.isfinite(y):  # where Python raises or differs: NumPy's answer
        with np.errstate(all="ignore"):
            return float(np.floor_divide(np.float64(x), np.float64(y)))
    return x // y


def _data(other: Any, op: str) -> Any:
    """The data of an operand that is only read (compared, or its sign taken), as NumPy reads it."""
    other = raw(other)
    if isinstance(other, str | bytes) or (not isinstance(other, float | int | np.ndarray) and other is not None
                                          and np.asarray(other).dtype.kind not in "biuf"):
        raise DataError(f"{op}: expected numbers or a numeric array, got {type(other).__name__} {other!r:.40}")
    return other if isinstance(other, float | int | np.ndarray) else np.asarray(other)


def _check_broadcast(op: str, *operands: Any) -> None:
    """Raise the project's ShapeError, naming ``op``, when the operands' shapes do not broadcast."""
    shapes = [np.shape(raw(x)) for x in operands]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(
            f"{op}: shapes {', '.join(fmt_shape(s) for s in shapes)} cannot be broadcast together "
            "(each axis, counted from the right, must be equal or 1)"
        ) from None


def _compare(op: str, python_op: Any, ufunc: Any, node: Value, other: Any) -> Any:
    x, y = node._data, _data(other, op)
    if x.__class__ is float and isinstance(y, float | int):
        return python_op(x, y)  # micrograd's scalars: a plain bool
    return constant(np.asarray(_apply(op, ufunc, x, y)), node._result_class)  # a bool tensor, no gradient


def _by_identity(x: Value, other: Any) -> bool:
    """Whether ``==`` compares identity: between micrograd's scalars, or with what is not numbers."""
    if other is None or isinstance(other, str | bytes):
        return True
    return x._data.__class__ is float and not isinstance(raw(other), np.ndarray)


class BinaryOps:
    """Elementwise functions of two operands, mixed into ``Value``."""

    __slots__ = ()

    def maximum(self: Value, other: Operand) -> Value:
        """The larger of the two, elementwise (nan if either is nan).

        NOTE: where they are equal the gradient is split evenly, half to each, as in PyTorch.
        """
        other = lift(other, "maximum", self._result_class)
        x, y = self._data, other._data
        if _both_floats(x, y):
            out = x if x > y or x != x else y
        else:
            out = _apply("maximum", np.maximum, x, y)
        return make_op(out, (self, other), "maximum", _maximum_backward)

    def minimum(self: Value, other: Operand) -> Value:
        """The smaller of the two, elementwise (nan if either is nan); ties split the gradient evenly."""
        other = lift(other, "minimum", self._result_class)
        x, y = self._data, other._data
        if _both_floats(x, y):
            out = x if x < y or x != x else y
        else:
            out = _apply("minimum", np.minimum, x, y)
        return make_op(out, (self, other), "minimum", _minimum_backward)

    def logaddexp(self: Value, other: Operand) -> Value:
        """log(e**x + e**y) elementwise, never overflowing: max(x, y) + log1p(e**-|x - y|)."""
        other = lift(other, "logaddexp", self._result_class)
        x, y = self._data, other._data
        out = _float_logaddexp(x, y) if _both_floats(x, y) else _apply("logaddexp", np.logaddexp, x, y)
        return make_op(out, (self, other), "logaddexp", _logaddexp_backward)

    def remainder(self: Value, other: Operand) -> Value:
        """x - y floor(x / y), with the sign of y (Python's and PyTorch's ``%``); nan where y == 0."""
        other = lift(other, "remainder", self._result_class)
        x, y = self._data, other._data
        out = _float_remainder(x, y) if _both_floats(x, y) else _apply("remainder", np.remainder, x, y)
        return make_op(out, (self, other), "remainder", _remainder_backward)

    def __mod__(self: Value, other: Operand) -> Value:
        return self.remainder(other)

    def __rmod__(self: Value, other: Operand) -> Value:  # other % self
        return lift(other, "remainder", self._result_class).remainder(self)  # type: ignore[attr-defined]

    def floor_divide(self: Value, other: Operand) -> Value:
        """floor(x / y) elementwise, as Python's ``//`` computes it; a constant: it has no gradient.

        NOTE: like PyTorch's floor_divide, this is not differentiable; the result is cut from the graph.
        """
        other = lift(other, "floor_divide", self._result_class)
        x, y = self._data, other._data
        out = _float_floor_divide(x, y) if _both_floats(x, y) else _apply("floor_divide", np.floor_divide, x, y)
        return constant(out, self._result_class)  # type: ignore[return-value]

    def __floordiv__(self: Value, other: Operand) -> Value:
        return self.floor_divide(other)

    def __rfloordiv__(self: Value, other: Operand) -> Value:  # other // self
        return lift(other, "floor_divide", self._result_class).floor_divide(self)  # type: ignore[attr-defined]

    def copysign(self: Value, other: Operand) -> Value:
        """|x| with the sign of y, elementwise (-0.0 counts as negative); y gets no gradient, as in PyTorch."""
        y = _data(other, "copysign")
        _check_broadcast("copysign", self, y)
        negative = np.signbit(y)
        if np.ndim(negative) == 0:
            return self.abs() * (-1.0 if negative else 1.0)
        return self.abs() * np.where(negative, -1.0, 1.0)

    def lerp(self: Value, end: Operand, weight: Operand) -> Value:
        """start + weight * (end - start), elementwise; ``weight`` a number or a Value (differentiated too)."""
        _check_broadcast("lerp", self, _data(end, "lerp"), _data(weight, "lerp"))
        return self + weight * (end - self)

    # ---- comparisons: a bool Value (or a Python bool for two scalars), no graph ----
    def eq(self: Value, other: Operand) -> Any:
        """x == y elementwise, as a bool Value (a Python bool for two scalars; ``==`` too, for tensors)."""
        return _compare("eq", operator.eq, np.equal, self, other)

    def ne(self: Value, other: Operand) -> Any:
        """x != y elementwise, as a bool Value (a Python bool for two scalars)."""
        return _compare("ne", operator.ne, np.not_equal, self, other)

    def lt(self: Value, other: Operand) -> Any:
        """x < y elementwise, as a bool Value (a Python bool for two scalars)."""
        return _compare("lt", operator.lt, np.less, self, other)

    def le(self: Value, other: Operand) -> Any:
        """x <= y elementwise, as a bool Value (a Python bool for two scalars)."""
        return _compare("le", operator.le, np.less_equal, self, other)

    def gt(self: Value, other: Operand) -> Any:
        """x > y elementwise, as a bool Value (a Python bool for two scalars)."""
        return _compare("gt", operator.gt, np.greater, self, other)

    def ge(self: Value, other: Operand) -> Any:
        """x >= y elementwise, as a bool Value (a Python bool for two scalars)."""
        return _compare("ge", operator.ge, np.greater_equal, self, other)

    __lt__ = lt
    __le__ = le
    __gt__ = gt
    __ge__ = ge

    def __eq__(self: Value, other: object) -> Any:
        return self is other if _by_identity(self, other) else self.eq(other)  # type: ignore[arg-type]

    def __ne__(self: Value, other: object) -> Any:
        return self is not other if _by_identity(self, other) else self.ne(other)  # type: ignore[arg-type]

    __hash__ = object.__hash__  # graph nodes: by identity (defining __eq__ would otherwise remove it)

    def isclose(self: Value, other: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
        """|x - y| <= atol + rtol |y| elementwise, as booleans (PyTorch's and NumPy's definition)."""
        close = _apply("isclose", lambda a, b: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
                       self._data, _data(other, "isclose"))
        return close if close.__class__ is np.bool_ and self._data.__class__ is float else constant(
            np.asarray(close), self._result_class)


# ---- the rules ---------------------------------------------------------------------
def _maximum_backward(g, out, ctx, a, b):
    # d max(a, b)/da = 1 where a > b, 0 where a < b, 1/2 where a == b (PyTorch's split); d/db likewise.
    # NOTE: where either is nan, both get the whole gradient, as in PyTorch.
    x, y = raw(a), raw(b)
    half = 1.0 - (x == y) * 0.5
    return g * (half * (1 - (x < y))), g * (half * (1 - (x > y)))


def _minimum_backward(g, out, ctx, a, b):
    # d min(a, b)/da = 1 where a < b, 0 where a > b, 1/2 where a == b; d/db likewise (nan: both get it all)
    x, y = raw(a), raw(b)
    half = 1.0 - (x == y) * 0.5
    return g * (half * (1 - (x > y))), g * (half * (1 - (x < y)))


def _logaddexp_backward(g, out, ctx, a, b):
    # d log(e**a + e**b)/da = e**a / (e**a + e**b) = sigmoid(a - b); d/db = sigmoid(b - a)
    return g * sigmoid(a - b), g * sigmoid(b - a)


def _remainder_backward(g, out, ctx, a, b):
    # d(a - b floor(a/b))/da = 1, d/db = -floor(a/b); floor(a/b) is a step, its own derivative 0,
    # so it is taken from the data (a constant) also when the gradient is differentiated again
    x, y = raw(a), raw(b)
    with np.errstate(all="ignore"):
        steps = _float_floor_divide(x, y) if _both_floats(x, y) else np.floor_divide(x, y)
    return g, -g * steps

