"""Gather, scatter and masks: gather, scatter, scatter_add, scatter_reduce, masked_fill, masked_select,
index_select, nonzero.

``GatherOps`` is a base class of ``engine.Value``. PyTorch's semantics: ``index`` is an integer array
(or an integer Value) with as many axes as the input, and ``out[i][j] = x[index[i][j]][j]`` for
``gather(0, index)``. Most ops here are derived from indexing (``v[...]``) and ``where``, so their
gradients come from rules that already exist; ``scatter`` and the ``"prod"``/``"amax"`` reductions are
primitives (each says why). Indices must lie in ``0 <= i < size`` (no negative indices, as in PyTorch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, DataError, GraphIndexError, ShapeError, fmt_shape
from ..node import Node, constant, lift, make_op, raw, shows
from .index import _scatter, where
from .reduce import check_axis

if TYPE_CHECKING:
    from ..engine import Value

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _indices(index: Any, op: str) -> np.ndarray:
    """``index`` as an integer array, or a ``DataError`` naming ``op`` (floats and booleans are not indices)."""
    idx = np.asarray(raw(index))
    if idx.dtype.kind not in "iu":
        raise DataError(f"{op}: index must be an integer array (int64), got dtype {idx.dtype}; cast it with .long()")
    return idx


def _dim(x: Node, dim: Any, op: str) -> int:
    axis = check_axis(x.shape, dim, op)
    if not isinstance(axis, int):
        raise ShapeError(f"{op}: needs a Value with at least one axis, got shape {fmt_shape(x.shape)}")
    return axis % x.ndim


def _in_range(idx: np.ndarray, size: int, op: str, shape: tuple[int, ...], dim: int) -> None:
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise GraphIndexError(
            f"{op}: index {bad} is out of range for dim {dim} of a Value of shape {fmt_shape(shape)} "
            f"(expected 0 <= index < {size})"
        )


def _grid(idx: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The advanced index that reads ``x[..., idx[i, j, k], ...]`` at position (i, j, k): idx at ``dim``, an
    open range elsewhere (``gather``'s definition written as NumPy indexing)."""
    grid = list(np.ogrid[tuple(slice(0, n) for n in idx.shape)]) if idx.ndim else []
    if idx.ndim:
        grid[dim] = idx
    return tuple(grid)


def _check_index(x: Node, dim: int, idx: np.ndarray, op: str, src: Any = None) -> None:
    """PyTorch's shape rules for gather/scatter: same number of axes; index no larger than the input
    (except along ``dim``) and than ``src`` (along every axis)."""
    if idx.ndim != x.ndim:
        raise ShapeError(
            f"{op}: index of shape {fmt_shape(idx.shape)} must have as many axes as the input of shape "
            f"{fmt_shape(x.shape)} ({x.ndim})"
        )
    for d, (n, m) in enumerate(zip(idx.shape, x.shape)):
        if d != dim and n > m:
            raise ShapeError(
                f"{op}: index of shape {fmt_shape(idx.shape)} is larger than the input of shape "
                f"{fmt_shape(x.shape)} along dim {d} (only dim {dim} may differ)"
            )
    if src is not None:
        s_shape = np.shape(raw(src))
        if len(s_shape) != idx.ndim or any(n > m for n, m in zip(idx.shape, s_shape)):
            raise ShapeError(
                f"{op}: src of shape {fmt_shape(s_shape)} must have as many axes as index of shape "
                f"{fmt_shape(idx.shape)} and be at least as large along each"
            )
    _in_range(idx, x.shape[dim], op, x.shape, dim)


def _src_part(src: Value, idx: np.ndarray) -> Value:
    """The leading corner of ``src`` that ``index`` covers (PyTorch reads only that part)."""
    if src.shape == idx.shape:
        return src
    return src[tuple(slice(0, n) for n in idx.shape)]


def _hits(shape: tuple[int, ...], grid: tuple[np.ndarray, ...], flags: Any = 1) -> np.ndarray:
    """How many index entries (those whose ``flags`` are set) point at each position of ``shape``."""
    counts = np.zeros(shape, dtype=np.int64)
    np.add.at(counts, grid, np.asarray(flags, dtype=np.int64))
    return counts


class GatherOps:
    """Gather, scatter and masks, mixed into ``Value``."""

    __slots__ = ()

    def gather(self: Value, dim: int, index: Any) -> Value:
        """``out[i][j] = x[index[i][j]][j]`` for dim 0 (``x[i][index[i][j]]`` for dim 1), as ``torch.gather``.

        Derived: it is indexing with ``index`` at ``dim`` and open ranges elsewhere, so its gradient
        is indexing's (repeated indices add up).

        >>> import numpy as np
        >>> Value(np.array([[1.0, 2.0], [3.0, 4.0]])).gather(1, np.array([[1], [0]])).data
        array([[2.],
               [3.]])
        """
        idx = _indices(index, "gather")
        d = _dim(self, dim, "gather")
        _check_index(self, d, idx, "gather")
        return self[_grid(idx, d)]

    def scatter(self: Value, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Value:
        """A copy of x with ``src`` written at ``index`` along ``dim`` (``torch.scatter``); or ``value`` everywhere
        it points.

        NOTE: where index repeats a position, which write wins is unspecified (as in PyTorch); every
        src element pointing there gets the gradient.
        """
        if (src is None) == (value is None):
            raise ArgumentError("scatter: give exactly one of src= (a Value or array) and value= (a number)")
        idx = _indices(index, "scatter")
        d = _dim(self, dim, "scatter")
        if value is not None or isinstance(src, float | int):
            c = raw(value if value is not None else src)
            if np.ndim(c) != 0:
                raise ShapeError(f"scatter: value must be a number, got shape {fmt_shape(np.shape(c))}")
            _check_index(self, d, idx, "scatter")
            grid = _grid(idx, d)
            out = np.array(self._data, copy=True)
            out[grid] = c
            return make_op(out, (self,), "scatter", _scatter_value_backward, grid)
        s: Value = lift(src, "scatter", self._result_class)  # type: ignore[assignment]
        _check_index(self, d, idx, "scatter", s)
        part = _src_part(s, idx)
        grid = _grid(idx, d)
        out = np.array(self._data, dtype=np.result_type(self._data, part._data), copy=True)
        out[grid] = part._data
        return make_op(out, (self, part), "scatter", _scatter_backward, grid)

    def scatter_add(self: Value, dim: int, index: Any, src: Any) -> Value:
        """x with ``src`` added at ``index`` along ``dim`` (repeated positions add up), as ``torch.scatter_add``.

        Derived: ``x + zeros.index_add``, where the scatter of src is indexing's own adjoint.
        """
        idx = _indices(index, "scatter_add")
        d = _dim(self, dim, "scatter_add")
        s: Value = lift(src, "scatter_add", self._result_class)  # type: ignore[assignment]
        _check_index(self, d, idx, "scatter_add", s)
        return self + _scatter(_src_part(s, idx), _grid(idx, d), self.shape)

    def scatter_reduce(self: Value, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Value:
        """Reduce ``src`` into x at ``index`` along ``dim`` with ``"sum" "prod" "mean" "amax" "amin"``.

        ``include_self=False`` leaves x's own values out of the reduction where index points (positions
        nobody points at keep x). NOTE: ties of amax/amin share the gradient equally, x's value included.
        """
        if reduce not in _REDUCES:
            raise ArgumentError(f"scatter_reduce: reduce must be one of {_REDUCES}, got {reduce!r}")
        idx = _indices(index, "scatter_reduce")
        d = _dim(self, dim, "scatter_reduce")
        s: Value = lift(src, "scatter_reduce", self._result_class)  # type: ignore[assignment]
        _check_index(self, d, idx, "scatter_reduce", s)
        part, grid = _src_part(s, idx), _grid(idx, d)
        if reduce == "amin":  # min = -max(-x)
            return -((-self).scatter_reduce(d, idx, -part, "amax", include_self=include_self))
        counts = _hits(self.shape, grid)
        missed = counts == 0  # positions no index points at: they keep x
        if reduce in ("sum", "mean"):
            base = self if include_self else self * missed
            total = base + _scatter(part, grid, self.shape)
            if reduce == "sum":
                return total
            n = counts + 1 if include_self else np.maximum(counts, 1)
            return total / n
        x, p = np.asarray(self._data), np.asarray(part._data)
        out = np.array(x, dtype=np.result_type(x, p), copy=True)
        if reduce == "amax":
            if not include_self:
                out[~missed] = -np.inf
            np.maximum.at(out, grid, p)
            return make_op(out, (self, part), "scatter_amax", _scatter_amax_backward, (grid, include_self, missed))
        if not include_self:
            out[~missed] = 1
        np.multiply.at(out, grid, p)
        return make_op(out, (self, part), "scatter_prod", _scatter_prod_backward, (grid, include_self, missed))

    def masked_fill(self: Value, mask: Any, value: Any) -> Value:
        """x with ``value`` where the boolean ``mask`` (broadcast to x's shape) is True; derived from ``where``."""
        m = _mask(mask, "masked_fill")
        c = value if isinstance(value, Node) else raw(value)
        if np.ndim(raw(c)) != 0:
            raise ShapeError(
                f"masked_fill: value must be a number or a 0-d Value, got shape {fmt_shape(np.shape(raw(c)))}"
            )
        if not _broadcasts(m.shape, self.shape) or np.broadcast_shapes(m.shape, self.shape) != self.shape:
            raise ShapeError(
                f"masked_fill: mask of shape {fmt_shape(m.shape)} does not broadcast to the input's shape "
                f"{fmt_shape(self.shape)}"
            )
        return where(m, c, self)

    def masked_select(self: Value, mask: Any) -> Value:
        """The elements of x where the boolean ``mask`` is True, as a 1-d Value (both broadcast first)."""
        m = _mask(mask, "masked_select")
        if not _broadcasts(m.shape, self.shape):
            raise ShapeError(
                f"masked_select: mask of shape {fmt_shape(m.shape)} and input of shape {fmt_shape(self.shape)} "
                "cannot be broadcast together"
            )
        shape = np.broadcast_shapes(m.shape, self.shape)
        x = self if self.shape == shape else self.broadcast_to(shape)
        return x[np.broadcast_to(m, shape)]

    def index_select(self: Value, dim: int, index: Any) -> Value:
        """The entries ``index`` (1-d integers) of x along ``dim``, as ``torch.index_select``; derived from indexing."""
        idx = _indices(index, "index_select")
        if idx.ndim > 1:
            raise ShapeError(f"index_select: index must be 1-d, got shape {fmt_shape(idx.shape)}")
        d = _dim(self, dim, "index_select")
        _in_range(idx, self.shape[d], "index_select", self.shape, d)
        return self[(slice(None),) * d + (idx.reshape(-1),)]

    def nonzero(self: Value, *, as_tuple: bool = False) -> Any:
        """The indices of the non-zero elements: an int64 Value of shape (n, ndim), or a tuple of ndim 1-d Values.

        Data, not differentiable (indices have no gradient).
        """
        where_nz = np.nonzero(np.atleast_1d(self._data))
        if as_tuple:
            return tuple(constant(i.astype(np.int64), self._result_class) for i in where_nz)
        if not self.ndim:  # a 0-d Value: one row of no coordinates if it is non-zero
            return constant(np.zeros((int(bool(self._data)), 0), np.int64), self._result_class)
        out = np.stack(where_nz, axis=1).astype(np.int64)
        return constant(out, self._result_class)


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _mask(mask: Any, op: str) -> np.ndarray:
    m = np.asarray(raw(mask))
    if m.dtype != bool:
        raise DataError(f"{op}: mask must be a boolean array, got dtype {m.dtype}; compare first, e.g. x._data > 0")
    return m


# ---- the rules of the primitives ------------------------------------------------------
def _scatter_value_backward(g, out, grid, a):
    # the written positions are constants: their gradient is 0, the rest passes through
    keep = np.ones(np.shape(raw(a)), dtype=bool)
    keep[grid] = False
    return (g * keep,)


@shows("index")
def _scatter_backward(g, out, grid, a, src):
    # A primitive: a write (the last one wins) has no derivation from ops that add.
    # d out/d a = 1 where nothing was written, 0 where src was; d out/d src = gathering g from index
    keep = np.ones(np.shape(raw(a)), dtype=bool)
    keep[grid] = False
    return g * keep, g[grid]


def _scatter_amax_backward(g, out, ctx, a, src):
    # A primitive (as max is): d max/d c = 1 for the winning contributor c of each position, shared
    # equally among k ties (1/k each); a position nobody points at is x itself.
    grid, include_self, missed = ctx
    x, s, o = raw(a), raw(src), raw(out)
    self_wins = (x == o) & (missed | include_self)
    src_wins = s == o[grid]
    count = self_wins + _hits(x.shape, grid, src_wins)
    share = 1.0 / np.maximum(count, 1)
    return g * (self_wins * share), (g * share)[grid] * src_wins


def _scatter_prod_backward(g, out, ctx, a, src):
    # A primitive: a product has no stable derivation from sums (exp(sum(log)) fails at 0 and below).
    # d out_p/d c = product of the other contributors of p: out_p / c where c != 0; where c is the only
    # zero among them, the product of the non-zero ones; where two or more are 0, it is 0.
    # NOTE: out / c keeps the rule differentiable (second order) away from exact zeros.
    grid, include_self, missed = ctx
    x, s = raw(a), raw(src)
    shape = np.shape(x)
    zeros = _hits(shape, grid, s == 0) + ((x == 0) & include_self)
    others = np.ones(shape, dtype=np.result_type(x, s))
    if include_self:
        others *= np.where(x == 0, 1, x)
    np.multiply.at(others, grid, np.where(s == 0, 1, s))
    only_zero = others * (zeros == 1)  # the product of the others, for the one zero contributor
    s_zero, s_nonzero = s == 0, s != 0
    d_src = (out[grid] / (src + s_zero)) * s_nonzero + only_zero[grid] * s_zero
    if include_self:
        x_zero = x == 0
        d_self = (out / (a + x_zero)) * (x != 0) + only_zero * x_zero
    else:
        d_self = missed  # x is out of the product where index points; elsewhere out = x
    return g * d_self, g[grid] * d_src


# ---- the same ops as functions (``torch.gather(x, dim, index)``) -------------------------
def _as_value(x: Any, op: str) -> Value:
    if isinstance(x, Node):
        return x  # type: ignore[return-value]
    from ..engine import Value  # (imported here: engine imports this module)

    return lift(x, op, Value)  # type: ignore[return-value]


def gather(input: Any, dim: int, index: Any) -> Value:
    """``torch.gather``: ``input.gather(dim, index)``."""
    return _as_value(input, "gather").gather(dim, index)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Value:
    """``torch.scatter``: ``input.scatter(dim, index, src)``."""
    return _as_value(input, "scatter").scatter(dim, index, src, value=value)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Value:
    """``torch.scatter_add``: ``input.scatter_add(dim, index, src)``."""
    return _as_value(input, "scatter_add").scatter_add(dim, index, src)


def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Value:
    """``torch.scatter_reduce``: ``input.scatter_reduce(dim, index, src, reduce)``."""
    return _as_value(input, "scatter_reduce").scatter_reduce(dim, index, src, reduce, include_self=include_self)


def masked_fill(input: Any, mask: Any, value: Any) -> Value:
    """``input.masked_fill(mask, value)``."""
    return _as_value(input, "masked_fill").masked_fill(mask, value)


def masked_select(input: Any, mask: Any) -> Value:
    """``torch.masked_select``: ``input.masked_select(mask)``."""
    return _as_value(input, "masked_select").masked_select(mask)


def index_select(input: Any, dim: int, index: Any) -> Value:
    """``torch.index_select``: ``input.index_select(dim, index)``."""
    return _as_value(input, "index_select").index_select(dim, index)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """``torch.nonzero``: ``input.nonzero()``."""
    return _as_value(input, "nonzero").nonzero(as_tuple=as_tuple)
