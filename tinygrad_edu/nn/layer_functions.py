"""Dropout, embedding, normalisation, attention and interpolation as functions (PyTorch's names and definitions).

All derived from the engine's ops (indexing, mean, var, rsqrt, softmax, ``@``, ``where``): their
gradients come from rules that already exist. ``nn.functional`` re-exports them, with the
convolutions and poolings of ``ops/conv.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import Operand, Value, where
from ..errors import ArgumentError, DataError, ShapeError, fmt_shape
from ..node import Node, raw
from ..random import resolve
from .losses import _value


def dropout(input: Operand, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: np.random.Generator | None = None) -> Value:
    """Each element zeroed with probability ``p`` and the rest scaled by 1/(1-p), when ``training``.

    In evaluation (``training=False``) or with ``p=0`` the input comes back unchanged. The mask is
    drawn from ``generator`` (the library's generator by default, see ``tinygrad_edu.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ArgumentError(f"dropout: p must be between 0 and 1, got {p}")
    if inplace:
        raise ArgumentError("dropout: inplace=True is not supported (Values are not changed in place)")
    x = _value(input, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = resolve(generator).random(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)  # inverted dropout: the expected value is unchanged


def embedding(input: Any, weight: Value, padding_idx: int | None = None) -> Value:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``, like ``F.embedding``.

    The row ``padding_idx`` gets no gradient (PyTorch's rule); repeated indices add up their gradients.
    """
    idx = np.asarray(raw(input))
    if idx.dtype.kind not in "iu":
        raise DataError(f"embedding: input must be integer indices, got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ShapeError(f"embedding: indices must lie in 0 .. {n - 1} for a weight of shape "
                         f"{fmt_shape(weight.shape)}, got {int(idx.min())} .. {int(idx.max())}")
    out = weight[idx]
    if padding_idx is None:
        return out
    pad = padding_idx % n
    return where((idx == pad)[..., None], out.detach(), out)  # the padding row: a constant, no gradient


def _affine(y: Value, weight: Any, bias: Any, shape: tuple[int, ...]) -> Value:
    if weight is not None:
        y = y * (weight.reshape(shape) if isinstance(weight, Value) else np.reshape(weight, shape))
    if bias is not None:
        y = y + (bias.reshape(shape) if isinstance(bias, Value) else np.reshape(bias, shape))
    return y


def layer_norm(input: Operand, normalized_shape: int | Sequence[int], weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Value:
    """(x - mean) / sqrt(var + eps) over the last axes ``normalized_shape``, then ``* weight + bias``.

    The variance is the biased one (divided by n), as in PyTorch.
    """
    x = _value(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape:
        raise ShapeError(f"layer_norm: normalized_shape {shape} must be the last axes of the input's shape "
                         f"{fmt_shape(x.shape)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, correction=0, keepdims=True)
    return _affine((x - mean) * (var + eps).rsqrt(), weight, bias, shape)


def group_norm(input: Operand, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Value:
    """Channels (axis 1) split into ``num_groups`` groups, each normalised over its channels and the spatial axes."""
    x = _value(input, "group_norm")
    if x.ndim < 2 or num_groups < 1 or x.shape[1] % num_groups:
        raise ShapeError(f"group_norm: num_groups={num_groups} must divide the channels (axis 1) of the input of "
                         f"shape {fmt_shape(x.shape)}")
    groups = x.reshape(x.shape[0], num_groups, -1)
    mean = groups.mean(axis=-1, keepdims=True)
    var = groups.var(axis=-1, correction=0, keepdims=True)
    y = ((groups - mean) * (var + eps).rsqrt()).reshape(x.shape)
    return _affine(y, weight, bias, (1, x.shape[1]) + (1,) * (x.ndim - 2))


def batch_norm(input: Operand, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Value:
    """Normalise each channel (axis 1) over the batch and spatial axes, like ``F.batch_norm``.

    ``training``: the batch's mean and biased variance normalise, and the running statistics (arrays
    or Values, updated in place when given) move by ``momentum`` towards the batch's mean and UNBIASED
    variance (PyTorch's rule). Otherwise the running statistics normalise.
    """
    x = _value(input, "batch_norm")
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: input must have shape (N, C, ...), got {fmt_shape(x.shape)}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    if training:
        count = x.size // c
        if count <= 1:
            raise ShapeError(f"batch_norm: training needs more than one value per channel, got input of shape "
                             f"{fmt_shape(x.shape)}")
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, correction=0, keepdims=True)
        for stat, batch in ((running_mean, raw(mean)), (running_var, raw(var) * count / (count - 1))):
            if stat is not None:
                data = raw(stat)
                data *= 1.0 - momentum
                data += momentum * batch.reshape(c).astype(data.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ArgumentError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        centre = np.reshape(raw(running_mean), shape).astype(x.dtype)
        inv_std = (1.0 / np.sqrt(np.reshape(raw(running_var), shape) + eps)).astype(x.dtype)
        return _affine((x - centre) * inv_std, weight, bias, shape)
    return _affine((x - mean) * (var + eps).rsqrt(), weight, bias, shape)


def scaled_dot_product_attention(query: Operand, key: Operand, value: Operand, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 generator: np.random.Generator | None = None) -> Value:
    """softmax(q k^T * scale + mask) v over the last two axes, like ``F.scaled_dot_product_attention``.

    ``scale`` defaults to 1/sqrt(head dim). A boolean ``attn_mask`` says which positions may be
    attended to (True: yes); a float one is added to the scores. ``is_causal``: position i sees 0..i.
    """
    q, k, v = _value(query, "scaled_dot_product_attention"), _value(key, "scaled_dot_product_attention"), \
        _value(value, "scaled_dot_product_attention")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: query {fmt_shape(q.shape)}, key {fmt_shape(k.shape)} and "
                         f"value {fmt_shape(v.shape)} must be (..., L, E), (..., S, E) and (..., S, Ev)")
    if is_causal and attn_mask is not None:
        raise ArgumentError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.swapaxes(-1, -2)) * s
    big_l, big_s = q.shape[-2], k.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((big_l, big_s), dtype=bool))
    if attn_mask is not None:
        m = raw(attn_mask)
        m = np.asarray(m)
        if m.dtype == bool:
            scores = scores.masked_fill(~m, -np.inf)
        else:
            scores = scores + (attn_mask if isinstance(attn_mask, Node) else m.astype(scores.dtype))
    weights = scores.softmax(axis=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, generator=generator)
    return weights @ v


# ---- interpolate (issue 13): resizing by indexing and weighted sums, so the gradients are indexing's --------
_INTERPOLATE_MODES = {"nearest": (3, 4), "nearest-exact": (3, 4), "linear": (3,), "bilinear": (4,)}


def _output_sizes(shape: tuple[int, ...], size: Any, scale_factor: Any, recompute: bool | None
                  ) -> tuple[list[int], list[float | None]]:
    """The output's spatial sizes and the scales PyTorch maps coordinates with (None: input / output)."""
    spatial = shape[2:]
    k = len(spatial)

    def each(v: Any, name: str) -> list:
        vs = list(v) if isinstance(v, Sequence) and not isinstance(v, str) else [v] * k
        if len(vs) != k:
            raise ArgumentError(f"interpolate: {name} must be one number or {k} (one per spatial axis of the input "
                                f"of shape {fmt_shape(shape)}), got {v!r}")
        return vs

    if (size is None) == (scale_factor is None):
        raise ArgumentError("interpolate: give exactly one of size and scale_factor, got "
                            + ("both" if size is not None else "neither"))
    if size is not None:
        sizes = each(size, "size")
        if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1 for n in sizes):
            raise ArgumentError(f"interpolate: size must hold whole numbers >= 1, got {size!r}")
        return [int(n) for n in sizes], [None] * k
    factors = each(scale_factor, "scale_factor")
    if not all(isinstance(f, int | float | np.integer | np.floating) and not isinstance(f, bool) and f > 0
               for f in factors):
        raise ArgumentError(f"interpolate: scale_factor must hold positive numbers, got {scale_factor!r}")
    sizes = [math.floor(n * float(f)) for n, f in zip(spatial, factors)]
    if min(sizes) < 1:
        raise ShapeError(f"interpolate: scale_factor {scale_factor!r} leaves no output for the input of shape "
                         f"{fmt_shape(shape)}")
    return sizes, [None] * k if recompute else [float(f) for f in factors]


def _nearest_taps(n_in: int, n_out: int, factor: float | None, exact: bool, shortcuts: bool) -> np.ndarray:
    """Source index of each output position: floor(dst * scale), or floor((dst + 1/2) * scale) for nearest-exact.

    scale is 1 / scale_factor when one was given, else n_in / n_out; computed in float32, as PyTorch does.
    ``shortcuts``: PyTorch's 2-D "nearest" copies an axis whose size is unchanged and doubles one whose
    size doubles (dst // 2), whatever the exact factor (so 2.1 gives dst // 2 there, not floor(dst / 2.1)).
    """
    if shortcuts and n_out == n_in:
        return np.arange(n_out)
    if shortcuts and n_out == 2 * n_in:
        return np.arange(n_out) // 2
    scale = np.float32(1.0 / factor) if factor else np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def _linear_taps(n_in: int, n_out: int, factor: float | None, align_corners: bool, dtype: np.dtype
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output position, its two source indices i0, i1 and the weight w of i1 (i0 gets 1 - w).

    align_corners: src = dst * (n_in - 1) / (n_out - 1) (the corner pixels' centres line up); otherwise
    src = (dst + 1/2) * scale - 1/2, at least 0 (the pixels' edges line up), scale as in nearest.
    """
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = np.arange(n_out, dtype=dtype) * dtype.type(scale)
    else:
        scale = 1.0 / factor if factor else n_in / n_out
        src = np.maximum((np.arange(n_out, dtype=dtype) + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5), 0)
    i0 = src.astype(np.int64)  # src >= 0: truncation is floor
    w = np.clip(src - i0, 0, 1).astype(dtype)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    return i0, i1, w


def interpolate(input: Operand, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Value:
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``, like ``torch.nn.functional.interpolate``.

    ``mode``: "nearest" / "nearest-exact" (3-D and 4-D), "linear" (3-D) or "bilinear" (4-D). Derived: nearest
    picks source rows and columns (``index_select``); (bi)linear mixes two neighbours along each spatial axis
    in turn, ``x[i0] * (1 - w) + x[i1] * w``, so the gradients are indexing's (added up where a source
    pixel is used more than once) and the products'.

    >>> interpolate(np.arange(3.0).reshape(1, 1, 3), scale_factor=2).data
    array([[[0., 0., 1., 1., 2., 2.]]])
    """
    x = _value(input, "interpolate")
    if mode not in _INTERPOLATE_MODES:
        raise ArgumentError(f"interpolate: mode must be one of {sorted(_INTERPOLATE_MODES)}, got {mode!r}")
    if x.ndim not in (3, 4):
        raise ShapeError(f"interpolate: input must have shape (N, C, L) or (N, C, H, W), got {fmt_shape(x.shape)}")
    if x.ndim not in _INTERPOLATE_MODES[mode]:
        wanted = " or ".join(f"{n}-D" for n in _INTERPOLATE_MODES[mode])
        raise ShapeError(f"interpolate: mode {mode!r} needs a {wanted} input, got shape {fmt_shape(x.shape)}")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ArgumentError(f"interpolate: align_corners applies to the linear modes only, not to mode {mode!r}")
    if antialias:
        raise ArgumentError("interpolate: antialias=True is not supported")
    if x.dtype.kind != "f":
        raise DataError(f"interpolate: input must be floating point, got dtype {x.dtype}")
    sizes, factors = _output_sizes(x.shape, size, scale_factor, recompute_scale_factor)
    out = x
    for axis in reversed(range(2, x.ndim)):  # the last axis first, as PyTorch sums (same numbers, same order)
        n_in, n_out, factor = x.shape[axis], sizes[axis - 2], factors[axis - 2]
        if not linear:
            exact = mode == "nearest-exact"
            out = out.index_select(axis, _nearest_taps(n_in, n_out, factor, exact, not exact and x.ndim == 4))
            continue
        if n_out == n_in:  # PyTorch copies an axis whose size is unchanged, whatever scale_factor says
            continue
        i0, i1, w = _linear_taps(n_in, n_out, factor, bool(align_corners), x.dtype)
        shape = [1] * x.ndim
        shape[axis] = n_out
        w = w.reshape(shape)
        out = out.index_select(axis, i0) * (1 - w) + out.index_select(axis, i1) * w
    return out
