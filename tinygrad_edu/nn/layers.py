"""Convolution, pooling, normalisation, dropout, embedding and attention layers, PyTorch's names, arguments and layouts.

Each module keeps its parameters (and buffers: batch norm's running statistics, saved in ``state_dict``
under PyTorch's names) and calls the matching function of ``nn.functional`` in ``forward``.
``Module.train()`` / ``eval()`` switch ``training``, which dropout and batch norm read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import Operand, Value
from ..errors import ArgumentError, ShapeError, fmt_shape
from ..ops.conv import _pair
from . import functional as F
from . import init
from .modules import Module, _empty_parameter


class _ConvNd(Module):
    """Shared by Conv1d and Conv2d: weight (out, in/groups, *kernel) and bias initialised as PyTorch does."""

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, ...], stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, dtype: Any, generator: np.random.Generator | None,
                 transposed: bool = False) -> None:
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ArgumentError(f"{type(self).__name__}: groups={groups} must divide in_channels ({in_channels}) "
                                f"and out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        # conv: (out, in/groups, *kernel); transposed conv: (in, out/groups, *kernel), as in PyTorch
        shape = (in_channels, out_channels // groups, *kernel) if transposed else \
            (out_channels, in_channels // groups, *kernel)
        # Kaiming uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in/groups * kernel
        self.weight = init.kaiming_uniform_(_empty_parameter(shape, dtype), a=math.sqrt(5), generator=generator)
        fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
        self.bias = init.uniform_(_empty_parameter((out_channels,), dtype), -bound, bound, generator) if bias else None

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}")


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W), like ``torch.nn.Conv2d`` (``F.conv2d``: im2col and one product)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True, dtype: Any = np.float32,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, _pair(kernel_size, "kernel_size", "Conv2d"), stride, padding,
                         dilation, groups, bias, dtype, generator)

    def forward(self, x: Operand) -> Value:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L), like ``torch.nn.Conv1d``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, dtype: Any = np.float32,
                 generator: np.random.Generator | None = None) -> None:
        k = kernel_size if isinstance(kernel_size, int) else int(kernel_size[0])
        super().__init__(in_channels, out_channels, (k,), stride, padding, dilation, groups, bias, dtype, generator)

    def forward(self, x: Operand) -> Value:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d (upsampling), like ``torch.nn.ConvTranspose2d`` (``F.conv_transpose2d``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 dtype: Any = np.float32, generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, _pair(kernel_size, "kernel_size", "ConvTranspose2d"), stride,
                         padding, dilation, groups, bias, dtype, generator, transposed=True)
        self.output_padding = output_padding

    def forward(self, x: Operand) -> Value:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)


class MaxPool2d(Module):
    """The maximum of each window, like ``torch.nn.MaxPool2d`` (ties: the first maximal element gets the gradient)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Operand) -> Any:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each window, like ``torch.nn.AvgPool2d``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x: Operand) -> Value:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Means over an ``output_size`` grid of near-equal bins, like ``torch.nn.AdaptiveAvgPool2d``."""

    def __init__(self, output_size: Any) -> None:
        self.output_size = output_size

    def forward(self, x: Operand) -> Value:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Upsample(Module):
    """Resizes (N, C, L) or (N, C, H, W) with ``F.interpolate``, like ``torch.nn.Upsample`` (no parameters)."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x: Operand) -> Value:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class Dropout(Module):
    """Zeroes elements with probability ``p`` in training mode (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ArgumentError(f"Dropout: p must be between 0 and 1, got {p}")
        self.p = p
        self._generator = generator

    def forward(self, x: Operand) -> Value:
        return F.dropout(x, self.p, self.training, generator=self._generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d: weight, bias, and the buffers PyTorch saves under the same names."""

    _ndims: tuple[int, ...] = ()
    running_mean: np.ndarray | None  # buffers (register_buffer): saved in state_dict, not trained
    running_var: np.ndarray | None
    num_batches_tracked: np.ndarray | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = np.float32) -> None:
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = init.ones_(_empty_parameter((num_features,), dtype)) if affine else None
        self.bias = init.zeros_(_empty_parameter((num_features,), dtype)) if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", np.zeros(num_features, dtype) if tracked else None)
        self.register_buffer("running_var", np.ones(num_features, dtype) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64) if tracked else None)

    def forward(self, x: Operand) -> Value:
        x = F._value(x, type(self).__name__)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ShapeError(f"{type(self).__name__}: expected an input of {' or '.join(map(str, self._ndims))} axes "
                             f"with {self.num_features} channels on axis 1, got shape {fmt_shape(x.shape)}")
        momentum = self.momentum
        if self.training and self.num_batches_tracked is not None:
            np.add(self.num_batches_tracked, 1, out=self.num_batches_tracked)  # in place: the same buffer array
            if momentum is None:  # a cumulative average, as in PyTorch
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_batch,
                            momentum or 0.0, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L), like ``torch.nn.BatchNorm1d``."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W), like ``torch.nn.BatchNorm2d``."""

    _ndims = (4,)


class LayerNorm(Module):
    """Normalises over the last axes ``normalized_shape``, like ``torch.nn.LayerNorm``."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.weight = init.ones_(_empty_parameter(shape, dtype)) if elementwise_affine else None
        self.bias = init.zeros_(_empty_parameter(shape, dtype)) if elementwise_affine and bias else None

    def forward(self, x: Operand) -> Value:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


class GroupNorm(Module):
    """Normalises groups of channels, like ``torch.nn.GroupNorm`` (weight and bias per channel)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype: Any = np.float32) -> None:
        if num_groups < 1 or num_channels % num_groups:
            raise ArgumentError(f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.weight = init.ones_(_empty_parameter((num_channels,), dtype)) if affine else None
        self.bias = init.zeros_(_empty_parameter((num_channels,), dtype)) if affine else None

    def forward(self, x: Operand) -> Value:
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index (``torch.nn.Embedding``).

    Initialised N(0, 1), the ``padding_idx`` row zero (and it gets no gradient).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = np.float32, generator: np.random.Generator | None = None) -> None:
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = init.normal_(_empty_parameter((num_embeddings, embedding_dim), dtype), generator=generator)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0.0

    def forward(self, x: Any) -> Value:
        return F.embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class MultiheadAttention(Module):
    """Multi-head attention, like ``torch.nn.MultiheadAttention`` (same parameters and state_dict keys).

    ``in_proj_weight`` (3E, E) projects to queries, keys and values; each of ``num_heads`` heads attends
    with softmax(q k^T / sqrt(E / heads)), and ``out_proj`` mixes the heads. ``forward`` returns
    (output, attention weights averaged over heads, or per head, or None). NOTE: PyTorch's convention
    here: a boolean ``attn_mask`` or ``key_padding_mask`` is True where attention is NOT allowed (the
    opposite of ``F.scaled_dot_product_attention``).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, dtype: Any = np.float32,
                 generator: np.random.Generator | None = None) -> None:
        if num_heads < 1 or embed_dim % num_heads:
            raise ArgumentError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                                f"({num_heads})")
        from .modules import Linear

        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.in_proj_weight = init.xavier_uniform_(_empty_parameter((3 * embed_dim, embed_dim), dtype),
                                                   generator=generator)
        self.in_proj_bias = init.zeros_(_empty_parameter((3 * embed_dim,), dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, generator=generator)
        if bias:
            init.zeros_(self.out_proj.bias)  # type: ignore[arg-type]
        self._generator = generator

    def forward(self, query: Operand, key: Operand, value: Operand, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Value, Value | None]:
        q, k, v = (F._value(t, "MultiheadAttention") for t in (query, key, value))
        if not self.batch_first:  # (L, N, E) -> (N, L, E)
            q, k, v = (t.swapaxes(0, 1) for t in (q, k, v))
        n, big_l, e = q.shape
        big_s, h = k.shape[1], self.num_heads
        if e != self.embed_dim or k.shape[-1] != e or v.shape[-1] != e:
            raise ShapeError(f"MultiheadAttention: query, key and value must end in embed_dim={self.embed_dim}, got "
                             f"{fmt_shape(q.shape)}, {fmt_shape(k.shape)}, {fmt_shape(v.shape)}")
        w, b = self.in_proj_weight, self.in_proj_bias
        heads = []
        for i, t in enumerate((q, k, v)):  # project, then split the embedding into heads: (N, heads, len, E/heads)
            part = F.linear(t, w[i * e:(i + 1) * e], None if b is None else b[i * e:(i + 1) * e])
            heads.append(part.reshape(n, t.shape[1], h, e // h).swapaxes(1, 2))
        scores = (heads[0] @ heads[1].swapaxes(-1, -2)) * (1.0 / math.sqrt(e // h))
        blocked = np.zeros((n, 1, big_l, big_s), dtype=bool)
        if is_causal and attn_mask is None:
            blocked |= ~np.tril(np.ones((big_l, big_s), dtype=bool))
        if attn_mask is not None:
            m = np.asarray(attn_mask.data if isinstance(attn_mask, Value) else attn_mask)
            if m.dtype == bool:
                blocked = blocked | (m if m.ndim == 2 else m.reshape(n, h, big_l, big_s))
            else:
                scores = scores + (m if m.ndim == 2 else m.reshape(n, h, big_l, big_s)).astype(scores.dtype)
        if key_padding_mask is not None:
            blocked = blocked | np.asarray(key_padding_mask, dtype=bool)[:, None, None, :]
        if blocked.any():
            scores = scores.masked_fill(np.broadcast_to(blocked, scores.shape), -np.inf)
        weights = scores.softmax(axis=-1)
        dropped = F.dropout(weights, self.dropout, self.training, generator=self._generator)
        out = (dropped @ heads[2]).swapaxes(1, 2).reshape(n, big_l, e)
        out = self.out_proj(out)
        if not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(axis=1) if average_attn_weights else weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
