"""Shape ops of a Value: reshape, flatten, transpose, .T, swapaxes, broadcast_to.

``MovementOps`` is a base class of ``engine.Value``; each op is followed by
its gradient rule (see ``arithmetic.py``). These ops move numbers without
changing them, so each rule moves the gradient back the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import autograd
from ..errors import ShapeError, fmt_shape
from ..node import make_op, shows
from .arithmetic import broadcast_error
from .reduce import check_axis

if TYPE_CHECKING:
    from ..engine import Value


def _int_tuple(args: tuple[Any, ...], op: str, what: str) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as a tuple of ints, or a clear error."""
    if len(args) == 1 and not isinstance(args[0], int | np.integer):
        if not isinstance(args[0], Sequence | np.ndarray) or isinstance(args[0], str | bytes):
            raise ShapeError(f"{op}: {what} must be ints or a sequence of ints, got {args[0]!r}")
        args = tuple(args[0])
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in args):
        raise ShapeError(f"{op}: {what} must be ints, got {args!r}")
    return tuple(int(n) for n in args)


class MovementOps:
    """Shape ops, mixed into ``Value``."""

    __slots__ = ()

    def reshape(self: Value, *shape: Any) -> Value:
        """Same data, new shape (one entry may be -1)."""
        new = _int_tuple(shape, "reshape", "the shape")
        x = np.asarray(self.data)
        try:
            out = x.reshape(new)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a Value of shape {fmt_shape(x.shape)} ({x.size} elements) into {new}"
            ) from None
        return make_op(out, (self,), "reshape", _reshape_backward, (out.shape, x.shape))

    view = reshape  # PyTorch's name (here always allowed: a reshape never needs contiguous memory)

    def flatten(self: Value) -> Value:
        """All elements in one axis."""
        return self.reshape(-1)

    def transpose(self: Value, *axes: Any) -> Value:
        """Permute the axes (reverse them when none are given), like ``numpy.transpose``.

        NOTE: ``transpose(i, j)`` of a Value with more than two axes is NumPy's permutation, not
        PyTorch's swap of two axes; ``swapaxes(i, j)`` swaps.
        """
        nd = self.ndim
        if not axes:
            perm = tuple(range(nd))[::-1]
        else:
            given = _int_tuple(axes, "transpose", "axes")
            for a in given:
                check_axis(self.shape, a, "transpose")
            perm = tuple(a % nd for a in given) if nd else given
            if sorted(perm) != list(range(nd)):
                raise ShapeError(
                    f"transpose: axes {given} are not a permutation of the {nd} axes of shape {fmt_shape(self.shape)}"
                )
        return make_op(np.transpose(self.data, perm), (self,), "transpose", _transpose_backward, (perm,))

    @property
    def T(self: Value) -> Value:  # noqa: N802 (NumPy's and PyTorch's name)
        """The transpose (axes reversed)."""
        return self.transpose()

    def swapaxes(self: Value, axis1: int, axis2: int) -> Value:
        """Exchange two axes."""
        a1 = check_axis(self.shape, axis1, "swapaxes")
        a2 = check_axis(self.shape, axis2, "swapaxes")
        axes = list(range(self.ndim))
        if axes:
            axes[a1], axes[a2] = axes[a2], axes[a1]  # type: ignore[index]
        return self.transpose(axes)

    def broadcast_to(self: Value, shape: Sequence[int]) -> Value:
        """Repeat along axes of size 1 (and new leading axes) to reach ``shape``."""
        target = _int_tuple((shape,), "broadcast_to", "the shape")
        try:
            out = np.broadcast_to(self.data, target)
        except ValueError:
            raise broadcast_error("broadcast_to", self.data, np.empty(target)) from None
        return make_op(out, (self,), "broadcast", _broadcast_backward, (self.shape,))


@shows("shape", "input_shape")
def _reshape_backward(g, out, ctx, a):
    # reshaping moves no numbers: the gradient is reshaped back
    new_shape, old_shape = ctx
    return (g.reshape(old_shape),)


@shows("axes")
def _transpose_backward(g, out, ctx, a):
    # the gradient is permuted back by the inverse permutation
    (axes,) = ctx
    return (g.transpose(tuple(np.argsort(axes))),)


@shows("input_shape")
def _broadcast_backward(g, out, ctx, a):
    # broadcasting copies a; the copies' gradients add up
    (shape,) = ctx
    return (autograd.sum_to(g, shape),)
