"""The reduction, scan, sorting and shape ops as functions of the package, PyTorch-style: ``tg.cumsum(x, 0)``.

Each function lifts its input (a Value, an array, a number) and calls the
method of the same name, so ``tg.sort(x)`` is ``Value(x).sort()`` when x is
an array (a constant: no gradient) and ``x.sort()`` when it is a Value.

>>> import numpy as np
>>> import tinygrad_edu as tg
>>> tg.cumsum(np.array([1.0, 2.0, 3.0]), dim=0).data
array([1., 3., 6.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .engine import Operand, Value, lift
from .ops.scan import ValuesIndices
from .ops.shape import meshgrid

__all__ = [
    "all", "any", "argmax", "argmin", "argsort", "chunk", "cummax", "cummin", "cumprod", "cumsum", "diag",
    "diagonal", "flatten", "flip", "logcumsumexp", "meshgrid", "movedim", "norm", "permute", "prod",
    "repeat_interleave", "roll", "sort", "split", "squeeze", "std", "std_mean", "topk", "tril", "triu",
    "unflatten", "unsqueeze", "var", "var_mean",
]


def _v(x: Operand, op: str) -> Value:
    return lift(x, op, Value)  # type: ignore[return-value]


# ---- reductions ----------------------------------------------------------------------
def prod(input: Operand, dim: Any = None, keepdim: bool = False) -> Value:
    """Product over ``dim`` (all by default); see ``Value.prod``."""
    return _v(input, "prod").prod(dim, keepdim)


def var(input: Operand, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Value:
    """Variance over ``dim`` with ``correction`` (1 by default); see ``Value.var``."""
    return _v(input, "var").var(dim, correction=correction, keepdims=keepdim)


def std(input: Operand, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> Value:
    """Standard deviation over ``dim``; see ``Value.std``."""
    return _v(input, "std").std(dim, correction=correction, keepdims=keepdim)


def var_mean(input: Operand, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> tuple[Value, Value]:
    """``(var, mean)`` over ``dim``."""
    return _v(input, "var_mean").var_mean(dim, correction=correction, keepdims=keepdim)


def std_mean(input: Operand, dim: Any = None, *, correction: float = 1, keepdim: bool = False) -> tuple[Value, Value]:
    """``(std, mean)`` over ``dim``."""
    return _v(input, "std_mean").std_mean(dim, correction=correction, keepdims=keepdim)


def norm(input: Operand, p: float | str = "fro", dim: Any = None, keepdim: bool = False) -> Value:
    """The vector p-norm over ``dim``; see ``Value.norm``."""
    return _v(input, "norm").norm(p, dim, keepdim)


def argmax(input: Operand, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    """Index of the first maximum (an int64 array)."""
    return _v(input, "argmax").argmax(dim, keepdim)


def argmin(input: Operand, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    """Index of the first minimum (an int64 array)."""
    return _v(input, "argmin").argmin(dim, keepdim)


def any(input: Operand, dim: Any = None, keepdim: bool = False) -> np.ndarray:  # noqa: A001 (PyTorch's name)
    """Whether any element is non-zero (a bool array)."""
    return _v(input, "any").any(dim, keepdim)


def all(input: Operand, dim: Any = None, keepdim: bool = False) -> np.ndarray:  # noqa: A001 (PyTorch's name)
    """Whether every element is non-zero (a bool array)."""
    return _v(input, "all").all(dim, keepdim)


# ---- scans and sorting -----------------------------------------------------------------
def cumsum(input: Operand, dim: int) -> Value:
    """Running sum along ``dim``."""
    return _v(input, "cumsum").cumsum(dim)


def cumprod(input: Operand, dim: int) -> Value:
    """Running product along ``dim``."""
    return _v(input, "cumprod").cumprod(dim)


def logcumsumexp(input: Operand, dim: int) -> Value:
    """log(cumsum(exp(x))) along ``dim``, stable."""
    return _v(input, "logcumsumexp").logcumsumexp(dim)


def cummax(input: Operand, dim: int) -> ValuesIndices:
    """Running maximum and its indices along ``dim``."""
    return _v(input, "cummax").cummax(dim)


def cummin(input: Operand, dim: int) -> ValuesIndices:
    """Running minimum and its indices along ``dim``."""
    return _v(input, "cummin").cummin(dim)


def sort(input: Operand, dim: int = -1, descending: bool = False, *, stable: bool = False) -> ValuesIndices:
    """Sorted values and their indices along ``dim`` (always stable)."""
    return _v(input, "sort").sort(dim, descending, stable=stable)


def argsort(input: Operand, dim: int = -1, descending: bool = False, *, stable: bool = False) -> np.ndarray:
    """The indices that sort ``input`` along ``dim``."""
    return _v(input, "argsort").argsort(dim, descending, stable=stable)


def topk(input: Operand, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The ``k`` largest (or smallest) values and their indices along ``dim``."""
    return _v(input, "topk").topk(k, dim, largest, sorted)


# ---- shape ---------------------------------------------------------------------------------
def flatten(input: Operand, start_dim: int = 0, end_dim: int = -1) -> Value:
    """Axes ``start_dim`` to ``end_dim`` merged into one."""
    return _v(input, "flatten").flatten(start_dim, end_dim)


def unflatten(input: Operand, dim: int, sizes: Sequence[int]) -> Value:
    """Axis ``dim`` split into ``sizes``."""
    return _v(input, "unflatten").unflatten(dim, sizes)


def squeeze(input: Operand, dim: int | Sequence[int] | None = None) -> Value:
    """Axes of size 1 removed."""
    return _v(input, "squeeze").squeeze(dim)


def unsqueeze(input: Operand, dim: int) -> Value:
    """A new axis of size 1 at ``dim``."""
    return _v(input, "unsqueeze").unsqueeze(dim)


def permute(input: Operand, dims: Sequence[int]) -> Value:
    """The axes in the order ``dims``."""
    return _v(input, "permute").permute(tuple(dims))


def movedim(input: Operand, source: int | Sequence[int], destination: int | Sequence[int]) -> Value:
    """Axes moved from ``source`` to ``destination``."""
    return _v(input, "movedim").movedim(source, destination)


def flip(input: Operand, dims: Sequence[int]) -> Value:
    """Reversed along ``dims``."""
    return _v(input, "flip").flip(tuple(dims))


def roll(input: Operand, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Value:
    """Shifted cyclically along ``dims``."""
    return _v(input, "roll").roll(shifts, dims)


def repeat_interleave(input: Operand, repeats: Any, dim: int | None = None) -> Value:
    """Each element repeated ``repeats`` times along ``dim``."""
    return _v(input, "repeat_interleave").repeat_interleave(repeats, dim)


def tril(input: Operand, diagonal: int = 0) -> Value:
    """The lower triangle of the last two axes."""
    return _v(input, "tril").tril(diagonal)


def triu(input: Operand, diagonal: int = 0) -> Value:
    """The upper triangle of the last two axes."""
    return _v(input, "triu").triu(diagonal)


def diagonal(input: Operand, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Value:
    """The diagonal of axes ``dim1`` and ``dim2``, as the last axis."""
    return _v(input, "diagonal").diagonal(offset, dim1, dim2)


def diag(input: Operand, diagonal: int = 0) -> Value:
    """A vector as a diagonal matrix, or a matrix's diagonal."""
    return _v(input, "diag").diag(diagonal)


def split(input: Operand, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Value, ...]:
    """Pieces along ``dim``."""
    return _v(input, "split").split(split_size_or_sections, dim)


def chunk(input: Operand, chunks: int, dim: int = 0) -> tuple[Value, ...]:
    """``chunks`` pieces along ``dim``."""
    return _v(input, "chunk").chunk(chunks, dim)
