"""Dtype names, PyTorch's spelling: ``float32 float64 int32 int64 bool`` (NumPy dtypes underneath).

``dtype=`` arguments accept these, any NumPy dtype, or a name: ``"float32"``, ``"float"``,
``"double"``, ``"long"``, ``"int"``, ``"bool"`` (PyTorch's aliases: ``float`` is float32,
``int`` is int32, ``long`` is int64).

>>> import tinygrad_edu as tg
>>> tg.zeros(2, dtype=tg.int64).dtype
dtype('int64')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DataError

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 (PyTorch's name, torch.bool)

_ALIASES: dict[str, np.dtype] = {
    "half": float16, "float": float32, "double": float64, "int": int32, "long": int64,
    "float16": float16, "float32": float32, "float64": float64, "int32": int32, "int64": int64, "bool": bool,
    "uint8": np.dtype(np.uint8), "int8": np.dtype(np.int8), "int16": np.dtype(np.int16),
}


def resolve_dtype(dtype: Any, op: str) -> np.dtype | None:
    """``dtype`` as a NumPy dtype (None stays None); a name or type the engine cannot hold is a ``DataError``."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.")
        if key not in _ALIASES:
            raise DataError(f"{op}: unknown dtype {dtype!r}; expected one of {', '.join(sorted(_ALIASES))}")
        return _ALIASES[key]
    try:
        out = np.dtype(dtype)
    except TypeError:
        raise DataError(f"{op}: {dtype!r} is not a dtype; expected e.g. tg.float64, np.int64 or 'long'") from None
    if out.kind not in "fbiu":
        raise DataError(f"{op}: dtype {out} is not supported; expected a float, integer or boolean dtype")
    return out
