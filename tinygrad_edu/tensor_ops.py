"""Reductions, shape ops, indexing and joins: the array side of ``Value``.

``TensorOps`` is a base class of ``engine.Value``; as there, each op is
followed by its gradient rule ``rule(g, out, ctx, *inputs)``. The functions
``concatenate``, ``stack`` and ``where`` join several Values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd
from .engine import _broadcast_error, _lift, exp, make_op, raw
from .errors import GraphIndexError, ShapeError, fmt_shape

if TYPE_CHECKING:
    from .engine import Operand, Value

Axis = int | tuple[int, ...] | None


def _reduced_axes(ndim: int, axis: Axis) -> set[int]:
    """The (non-negative) axes a reduction over ``axis`` removes."""
    if axis is None:
        return set(range(ndim))
    return {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}


def _keepdims_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    axes = _reduced_axes(len(shape), axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast g (its reduced axes kept with size 1) up to ``shape``."""
    if isinstance(g, np.ndarray | np.generic | float):
        return np.broadcast_to(g, shape)
    return g.broadcast_to(shape)


def _is_advanced(index: Any) -> bool:
    """True when an index holds integer arrays (so positions may repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype != bool for p in parts)


def _scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated positions add up)."""
    if not isinstance(g, np.ndarray | np.generic | float):  # a Value: record the op
        return make_op(_scatter(g.data, index, shape), (g,), "scatter", _scatter_backward, (index, shape))
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def _scatter_backward(g, out, ctx, a):
    # scattering's adjoint is gathering from the same index
    index, shape = ctx
    return (g[index],)


class TensorOps:
    """Reductions, shape ops and indexing, mixed into ``Value``."""

    __slots__ = ()

    def _check_axis(self: Value, axis: Axis, op: str) -> Axis:
        if axis is None:
            return None
        single = isinstance(axis, int | np.integer)
        if not single and not (isinstance(axis, tuple | list) and all(isinstance(a, int | np.integer) for a in axis)):
            raise ShapeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
        axes = (axis,) if single else tuple(axis)
        nd = self.ndim
        for a in axes:
            if not -nd <= a < nd:
                raise ShapeError(
                    f"{op}: axis {a} is out of range for a Value of shape {fmt_shape(self.shape)} ({nd} axes)"
                )
        if len({a % nd for a in axes}) != len(axes):
            raise ShapeError(f"{op}: axis {axis} names the same axis twice")
        return int(axes[0]) if single else tuple(int(a) for a in axes)

    # ---- reductions ----------------------------------------------------------
    def sum(self: Value, axis: Axis = None, keepdims: bool = False) -> Value:
        """Sum over ``axis`` (all axes by default), like ``numpy.sum``."""
        axis = self._check_axis(axis, "sum")
        x = np.asarray(self.data)
        out = x.sum(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "sum", TensorOps._sum_backward, (x.shape, _keepdims_shape(x.shape, axis)))

    @staticmethod
    def _sum_backward(g, out, ctx, a):
        # d(sum a)/da_i = 1: every input element gets the output's gradient
        shape, kd_shape = ctx
        return (_expand(g.reshape(kd_shape), shape),)

    def mean(self: Value, axis: Axis = None, keepdims: bool = False) -> Value:
        """Mean over ``axis`` (all axes by default): the sum times 1/count."""
        total = self.sum(axis, keepdims)
        return total * (total.size / max(self.size, 1))

    def max(self: Value, axis: Axis = None, keepdims: bool = False) -> Value:
        """Maximum over ``axis``. NOTE: tied maxima share the gradient equally."""
        axis = self._check_axis(axis, "max")
        x = np.asarray(self.data)
        if x.size == 0:
            raise ShapeError(f"max: cannot reduce an empty Value of shape {fmt_shape(x.shape)}")
        out = x.max(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "max", TensorOps._max_backward, (axis, _keepdims_shape(x.shape, axis)))

    @staticmethod
    def _max_backward(g, out, ctx, a):
        # d(max a)/da_i = 1 for the maximal element; k tied maxima get 1/k each
        axis, kd_shape = ctx
        a_raw = raw(a)
        winners = a_raw == np.reshape(raw(out), kd_shape)
        share = winners / winners.sum(axis=axis, keepdims=True)
        return (_expand(g.reshape(kd_shape), np.shape(a_raw)) * share,)

    def min(self: Value, axis: Axis = None, keepdims: bool = False) -> Value:
        """Minimum over ``axis``, as -max(-x). Tied minima share the gradient equally."""
        return -((-self).max(axis, keepdims))

    def logsumexp(self: Value, axis: Axis = None, keepdims: bool = False) -> Value:
        """log(sum(exp(x))) over ``axis``, computed stably as m + log(sum(exp(x - m))), m = max."""
        axis = self._check_axis(axis, "logsumexp")
        x = np.asarray(self.data)
        m = np.asarray(x.max(axis=axis, keepdims=True))  # (an array even for a 0-d x)
        m[~np.isfinite(m)] = 0.0  # rows of -inf give -inf, not nan
        out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        kd_shape = out.shape
        if not keepdims:
            reduced = _reduced_axes(x.ndim, axis)
            out = out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in reduced))
        return make_op(out, (self,), "logsumexp", TensorOps._logsumexp_backward, kd_shape)

    @staticmethod
    def _logsumexp_backward(g, out, kd_shape, a):
        # d logsumexp(a)/da_i = e**a_i / sum_j e**a_j = softmax(a)_i = e**(a_i - out)
        return (g.reshape(kd_shape) * exp(a - out.reshape(kd_shape)),)

    def softmax(self: Value, axis: int = -1) -> Value:
        """e**x / sum(e**x) along ``axis``, as exp(x - logsumexp(x)): never overflows."""
        return (self - self.logsumexp(axis, keepdims=True)).exp()

    def log_softmax(self: Value, axis: int = -1) -> Value:
        """log(softmax(x)) = x - logsumexp(x): finite even for logits of +-1000."""
        return self - self.logsumexp(axis, keepdims=True)

    # ---- shape -----------------------------------------------------------------
    def reshape(self: Value, *shape: Any) -> Value:
        """Same data, new shape (one entry may be -1)."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        x = np.asarray(self.data)
        try:
            out = x.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(
                f"reshape: cannot reshape a Value of shape {fmt_shape(x.shape)} ({x.size} elements) into {shape}"
            ) from None
        return make_op(out, (self,), "reshape", TensorOps._reshape_backward, x.shape)

    @staticmethod
    def _reshape_backward(g, out, shape, a):
        # reshaping moves no numbers: the gradient is reshaped back
        return (g.reshape(shape),)

    def flatten(self: Value) -> Value:
        """All elements in one axis."""
        return self.reshape(-1)

    def transpose(self: Value, *axes: Any) -> Value:
        """Permute the axes (reverse them when none are given), like ``numpy.transpose``."""
        if len(axes) == 1 and not isinstance(axes[0], int | np.integer):
            axes = tuple(axes[0])
        nd = self.ndim
        axes = tuple(range(nd))[::-1] if not axes else tuple(int(a) % max(nd, 1) for a in axes)
        if sorted(axes) != list(range(nd)):
            raise ShapeError(
                f"transpose: axes {axes} are not a permutation of the {nd} axes of shape {fmt_shape(self.shape)}"
            )
        return make_op(np.transpose(self.data, axes), (self,), "transpose", TensorOps._transpose_backward, axes)

    @staticmethod
    def _transpose_backward(g, out, axes, a):
        # the gradient is permuted back by the inverse permutation
        return (g.transpose(tuple(np.argsort(axes))),)

    @property
    def T(self: Value) -> Value:
        """The transpose (axes reversed)."""
        return self.transpose()

    def swapaxes(self: Value, axis1: int, axis2: int) -> Value:
        """Exchange two axes."""
        self._check_axis((axis1,) if axis1 == axis2 else (axis1, axis2), "swapaxes")
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(axes)

    def broadcast_to(self: Value, shape: Sequence[int]) -> Value:
        """Repeat along axes of size 1 (and new leading axes) to reach ``shape``."""
        shape = tuple(shape)
        try:
            out = np.broadcast_to(self.data, shape)
        except ValueError:
            raise _broadcast_error("broadcast_to", self.data, np.empty(shape)) from None
        return make_op(out, (self,), "broadcast", TensorOps._broadcast_backward, self.shape)

    @staticmethod
    def _broadcast_backward(g, out, shape, a):
        # broadcasting copies a; the copies' gradients add up
        return (autograd.sum_to(g, shape),)

    # ---- indexing --------------------------------------------------------------
    def __getitem__(self: Value, index: Any) -> Value:
        """NumPy indexing: ints, slices, None, ..., integer arrays and boolean masks."""
        index = _normalize_index(index)
        x = np.asarray(self.data)
        try:
            out = x[index]
        except IndexError as e:
            raise GraphIndexError(
                f"getitem: index {index!r} does not fit a Value of shape {fmt_shape(x.shape)}: {e}"
            ) from None
        return make_op(out, (self,), "getitem", TensorOps._getitem_backward, (index, x.shape))

    @staticmethod
    def _getitem_backward(g, out, ctx, a):
        # each selected element's gradient goes back to where it came from;
        # positions selected twice accumulate: d(x[i] + x[i])/dx_i = 2
        index, shape = ctx
        return (_scatter(g, index, shape),)


def _normalize_index(index: Any) -> Any:
    """Values and lists inside an index become NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return raw(index)


# ---- functions of several Values ---------------------------------------------------
def concatenate(values: Sequence[Operand], axis: int = 0) -> Value:
    """Join Values along an existing axis, like ``numpy.concatenate``."""
    parts = tuple(_lift(v, "concatenate") for v in values)
    if not parts:
        raise ShapeError("concatenate: needs at least one Value")
    datas = [np.asarray(p.data) for p in parts]
    try:
        out = np.concatenate(datas, axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(fmt_shape(d.shape) for d in datas)
        raise ShapeError(
            f"concatenate: shapes {shapes} cannot be joined along axis {axis} (all other axes must match)"
        ) from None
    axis = axis % out.ndim
    return make_op(out, parts, "concatenate", _concatenate_backward, (axis, tuple(d.shape[axis] for d in datas)))


def _concatenate_backward(g, out, ctx, *parts):
    # each input gets back its own slice of the gradient
    axis, sizes = ctx
    grads, start = [], 0
    for n in sizes:
        index = [slice(None)] * g.ndim
        index[axis] = slice(start, start + n)
        grads.append(g[tuple(index)])
        start += n
    return tuple(grads)


def stack(values: Sequence[Operand], axis: int = 0) -> Value:
    """Join equally shaped Values along a new axis, like ``numpy.stack``."""
    parts = [_lift(v, "stack") for v in values]
    if not parts:
        raise ShapeError("stack: needs at least one Value")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all Values must have the same shape, got {', '.join(fmt_shape(s) for s in shapes)}")
    nd = parts[0].ndim + 1
    if not -nd <= axis < nd:
        raise ShapeError(f"stack: axis {axis} is out of range for a {nd}-d result")
    axis %= nd
    return concatenate([p.reshape(p.shape[:axis] + (1,) + p.shape[axis:]) for p in parts], axis)


def where(cond: Any, a: Operand, b: Operand) -> Value:
    """Elementwise ``a if cond else b``; ``cond`` is a constant boolean array."""
    c = np.asarray(raw(cond)).astype(bool)
    a, b = _lift(a, "where"), _lift(b, "where")
    try:
        out = np.where(c, a.data, b.data)
    except ValueError:
        raise ShapeError(
            f"where: shapes {fmt_shape(c.shape)}, {fmt_shape(np.shape(a.data))} and "
            f"{fmt_shape(np.shape(b.data))} cannot be broadcast together"
        ) from None
    if a.data.__class__ is float and b.data.__class__ is float and c.ndim == 0:
        out = float(out)
    return make_op(out, (a, b), "where", _where_backward, c)


def _where_backward(g, out, cond, a, b):
    # d where(c, a, b)/da = c,  d/db = not c
    return g * cond, g * ~cond
