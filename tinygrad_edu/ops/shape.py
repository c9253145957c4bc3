"""Shape ops built from the others: repeat, repeat_interleave, tril, triu, diagonal, diag, unfold, chunk,
split, and the functions pad and meshgrid.

``ShapeOps`` is a base class of ``engine.Value``. None of these ops has a
gradient rule of its own: each is written with reshape, broadcast, indexing,
``where`` and ``concatenate``, whose rules already move the gradient back
(an element used twice, as by ``repeat`` or a reflecting pad, collects both
gradients through indexing's scatter-add).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ArgumentError, DataError, ShapeError, fmt_shape
from ..node import Operand, raw
from .index import _lift_all, concatenate, where
from .movement import _dim, _int_tuple

if TYPE_CHECKING:
    from ..engine import Value

PAD_MODES = ("constant", "reflect", "replicate", "circular")


class ShapeOps:
    """Derived shape ops, mixed into ``Value``."""

    __slots__ = ()

    def repeat(self: Value, *sizes: Any) -> Value:
        """The data tiled ``sizes[i]`` times along axis i (new leading axes if more sizes), like ``torch.repeat``."""
        reps = _int_tuple(sizes, "repeat", "sizes")
        if len(reps) < self.ndim or any(r < 0 for r in reps):
            raise ShapeError(
                f"repeat: sizes {reps} must be non-negative, at least one per axis of shape {fmt_shape(self.shape)}"
            )
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        # (n1, n2) -> (1, n1, 1, n2) -> broadcast (r1, n1, r2, n2) -> (r1*n1, r2*n2): copies add up in backward
        spread = tuple(m for n in shape for m in (1, n))
        tiled = tuple(m for r, n in zip(reps, shape) for m in (r, n))
        return self.reshape(spread).broadcast_to(tiled).reshape(tuple(r * n for r, n in zip(reps, shape)))

    def repeat_interleave(self: Value, repeats: int | Sequence[int] | np.ndarray, dim: int | None = None) -> Value:
        """Each element repeated ``repeats`` times (one count, or one per element) along ``dim``.

        Like ``torch.repeat_interleave``; with ``dim=None`` the data is flattened first.
        >>> Value(np.array([1.0, 2.0])).repeat_interleave(2).data
        array([1., 1., 2., 2.])
        """
        if dim is None:
            return self.flatten().repeat_interleave(repeats, 0)
        d = _dim(self.shape, dim, "repeat_interleave")
        if not self.ndim:
            return self.reshape(1).repeat_interleave(repeats, 0)
        counts = np.asarray(raw(repeats))
        n = self.shape[d]
        if counts.dtype.kind not in "iu" or counts.ndim > 1:
            raise DataError(f"repeat_interleave: repeats must be an int or a 1-D integer array, got {repeats!r}")
        if (counts < 0).any() or (counts.ndim == 1 and counts.size not in (1, n)):
            raise ShapeError(
                f"repeat_interleave: repeats must be non-negative, one count or {n} (the size of dim {dim} of shape "
                f"{fmt_shape(self.shape)}), got shape {fmt_shape(counts.shape)}"
            )
        per_element = counts.reshape(-1)
        index = np.repeat(np.arange(n), per_element if per_element.size != 1 else int(per_element[0]))
        return self[(slice(None),) * d + (index,)]

    def tril(self: Value, diagonal: int = 0) -> Value:
        """The lower triangle of the last two axes (on and below ``diagonal``), zeros above, like ``torch.tril``."""
        return _triangle(self, diagonal, "tril", lower=True)

    def triu(self: Value, diagonal: int = 0) -> Value:
        """The upper triangle of the last two axes (on and above ``diagonal``), zeros below, like ``torch.triu``."""
        return _triangle(self, diagonal, "triu", lower=False)

    def diagonal(self: Value, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Value:
        """The diagonal of axes ``dim1``, ``dim2`` (above it for offset > 0) as the last axis, ``torch.diagonal``."""
        if self.ndim < 2:
            raise ShapeError(f"diagonal: needs at least 2 axes, got shape {fmt_shape(self.shape)}")
        d1, d2 = _dim(self.shape, dim1, "diagonal"), _dim(self.shape, dim2, "diagonal")
        if d1 == d2:
            raise ShapeError(f"diagonal: dim1 and dim2 name the same axis {dim1} of shape {fmt_shape(self.shape)}")
        m, n = self.shape[d1], self.shape[d2]
        length = max(0, min(m, n - offset) if offset >= 0 else min(m + offset, n))
        rows = np.arange(length) + max(0, -offset)
        cols = np.arange(length) + max(0, offset)
        return self.movedim((d1, d2), (-2, -1))[..., rows, cols]

    def diag(self: Value, diagonal: int = 0) -> Value:
        """A 1-D Value as the ``diagonal`` of a square matrix of zeros; a 2-D Value's diagonal, like ``torch.diag``."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ShapeError(f"diag: needs a 1-D or 2-D Value, got shape {fmt_shape(self.shape)}")
        n, k = self.shape[0], int(diagonal)
        m = n + abs(k)
        if n == 0:
            return self.sum() * 0.0 + np.zeros((m, m))
        rows, cols = np.indices((m, m))
        on = cols - rows == k
        index = np.clip(np.where(k >= 0, rows, cols), 0, n - 1)  # the element of self on each cell's diagonal
        return where(on, self[index], 0.0)

    def unfold(self: Value, dimension: int, size: int, step: int) -> Value:
        """Windows of ``size`` along ``dimension``, ``step`` apart, as a new last axis, like ``torch.Tensor.unfold``."""
        d = _dim(self.shape, dimension, "unfold")
        if not self.ndim:
            return self.reshape(1).unfold(0, size, step).reshape(-1)
        n = self.shape[d]
        if not (isinstance(size, int) and isinstance(step, int)) or not 0 <= size <= n or step <= 0:
            raise ShapeError(
                f"unfold: needs 0 <= size <= {n} (the size of dimension {dimension} of shape {fmt_shape(self.shape)}) "
                f"and step > 0, got size={size!r}, step={step!r}"
            )
        starts = np.arange((n - size) // step + 1) * step
        windows = self[(slice(None),) * d + (starts[:, None] + np.arange(size),)]  # (..., windows, size, ...)
        return windows.movedim(d + 1, -1)

    def split(self: Value, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Value, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last smaller), or of the given sizes, like ``torch.split``."""
        d = _dim(self.shape, dim, "split")
        if not self.ndim:
            raise ShapeError("split: a 0-d Value has no axis to split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int | np.integer):
            size = int(split_size_or_sections)
            if size <= 0 and n:
                raise ShapeError(f"split: split_size must be positive, got {size}")
            sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
        else:
            sizes = list(_int_tuple((split_size_or_sections,), "split", "sections"))
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ShapeError(
                    f"split: sections {sizes} must be non-negative and add up to {n}, the size of dim {dim} of "
                    f"shape {fmt_shape(self.shape)}"
                )
        pieces, start = [], 0
        for s in sizes:
            pieces.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(pieces)

    def chunk(self: Value, chunks: int, dim: int = 0) -> tuple[Value, ...]:
        """``chunks`` pieces along ``dim`` of ceil(n / chunks) each (fewer if n is small), like ``torch.chunk``."""
        if not isinstance(chunks, int | np.integer) or isinstance(chunks, bool) or chunks <= 0:
            raise ArgumentError(f"chunk: chunks must be a positive int, got {chunks!r}")
        d = _dim(self.shape, dim, "chunk")
        n = self.shape[d] if self.ndim else 1
        return self.split(max(1, -(-n // int(chunks))), d)


def _triangle(x: Value, diagonal: int, op: str, lower: bool) -> Value:
    """tril / triu: ``where`` with a constant triangular mask over the last two axes."""
    if x.ndim < 2:
        raise ShapeError(f"{op}: needs at least 2 axes, got shape {fmt_shape(x.shape)}")
    if not isinstance(diagonal, int | np.integer) or isinstance(diagonal, bool):
        raise ArgumentError(f"{op}: diagonal must be an int, got {diagonal!r}")
    m, n = x.shape[-2:]
    below = np.tri(m, n, k=int(diagonal) if lower else int(diagonal) - 1, dtype=bool)
    return where(below if lower else ~below, x, 0.0)


def pad(input: Operand, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Value:
    """``input`` padded by ``pad = (left, right, top, bottom, ...)``, pairs from the last axis backwards.

    Like ``torch.nn.functional.pad``: ``mode`` is "constant" (``value``; negative pads crop), "reflect"
    (mirrored without repeating the edge, pads smaller than the axis), "replicate" (the edge repeated)
    or "circular" (wrapped around). Any number of axes can be padded, in every mode.
    >>> import tinygrad_edu as tg
    >>> pad(tg.Value(np.array([1.0, 2.0, 3.0])), (2, 1), mode="reflect").data
    array([3., 2., 1., 2., 3., 2.])
    """
    (x,) = _lift_all([input], "pad")
    widths = _int_tuple((pad,), "pad", "pad")
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ShapeError(
            f"pad: pad must have an even length of at most 2 * {x.ndim} (two per axis of shape "
            f"{fmt_shape(x.shape)}), got {len(widths)} values {widths}"
        )
    if mode not in PAD_MODES:
        raise ArgumentError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    if mode != "constant" and min(widths, default=0) < 0:
        raise ShapeError(f"pad: negative pads crop only in constant mode, got {widths} with mode={mode!r}")
    out: Value = x  # type: ignore[assignment]
    for i in range(len(widths) // 2):
        axis = x.ndim - 1 - i
        before, after = widths[2 * i], widths[2 * i + 1]
        if before or after:
            out = _pad_axis(out, axis, before, after, mode, value)
    return out if out is not x else x * 1.0


def _pad_axis(x: Value, axis: int, before: int, after: int, mode: str, value: float) -> Value:
    n = x.shape[axis]
    lead = (slice(None),) * axis
    if mode == "constant":
        if before < 0 or after < 0:  # crop first
            x = x[lead + (slice(max(0, -before), n - max(0, -after)),)]
            before, after = max(0, before), max(0, after)
        def block(width: int) -> list[Any]:
            shape = x.shape[:axis] + (width,) + x.shape[axis + 1:]
            return [np.full(shape, value, dtype=x.dtype)] if width else []

        return concatenate(block(before) + [x] + block(after), axis)
    if n == 0 or (mode == "reflect" and (before >= n or after >= n)):
        need = f"more than {max(before, after)}" if mode == "reflect" else "at least 1"
        raise ShapeError(
            f"pad: {mode} pads of ({before}, {after}) need {need} elements along axis {axis}, "
            f"got shape {fmt_shape(x.shape)}"
        )
    if mode == "circular" and (before > n or after > n):
        raise ShapeError(f"pad: circular pads of ({before}, {after}) may not exceed {n}, the size of axis {axis}")
    positions = np.arange(-before, n + after)
    if mode == "reflect":
        index = np.abs(positions)
        index = np.where(index > n - 1, 2 * (n - 1) - index, index)
    elif mode == "replicate":
        index = np.clip(positions, 0, n - 1)
    else:
        index = positions % n
    return x[lead + (index,)]


def meshgrid(*tensors: Operand, indexing: str = "ij") -> tuple[Value, ...]:
    """Coordinate grids from 1-D Values, like ``torch.meshgrid`` (``indexing="ij"``, or ``"xy"`` as NumPy's default).

    >>> a, b = meshgrid(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0]))
    >>> a.shape, b.shape
    ((2, 3), (2, 3))
    """
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    values = _lift_all(list(tensors), "meshgrid")
    if any(v.ndim > 1 for v in values):
        shapes = ", ".join(fmt_shape(v.shape) for v in values)
        raise ShapeError(f"meshgrid: expects 0-d or 1-D Values, got shapes {shapes}")
    places = list(range(len(values)))
    if indexing == "xy" and len(values) > 1:
        places[0], places[1] = 1, 0
    sizes = [v.size for v in values]
    full = [0] * len(values)
    for size, place in zip(sizes, places):
        full[place] = size
    grids = []
    for v, place in zip(values, places):
        along = [1] * len(values)
        along[place] = -1
        grids.append(v.reshape(along).broadcast_to(tuple(full)))  # type: ignore[attr-defined]
    return tuple(grids)
