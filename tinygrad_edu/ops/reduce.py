"""Reductions of a Value: sum, mean, max, min, logsumexp, and softmax / log_softmax built on them.

``ReduceOps`` is a base class of ``engine.Value``; each op is followed by its
gradient rule (see ``arithmetic.py``). Axes follow NumPy: ``axis`` is None
(all), an int (negative counts from the end) or a tuple; PyTorch's ``dim`` and
``keepdim`` are accepted as the same thing. A 0-d Value accepts axis 0 and
-1, as NumPy and PyTorch do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, AxisError, ShapeError, fmt_shape
from ..node import make_op, raw, shows
from .elementwise import exp

if TYPE_CHECKING:
    from ..engine import Value

Axis = int | tuple[int, ...] | None


def check_axis(shape: tuple[int, ...], axis: Any, op: str) -> Axis:
    """``axis`` checked against ``shape`` (an ``AxisError`` naming the op if it does not fit), ints made plain."""
    if axis is None:
        return None
    single = isinstance(axis, int | np.integer) and not isinstance(axis, bool)
    if not single and not (
        isinstance(axis, tuple | list) and all(isinstance(a, int | np.integer) and not isinstance(a, bool)
                                               for a in axis)
    ):
        raise AxisError(f"{op}: axis (dim) must be None, an int or a tuple of ints, got {axis!r}")
    axes = (int(axis),) if single else tuple(int(a) for a in axis)
    nd = len(shape)
    for a in axes:
        if not -max(nd, 1) <= a < max(nd, 1):  # a 0-d array has axis 0 and -1, as in NumPy
            raise AxisError(
                f"{op}: axis {a} is out of range for a Value of shape {fmt_shape(shape)} "
                f"(expected -{max(nd, 1)} <= axis < {max(nd, 1)})"
            )
    if nd == 0:
        return None
    if len({a % nd for a in axes}) != len(axes):
        raise AxisError(f"{op}: axis {axis} names the same axis twice")
    return axes[0] if single else axes


def axis_args(op: str, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple[Any, bool]:
    """Merge NumPy's ``axis``/``keepdims`` with PyTorch's ``dim``/``keepdim`` (giving both is an error)."""
    if dim is not None:
        if axis is not None:
            raise ArgumentError(f"{op}: give axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise ArgumentError(f"{op}: give keepdims= or keepdim=, not both")
        keepdims = keepdim
    return axis, bool(keepdims)


def reduced_axes(ndim: int, axis: Axis) -> set[int]:
    """The (non-negative) axes a reduction over a checked ``axis`` removes."""
    if axis is None:
        return set(range(ndim))
    return {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}


def keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    axes = reduced_axes(len(shape), axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast g (its reduced axes kept with size 1) up to ``shape`` (arrays and Values alike)."""
    if isinstance(g, np.ndarray | np.generic | float):
        return np.broadcast_to(g, shape)
    return g.broadcast_to(shape)


class ReduceOps:
    """Reductions, mixed into ``Value``."""

    __slots__ = ()

    def sum(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """Sum over ``axis`` (all axes by default), like ``numpy.sum`` / ``torch.sum``."""
        axis, keepdims = axis_args("sum", axis, keepdims, dim, keepdim)
        x = np.asarray(self.data)
        axis = check_axis(x.shape, axis, "sum")
        out = x.sum(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "sum", _sum_backward, (axis, keepdims, x.shape, keepdims_shape(x.shape, axis)))

    def mean(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """Mean over ``axis`` (all axes by default): the sum times 1/count (nan over an empty axis, as NumPy)."""
        axis, keepdims = axis_args("mean", axis, keepdims, dim, keepdim)
        axis = check_axis(self.shape, axis, "mean")
        total = self.sum(axis, keepdims)
        count = math.prod(self.shape[i] for i in reduced_axes(self.ndim, axis))
        return total * (1.0 / count if count else math.nan)

    def max(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """Maximum over ``axis``. NOTE: tied maxima share the gradient equally."""
        axis, keepdims = axis_args("max", axis, keepdims, dim, keepdim)
        x = np.asarray(self.data)
        axis = check_axis(x.shape, axis, "max")
        if x.size == 0:
            raise ShapeError(f"max: cannot reduce an empty Value of shape {fmt_shape(x.shape)}")
        out = x.max(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "max", _max_backward, (axis, keepdims_shape(x.shape, axis)))

    def min(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """Minimum over ``axis``, as -max(-x). Tied minima share the gradient equally."""
        axis, keepdims = axis_args("min", axis, keepdims, dim, keepdim)
        return -((-self).max(axis, keepdims))

    def logsumexp(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """log(sum(exp(x))) over ``axis``, computed stably as m + log(sum(exp(x - m))), m = max."""
        axis, keepdims = axis_args("logsumexp", axis, keepdims, dim, keepdim)
        x = np.asarray(self.data)
        axis = check_axis(x.shape, axis, "logsumexp")
        kd_shape = keepdims_shape(x.shape, axis)
        if x.size == 0:  # log(0) = -inf over an empty axis, as NumPy and PyTorch
            out = np.full(kd_shape, -np.inf, dtype=x.dtype)
        else:
            m = np.asarray(x.max(axis=axis, keepdims=True))  # (an array even for a 0-d x)
            m[~np.isfinite(m)] = 0.0  # rows of -inf give -inf, not nan
            with np.errstate(divide="ignore"):
                out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        if not keepdims:
            out = out.reshape(_drop(x.shape, axis))
        return make_op(out, (self,), "logsumexp", _logsumexp_backward, (axis, kd_shape))

    def softmax(self: Value, axis: int = -1, *, dim: int | None = None) -> Value:
        """e**x / sum(e**x) along ``axis``, as exp(x - logsumexp(x)): never overflows."""
        axis, _ = axis_args("softmax", axis if dim is None else None, False, dim, None)
        return (self - self.logsumexp(axis, keepdims=True)).exp()

    def log_softmax(self: Value, axis: int = -1, *, dim: int | None = None) -> Value:
        """log(softmax(x)) = x - logsumexp(x): finite even for logits of +-1000."""
        axis, _ = axis_args("log_softmax", axis if dim is None else None, False, dim, None)
        return self - self.logsumexp(axis, keepdims=True)


def _drop(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """``shape`` without the axes a reduction over ``axis`` removes."""
    reduced = reduced_axes(len(shape), axis)
    return tuple(n for i, n in enumerate(shape) if i not in reduced)


@shows("axis", "keepdims")
def _sum_backward(g, out, ctx, a):
    # d(sum a)/da_i = 1: every input element gets the output's gradient
    axis, keepdims, shape, kd_shape = ctx
    return (expand(g.reshape(kd_shape), shape),)


@shows("axis")
def _max_backward(g, out, ctx, a):
    # d(max a)/da_i = 1 for the maximal element; k tied maxima get 1/k each
    axis, kd_shape = ctx
    a_raw = raw(a)
    winners = a_raw == np.reshape(raw(out), kd_shape)
    share = winners / winners.sum(axis=axis, keepdims=True)
    return (expand(g.reshape(kd_shape), np.shape(a_raw)) * share,)


@shows("axis")
def _logsumexp_backward(g, out, ctx, a):
    # d logsumexp(a)/da_i = e**a_i / sum_j e**a_j = softmax(a)_i = e**(a_i - out)
    axis, kd_shape = ctx
    return (g.reshape(kd_shape) * exp(a - out.reshape(kd_shape)),)
