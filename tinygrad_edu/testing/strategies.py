"""Hypothesis strategies for testing ops: shapes, broadcastable pairs, axes, bounded arrays.

>>> from hypothesis import given
>>> from tinygrad_edu.testing import strategies as st
>>> @given(st.arrays(st.shapes()))
... def test_double(x):
...     assert (2 * x == x + x).all()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._optional import missing

try:
    from hypothesis import strategies as hs
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # Hypothesis is the `testing` extra, not a run-time dependency
    raise missing("hypothesis", extra="testing", feature="tinygrad_edu.testing.strategies", cause=e) from e

#: Safe input ranges per kind of op: (low, high) for the values drawn.
RANGES: dict[str, tuple[float, float]] = {
    "any": (-3.0, 3.0),  # smooth ops: + - * exp sin cos tanh sigmoid ...
    "positive": (0.1, 4.0),  # log, sqrt, base of a real power
    "nonzero": (0.3, 3.0),  # divisors: drawn positive, sign flipped at random by `signed`
    "large": (-1000.0, 1000.0),  # stability checks (forward and gradient must stay finite)
}


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> hs.SearchStrategy:
    """Array shapes such as (), (3,), (2, 4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(max_dims: int = 3, max_side: int = 4) -> hs.SearchStrategy:
    """Pairs of shapes that NumPy broadcasts together, e.g. ((3, 1), (4,))."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=max_dims, max_side=max_side).map(
        lambda s: s.input_shapes
    )


def arrays(shape: Any, kind: str = "any", dtype: Any = np.float64, away_from: float | None = None) -> hs.SearchStrategy:
    """Float arrays of ``shape`` (a tuple or a strategy) with values in ``RANGES[kind]``.

    ``away_from`` keeps values at least 0.05 from a kink (e.g. 0 for relu and abs).
    """
    low, high = RANGES[kind]
    elements = hs.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if away_from is not None:
        elements = elements.filter(lambda v: abs(v - away_from) > 0.05)
    return hnp.arrays(dtype, shape, elements=elements)


def signed(strategy: hs.SearchStrategy) -> hs.SearchStrategy:
    """Flip the sign of each element at random (for divisors drawn from a positive range)."""
    return hs.tuples(strategy, hs.randoms()).map(
        lambda pair: pair[0] * np.where(np.array([pair[1].random() < 0.5 for _ in range(pair[0].size)])
                                        .reshape(pair[0].shape), -1.0, 1.0)
    )


def distinct(strategy: hs.SearchStrategy, gap: float = 1e-3) -> hs.SearchStrategy:
    """Arrays whose values are pairwise at least ``gap`` apart (no ties: max/min are smooth there)."""
    def far_apart(x: np.ndarray) -> bool:
        v = np.sort(x.reshape(-1))
        return v.size < 2 or bool(np.min(np.diff(v)) > gap)

    return strategy.filter(far_apart)


def axes(ndim: int) -> hs.SearchStrategy:
    """Reduction axes for an array of ``ndim`` axes: None, one axis (maybe negative) or a tuple."""
    if ndim == 0:
        return hs.just(None)
    one = hs.integers(-ndim, ndim - 1)
    several = hs.lists(hs.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return hs.one_of(hs.none(), one, several)
