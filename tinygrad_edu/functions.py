"""The package-level functions under PyTorch's names: ``tg.maximum(a, b)``, ``tg.erf(x)``, ``tg.eq(a, b)``, ...

Each lifts its first input to a Value (a number or an array becomes a constant) and calls
the method of the same name, where the op and its gradient rule live.

>>> import tinygrad_edu as tg
>>> tg.maximum(tg.Value(2.0), 3.0).data
3.0
"""

from __future__ import annotations

from typing import Any

from .engine import Value
from .node import Operand, lift


def _value(x: Operand, op: str) -> Value:
    return lift(x, op, Value)  # type: ignore[return-value]


def abs(input: Operand) -> Value:
    """|x|, elementwise."""
    return _value(input, "abs").abs()

def exp(input: Operand) -> Value:
    """e**x, elementwise."""
    return _value(input, "exp").exp()

def log(input: Operand) -> Value:
    """Natural logarithm, elementwise."""
    return _value(input, "log").log()

def log1p(input: Operand) -> Value:
    """log(1 + x), accurate for tiny x, elementwise."""
    return _value(input, "log1p").log1p()

def sqrt(input: Operand) -> Value:
    """Square root, elementwise."""
    return _value(input, "sqrt").sqrt()

def sin(input: Operand) -> Value:
    """Sine, elementwise."""
    return _value(input, "sin").sin()

def cos(input: Operand) -> Value:
    """Cosine, elementwise."""
    return _value(input, "cos").cos()

def tanh(input: Operand) -> Value:
    """Hyperbolic tangent, elementwise."""
    return _value(input, "tanh").tanh()

def sigmoid(input: Operand) -> Value:
    """1 / (1 + e**-x), elementwise."""
    return _value(input, "sigmoid").sigmoid()

def relu(input: Operand) -> Value:
    """max(x, 0), elementwise."""
    return _value(input, "relu").relu()

def tan(input: Operand) -> Value:
    """Tangent, elementwise."""
    return _value(input, "tan").tan()

def asin(input: Operand) -> Value:
    """Inverse sine, elementwise."""
    return _value(input, "asin").asin()

def acos(input: Operand) -> Value:
    """Inverse cosine, elementwise."""
    return _value(input, "acos").acos()

def atan(input: Operand) -> Value:
    """Inverse tangent, elementwise."""
    return _value(input, "atan").atan()

def sinh(input: Operand) -> Value:
    """Hyperbolic sine, elementwise."""
    return _value(input, "sinh").sinh()

def cosh(input: Operand) -> Value:
    """Hyperbolic cosine, elementwise."""
    return _value(input, "cosh").cosh()

def asinh(input: Operand) -> Value:
    """Inverse hyperbolic sine, elementwise."""
    return _value(input, "asinh").asinh()

def acosh(input: Operand) -> Value:
    """Inverse hyperbolic cosine, elementwise."""
    return _value(input, "acosh").acosh()

def atanh(input: Operand) -> Value:
    """Inverse hyperbolic tangent, elementwise."""
    return _value(input, "atanh").atanh()

def log2(input: Operand) -> Value:
    """Base-2 logarithm, elementwise."""
    return _value(input, "log2").log2()

def log10(input: Operand) -> Value:
    """Base-10 logarithm, elementwise."""
    return _value(input, "log10").log10()

def exp2(input: Operand) -> Value:
    """2**x, elementwise."""
    return _value(input, "exp2").exp2()

def expm1(input: Operand) -> Value:
    """e**x - 1, accurate for tiny x, elementwise."""
    return _value(input, "expm1").expm1()

def erf(input: Operand) -> Value:
    """The error function, elementwise."""
    return _value(input, "erf").erf()

def rsqrt(input: Operand) -> Value:
    """1 / sqrt(x), elementwise."""
    return _value(input, "rsqrt").rsqrt()

def reciprocal(input: Operand) -> Value:
    """1 / x, elementwise."""
    return _value(input, "reciprocal").reciprocal()

def square(input: Operand) -> Value:
    """x * x, elementwise."""
    return _value(input, "square").square()

def sign(input: Operand) -> Value:
    """-1, 0 or 1 (gradient 0), elementwise."""
    return _value(input, "sign").sign()

def floor(input: Operand) -> Value:
    """Round down (gradient 0), elementwise."""
    return _value(input, "floor").floor()

def ceil(input: Operand) -> Value:
    """Round up (gradient 0), elementwise."""
    return _value(input, "ceil").ceil()

def trunc(input: Operand) -> Value:
    """Round towards 0 (gradient 0), elementwise."""
    return _value(input, "trunc").trunc()

def round(input: Operand, *, decimals: int = 0) -> Value:
    """Round to ``decimals`` places, halves to even (gradient 0), elementwise."""
    return _value(input, "round").round(decimals)


def clamp(input: Operand, min: float | None = None, max: float | None = None) -> Value:
    """Limit to [min, max], elementwise (gradient 0 where a limit bites)."""
    return _value(input, "clamp").clamp(min=min, max=max)


clip = clamp  # PyTorch's alias

def maximum(input: Operand, other: Operand) -> Value:
    """The larger of the two (ties split the gradient), elementwise."""
    return _value(input, "maximum").maximum(other)

def minimum(input: Operand, other: Operand) -> Value:
    """The smaller of the two (ties split the gradient), elementwise."""
    return _value(input, "minimum").minimum(other)

def logaddexp(input: Operand, other: Operand) -> Value:
    """log(e**x + e**y), stable, elementwise."""
    return _value(input, "logaddexp").logaddexp(other)

def copysign(input: Operand, other: Operand) -> Value:
    """|x| with the sign of y, elementwise."""
    return _value(input, "copysign").copysign(other)

def remainder(input: Operand, other: Operand) -> Value:
    """x - y floor(x / y), Python's %, elementwise."""
    return _value(input, "remainder").remainder(other)

def floor_divide(input: Operand, other: Operand) -> Value:
    """floor(x / y), Python's // (no gradient: a constant), elementwise."""
    return _value(input, "floor_divide").floor_divide(other)

def lerp(input: Operand, end: Operand, weight: Operand) -> Value:
    """input + weight * (end - input), elementwise."""
    return _value(input, "lerp").lerp(end, weight)


def eq(input: Operand, other: Operand) -> Any:
    """input == other elementwise, as booleans."""
    return _value(input, "eq").eq(other)

def ne(input: Operand, other: Operand) -> Any:
    """input != other elementwise, as booleans."""
    return _value(input, "ne").ne(other)

def lt(input: Operand, other: Operand) -> Any:
    """input < other elementwise, as booleans."""
    return _value(input, "lt").lt(other)

def le(input: Operand, other: Operand) -> Any:
    """input <= other elementwise, as booleans."""
    return _value(input, "le").le(other)

def gt(input: Operand, other: Operand) -> Any:
    """input > other elementwise, as booleans."""
    return _value(input, "gt").gt(other)

def ge(input: Operand, other: Operand) -> Any:
    """input >= other elementwise, as booleans."""
    return _value(input, "ge").ge(other)

def isclose(input: Operand, other: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
    """|input - other| <= atol + rtol |other| elementwise, as booleans."""
    return _value(input, "isclose").isclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def isnan(input: Operand) -> Any:
    """True where input is nan, as booleans."""
    return _value(input, "isnan").isnan()


def isinf(input: Operand) -> Any:
    """True where input is +-inf, as booleans."""
    return _value(input, "isinf").isinf()


def isfinite(input: Operand) -> Any:
    """True where input is neither inf nor nan, as booleans."""
    return _value(input, "isfinite").isfinite()


__all__ = [
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "ceil",
    "clamp",
    "clip",
    "copysign",
    "cos",
    "cosh",
    "eq",
    "erf",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "ge",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lerp",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "lt",
    "maximum",
    "minimum",
    "ne",
    "reciprocal",
    "relu",
    "remainder",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "tanh",
    "trunc",
]
