"""Indexing and joins: ``v[index]`` and the functions ``concatenate``, ``stack`` and ``where``.

``IndexOps`` is a base class of ``engine.Value``; each op is followed by its
gradient rule (see ``arithmetic.py``). Indexing is NumPy's: ints, slices,
None, ..., integer arrays and boolean masks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AxisError, GraphIndexError, ShapeError, fmt_shape
from ..node import Node, Operand, lift, make_op, raw, shows

if TYPE_CHECKING:
    from ..engine import Value


def _is_advanced(index: Any) -> bool:
    """True when an index holds integer arrays (so positions may repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype != bool for p in parts)


def _scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated positions add up)."""
    if isinstance(g, Node):  # create_graph: record the op
        return make_op(_scatter(g._data, index, shape), (g,), "scatter", _scatter_backward, (index, shape))
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


@shows("index")
def _scatter_backward(g, out, ctx, a):
    # scattering's adjoint is gathering from the same index
    index, shape = ctx
    return (g[index],)


class IndexOps:
    """Indexing, mixed into ``Value``."""

    __slots__ = ()

    # ---- indexing --------------------------------------------------------------
    def __getitem__(self: Value, index: Any) -> Value:
        """NumPy indexing: ints, slices, None, ..., integer arrays and boolean masks."""
        index = _normalize_index(index)
        x = np.asarray(self._data)
        try:
            out = x[index]
        except IndexError as e:
            raise GraphIndexError(
                f"getitem: index {index!r} does not fit a Value of shape {fmt_shape(x.shape)}: {e}"
            ) from None
        return make_op(out, (self,), "getitem", _getitem_backward, (index, x.shape))


@shows("index")
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
def _lift_all(values: Sequence[Any], op: str) -> list[Node]:
    """The inputs of a function of several Values, numbers and arrays lifted to constants of the Values' class."""
    cls = next((v._result_class for v in values if isinstance(v, Node)), None)
    if cls is None:  # no Value among them: the result is a constant Value all the same
        from ..engine import Value  # (imported here: engine imports this module)

        cls = Value
    return [lift(v, op, cls) for v in values]


def concatenate(values: Sequence[Operand], axis: int = 0, *, dim: int | None = None) -> Value:
    """Join Values along an existing axis, like ``numpy.concatenate`` (``torch.cat``)."""
    axis = axis if dim is None else dim
    parts = tuple(_lift_all(list(values), "concatenate"))
    if not parts:
        raise ShapeError("concatenate: needs at least one Value")
    datas = [np.asarray(p._data) for p in parts]
    try:
        out = np.concatenate(datas, axis=axis)
    except np.exceptions.AxisError:
        raise AxisError(f"concatenate: axis {axis} is out of range for Values of {datas[0].ndim} axes") from None
    except ValueError:
        shapes = ", ".join(fmt_shape(d.shape) for d in datas)
        raise ShapeError(
            f"concatenate: shapes {shapes} cannot be joined along axis {axis} (all other axes must match)"
        ) from None
    axis = axis % out.ndim
    return make_op(out, parts, "concatenate", _concatenate_backward, (axis, tuple(d.shape[axis] for d in datas)))


@shows("axis")
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


def stack(values: Sequence[Operand], axis: int = 0, *, dim: int | None = None) -> Value:
    """Join equally shaped Values along a new axis, like ``numpy.stack``."""
    axis = axis if dim is None else dim
    parts = _lift_all(list(values), "stack")
    if not parts:
        raise ShapeError("stack: needs at least one Value")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all Values must have the same shape, got {', '.join(fmt_shape(s) for s in shapes)}")
    nd = parts[0].ndim + 1
    if not -nd <= axis < nd:
        raise AxisError(f"stack: axis {axis} is out of range for a {nd}-d result (expected -{nd} <= axis < {nd})")
    axis %= nd
    return concatenate([p.reshape(p.shape[:axis] + (1,) + p.shape[axis:]) for p in parts], axis)  # type: ignore[attr-defined]


def where(cond: Any, a: Operand, b: Operand) -> Value:
    """Elementwise ``a if cond else b``; ``cond`` is a constant boolean array."""
    c = np.asarray(raw(cond)).astype(bool)
    a, b = _lift_all([a, b], "where")
    try:
        out = np.where(c, a._data, b._data)
    except ValueError:
        raise ShapeError(
            f"where: shapes {fmt_shape(c.shape)}, {fmt_shape(np.shape(a._data))} and "
            f"{fmt_shape(np.shape(b._data))} cannot be broadcast together"
        ) from None
    if a._data.__class__ is float and b._data.__class__ is float and c.ndim == 0:
        out = float(out)
    return make_op(out, (a, b), "where", _where_backward, c)


def _where_backward(g, out, cond, a, b):
    # d where(c, a, b)/da = c,  d/db = not c
    return g * cond, g * ~cond
