"""Shape ops of a Value: reshape, view, flatten, unflatten, squeeze, unsqueeze, transpose, .T, swapaxes,
permute, movedim, broadcast_to, expand, flip, roll.

``MovementOps`` is a base class of ``engine.Value``; each op is followed by
its gradient rule (see ``arithmetic.py``). These ops move numbers without
changing them, so each rule moves the gradient back the same way; the ops
after ``broadcast_to`` are derived from the primitives above them (reshape,
transpose, broadcast, indexing), so they have no rule of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import autograd
from ..errors import ArgumentError, AxisError, ShapeError, fmt_shape
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
        x = np.asarray(self._data)
        try:
            out = x.reshape(new)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a Value of shape {fmt_shape(x.shape)} ({x.size} elements) into {new}"
            ) from None
        return make_op(out, (self,), "reshape", _reshape_backward, (out.shape, x.shape))

    view = reshape  # PyTorch's name (here always allowed: a reshape never needs contiguous memory)

    def flatten(self: Value, start_dim: int = 0, end_dim: int = -1) -> Value:
        """Axes ``start_dim`` to ``end_dim`` (all by default) merged into one, like ``torch.flatten``."""
        shape = self.shape
        if not shape:
            return self.reshape(1)
        start, end = _dim(shape, start_dim, "flatten"), _dim(shape, end_dim, "flatten")
        if start > end:
            raise AxisError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {fmt_shape(shape)}"
            )
        return self.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])

    def transpose(self: Value, *axes: Any) -> Value:
        """Swap two axes as PyTorch does (``x.transpose(1, 2)``), or permute them all as NumPy does.

        Two integers name the axes to exchange, whatever the rank (PyTorch's ``transpose(dim0, dim1)``);
        no argument reverses the axes; a full permutation (``transpose(2, 0, 1)`` or a tuple) is NumPy's.
        """
        nd = self.ndim
        if not axes:
            perm = tuple(range(nd))[::-1]
        elif len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes) and nd:
            return self.swapaxes(int(axes[0]), int(axes[1]))
        else:
            given = _int_tuple(axes, "transpose", "axes")
            for a in given:
                check_axis(self.shape, a, "transpose")
            perm = tuple(a % nd for a in given) if nd else given
            if sorted(perm) != list(range(nd)):
                raise ShapeError(
                    f"transpose: axes {given} are not a permutation of the {nd} axes of shape {fmt_shape(self.shape)}"
                )
        return make_op(np.transpose(self._data, perm), (self,), "transpose", _transpose_backward, (perm,))

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
        return self.transpose(tuple(axes))

    def broadcast_to(self: Value, shape: Sequence[int]) -> Value:
        """Repeat along axes of size 1 (and new leading axes) to reach ``shape``."""
        target = _int_tuple((shape,), "broadcast_to", "the shape")
        try:
            out = np.broadcast_to(self._data, target)
        except ValueError:
            raise broadcast_error("broadcast_to", self._data, np.empty(target)) from None
        return make_op(out, (self,), "broadcast", _broadcast_backward, (self.shape,))


    # ---- derived from reshape, transpose, broadcast and indexing ------------------
    def unflatten(self: Value, dim: int, sizes: Sequence[int]) -> Value:
        """Axis ``dim`` split into ``sizes`` (one may be -1), like ``torch.unflatten``."""
        d = _dim(self.shape, dim, "unflatten")
        new = _int_tuple((sizes,), "unflatten", "sizes")
        known = int(np.prod([n for n in new if n != -1]))
        n = self.shape[d]
        if not new or new.count(-1) > 1 or (-1 not in new and known != n) or (-1 in new and (known == 0 or n % known)):
            raise ShapeError(
                f"unflatten: sizes {new} do not multiply to {n}, the size of dim {dim} of shape {fmt_shape(self.shape)}"
            )
        return self.reshape(self.shape[:d] + new + self.shape[d + 1:])

    def squeeze(self: Value, dim: int | Sequence[int] | None = None) -> Value:
        """Axes of size 1 removed (all of them, or those of ``dim`` that have size 1), like ``torch.squeeze``."""
        shape = self.shape
        if dim is None:
            axes = {i for i, n in enumerate(shape) if n == 1}
        else:
            given = (dim,) if isinstance(dim, int | np.integer) else _int_tuple((dim,), "squeeze", "dim")
            axes = {_dim(shape, d, "squeeze") for d in given}
            axes = {i for i in axes if i < len(shape) and shape[i] == 1}  # PyTorch: other sizes are kept
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))

    def unsqueeze(self: Value, dim: int) -> Value:
        """A new axis of size 1 at ``dim`` (-ndim-1 <= dim <= ndim), like ``torch.unsqueeze``."""
        nd = self.ndim + 1
        if not isinstance(dim, int | np.integer) or isinstance(dim, bool) or not -nd <= dim < nd:
            raise AxisError(
                f"unsqueeze: dim {dim!r} is out of range for a Value of shape {fmt_shape(self.shape)} "
                f"(expected -{nd} <= dim < {nd})"
            )
        d = int(dim) % nd
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self: Value, *dims: Any) -> Value:
        """The axes in the order ``dims`` (a permutation, negatives allowed), like ``torch.permute``."""
        given = _int_tuple(dims, "permute", "dims")
        if len(given) != self.ndim:
            raise ShapeError(f"permute: dims {given} must name each of the {self.ndim} axes of shape "
                             f"{fmt_shape(self.shape)} once")
        return self.transpose(given) if given else self * 1.0

    def movedim(self: Value, source: int | Sequence[int], destination: int | Sequence[int]) -> Value:
        """Axes moved from ``source`` to ``destination``, the others keeping their order (``torch.movedim``)."""
        src = _int_tuple((source,), "movedim", "source") if not isinstance(source, int | np.integer) else (int(source),)
        dst = (_int_tuple((destination,), "movedim", "destination") if not isinstance(destination, int | np.integer)
               else (int(destination),))
        if len(src) != len(dst):
            raise ShapeError(f"movedim: source {src} and destination {dst} must have the same length")
        if not self.ndim:
            for d in src + dst:
                _dim((), d, "movedim")
            return self * 1.0
        src = tuple(_dim(self.shape, d, "movedim") for d in src)
        dst = tuple(_dim(self.shape, d, "movedim") for d in dst)
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise AxisError(f"movedim: repeated dims in source {source} or destination {destination}")
        rest = iter(i for i in range(self.ndim) if i not in src)
        order = dict(zip(dst, src))
        return self.transpose(tuple(order[i] if i in order else next(rest) for i in range(self.ndim)))

    def expand(self: Value, *sizes: Any) -> Value:
        """Broadcast to ``sizes`` (-1 keeps an axis' size), like ``torch.Tensor.expand``."""
        new = _int_tuple(sizes, "expand", "sizes")
        lead = len(new) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: sizes {new} have fewer axes than the Value's shape {fmt_shape(self.shape)}")
        if any(n == -1 for n in new[:lead]):
            raise ShapeError(f"expand: -1 is not allowed for the new leading axes in sizes {new}")
        target = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(new))
        return self.broadcast_to(target)

    def flip(self: Value, *dims: Any) -> Value:
        """Reversed along ``dims``, like ``torch.flip`` (an index with step -1: its rule scatters back)."""
        given = _int_tuple(dims, "flip", "dims")
        if not self.ndim:
            for d in given:
                _dim((), d, "flip")
            return self * 1.0
        axes = {_dim(self.shape, d, "flip") for d in given}
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    def roll(self: Value, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Value:
        """Elements shifted cyclically by ``shifts`` along ``dims`` (of the flattened data if None), ``torch.roll``."""
        many = not isinstance(shifts, int | np.integer)
        moves = _int_tuple((shifts,), "roll", "shifts") if many else (int(shifts),)  # type: ignore[arg-type]
        if dims is None:
            if len(moves) != 1:
                raise ArgumentError(f"roll: with dims=None give one shift, got {moves}")
            return self.flatten().roll(moves[0], 0).reshape(self.shape)
        axes = _int_tuple((dims,), "roll", "dims") if not isinstance(dims, int | np.integer) else (int(dims),)
        if len(axes) != len(moves):
            raise ArgumentError(f"roll: shifts {moves} and dims {axes} must have the same length")
        out = self
        for shift, d in zip(moves, axes):
            if not self.ndim:
                _dim((), d, "roll")
                continue
            ax = _dim(self.shape, d, "roll")
            n = self.shape[ax]
            if n:
                index = (np.arange(n) - shift) % n
                out = out[(slice(None),) * ax + (index,)]
        return out if out is not self else self * 1.0


def _dim(shape: tuple[int, ...], dim: Any, op: str) -> int:
    """One axis of ``shape`` as a non-negative int (a 0-d shape accepts 0 and -1), or an AxisError."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise AxisError(f"{op}: dim must be an int, got {dim!r}")
    check_axis(shape, dim, op)
    return int(dim) % max(len(shape), 1)


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
