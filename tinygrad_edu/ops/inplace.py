"""What PyTorch programs do to a tensor besides computing with it: ``v[i] = x`` and ``v[i] += x``,
``clone``, ``retain_grad``, ``nelement``, the ``.values`` and
``.indices`` of a ``max(dim)``, and ``__array__`` (NumPy and matplotlib read a Value as its array:
``plt.imshow(v)``).

``InplaceOps`` is a base class of ``engine.Value``. Indexed assignment writes the data only: the graph
is not told, so no gradient flows through the written values. That is enough for counting
(``N[i, j] += 1``) and for the hand-written gradients of Karpathy's makemore part 4
(``dC[ix] += demb[k, j]``); PyTorch records such a write as an op of the graph.

>>> import numpy as np
>>> from tinygrad_edu import Value
>>> n = Value(np.zeros((2, 2), dtype=np.int64))
>>> n[0, 1] += 1
>>> n.data
array([[0, 1],
       [0, 0]])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import current_mode
from ..errors import BackwardError, GraphIndexError, ShapeError, fmt_shape
from ..node import make_op, raw
from .index import _normalize_index

if TYPE_CHECKING:
    from ..engine import Value


class InplaceOps:
    """Indexed assignment, copies and PyTorch's bookkeeping methods, mixed into ``Value``."""

    __slots__ = ()

    def __setitem__(self: Value, index: Any, value: Any) -> None:
        """``v[index] = value``: writes into ``v.data`` (cast to its dtype); the graph is not told.

        As in PyTorch, a leaf that requires grad may only be written under ``no_grad()``.
        """
        if self.requires_grad and self.is_leaf and current_mode().grad:
            raise BackwardError(
                "setitem: a leaf Value that requires grad cannot be written in place while the graph is "
                "recorded; write it under tg.no_grad(), or write to .data"
            )
        data = self._data
        if not isinstance(data, np.ndarray):
            raise ShapeError("setitem: a scalar Value has no elements to assign; set .data instead")
        index = _normalize_index(index)
        try:
            data[index] = np.asarray(raw(value))
        except IndexError as e:
            raise GraphIndexError(
                f"setitem: index {index!r} does not fit a Value of shape {fmt_shape(data.shape)}: {e}"
            ) from None
        except ValueError as e:
            shape = np.shape(raw(value))
            raise ShapeError(
                f"setitem: a value of shape {fmt_shape(shape)} cannot be written at {index!r} of a Value of "
                f"shape {fmt_shape(data.shape)}: {e}"
            ) from None

    def clone(self: Value) -> Value:
        """A copy of the data, in the graph: the gradient passes through unchanged (``torch.clone``)."""
        data = self._data
        return make_op(data.copy() if isinstance(data, np.ndarray) else data, (self,), "clone", _clone_backward)

    def retain_grad(self: Value) -> None:
        """PyTorch's request to keep an intermediate's ``.grad``: here every node keeps it, so nothing to do."""

    def nelement(self: Value) -> int:
        """The number of elements (PyTorch's ``nelement`` and ``numel``)."""
        return int(np.size(self._data))

    numel = nelement

    @property
    def values(self: Value) -> Value:
        """A ``max(dim)`` or ``min(dim)`` result itself (PyTorch returns ``(values, indices)``; here the Value)."""
        return self

    @property
    def indices(self: Value) -> Value:
        """Where the maxima of a ``v.max(dim)`` result sit along ``dim`` (int64, no gradient)."""
        if self.op != "max" or not self.parents:
            made_by = self.op or "a leaf"
            raise ShapeError(f"indices: only a max(dim) result has indices; this Value comes from {made_by!r}")
        (source,) = self.parents
        axis = self._ctx[0]
        if isinstance(axis, tuple) and len(axis) == 1:
            axis = axis[0]
        x = np.asarray(source._data)
        if not isinstance(axis, int | np.integer):
            raise ShapeError(f"indices: max over axis {axis!r}; indices need a single dim")
        idx = x.argmax(axis=int(axis))
        if np.ndim(self._data) == x.ndim:
            idx = np.expand_dims(idx, int(axis))
        from ..engine import Value  # (imported here: engine imports this module)

        return Value(idx.astype(np.int64), requires_grad=False, copy=False)


if not TYPE_CHECKING:  # (hidden from mypy, which would otherwise type `ndarray @ Value` as an ndarray)

    def _array(self: Value, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The data as a NumPy array (``np.asarray(v)``, ``plt.imshow(v)``)."""
        out = np.asarray(self._data, dtype=dtype)
        return out.copy() if copy else out

    InplaceOps.__array__ = _array


def _clone_backward(g, out, ctx, a):
    # the copy's gradient is the original's
    return (g,)
