"""Scans and sorting of a Value: cumsum, cumprod, cummax, cummin, logcumsumexp, sort, argsort, topk.

``ScanOps`` is a base class of ``engine.Value``; each primitive is followed by
its gradient rule (see ``arithmetic.py``). The ops that pick elements
(cummax, cummin, sort, topk) are derived: they find the indices on the data,
then gather the values by indexing, whose rule scatters the gradient back to
the picked positions. Those return ``(values, indices)`` like PyTorch's
``torch.return_types``; the indices are int64 NumPy arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..errors import ArgumentError, AxisError, ShapeError, fmt_shape
from ..node import Node, make_op, raw, shows
from .elementwise import exp
from .index import where
from .reduce import check_axis

if TYPE_CHECKING:
    from ..engine import Value


class ValuesIndices(NamedTuple):
    """What cummax, cummin, sort and topk return: ``values`` (a Value) and ``indices`` (an int64 array)."""

    values: Value
    indices: np.ndarray


def scan_axis(shape: tuple[int, ...], dim: Any, axis: Any, op: str, required: bool = True) -> int | None:
    """The one axis a scan or sort runs along (``dim`` or NumPy's ``axis``), checked; None for a 0-d Value."""
    if dim is not None and axis is not None:
        raise ArgumentError(f"{op}: give dim= or axis=, not both")
    dim = axis if dim is None else dim
    if dim is None:
        if required:
            raise ArgumentError(f"{op}: dim is required (the axis to run along), e.g. {op}(dim=-1)")
        dim = -1
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise AxisError(f"{op}: dim must be one int, got {dim!r}")
    checked = check_axis(shape, dim, op)
    return None if checked is None else int(checked) % len(shape)  # type: ignore[arg-type]


def along(indices: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """An index that picks ``indices`` along ``axis`` and keeps every other axis (``take_along_axis``)."""
    nd = indices.ndim
    index = [np.arange(n).reshape([-1 if j == i else 1 for j in range(nd)]) for i, n in enumerate(indices.shape)]
    index[axis] = indices
    return tuple(index)


def flip_along(x: Any, axis: int) -> Any:
    """``x`` reversed along ``axis`` (a Value or an array): what a reversed scan needs."""
    return x.flip(axis) if isinstance(x, Node) else np.flip(x, axis)  # type: ignore[attr-defined]


def reversed_cumsum(g: Any, axis: int) -> Any:
    """sum_{k >= i} g_k along ``axis``: the adjoint of cumsum."""
    if isinstance(g, Node):
        return g.flip(axis).cumsum(axis).flip(axis)  # type: ignore[attr-defined]
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _moveaxis(x: Any, source: int, destination: int) -> Any:
    """``x`` with one axis moved (a Value or an array)."""
    if isinstance(x, Node):
        return x.movedim(source, destination)  # type: ignore[attr-defined]
    return np.moveaxis(x, source, destination)


class ScanOps:
    """Scans and sorting, mixed into ``Value``."""

    __slots__ = ()

    # ---- running sums and products: primitives -------------------------------------
    def cumsum(self: Value, dim: int | None = None, *, axis: int | None = None) -> Value:
        """Running sum along ``dim``, like ``torch.cumsum``.

        A primitive: derived from slices it would take n ops (or an O(n**2) triangular product), and its
        rule is one reversed cumsum.
        >>> Value(np.array([1.0, 2.0, 3.0])).cumsum(0).data
        array([1., 3., 6.])
        """
        ax = scan_axis(self.shape, dim, axis, "cumsum")
        if ax is None:  # a 0-d Value: the running sum of one number
            return self.reshape(1).cumsum(0).reshape(())
        return make_op(np.cumsum(self._data, axis=ax), (self,), "cumsum", _cumsum_backward, ax)

    def cumprod(self: Value, dim: int | None = None, *, axis: int | None = None) -> Value:
        """Running product along ``dim``, like ``torch.cumprod``.

        A primitive: ``exp(cumsum(log x))`` fails at 0 and for negative x. NOTE: with zeros the rule takes
        the products that skip each factor (O(n**2) along ``dim``), as the division by a_i is impossible.
        """
        ax = scan_axis(self.shape, dim, axis, "cumprod")
        if ax is None:
            return self.reshape(1).cumprod(0).reshape(())
        return make_op(np.cumprod(self._data, axis=ax), (self,), "cumprod", _cumprod_backward, ax)

    def logcumsumexp(self: Value, dim: int | None = None, *, axis: int | None = None) -> Value:
        """log(cumsum(exp(x))) along ``dim``, stable for any magnitudes (``np.logaddexp.accumulate``).

        A primitive: shifting by one maximum (as logsumexp does) underflows early terms far below it to
        log(0) = -inf, and a running shift is not a composition of existing ops.
        """
        ax = scan_axis(self.shape, dim, axis, "logcumsumexp")
        if ax is None:
            return self.reshape(1).logcumsumexp(0).reshape(())
        x = np.asarray(self._data)
        out = np.logaddexp.accumulate(x, axis=ax) if x.size else x.copy()
        return make_op(out, (self,), "logcumsumexp", _logcumsumexp_backward, ax)

    # ---- running extremes: derived (indices on the data, values gathered) ------------
    def cummax(self: Value, dim: int | None = None, *, axis: int | None = None) -> ValuesIndices:
        """Running maximum along ``dim`` and where it was found: ``(values, indices)``, like ``torch.cummax``.

        NOTE: on ties the index is the latest one (PyTorch's), and the gradient goes to that element.
        """
        return _running_extreme(self, dim, axis, "cummax", np.maximum)

    def cummin(self: Value, dim: int | None = None, *, axis: int | None = None) -> ValuesIndices:
        """Running minimum along ``dim`` and where it was found: ``(values, indices)``, like ``torch.cummin``."""
        return _running_extreme(self, dim, axis, "cummin", np.minimum)

    # ---- sorting: derived ------------------------------------------------------------
    def sort(self: Value, dim: int = -1, descending: bool = False, *, stable: bool = False,
             axis: int | None = None) -> ValuesIndices:
        """Sorted along ``dim`` (the last by default): ``(values, indices)``, like ``torch.sort``.

        Always stable (tied elements keep their order, also with ``descending``); each sorted value's
        gradient goes back to the element it came from.
        >>> Value(np.array([3.0, 1.0, 2.0])).sort().indices
        array([1, 2, 0])
        """
        ax = scan_axis(self.shape, None if axis is not None else dim, axis, "sort", required=False)
        if ax is None:
            return ValuesIndices(self * 1.0, np.zeros((), np.int64))
        indices = _stable_argsort(np.asarray(self._data), ax, descending)
        return ValuesIndices(self[along(indices, ax)], indices)

    def argsort(self: Value, dim: int = -1, descending: bool = False, *, stable: bool = False,
                axis: int | None = None) -> np.ndarray:
        """The indices that sort the data along ``dim`` (stable): an int64 array, like ``torch.argsort``."""
        ax = scan_axis(self.shape, None if axis is not None else dim, axis, "argsort", required=False)
        if ax is None:
            return np.zeros((), np.int64)
        return _stable_argsort(np.asarray(self._data), ax, descending)

    def topk(self: Value, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
             axis: int | None = None) -> ValuesIndices:
        """The ``k`` largest (``largest=False``: smallest) along ``dim``: ``(values, indices)``, like ``torch.topk``.

        Always in sorted order; among ties the earlier elements are taken.
        """
        ax = scan_axis(self.shape, None if axis is not None else dim, axis, "topk", required=False)
        n = 1 if ax is None else self.shape[ax]
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 0 <= k <= n:
            raise ArgumentError(
                f"topk: k must be an int with 0 <= k <= {n} (the size of dim {dim} of a Value of shape "
                f"{fmt_shape(self.shape)}), got {k!r}"
            )
        if ax is None:
            return ValuesIndices(self * 1.0, np.zeros((), np.int64))
        indices = _stable_argsort(np.asarray(self._data), ax, largest)
        indices = np.take(indices, np.arange(k), axis=ax)
        return ValuesIndices(self[along(indices, ax)], indices)


def _stable_argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """A stable argsort; descending keeps tied elements in their order too (sorting -x, not reversing)."""
    if x.dtype.kind not in "fiu":
        raise ShapeError(f"sort: cannot sort data of dtype {x.dtype}")
    return np.argsort(-x if descending else x, axis=axis, kind="stable").astype(np.int64)


def _running_extreme(x: Value, dim: Any, axis: Any, op: str, pick: np.ufunc) -> ValuesIndices:
    """cummax / cummin: the running extreme's indices from the data, the values gathered at them."""
    ax = scan_axis(x.shape, dim, axis, op)
    if ax is None:
        return ValuesIndices(x * 1.0, np.zeros((), np.int64))
    data = np.asarray(x._data)
    if data.size == 0:
        return ValuesIndices(x * 1.0, np.zeros(data.shape, np.int64))
    running = pick.accumulate(data, axis=ax)
    positions = np.arange(data.shape[ax]).reshape([-1 if i == ax else 1 for i in range(data.ndim)])
    # where x equals the running extreme, it is the latest to reach it: the largest such position so far
    indices = np.maximum.accumulate(np.where(data == running, positions, 0), axis=ax).astype(np.int64)
    return ValuesIndices(x[along(indices, ax)], indices)


@shows("dim")
def _cumsum_backward(g, out, axis, a):
    # d out_k/d a_i = 1 for i <= k, so grad_i = sum_{k >= i} g_k: a cumsum from the end
    return (reversed_cumsum(g, axis),)


@shows("dim")
def _cumprod_backward(g, out, axis, a):
    # d out_k/d a_i = prod_{j <= k, j != i} a_j for i <= k (0 for i > k)
    if _divisible(raw(a), raw(out), isinstance(g, Node)):
        # = out_k / a_i, so grad_i = sum_{k >= i} g_k out_k / a_i
        return (reversed_cumsum(g * out, axis) / a,)
    # otherwise (zeros, underflow): row i of C is the cumprod of a with a_i replaced by 1,
    # so C[i, k] = prod_{j <= k, j != i} a_j  (O(n**2))
    n = np.shape(raw(a))[axis]
    last = _moveaxis(a, axis, -1)[..., None, :]  # (..., 1, n): one row per skipped factor i
    eye = np.eye(n, dtype=bool)
    skipped = where(eye, 1.0, last) if isinstance(last, Node) else np.where(eye, 1.0, last)
    c = skipped.cumprod(-1) if isinstance(skipped, Node) else np.cumprod(skipped, axis=-1)
    upper = np.triu(np.ones((n, n), dtype=bool))  # only k >= i
    kept = where(upper, c, 0.0) if isinstance(c, Node) else np.where(upper, c, 0.0)
    terms = kept * _moveaxis(g, axis, -1)[..., None, :]
    return (_moveaxis(terms.sum(-1), -1, axis),)


def _divisible(a: np.ndarray, out: np.ndarray, create_graph: bool) -> bool:
    """Whether cumprod's rule may divide by a_i: no zeros, and no running product that underflowed or overflowed.

    Differentiated again (create_graph), the division's derivative holds terms of size g / a_i that cancel
    exactly in the math but leave ~1e-16 g / a_i in floating point: it is used only while |a_i| >= 1e-3.
    """
    smallest = 1e-3 if create_graph else 0.0
    return bool(np.all(np.abs(a) > smallest) and np.all(a != 0) and np.all(np.abs(out) >= np.finfo(np.float64).tiny)
                and np.all(np.isfinite(out)))


@shows("dim")
def _logcumsumexp_backward(g, out, axis, a):
    # d out_k/d a_i = e**(a_i - out_k) for i <= k, so grad_i = sum_{k >= i} g_k e**(a_i - out_k)
    if not isinstance(g, Node):
        # O(n) and stable (every exponent stays <= the log of a sum): split g by sign and sum in log space,
        # grad_i = e**(a_i + logcumsumexp_from_end(log g+ - out)_i) - (the same for g-)
        with np.errstate(divide="ignore"):
            def part(h: np.ndarray) -> np.ndarray:
                s = flip_along(np.logaddexp.accumulate(flip_along(np.log(h) - out, axis), axis=axis), axis)
                return np.exp(a + s)

            return (part(np.maximum(g, 0.0)) - part(np.maximum(-g, 0.0)),)
    # create_graph: the same sum written with differentiable ops, as a masked (n, n) matrix (every
    # exponent a_i - out_k <= 0 where it is kept; the masked ones are -inf, so no inf * 0 reaches a)
    n = np.shape(raw(a))[axis]
    upper = np.triu(np.ones((n, n), dtype=bool))  # [i, k]: k >= i
    diff = _moveaxis(a, axis, -1)[..., :, None] - _moveaxis(out, axis, -1)[..., None, :]
    weights = exp(where(upper, diff, -np.inf))
    return (_moveaxis((weights * _moveaxis(g, axis, -1)[..., None, :]).sum(-1), -1, axis),)

