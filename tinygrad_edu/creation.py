"""Creation functions, PyTorch's names and arguments: zeros, ones, full, empty, arange, linspace, eye,
rand, randn, randint and their ``*_like`` forms.

Each returns a leaf ``Value``. As in PyTorch, ``requires_grad`` is False unless asked for (and only
float Values can ask); ``dtype`` takes ``tg.float32``, ``tg.int64``, any NumPy dtype or a name such
as ``"long"``. Where PyTorch's default dtype is float32 the engine's is float64 (the precision its
gradient checks use): pass ``dtype=tg.float32`` for PyTorch's. Random draws come from
``generator=`` (a ``numpy.random.Generator``) or the library's generator, seeded by
``tg.manual_seed``.

>>> import tinygrad_edu as tg
>>> _ = tg.manual_seed(0)
>>> tg.arange(3).data, tg.zeros(2, 3).shape, tg.randint(0, 10, (4,)).dtype
(array([0, 1, 2]), (2, 3), dtype('int64'))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .dtypes import resolve_dtype
from .engine import Value
from .errors import ArgumentError, DataError, ShapeError
from .node import Node, raw
from .random import resolve

__all__ = [
    "arange", "empty", "empty_like", "eye", "full", "full_like", "linspace", "ones", "ones_like", "rand",
    "rand_like", "randint", "randint_like", "randn", "randn_like", "zeros", "zeros_like",
]

Generator = np.random.Generator


def _size(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f()`` as a shape, or a ``ShapeError`` naming ``op``."""
    if len(size) == 1 and isinstance(size[0], Sequence | np.ndarray) and not isinstance(size[0], str | bytes):
        size = tuple(size[0])
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in size):
        raise ShapeError(f"{op}: the size must be ints or one sequence of ints, got {size!r}")
    if any(n < 0 for n in size):
        raise ShapeError(f"{op}: sizes must be non-negative, got {tuple(int(n) for n in size)}")
    return tuple(int(n) for n in size)


def _leaf(data: np.ndarray, requires_grad: bool, op: str) -> Value:
    if requires_grad and data.dtype.kind != "f":
        raise DataError(
            f"{op}: only float Values can require a gradient, got dtype {data.dtype} with requires_grad=True"
        )
    return Value(data, requires_grad=bool(requires_grad), copy=False)


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    out = resolve_dtype(dtype, op) or np.dtype(np.float64)
    if out.kind != "f":
        raise DataError(f"{op}: draws floats, so dtype must be a float dtype, got {out}")
    return out


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` filled with 0 (float64 unless ``dtype`` says otherwise)."""
    shape = _size(size, "zeros")
    return _leaf(np.zeros(shape, resolve_dtype(dtype, "zeros") or np.float64), requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` filled with 1."""
    shape = _size(size, "ones")
    return _leaf(np.ones(shape, resolve_dtype(dtype, "ones") or np.float64), requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` whose contents are whatever the memory held: fill it before reading it."""
    shape = _size(size, "empty")
    return _leaf(np.empty(shape, resolve_dtype(dtype, "empty") or np.float64), requires_grad, "empty")


def _fill_dtype(fill_value: Any, dtype: Any, op: str) -> np.dtype:
    """PyTorch's inference: a bool fill gives bool, an int int64, a float float64 (the engine's float)."""
    given = resolve_dtype(dtype, op)
    if given is not None:
        return given
    if isinstance(fill_value, bool | np.bool_):
        return np.dtype(np.bool_)
    if isinstance(fill_value, int | np.integer):
        return np.dtype(np.int64)
    if isinstance(fill_value, float | np.floating):
        return np.dtype(np.float64)
    raise DataError(f"{op}: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r:.40}")


def full(size: Sequence[int] | int, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` filled with ``fill_value`` (dtype inferred from it as PyTorch does)."""
    fill_value = raw(fill_value)
    if isinstance(fill_value, np.ndarray) and fill_value.ndim == 0:
        fill_value = fill_value.item()
    shape = _size((size,), "full")
    return _leaf(np.full(shape, fill_value, _fill_dtype(fill_value, dtype, "full")), requires_grad, "full")


def arange(
    start: float, end: float | None = None, step: float = 1, *, dtype: Any = None, requires_grad: bool = False
) -> Value:
    """``start, start + step, ...`` up to but excluding ``end`` (``arange(n)`` is 0..n-1).

    Integers give int64 (as in PyTorch and NumPy), any float gives float64.
    """
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if not isinstance(raw(v), int | float | np.integer | np.floating) or isinstance(raw(v), bool):
            raise DataError(f"arange: {name} must be a number, got {v!r:.40}")
    start, end, step = raw(start), raw(end), raw(step)
    if step == 0:
        raise ArgumentError("arange: step must be non-zero")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ArgumentError(f"arange: start, end and step must be finite, got {start}, {end}, {step}")
    if (end - start) * step < 0:
        raise ArgumentError(f"arange: step {step} goes away from end {end} when starting at {start}")
    integral = all(isinstance(v, int | np.integer) for v in (start, end, step))
    target = resolve_dtype(dtype, "arange") or np.dtype(np.int64 if integral else np.float64)
    return _leaf(np.arange(start, end, step).astype(target, copy=False), requires_grad, "arange")


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included."""
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 0:
        raise ArgumentError(f"linspace: steps must be a non-negative int, got {steps!r}")
    target = resolve_dtype(dtype, "linspace") or np.dtype(np.float64)
    return _leaf(np.linspace(raw(start), raw(end), int(steps)).astype(target, copy=False), requires_grad,
                 "linspace")


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    shape = _size((n,) if m is None else (n, m), "eye")
    return _leaf(np.eye(shape[0], shape[-1], dtype=resolve_dtype(dtype, "eye") or np.float64), requires_grad, "eye")


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Uniform draws in [0, 1) of ``size``, from ``generator`` or the library's (``tg.manual_seed``)."""
    shape = _size(size, "rand")
    target = _float_dtype(dtype, "rand")
    return _leaf(resolve(generator).random(shape).astype(target, copy=False), requires_grad, "rand")


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Standard normal draws of ``size``, from ``generator`` or the library's (``tg.manual_seed``)."""
    shape = _size(size, "randn")
    target = _float_dtype(dtype, "randn")
    return _leaf(resolve(generator).standard_normal(shape).astype(target, copy=False), requires_grad, "randn")


def randint(
    *args: Any, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False,
    size: Any = None,
) -> Value:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    int64 unless ``dtype`` says otherwise, as in PyTorch.
    """
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, high, shape_arg = 0, args[0], args[1]
    elif len(args) == 3:
        low, high, shape_arg = args
    else:
        raise ArgumentError(f"randint: expected (high, size) or (low, high, size), got {len(args)} arguments")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise DataError(f"randint: {name} must be an int, got {v!r:.40}")
    if high <= low:
        raise ArgumentError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _size((shape_arg,), "randint")
    target = resolve_dtype(dtype, "randint") or np.dtype(np.int64)
    draws = resolve(generator).integers(int(low), int(high), size=shape, dtype=np.int64)
    return _leaf(draws.astype(target, copy=False), requires_grad, "randint")


# ---- *_like: the shape (and by default the dtype) of another Value or array -------------
def _like(x: Any, dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    data = x.data if isinstance(x, Node) else x
    if isinstance(data, float | int) and not isinstance(data, bool):
        return (), resolve_dtype(dtype, op) or np.dtype(np.float64)
    arr = np.asarray(data)
    if arr.dtype.kind not in "fbiu":
        raise DataError(f"{op}: expected a Value or a numeric array, got {type(x).__name__}")
    return arr.shape, resolve_dtype(dtype, op) or arr.dtype


def zeros_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Zeros of the shape (and dtype, unless given) of ``x``."""
    shape, target = _like(x, dtype, "zeros_like")
    return _leaf(np.zeros(shape, target), requires_grad, "zeros_like")


def ones_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Ones of the shape (and dtype, unless given) of ``x``."""
    shape, target = _like(x, dtype, "ones_like")
    return _leaf(np.ones(shape, target), requires_grad, "ones_like")


def empty_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """An uninitialised Value of the shape (and dtype, unless given) of ``x``."""
    shape, target = _like(x, dtype, "empty_like")
    return _leaf(np.empty(shape, target), requires_grad, "empty_like")


def full_like(x: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """``fill_value`` in the shape (and dtype, unless given) of ``x``."""
    shape, target = _like(x, dtype, "full_like")
    return _leaf(np.full(shape, raw(fill_value), target), requires_grad, "full_like")


def rand_like(x: Any, *, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Uniform draws in [0, 1) of the shape (and float dtype) of ``x``."""
    shape, target = _like(x, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=target, requires_grad=requires_grad)


def randn_like(x: Any, *, generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Standard normal draws of the shape (and float dtype) of ``x``."""
    shape, target = _like(x, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=target, requires_grad=requires_grad)


def randint_like(
    x: Any, low: int, high: int | None = None, *, generator: Generator | None = None, dtype: Any = None,
    requires_grad: bool = False,
) -> Value:
    """Integers from [low, high) (``randint_like(x, high)``: from [0, high)) of the shape and dtype of ``x``."""
    if high is None:
        low, high = 0, low
    shape, target = _like(x, dtype, "randint_like")
    return randint(low, high, shape, generator=generator, dtype=target, requires_grad=requires_grad)
