"""Reductions of a Value: sum, mean, max, min, logsumexp, prod, softmax / log_softmax, and the statistics
(var, std, norm) and queries (argmax, argmin, any, all) built on them.

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
from .index import concatenate, where

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
        x = np.asarray(self._data)
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
        x = np.asarray(self._data)
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
        x = np.asarray(self._data)
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


    # ---- prod ----------------------------------------------------------------------
    def prod(
        self: Value, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Value:
        """Product over ``axis`` (all axes by default), like ``torch.prod`` (1 over an empty axis).

        A primitive rather than ``exp(sum(log(x)))``, which fails at 0 and for negative x. NOTE: with a zero
        among the factors the gradient is the product of the others (non-zero only at a single zero).
        """
        axis, keepdims = axis_args("prod", axis, keepdims, dim, keepdim)
        x = np.asarray(self._data)
        axis = check_axis(x.shape, axis, "prod")
        out = x.prod(axis=axis, keepdims=keepdims)
        return make_op(out, (self,), "prod", _prod_backward, (axis, keepdims_shape(x.shape, axis)))

    # ---- statistics, derived -----------------------------------------------------
    def var(
        self: Value, axis: Axis = None, *, correction: float = 1, keepdims: bool = False, dim: Axis = None,
        keepdim: bool | None = None, unbiased: bool | None = None,
    ) -> Value:
        """Variance over ``axis``: sum((x - mean)**2) / (N - correction), PyTorch's default ``correction=1``.

        ``unbiased=True`` / ``False`` is PyTorch's older spelling of ``correction=1`` / ``0``.
        With N - correction <= 0 the result is inf (nan where every deviation is 0), as in PyTorch.
        >>> Value(np.array([1.0, 2.0, 3.0, 4.0])).var().item()
        1.6666666666666667
        """
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axis, keepdims = axis_args("var", axis, keepdims, dim, keepdim)
        axis = check_axis(self.shape, axis, "var")
        count = math.prod(self.shape[i] for i in reduced_axes(self.ndim, axis))
        d = self - self.mean(axis, keepdims=True)
        denominator = max(0.0, count - correction)
        squares = (d * d).sum(axis, keepdims)
        return squares / denominator if denominator else squares * math.inf

    def std(
        self: Value, axis: Axis = None, *, correction: float = 1, keepdims: bool = False, dim: Axis = None,
        keepdim: bool | None = None, unbiased: bool | None = None,
    ) -> Value:
        """Standard deviation, the square root of ``var`` (gradient 0 where it is 0, as in PyTorch)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axis, keepdims = axis_args("std", axis, keepdims, dim, keepdim)
        return root(self.var(axis, correction=correction, keepdims=keepdims), 2.0)

    def var_mean(
        self: Value, axis: Axis = None, *, correction: float = 1, keepdims: bool = False, dim: Axis = None,
        keepdim: bool | None = None,
    ) -> tuple[Value, Value]:
        """``(var, mean)`` over ``axis``, like ``torch.var_mean``."""
        axis, keepdims = axis_args("var_mean", axis, keepdims, dim, keepdim)
        return self.var(axis, correction=correction, keepdims=keepdims), self.mean(axis, keepdims)

    def std_mean(
        self: Value, axis: Axis = None, *, correction: float = 1, keepdims: bool = False, dim: Axis = None,
        keepdim: bool | None = None,
    ) -> tuple[Value, Value]:
        """``(std, mean)`` over ``axis``, like ``torch.std_mean``."""
        axis, keepdims = axis_args("std_mean", axis, keepdims, dim, keepdim)
        return self.std(axis, correction=correction, keepdims=keepdims), self.mean(axis, keepdims)

    def norm(
        self: Value, p: float | str = "fro", axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Value:
        """The vector p-norm over ``axis`` (all elements by default): (sum |x|**p)**(1/p), like ``torch.norm``.

        ``p`` is ``"fro"`` or 2 (the default), 1, inf (max |x|), -inf (min |x|), 0 (the count of non-zeros) or
        any other number; over two axes it is the vector norm of their elements, as ``torch.linalg.vector_norm``.
        NOTE: at x = 0 the gradient is 0 (PyTorch's choice; the root's derivative is infinite there), and tied
        maxima of the inf-norm share the gradient equally.
        >>> Value(np.array([3.0, -4.0])).norm().item()
        5.0
        """
        axis, keepdims = axis_args("norm", axis, keepdims, dim, keepdim)
        axis = check_axis(self.shape, axis, "norm")
        if p == "fro":
            p = 2.0
        if isinstance(p, str) or not isinstance(p, int | float | np.integer | np.floating) or p != p:
            raise ArgumentError(f"norm: p must be 'fro' or a number (1, 2, inf, ...), got {p!r}")
        p = float(p)
        magnitude = self.abs()
        if p == math.inf:
            return magnitude.max(axis, keepdims)
        if p == -math.inf:
            return magnitude.min(axis, keepdims)
        if p == 0:  # the count of non-zero elements: no gradient flows (magnitude * 0 keeps it in the graph)
            return (magnitude * 0.0 + (np.asarray(self._data) != 0)).sum(axis, keepdims)
        if p == 1:
            return magnitude.sum(axis, keepdims)
        powered = self * self if p == 2 else magnitude**p
        return root(powered.sum(axis, keepdims), p)

    # ---- queries: NumPy arrays, no graph -----------------------------------------
    def argmax(self: Value, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> np.ndarray:
        """Index of the (first) maximum along ``dim`` (of the flattened data by default): an int64 array."""
        return _arg_extreme(self, "argmax", dim, keepdim, axis, keepdims)

    def argmin(self: Value, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> np.ndarray:
        """Index of the (first) minimum along ``dim`` (of the flattened data by default): an int64 array."""
        return _arg_extreme(self, "argmin", dim, keepdim, axis, keepdims)

    def any(self: Value, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool | None = None) -> np.ndarray:
        """Whether any element along ``dim`` is non-zero: a bool array (no gradient)."""
        dim, keepdim = axis_args("any", dim, keepdim, axis, keepdims)
        x = np.asarray(self._data)
        return np.asarray(np.any(x != 0, axis=check_axis(x.shape, dim, "any"), keepdims=keepdim))

    def all(self: Value, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool | None = None) -> np.ndarray:
        """Whether every element along ``dim`` is non-zero: a bool array (no gradient)."""
        dim, keepdim = axis_args("all", dim, keepdim, axis, keepdims)
        x = np.asarray(self._data)
        return np.asarray(np.all(x != 0, axis=check_axis(x.shape, dim, "all"), keepdims=keepdim))


def root(s: Value, p: float) -> Value:
    """s ** (1/p) with gradient 0 where s == 0 (where the root's derivative is infinite): two ``where``s."""
    zero = np.asarray(s._data) == 0
    if not zero.any():
        return s.sqrt() if p == 2 else s ** (1.0 / p)
    safe = where(zero, 1.0, s)  # the root never sees the 0, so no inf * 0 = nan reaches s
    return where(zero, 0.0, safe.sqrt() if p == 2 else safe ** (1.0 / p))


def _arg_extreme(x: Value, op: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> np.ndarray:
    """argmax / argmin of ``x``'s data along one axis, or of the flattened data."""
    dim, keepdim = axis_args(op, dim, keepdim, axis, keepdims)
    data = np.asarray(x._data)
    if dim is not None and not isinstance(dim, int | np.integer):
        raise AxisError(f"{op}: dim must be None or one int, got {dim!r}")
    axis = check_axis(data.shape, dim, op)
    size = data.size if axis is None else data.shape[axis]
    if size == 0:
        raise ShapeError(f"{op}: cannot reduce an empty axis of a Value of shape {fmt_shape(data.shape)}")
    find = np.argmax if op == "argmax" else np.argmin
    return np.asarray(find(data, axis=axis, keepdims=keepdim), dtype=np.int64)


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


@shows("axis")
def _prod_backward(g, out, ctx, a):
    # d(prod a)/da_i = prod_{j != i} a_j (not out / a_i: that fails at a zero, or when out underflows to 0)
    axis, kd_shape = ctx
    return (expand(_reshaped(g, kd_shape), np.shape(raw(a))) * _prod_of_others(a, axis),)


def _reshaped(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` (a Value, an array or a number) with a new shape."""
    return x.reshape(shape) if hasattr(x, "reshape") else np.reshape(x, shape)


def _prod_of_others(a: Any, axis: Axis) -> Any:
    """prod_{j != i} a_j over the reduced axes, without a division: (product of those before i) * (after i).

    Both are running products (cumprod from the start, and from the end), so this is O(n) and exact with
    zeros; written with ops that Values and arrays share, so that it is differentiable again.
    """
    shape = np.shape(raw(a))
    if not shape:
        return np.ones(())
    reduced = sorted(reduced_axes(len(shape), axis))
    kept = [i for i in range(len(shape)) if i not in reduced]
    perm = tuple(kept + reduced)
    n = math.prod(shape[i] for i in reduced)
    if n == 0:
        return np.zeros(shape)
    flat = a.transpose(perm).reshape(tuple(shape[i] for i in kept) + (n,))
    one = np.ones(flat.shape[:-1] + (1,))
    join = concatenate if hasattr(flat, "requires_grad") else np.concatenate
    before = join([one, flat[..., :-1].cumprod(-1)], -1)  # prod_{j < i} a_j
    after = join([flat[..., :0:-1].cumprod(-1)[..., ::-1], one], -1)  # prod_{j > i} a_j
    others = before * after
    return others.reshape(tuple(shape[i] for i in perm)).transpose(tuple(int(i) for i in np.argsort(perm)))
