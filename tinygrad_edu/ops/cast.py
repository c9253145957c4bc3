"""Casts: ``.to(dtype)``, ``.float() .double() .half() .int() .long() .bool()``.

``CastOps`` is a base class of ``engine.Value``. A cast between float dtypes is
differentiable (the gradient is cast back); a cast to an integer or boolean
dtype gives data, a Value that needs no gradient (as in PyTorch, where only
float tensors require grad). Names follow PyTorch: ``float()`` is float32,
``int()`` is int32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..dtypes import resolve_dtype
from ..errors import DataError
from ..node import Node, constant, make_op, shows

if TYPE_CHECKING:
    from ..engine import Value


def cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` (a float, an array or a Value) cast to ``dtype``; a Python float for float64 scalars kept so."""
    if isinstance(x, Node):
        return x.to(dtype)  # type: ignore[attr-defined]
    if x.__class__ is float and dtype == np.float64:
        return x
    return np.asarray(x).astype(dtype)


class CastOps:
    """Casts, mixed into ``Value``."""

    __slots__ = ()

    def to(self: Value, dtype: Any) -> Value:
        """The data as ``dtype`` (PyTorch's ``.to(dtype)``); ``self`` when it already has that dtype.

        >>> import numpy as np
        >>> Value(np.array([1.5, -2.5])).to("long").data
        array([ 1, -2])
        """
        target = resolve_dtype(dtype, "to")
        if target is None:
            raise DataError("to: needs a dtype, e.g. tg.float32, np.int64 or 'long'")
        if target == self.dtype:
            return self
        data = np.asarray(self._data).astype(target)
        if target.kind != "f":  # integers and booleans are data: no gradient flows through them
            return constant(data, self._result_class)  # type: ignore[return-value]
        return make_op(data, (self,), "to", _to_backward, (target, self.dtype))

    def double(self: Value) -> Value:
        """Cast to float64."""
        return self.to(np.float64)

    def half(self: Value) -> Value:
        """Cast to float16."""
        return self.to(np.float16)

    def long(self: Value) -> Value:
        """Cast to int64 (data: no gradient)."""
        return self.to(np.int64)

    # (float, int and bool are defined last: inside the class body their names would hide the built-ins)
    def float(self: Value) -> Value:
        """Cast to float32 (PyTorch's ``float()``; ``double()`` is float64)."""
        return self.to(np.float32)

    def int(self: Value) -> Value:
        """Cast to int32 (data: no gradient); ``int(v)`` of a one-element Value is still Python's int."""
        return self.to(np.int32)

    def bool(self: Value) -> Value:
        """Cast to bool (data: no gradient); ``bool(v)`` is still the truth of a one-element Value."""
        return self.to(np.bool_)


@shows("dtype")
def _to_backward(g, out, ctx, a):
    # d cast(a)/da = 1: the gradient is cast back to a's dtype
    dtype, old = ctx
    return (cast(g, old),)
