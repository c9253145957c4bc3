"""What Karpathy's Zero to Hero lectures call that the rest of the package does not have under that name:
``tensor``, ``Generator``, ``multinomial``, ``cat``, ``allclose``, ``histogram``.

With ``import tinygrad_edu as torch`` the makemore notebooks' calls land here or on ``Value``. The
random numbers are NumPy's (PCG64), not PyTorch's: the same seed gives the same numbers in this
engine, other numbers than in the lecture.

>>> import tinygrad_edu as torch
>>> torch.tensor([1, 2]).dtype, torch.tensor([0.5]).dtype
(dtype('int64'), dtype('float32'))
>>> g = torch.Generator().manual_seed(2147483647)
>>> p = torch.tensor([0.0, 1.0, 0.0])
>>> torch.multinomial(p, num_samples=3, replacement=True, generator=g).tolist()
[1, 1, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .dtypes import resolve_dtype
from .engine import Value, concatenate
from .errors import ArgumentError, DataError, ShapeError
from .node import Node, raw
from .random import resolve

__all__ = ["Generator", "allclose", "cat", "histogram", "multinomial", "tensor"]


class Generator(np.random.Generator):
    """PyTorch's ``torch.Generator``: a NumPy generator that ``manual_seed`` re-seeds in place.

    Every ``generator=`` of the package takes it (it is a ``numpy.random.Generator``).

    >>> g = Generator().manual_seed(42)
    >>> float(g.random()) == float(Generator().manual_seed(42).random())
    True
    """

    def __init__(self, device: Any = None) -> None:
        super().__init__(np.random.PCG64())

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed``; returns the generator itself, as PyTorch's does."""
        if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
            raise ArgumentError(f"Generator.manual_seed: the seed must be an int, got {seed!r:.40}")
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        return self


def tensor(data: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """A new leaf Value from a number, a (nested) list, an array or a Value, with PyTorch's dtypes:
    bools give bool, ints int64, floats float32 (unless ``dtype`` says otherwise)."""
    try:
        arr = np.array(raw(data.data) if isinstance(data, Node) else data)  # always a copy, as torch.tensor
    except ValueError:
        arr = np.array(None)  # ragged lists
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"tensor: expected a number or (nested, rectangular) lists of numbers, got {type(data).__name__} "
            f"{data!r:.60}"
        )
    target = resolve_dtype(dtype, "tensor")
    if target is None:
        target = {"b": np.dtype(np.bool_), "i": np.dtype(np.int64), "u": np.dtype(np.int64)}.get(
            arr.dtype.kind, np.dtype(np.float32)
        )
        if isinstance(data, np.ndarray | Node):  # arrays keep their dtype, as torch.tensor(ndarray)
            target = arr.dtype
    arr = arr.astype(target, copy=False)
    if requires_grad and arr.dtype.kind != "f":
        raise DataError(f"tensor: only float Values can require a gradient, got dtype {arr.dtype}")
    return Value(arr, requires_grad=bool(requires_grad), copy=False)


def multinomial(
    input: Any, num_samples: int, replacement: bool = False, *, generator: np.random.Generator | None = None
) -> Value:
    """Draw ``num_samples`` indices from the (unnormalised, non-negative) weights of each row of ``input``.

    ``input`` is (C,) or (N, C); the result is int64 of shape (num_samples,) or (N, num_samples).
    """
    p = np.asarray(raw(input), dtype=np.float64)
    if p.ndim not in (1, 2) or p.shape[-1] == 0:
        raise ShapeError(f"multinomial: expected weights of shape (C,) or (N, C), got {p.shape}")
    if not isinstance(num_samples, int | np.integer) or num_samples <= 0:
        raise ArgumentError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    if (p < 0).any() or not np.isfinite(p).all():
        raise ArgumentError("multinomial: weights must be finite and non-negative")
    rows = p.reshape(-1, p.shape[-1])
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ArgumentError("multinomial: every row of weights must have a positive sum")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise ArgumentError(
            f"multinomial: cannot draw {num_samples} samples without replacement from fewer non-zero weights"
        )
    rng = resolve(generator)
    draws = np.stack([rng.choice(rows.shape[1], size=int(num_samples), replace=replacement, p=row / total)
                      for row, total in zip(rows, totals[:, 0])])
    return Value(draws.reshape(p.shape[:-1] + (int(num_samples),)).astype(np.int64), requires_grad=False, copy=False)


def cat(tensors: Sequence[Any], dim: int = 0) -> Value:
    """Join Values along ``dim`` (PyTorch's name for ``concatenate``)."""
    return concatenate(tensors, dim)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when every element of ``input`` is within ``atol + rtol * |other|`` of ``other`` (PyTorch's tolerances)."""
    return bool(np.allclose(np.asarray(raw(input)), np.asarray(raw(other)), rtol=rtol, atol=atol, equal_nan=equal_nan))


class Histogram(NamedTuple):
    """``torch.histogram``'s result: the counts (or densities) and the ``bins + 1`` edges."""

    hist: Value
    bin_edges: Value


def histogram(
    input: Any, bins: int | Sequence[float] = 100, *, range: tuple[float, float] | None = None,  # noqa: A002
    weight: Any = None, density: bool = False,
) -> Histogram:
    """Counts of ``input``'s elements in ``bins`` equal bins over ``range`` (the data's min to max by default)."""
    x = np.asarray(raw(input)).ravel()
    if x.dtype.kind != "f":
        raise DataError(f"histogram: expects float data, got dtype {x.dtype}")
    w = None if weight is None else np.asarray(raw(weight)).ravel()
    edges_arg = bins if isinstance(bins, int | np.integer) else np.asarray(raw(bins), dtype=x.dtype)
    hist, edges = np.histogram(x, bins=edges_arg, range=range, weights=w, density=density)
    return Histogram(Value(hist.astype(x.dtype), requires_grad=False, copy=False),
                     Value(edges.astype(x.dtype), requires_grad=False, copy=False))
