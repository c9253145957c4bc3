"""``DataView``: the array that ``.data`` and ``.grad`` of a tensor Value hand out.

Below the engine (autograd stores ``.grad`` as one, node hands ``.data`` out as one); it knows Values only as
"something with a ``_data``" so that nothing here imports the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _raw(x: Any) -> Any:
    """A Value's stored array (NumPy arrays have no ``_data``); anything else unchanged."""
    return getattr(x, "_data", x) if not isinstance(x, np.ndarray) else x


class DataView(np.ndarray):
    """What ``.data`` and ``.grad`` of a tensor Value hand out: the array, plus a few tensor methods.

    A view (no copy) of the stored array, which stays a plain ndarray: NumPy's semantics are unchanged
    (``.std()`` is NumPy's, ddof=0), but reductions and 0-d results are DataViews too, so that Karpathy's
    ``(lr * p.grad).std() / p.data.std()).log10().item()`` and ``p.grad.std().log10()`` run (the methods
    are those PyTorch programs call on tensors).

    >>> import numpy as np
    >>> from tinygrad_edu import Value
    >>> Value(np.array([1.0, 100.0])).data.max().log10().item()
    2.0
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))  # prints as the array it is

    def log(self) -> Any:
        return np.log(self)

    def log10(self) -> Any:
        return np.log10(self)

    def log2(self) -> Any:
        return np.log2(self)

    def exp(self) -> Any:
        return np.exp(self)

    def sqrt(self) -> Any:
        return np.sqrt(self)

    def abs(self) -> Any:
        return np.abs(self)

    # in-place arithmetic with a Value takes its data (``p.data += -lr * grad``, makemore part 4); NumPy itself
    # refuses, as a Value opts out of NumPy's ufuncs (``__array_ufunc__ = None``)
    def __iadd__(self, other: Any) -> Any:  # type: ignore[misc]
        return super().__iadd__(_raw(other))

    def __isub__(self, other: Any) -> Any:  # type: ignore[misc]
        return super().__isub__(_raw(other))

    def __imul__(self, other: Any) -> Any:  # type: ignore[misc]
        return super().__imul__(_raw(other))

    def __itruediv__(self, other: Any) -> Any:  # type: ignore[misc]
        return super().__itruediv__(_raw(other))

    def nelement(self) -> int:
        return int(self.size)

    numel = nelement

    def float(self) -> Any:
        """float32, as PyTorch's ``float()``."""
        return self.astype(np.float32)

    def double(self) -> Any:
        return self.astype(np.float64)
